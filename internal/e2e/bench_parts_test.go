package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/internal/webhook"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
)

// benchSenders is the number of concurrent webhook senders of P1 and P2.
const benchSenders = 32

// load is what a set of senders achieved: successes, wall time and each success's latency.
type load struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
}

func (l *load) add(o load) {
	l.n += o.n
	l.elapsed += o.elapsed
	l.lat = append(l.lat, o.lat...)
}

func (l load) rate() float64 { return float64(l.n) / l.elapsed.Seconds() }

// ms is the q-quantile of the latencies in milliseconds.
func (l load) ms(q float64) float64 { return float64(quantile(l.lat, q)) / float64(time.Millisecond) }

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)]
}

// drive runs benchSenders goroutines that call send back to back, until d has passed (n < 0) or n calls
// were made, and measures each call.
func drive(tb testing.TB, d time.Duration, n int, send func(i int) error) load {
	tb.Helper()
	var (
		mu    sync.Mutex
		lat   []time.Duration
		fail  error
		next  atomic.Int64
		wg    sync.WaitGroup
		start = time.Now()
	)
	deadline := start.Add(d)
	for range benchSenders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if (n >= 0 && i >= n) || (n < 0 && time.Now().After(deadline)) {
					return
				}
				t0 := time.Now()
				err := send(i)
				took := time.Since(t0)
				mu.Lock()
				if err != nil && fail == nil {
					fail = err
				}
				lat = append(lat, took)
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if fail != nil {
		tb.Fatalf("sender: %v", fail)
	}
	return load{n: len(lat), elapsed: time.Since(start), lat: lat}
}

// benchClient posts webhooks over kept-alive loopback connections, one per sender.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * benchSenders}, Timeout: time.Minute}

// postEvent sends one HubSpot event webhook and wants it accepted.
func postEvent(baseURL, pcid string) error {
	res, err := benchClient.Post(baseURL+eventsPath, "application/json", strings.NewReader(signedUpBody(pcid)))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		return fmt.Errorf("webhook answered %s", res.Status)
	}
	return nil
}

// benchRouter serves the real gin router on loopback for client c.
func benchRouter(tb testing.TB, c client.Client, extoleAuth webhook.ExtoleAuth) string {
	web := httptest.NewServer(webhook.NewRouter(webhook.Deps{Temporal: c, Log: zap.NewNop(), Extole: extoleAuth}))
	tb.Cleanup(web.Close)
	return web.URL
}

// benchIngest is P1: how fast the webhook server gets events durably started, against the ceiling of a
// plain Go client starting the same workflow with the same options on the same server. No worker runs,
// so only the starts are measured; the rounds alternate A B A B so drift hits both alike.
func benchIngest(tb testing.TB, sz benchSizes) []benchFigure {
	c, _ := namespaceClient(tb)
	url := benchRouter(tb, c, webhook.ExtoleAuth{})
	var seq atomic.Int64
	pcid := func(kind string) string { return fmt.Sprintf("p1-%s-%d", kind, seq.Add(1)) }
	viaWebhook := func(int) error { return postEvent(url, pcid("web")) }
	raw := func(int) error {
		var in workflows.EventInput
		if err := json.Unmarshal([]byte(signedUpBody(pcid("raw"))), &in); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.ExecuteWorkflow(ctx, workflows.EventStartOptions(in), workflows.EventWorkflow(in.EventName), in)
		return err
	}
	var a, b load
	for range sz.rounds {
		a.add(drive(tb, sz.ingestRound, -1, viaWebhook))
		b.add(drive(tb, sz.ingestRound, -1, raw))
	}
	const against = "raw ExecuteWorkflow"
	return []benchFigure{
		figure("P1.rate", "webhooks accepted, 32 senders", "/s", a.rate()).vs(against, b.rate()).target(">=", 0.9),
		figure("P1.p50", "ack latency p50", "ms", a.ms(0.5)).vs(against, b.ms(0.5)),
		figure("P1.p99", "ack latency p99", "ms", a.ms(0.99)).vs(against, b.ms(0.99)).target("<=", 1.2),
	}
}

const benchNoopQueue = "bench-noop"

// benchNoop is P2's baseline: the least a workflow that makes one call can cost Temporal.
func benchNoop(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteActivity(ctx, "BenchNoopActivity").Get(ctx, nil)
}

// benchEndToEnd is P2: events from webhook to the simulated Extole per second, with the workers in this
// process and limits far above what the machine reaches, against a no-op workflow with one no-op
// activity started by a plain client on the same server.
func benchEndToEnd(tb testing.TB, c client.Client, sz benchSizes) []benchFigure {
	ext := extolesim.New(extolesim.Options{Token: extoleToken, RateLimitPerMinute: -1})
	extSrv := httptest.NewServer(ext)
	defer extSrv.Close()
	hs := hubspotsim.New(hubspotsim.Options{Token: hubspotToken, RatePer10s: -1, SearchPerSecond: -1, DailyLimit: -1})
	hsSrv := httptest.NewServer(hs)
	defer hsSrv.Close()
	acts := temporalx.Activities{
		Extole:  &activities.Extole{Client: extole.New(extSrv.URL, extoleToken, nil)},
		HubSpot: &activities.HubSpot{Client: hubspot.New(hsSrv.URL, hubspotToken, nil)},
	}
	ws := temporalx.NewWorkers(c, acts, temporalx.Limits{ExtolePerMinute: 6_000_000, HubSpotPer10s: 1_000_000, HubSpotSearchPerSec: 100_000})
	var noopDone, noopLast atomic.Int64 // count, and the time of the last (UnixNano)
	noop := worker.New(c, benchNoopQueue, worker.Options{})
	noop.RegisterWorkflowWithOptions(benchNoop, workflow.RegisterOptions{Name: "BenchNoop"})
	noop.RegisterActivityWithOptions(func(context.Context) error {
		noopLast.Store(time.Now().UnixNano())
		noopDone.Add(1)
		return nil
	},
		activity.RegisterOptions{Name: "BenchNoopActivity"})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- temporalx.Run(ctx, append(ws, noop)) }()
	defer func() {
		cancel()
		if err := <-stopped; err != nil {
			tb.Errorf("workers: %v", err)
		}
	}()
	url := benchRouter(tb, c, webhook.ExtoleAuth{})

	// until waits for want deliveries and returns the time from start to the last. It polls rarely and
	// takes the time from the delivery itself: copying the fake's events every few milliseconds was this
	// process's largest CPU cost (pprof), stolen from the bridge it measures.
	until := func(start time.Time, want int, delivered func() (int, time.Time)) time.Duration {
		deadline := time.Now().Add(5 * time.Minute)
		for {
			n, last := delivered()
			if n >= want {
				return last.Sub(start)
			}
			if time.Now().After(deadline) {
				tb.Fatalf("P2: %d of %d delivered after 5 minutes", n, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	extoleDelivered := func() (int, time.Time) {
		events := ext.Events()
		var last time.Time
		for _, ev := range events {
			if ev.ReceivedAt.After(last) {
				last = ev.ReceivedAt
			}
		}
		return len(events), last
	}
	noopDelivered := func() (int, time.Time) { return int(noopDone.Load()), time.Unix(0, noopLast.Load()) }
	var ours, base load
	for round := range sz.rounds {
		before, start := len(ext.Events()), time.Now()
		drive(tb, 0, sz.e2eEvents, func(i int) error {
			return postEvent(url, fmt.Sprintf("p2-%d-%d", round, i))
		})
		ours.add(load{n: sz.e2eEvents, elapsed: until(start, before+sz.e2eEvents, extoleDelivered)})

		before, start = int(noopDone.Load()), time.Now()
		drive(tb, 0, sz.e2eEvents, func(i int) error {
			opts := client.StartWorkflowOptions{ID: fmt.Sprintf("bench-noop/%d/%d", round, i), TaskQueue: benchNoopQueue}
			_, err := c.ExecuteWorkflow(context.Background(), opts, "BenchNoop")
			return err
		})
		base.add(load{n: sz.e2eEvents, elapsed: until(start, before+sz.e2eEvents, noopDelivered)})
	}
	const against = "no-op workflow + no-op activity"
	lastEvent := workflows.EventWorkflowID(workflows.EventSignedUp, fmt.Sprintf("p2-0-%d", sz.e2eEvents-1))
	lastNoop := fmt.Sprintf("bench-noop/0/%d", sz.e2eEvents-1)
	return []benchFigure{
		figure("P2.rate", "events delivered to Extole", "/s", ours.rate()).vs(against, base.rate()).target(">=", 0.8),
		figure("P2.history", "history events per event workflow", "", float64(historyLength(tb, c, lastEvent))).
			vs(against, float64(historyLength(tb, c, lastNoop))),
	}
}

// historyLength waits for a workflow to close and returns its number of history events.
func historyLength(tb testing.TB, c client.Client, id string) int64 {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		tb.Fatalf("%s: %v", id, err)
	}
	d, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		tb.Fatal(err)
	}
	return d.RawResponse.GetWorkflowExecutionInfo().GetHistoryLength()
}

// buildWorker builds cmd/worker, so P3 and P4 measure the real binary as its own process.
func buildWorker(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "worker")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/worker").CombinedOutput(); err != nil {
		tb.Fatalf("build worker: %v\n%s", err, out)
	}
	return bin
}

// benchAPIs are the simulated APIs of one backfill measurement.
type benchAPIs struct {
	ext        *extolesim.Extole
	extoleURL  string
	hs         *hubspotsim.HubSpot
	hubspotURL string
}

// newBenchAPIs starts the simulated Extole, limited to extolePerMinute like a real account, and a
// simulated HubSpot holding n contacts, all lacking a link.
func newBenchAPIs(tb testing.TB, extolePerMinute, n int, prefix string) benchAPIs {
	return newBenchAPIsWith(tb, extolesim.Options{Token: extoleToken, RateLimitPerMinute: extolePerMinute}, n, prefix)
}

func newBenchAPIsWith(tb testing.TB, ext extolesim.Options, n int, prefix string) benchAPIs {
	a := benchAPIs{
		ext: extolesim.New(ext),
		hs:  hubspotsim.New(hubspotsim.Options{Token: hubspotToken, RatePer10s: 1000, SearchPerSecond: 50, DailyLimit: -1}),
	}
	extSrv := httptest.NewServer(a.ext)
	tb.Cleanup(extSrv.Close)
	hsSrv := httptest.NewServer(a.hs)
	tb.Cleanup(hsSrv.Close)
	a.extoleURL, a.hubspotURL = extSrv.URL, hsSrv.URL
	a.hs.Seed(n, func(i int) map[string]string {
		return map[string]string{"email": fmt.Sprintf("%s%06d@example.com", prefix, i)}
	})
	return a
}

// workerProc is cmd/worker running as its own process against the simulated APIs.
type workerProc struct {
	cmd  *exec.Cmd
	peak int64 // KiB, as last sampled
}

func startWorker(tb testing.TB, bin, ns string, apis benchAPIs, extolePerMinute int) *workerProc {
	tb.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+server.FrontendHostPort(),
		"TEMPORAL_NAMESPACE="+ns,
		"EXTOLE_BASE_URL="+apis.extoleURL, "EXTOLE_ACCESS_TOKEN="+extoleToken,
		"HUBSPOT_BASE_URL="+apis.hubspotURL, "HUBSPOT_ACCESS_TOKEN="+hubspotToken,
		"EXTOLE_RATE_LIMIT_PER_MINUTE="+strconv.Itoa(extolePerMinute),
		"HUBSPOT_RATE_LIMIT_PER_10S=1000", "HUBSPOT_SEARCH_RATE_PER_SECOND=50",
		"LOG_LEVEL=error",
		// No metrics listener (several workers may run at once) unless the test asks for one.
		"METRICS_ADDR="+os.Getenv("METRICS_ADDR"),
	)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	w := &workerProc{cmd: cmd}
	tb.Cleanup(w.stop)
	return w
}

// sample records the worker's peak resident memory so far.
func (w *workerProc) sample() { w.peak = max(w.peak, peakRSS(w.cmd.Process.Pid)) }

func (w *workerProc) stop() {
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.cmd.Process.Kill()
	_ = w.cmd.Wait()
}

// runBackfill runs one backfill to its end, sampling the worker's memory every second.
func runBackfill(tb testing.TB, c client.Client, w *workerProc, in workflows.BackfillInput) (workflows.BackfillProgress, time.Duration) {
	tb.Helper()
	start := time.Now()
	run, err := c.ExecuteWorkflow(context.Background(), workflows.BackfillStartOptions(false), workflows.ShareLinkBackfill, in)
	if err != nil {
		tb.Fatal(err)
	}
	var p workflows.BackfillProgress
	done := make(chan error, 1)
	go func() { done <- run.Get(context.Background(), &p) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			w.sample()
			if err != nil {
				tb.Fatal(err)
			}
			return p, time.Since(start)
		case <-tick.C:
			w.sample()
		}
	}
}

// benchBackfill is P3's throughput half: a backfill with no live traffic against an Extole account
// limited to sz.extolePerMinute, per route.
func benchBackfill(tb testing.TB, c client.Client, ns, bin string, sz benchSizes) []benchFigure {
	apis := newBenchAPIs(tb, sz.extolePerMinute, sz.backfillContacts, "p3-")
	w := startWorker(tb, bin, ns, apis, sz.extolePerMinute)
	defer w.stop()
	p, elapsed := runBackfill(tb, c, w, workflows.BackfillInput{Label: "refer-a-friend"})
	if p.Linked != sz.backfillContacts {
		tb.Fatalf("P3: linked %d of %d: %s", p.Linked, sz.backfillContacts, p.Summary())
	}
	reqs := apis.ext.Requests()
	callRate, tooMany := extoleCallRate(reqs, elapsed)
	f429 := figure("P3.api.429", "Extole 429 responses", "", float64(tooMany)).target("<=", 0)
	f429.ZeroOK = true
	apiContacts := float64(p.Linked) / elapsed.Seconds()
	w.stop() // the next run's worker must be the only one polling
	return append([]benchFigure{
		figure("P3.api.calls", "backfill Extole calls, api route", "/s", callRate).
			vs("configured limit", float64(sz.extolePerMinute)/60).target(">=", 0.9),
		figure("P3.api.contacts", "contacts linked, api route", "/s", apiContacts),
		figure("P3.api.per_contact", "Extole calls per contact, api route", "", float64(len(reqs))/float64(p.Linked)).target("<=", 2.0),
		f429,
	}, benchEventRoute(tb, c, ns, bin, sz, apiContacts)...)
}

// benchEventRoute is P3 for BACKFILL_ROUTE=events: one Extole event per contact, the simulated extension
// posting each link to the real webhook router, ShareLinkSync writing it. Its contacts/s are compared
// with the API route's, measured just before on the same machine.
func benchEventRoute(tb testing.TB, c client.Client, ns, bin string, sz benchSizes, apiContacts float64) []benchFigure {
	const event = "hubspot_backfill"
	web := benchRouter(tb, c, webhook.ExtoleAuth{Token: extoleWebhookToken})
	apis := newBenchAPIsWith(tb, extolesim.Options{Token: extoleToken, RateLimitPerMinute: sz.extolePerMinute,
		ShareLinkExtension: extolesim.ShareLinkExtension{TriggerEvent: event, WebhookURL: web + "/webhooks/extole/share-links",
			WebhookToken: extoleWebhookToken}},
		sz.backfillContacts, "p3ev-")
	w := startWorker(tb, bin, ns, apis, sz.extolePerMinute)
	defer w.stop()
	p, elapsed := runBackfill(tb, c, w, workflows.BackfillInput{Label: "refer-a-friend", Route: workflows.BackfillRouteEvents,
		EventName: event, LinkPoll: 500 * time.Millisecond, LinkWait: 5 * time.Minute})
	if p.Received != sz.backfillContacts {
		tb.Fatalf("P3 events: %d of %d links came back: %s", p.Received, sz.backfillContacts, p.Summary())
	}
	reqs := apis.ext.Requests()
	callRate, tooMany := extoleCallRate(reqs, elapsed)
	f429 := figure("P3.events.429", "Extole 429 responses, event route", "", float64(tooMany)).target("<=", 0)
	f429.ZeroOK = true
	return []benchFigure{
		figure("P3.events.calls", "backfill Extole calls, event route", "/s", callRate).
			vs("configured limit", float64(sz.extolePerMinute)/60).target(">=", 0.9),
		figure("P3.events.contacts", "contacts linked, event route (link back in HubSpot)", "/s", float64(p.Received)/elapsed.Seconds()).
			vs("api route", apiContacts),
		figure("P3.events.per_contact", "Extole calls per contact, event route", "", float64(len(reqs))/float64(p.Received)).target("<=", 1.0),
		f429,
	}
}

// extoleCallRate is the calls per second over the span of the calls (first to last), and the 429s among them.
func extoleCallRate(reqs []sandbox.RequestRecord, elapsed time.Duration) (float64, int) {
	var tooMany int
	for _, r := range reqs {
		if r.Status == http.StatusTooManyRequests {
			tooMany++
		}
	}
	rate := float64(len(reqs)) / elapsed.Seconds()
	if span := reqs[len(reqs)-1].At.Sub(reqs[0].At); len(reqs) > 1 && span > 0 {
		rate = float64(len(reqs)-1) / span.Seconds()
	}
	return rate, tooMany
}

// benchLiveDuringBackfill is P3's latency half: live events at half the Extole limit (at most 50/s),
// webhook to Extole, first alone and then while a backfill uses the rest of the budget.
func benchLiveDuringBackfill(tb testing.TB, c client.Client, ns, bin string, sz benchSizes) []benchFigure {
	perSec := min(float64(sz.extolePerMinute)/60/2, 50)
	// Enough contacts that the backfill outlasts the live traffic.
	n := max(sz.backfillContacts, min(sz.extolePerMinute/60*int((sz.liveFor+20*time.Second).Seconds()), 3000))
	apis := newBenchAPIs(tb, sz.extolePerMinute, n, "p3live-")
	w := startWorker(tb, bin, ns, apis, sz.extolePerMinute)
	defer w.stop()
	url := benchRouter(tb, c, webhook.ExtoleAuth{})

	if lat := liveLatencies(tb, apis.ext, url, "warm", 1, 1); len(lat) != 1 { // the worker is polling
		tb.Fatal("P3: warm-up event not delivered")
	}
	alone := liveLatencies(tb, apis.ext, url, "alone", perSec, int(perSec*sz.liveFor.Seconds()))

	if _, err := c.ExecuteWorkflow(context.Background(), workflows.BackfillStartOptions(false), workflows.ShareLinkBackfill,
		workflows.BackfillInput{Label: "refer-a-friend"}); err != nil {
		tb.Fatal(err)
	}
	defer func() { // the worker first, so no activity is in flight when the run ends
		w.stop()
		_ = c.TerminateWorkflow(context.Background(), workflows.BackfillWorkflowID, "", "bench done")
	}()
	deadline := time.Now().Add(time.Minute)
	for backfillCalls(apis.ext) < 20 { // the backfill is drawing on the budget
		if time.Now().After(deadline) {
			tb.Fatal("P3: the backfill made no Extole call within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
	during := liveLatencies(tb, apis.ext, url, "during", perSec, int(perSec*sz.liveFor.Seconds()))
	a, b := load{lat: during}, load{lat: alone}
	against := fmt.Sprintf("no backfill; live %.0f/s", perSec)
	return []benchFigure{
		figure("P3.live_p50", "live delivery latency p50 during a backfill", "ms", a.ms(0.5)).vs(against, b.ms(0.5)),
		figure("P3.live_p99", "live delivery latency p99 during a backfill", "ms", a.ms(0.99)).vs(against, b.ms(0.99)).target("<=", 2),
	}
}

// backfillCalls counts the Extole calls that are not live events.
func backfillCalls(ext *extolesim.Extole) int {
	n := 0
	for _, r := range ext.Requests() {
		if r.Path != "/v5/events" {
			n++
		}
	}
	return n
}

// liveLatencies sends n events at perSec through the webhook and returns, for each, the time from its
// sending to its arrival at the simulated Extole.
func liveLatencies(tb testing.TB, ext *extolesim.Extole, url, kind string, perSec float64, n int) []time.Duration {
	tb.Helper()
	n = max(n, 1)
	sent := make(map[string]time.Time, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, n)
	tick := time.NewTicker(time.Duration(float64(time.Second) / perSec))
	defer tick.Stop()
	for i := range n {
		if i > 0 {
			<-tick.C
		}
		pcid := fmt.Sprintf("live-%s-%d", kind, i)
		mu.Lock()
		sent[pcid] = time.Now()
		mu.Unlock()
		wg.Go(func() {
			if err := postEvent(url, pcid); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatalf("live event: %v", err)
	}
	var lat []time.Duration
	deadline := time.Now().Add(3 * time.Minute)
	for {
		lat = lat[:0]
		for _, ev := range ext.Events() {
			var pcid string
			if json.Unmarshal(ev.Data["partner_conversion_id"], &pcid) != nil {
				continue
			}
			if at, ok := sent[pcid]; ok {
				lat = append(lat, ev.ReceivedAt.Sub(at))
			}
		}
		if len(lat) == n {
			return lat
		}
		if time.Now().After(deadline) {
			tb.Fatalf("P3: %d of %d live events delivered after 3 minutes", len(lat), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// benchMemory is P4: the worker process's peak resident memory for a backfill of n contacts against one
// of a tenth as many (the workflow carries a cursor, so memory must not grow with n), and the history
// events of each continue-as-new run. Limits are raised so the run is bound by the machine.
func benchMemory(tb testing.TB, c client.Client, ns, bin string, sz benchSizes) []benchFigure {
	type result struct {
		n             int
		rssMB, perSec float64
		runs, maxHist int
	}
	measure := func(n int) result {
		const extolePerMinute = 30_000
		apis := newBenchAPIs(tb, extolePerMinute, n, fmt.Sprintf("p4-%d-", n))
		w := startWorker(tb, bin, ns, apis, extolePerMinute)
		defer w.stop()
		p, elapsed := runBackfill(tb, c, w, workflows.BackfillInput{Label: "refer-a-friend"})
		if p.Linked != n {
			tb.Fatalf("P4: linked %d of %d: %s", p.Linked, n, p.Summary())
		}
		runs, maxHist := runHistories(tb, c)
		tb.Logf("P4 %d contacts: %s, %d runs, worker peak RSS %d MB; %s", n, elapsed.Round(time.Second), runs, w.peak/1024, p.Summary())
		return result{n: n, rssMB: float64(w.peak) / 1024, perSec: float64(n) / elapsed.Seconds(), runs: runs, maxHist: maxHist}
	}
	small, large := measure(sz.memContacts/10), measure(sz.memContacts)
	against := fmt.Sprintf("%d contacts", small.n)
	return []benchFigure{
		figure("P4.rss", fmt.Sprintf("worker peak RSS, %d contacts", large.n), "MB", large.rssMB).vs(against, small.rssMB).target("<=", 1.2),
		figure("P4.history", fmt.Sprintf("history events per run, max of %d runs", large.runs), "", float64(large.maxHist)).
			vs(fmt.Sprintf("%d contacts, %d runs", small.n, small.runs), float64(small.maxHist)),
		figure("P4.contacts", fmt.Sprintf("contacts linked, %d contacts", large.n), "/s", large.perSec).vs(against, small.perSec),
	}
}

// runHistories walks the last backfill's continue-as-new chain back to its first run and returns the
// number of runs and the largest history among them.
func runHistories(tb testing.TB, c client.Client) (runs, maxEvents int) {
	tb.Helper()
	ctx := context.Background()
	runID := ""
	for {
		d, err := c.DescribeWorkflow(ctx, workflows.BackfillWorkflowID, runID)
		if err != nil {
			tb.Fatal(err)
		}
		info := d.RawResponse.GetWorkflowExecutionInfo()
		runs++
		maxEvents = max(maxEvents, int(info.GetHistoryLength()))
		iter := c.GetWorkflowHistory(ctx, workflows.BackfillWorkflowID, info.GetExecution().GetRunId(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		first, err := iter.Next()
		if err != nil {
			tb.Fatal(err)
		}
		runID = first.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if runID == "" {
			return runs, maxEvents
		}
	}
}

// peakRSS reads a process's peak resident set size (VmHWM) in KiB from /proc.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
