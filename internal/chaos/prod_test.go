package chaos

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// The limits the production topology runs at: the simulated APIs enforce exactly what the bridge is
// configured with, so a single 429 means the limit did not hold across the two workers. The load keeps
// both windows full: events arrive faster than Extole's limit for over a minute, links faster than
// HubSpot's for over 10 s.
const (
	prodExtolePerMinute = 300
	prodHubSpotPer10s   = 100
)

// TestProductionTopology runs the production topology `make prod-test` sets up (deploy/temporal: the
// Temporal server on PostgreSQL, namespace created by setup.sh without search attributes): two workers
// and two webhook servers behind a sender that, like a load balancer in front of HubSpot's retries, sends
// each retry to the other server. One worker and one webhook server are SIGKILLed mid-stream and stay down.
func TestProductionTopology(t *testing.T) {
	addr := os.Getenv("PROD_TEMPORAL_ADDRESS")
	if addr == "" {
		t.Skip("needs the PostgreSQL-backed Temporal server that `make prod-test` starts (PROD_TEMPORAL_ADDRESS)")
	}
	s, webhooks := startProd(t, addr)
	c, err := s.client("default")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	t.Run("a real server, not the dev server", func(t *testing.T) {
		info, err := c.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if info.GetPersistenceStore() != "postgres12" || info.GetVisibilityStore() != "postgres12" {
			t.Fatalf("persistence %q, visibility %q; want postgres12 for both", info.GetPersistenceStore(), info.GetVisibilityStore())
		}
	})
	t.Run("retention of at least 3 days, set by the setup", func(t *testing.T) {
		ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got < 72*time.Hour {
			t.Fatalf("retention %s; HubSpot retries for 3 days, so a redelivery must still find its workflow", got)
		}
	})
	t.Run("search attributes registered by the worker", func(t *testing.T) {
		if !strings.Contains(s.worker.out.String(), `"registered search attributes"`) {
			t.Fatalf("the first worker did not register the search attributes; its output ends:\n%s", tail(s.worker.out.String()))
		}
		have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range workflows.SearchAttributes {
			if _, ok := have.GetCustomAttributes()[k.GetName()]; !ok {
				t.Errorf("search attribute %s not registered", k.GetName())
			}
		}
	})

	ids := keys("prod", 360)
	emails := emailsFor("prod", 200)
	snd := newSender(5 * time.Minute)
	lb := &balancer{hosts: webhooks, tries: map[string]int{}}
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		postPaced(snd, ids, time.Second/6, func(id string) *http.Request { return lb.route(id, s.hubspotEvent("signed_up", id)) })
	}()
	go func() {
		defer wg.Done()
		postPaced(snd, emails, time.Second/20, func(e string) *http.Request { return lb.route(e, s.shareLink(e, codeFor(e))) })
	}()

	// Mid-stream: events still arriving, links still being written, work queued and in flight on both workers.
	eventsAcked := func() int {
		n, acked := 0, snd.ackedKeys()
		for _, id := range ids {
			if _, ok := acked[id]; ok {
				n++
			}
		}
		return n
	}
	if err := waitFor(2*time.Minute, "a sixth of the events acknowledged", func() bool { return eventsAcked() >= len(ids)/6 }); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Since(start)
	for _, p := range []*proc{s.worker, s.serve} {
		if err := p.signal(syscall.SIGKILL, 10*time.Second); err == nil {
			t.Fatalf("%s exited cleanly on SIGKILL", p.name)
		}
	}
	wg.Wait()
	sent := time.Since(start)

	events := eventsDelivered(t, s, snd, ids)
	links := linksDelivered(t, s, snd, emails)
	took := time.Since(start)
	extole429, extolePeak := apiLoad(t, s.extoleURL, time.Minute)
	hubspot429, hubspotPeak := apiLoad(t, s.hubspotURL, 10*time.Second)
	var extole struct {
		Duplicates int `json:"duplicates"`
	}
	if err := getJSON(s.extoleURL+"/_sandbox/events", &extole); err != nil {
		t.Fatal(err)
	}
	t.Logf("production topology (PostgreSQL, 2 workers, 2 webhook servers): %d events + %d links, sent in %s, all delivered in %s; "+
		"SIGKILLed worker-1 and webhook-2 at %s; events delivered %d/%d (duplicated %d, lost %d), links %d/%d (duplicated %d, lost %d); "+
		"Extole: %d × 429, busiest minute %d calls of %d allowed; HubSpot: %d × 429, busiest 10 s %d calls of %d; sender retries %d (%s); "+
		"Extole absorbed %d repeated submissions by partner_conversion_id (calls whose worker was killed before it recorded them)",
		len(ids), len(emails), sent.Round(time.Second), took.Round(time.Second), killedAt.Round(time.Second),
		events.delivered, events.sent, events.duplicated, events.lost, links.delivered, links.sent, links.duplicated, links.lost,
		extole429, extolePeak, prodExtolePerMinute, hubspot429, hubspotPeak, prodHubSpotPer10s, snd.retries, snd.refusals(), extole.Duplicates)

	for _, r := range []row{events, links} {
		if r.acked != r.sent || r.delivered != r.sent || r.duplicated != 0 {
			t.Errorf("want every one acknowledged and delivered exactly once: %+v", r)
		}
	}
	if extole429 != 0 || hubspot429 != 0 {
		t.Errorf("the rate limits did not hold across both workers: %d × 429 from Extole, %d from HubSpot", extole429, hubspot429)
	}
	t.Run("search attributes usable in PostgreSQL visibility", func(t *testing.T) {
		q := fmt.Sprintf("%s = %q", workflows.PartnerConversionID.GetName(), ids[0])
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := waitFor(30*time.Second, "the event's workflow by "+q, func() bool {
			res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: q})
			return err == nil && len(res.GetExecutions()) == 1
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// startProd starts the simulated APIs, two workers (the first alone, so it is the one that registers
// the search attributes) and two webhook servers against the Temporal server at addr. It returns the
// system (worker and serve are the processes to kill) and both webhook servers' host:port.
func startProd(t *testing.T, addr string) (*system, []string) {
	t.Helper()
	if err := buildBinaries(); err != nil {
		t.Fatal(err)
	}
	var ports [4]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = p
	}
	s := &system{
		temporalAddr: addr,
		extoleURL:    fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		hubspotURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		webhookURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
	}
	webhooks := []string{strings.TrimPrefix(s.webhookURL, "http://"), fmt.Sprintf("127.0.0.1:%d", ports[3])}
	s.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(), // no stray Temporal profile from the developer's home
		"TEMPORAL_ADDRESS=" + addr,
		"EXTOLE_BASE_URL=" + s.extoleURL,
		"HUBSPOT_BASE_URL=" + s.hubspotURL,
		"EXTOLE_RATE_LIMIT_PER_MINUTE=" + strconv.Itoa(prodExtolePerMinute),
		"HUBSPOT_RATE_LIMIT_PER_10S=" + strconv.Itoa(prodHubSpotPer10s),
		"SANDBOX=false",
		"LOG_FORMAT=json",
		"METRICS_ADDR=", // two workers on one host: neither needs a metrics listener here
	}
	for k, v := range secrets {
		s.env = append(s.env, k+"="+v)
	}
	starter, worker := filepath.Join(binDir, "starter"), filepath.Join(binDir, "worker")
	s.sandbox = s.newProc("sandbox", []string{starter, "sandbox", "-extole-addr", strings.TrimPrefix(s.extoleURL, "http://"),
		"-hubspot-addr", strings.TrimPrefix(s.hubspotURL, "http://"),
		"-extole-rate-per-minute", strconv.Itoa(prodExtolePerMinute), "-hubspot-rate-per-10s", strconv.Itoa(prodHubSpotPer10s)}, s.env)
	s.worker = s.newProc("worker-1", []string{worker}, s.env)
	worker2 := s.newProc("worker-2", []string{worker}, s.env)
	serve1 := s.newProc("webhook-1", []string{starter, "serve"}, append(slices.Clip(s.env), "HTTP_ADDR="+webhooks[0]))
	s.serve = s.newProc("webhook-2", []string{starter, "serve"}, append(slices.Clip(s.env), "HTTP_ADDR="+webhooks[1]))
	t.Cleanup(func() {
		for i := len(s.procs) - 1; i >= 0; i-- {
			s.procs[i].stop()
		}
		if t.Failed() {
			for name, out := range s.outputs() {
				t.Logf("%s output ends:\n%s", name, tail(out))
			}
		}
	})

	for _, p := range []*proc{s.sandbox, s.worker} {
		if err := p.start(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.waitWorker(s.worker); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*proc{worker2, serve1, s.serve} {
		if err := p.start(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.waitWorker(worker2); err != nil {
		t.Fatal(err)
	}
	for _, h := range webhooks {
		if err := waitFor(30*time.Second, "webhook server "+h, func() bool { return httpOK("http://" + h + "/readyz") }); err != nil {
			t.Fatal(err)
		}
	}
	return s, webhooks
}

// balancer spreads requests over the webhook servers the way a load balancer in front of them would
// when a server is down: each retry of a key goes to the next server.
type balancer struct {
	hosts []string

	mu    sync.Mutex
	tries map[string]int
}

func (b *balancer) route(key string, req *http.Request) *http.Request {
	b.mu.Lock()
	n, seen := b.tries[key]
	if !seen {
		n = len(b.tries) // first tries alternate between the servers
	}
	b.tries[key] = n + 1
	b.mu.Unlock()
	req.URL.Host = b.hosts[n%len(b.hosts)]
	req.Host = req.URL.Host
	return req
}

// postPaced sends one key every `every`, as webhooks arrive, each retried until acknowledged.
func postPaced(snd *sender, keys []string, every time.Duration, build func(key string) *http.Request) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snd.post(k, func() *http.Request { return build(k) })
		}()
		<-tick.C
	}
	wg.Wait()
}

// apiLoad reads a simulated API's request log: its 429s, and the most requests it received in any
// window of the given length — how close the bridge ran to the limit.
func apiLoad(t *testing.T, apiURL string, window time.Duration) (tooMany, busiest int) {
	t.Helper()
	type request struct {
		Status int       `json:"status"`
		At     time.Time `json:"at"`
	}
	var got struct {
		Requests []request `json:"requests"`
	}
	if err := getJSON(apiURL+"/_sandbox/requests", &got); err != nil {
		t.Fatal(err)
	}
	rs := got.Requests
	slices.SortFunc(rs, func(a, b request) int { return a.At.Compare(b.At) })
	first := 0
	for i, r := range rs {
		if r.Status == http.StatusTooManyRequests {
			tooMany++
		}
		for r.At.Sub(rs[first].At) >= window {
			first++
		}
		busiest = max(busiest, i-first+1)
	}
	return tooMany, busiest
}
