package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/workflows"
)

// row is one scenario's figures at the HTTP level: what the sender got a 2xx for, and what the simulated
// API holds afterwards.
type row struct {
	scenario   string
	sent       int    // distinct conversions / links / contacts
	acked      int    // got a 2xx
	delivered  int    // present at the destination
	missing    int    // sent but not at the destination
	lost       int    // acknowledged with a 2xx, then not at the destination
	duplicated int    // destination records beyond one per conversion / link / contact
	retries    int    // non-2xx answers and connection errors the sender retried
	refusals   string // the same by status
}

// verify is a scenario's final check; checks run after every scenario's faults are over, so slow tails
// (activities of a killed worker time out after 45 s) overlap instead of adding up.
type verify func(t *testing.T) row

// deliveryWithin bounds the wait for every acknowledged event after the faults end.
const deliveryWithin = 3 * time.Minute

// TestChaos breaks the real processes while a HubSpot-like sender keeps retrying, and proves that every
// acknowledged event reaches Extole exactly once and every eligible contact is linked exactly once.
func TestChaos(t *testing.T) {
	s := shared(t)
	n := scale(t)
	var verifies []struct {
		name string
		v    verify
	}
	add := func(name string, v verify) {
		verifies = append(verifies, struct {
			name string
			v    verify
		}{name, v})
	}

	t.Run("a+g worker SIGKILL twice under 200 events and a backfill", func(t *testing.T) {
		va, vg := workerKills(t, s, 200*n, 30*n)
		add("a worker SIGKILL, 200 events in flight", va)
		add("g backfill, worker killed twice", vg)
	})
	t.Run("b Temporal stopped and restarted", func(t *testing.T) {
		add("b Temporal SIGTERM + restart", temporalRestart(t, s, 40*n))
	})
	t.Run("d Extole token revoked then fixed", func(t *testing.T) {
		add("d Extole token revoked, fixed", tokenRevoked(t, s, 20*n))
	})
	t.Run("e concurrent duplicates", func(t *testing.T) {
		add("e 10 concurrent duplicates each", duplicates(t, s, 50*n, 10))
	})
	t.Run("f webhook server SIGTERM under load", func(t *testing.T) {
		add("f webhook SIGTERM + restart", webhookRestart(t, s, 100*n))
	})
	t.Run("c 30% 5xx + 10% 429 on both APIs", func(t *testing.T) {
		ve, vl := flakyAPIs(t, s, 40*n, 20*n)
		add("c 30% 5xx + 10% 429: events", ve)
		add("c 30% 5xx + 10% 429: links", vl)
	})

	var rows []row
	for _, v := range verifies {
		t.Run("verify "+v.name, func(t *testing.T) {
			r := v.v(t)
			r.scenario = v.name
			rows = append(rows, r)
			if r.missing != 0 || r.lost != 0 || r.duplicated != 0 || r.delivered != r.sent {
				t.Errorf("%s: %d sent, %d delivered, %d missing, %d acknowledged-then-lost, %d duplicated; want all delivered exactly once",
					v.name, r.sent, r.delivered, r.missing, r.lost, r.duplicated)
			}
		})
	}
	table := fmt.Sprintf("%-42s %6s %6s %9s %7s %5s %10s %s\n", "scenario", "sent", "2xx", "delivered", "missing", "lost", "duplicated", "retried (by answer)")
	for _, r := range rows {
		table += fmt.Sprintf("%-42s %6d %6d %9d %7d %5d %10d %d %s\n", r.scenario, r.sent, r.acked, r.delivered, r.missing, r.lost, r.duplicated, r.retries, r.refusals)
	}
	t.Logf("chaos summary (CHAOS_SCALE=%d):\n%s", n, table)

	t.Run("no secret in any log", func(t *testing.T) { noSecretInLogs(t, s) })
}

func keys(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

// eventsDelivered waits until every conversion the sender sent is in Extole (or the deadline), then counts.
func eventsDelivered(t *testing.T, s *system, snd *sender, ids []string) row {
	t.Helper()
	var got map[string]int
	_ = waitFor(deliveryWithin, "every event in Extole", func() bool {
		got = s.extoleEvents(t)
		for _, id := range ids {
			if got[id] == 0 {
				time.Sleep(time.Second)
				return false
			}
		}
		return true
	})
	acked := snd.ackedKeys()
	r := row{sent: len(ids), retries: snd.retries, refusals: snd.refusals()}
	for _, id := range ids {
		_, ok := acked[id]
		if ok {
			r.acked++
		}
		switch c := got[id]; {
		case c == 0 && ok:
			r.lost++
			r.missing++
		case c == 0:
			r.missing++
		default:
			r.delivered++
			r.duplicated += c - 1
		}
	}
	return r
}

// linksDelivered waits until every share link is on its HubSpot contact, then counts.
func linksDelivered(t *testing.T, s *system, snd *sender, emails []string) row {
	t.Helper()
	var got map[string][]hsContact
	has := func(email string) bool {
		cs := got[email]
		return len(cs) > 0 && cs[0].Properties["share_link"] == "https://refer.example.com/"+codeFor(email)
	}
	_ = waitFor(deliveryWithin, "every link on its contact", func() bool {
		got = s.hubspotContacts(t)
		for _, e := range emails {
			if !has(e) {
				time.Sleep(time.Second)
				return false
			}
		}
		return true
	})
	acked := snd.ackedKeys()
	r := row{sent: len(emails), retries: snd.retries, refusals: snd.refusals()}
	for _, e := range emails {
		_, ok := acked[e]
		if ok {
			r.acked++
		}
		switch {
		case !has(e) && ok:
			r.lost++
			r.missing++
		case !has(e):
			r.missing++
		default:
			r.delivered++
			r.duplicated += len(got[e]) - 1
		}
	}
	return r
}

func codeFor(email string) string {
	return strings.NewReplacer("@example.com", "", ".", "", "-", "").Replace(email)
}

func emailsFor(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d@example.com", prefix, i)
	}
	return out
}

func sendEvents(s *system, snd *sender, ids []string, conc int) {
	snd.postAll(ids, conc, func(id string) *http.Request { return s.hubspotEvent("signed_up", id) })
}

func sendLinks(s *system, snd *sender, emails []string, conc int) {
	snd.postAll(emails, conc, func(e string) *http.Request { return s.shareLink(e, codeFor(e)) })
}

// waitAcked waits until the sender has at least n acknowledgements.
func waitAcked(t *testing.T, snd *sender, n int) {
	t.Helper()
	if err := waitFor(time.Minute, fmt.Sprintf("%d acknowledged", n), func() bool { return len(snd.ackedKeys()) >= n }); err != nil {
		t.Fatal(err)
	}
}

// workerKills is scenarios a and g in one phase: 200 events in flight and a backfill running when the
// worker is SIGKILLed, restarted, and SIGKILLed again.
func workerKills(t *testing.T, s *system, events, contacts int) (verify, verify) {
	emails := emailsFor("bf", contacts)
	seedContacts(t, s, emails)
	runStarter(t, s, "backfill", "run")

	ids := keys("kill", events)
	snd := newSender(2 * time.Minute)
	sent := make(chan struct{})
	go func() { defer close(sent); sendEvents(s, snd, ids, 20) }()
	if err := waitFor(time.Minute, "the first events in Extole", func() bool {
		got := s.extoleEvents(t)
		c := 0
		for _, id := range ids {
			c += got[id]
		}
		return c >= events/10
	}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.worker.signal(syscall.SIGKILL, 10*time.Second); err == nil {
			t.Fatal("worker survived SIGKILL")
		}
		s.restartWorker(t)
		time.Sleep(2 * time.Second) // the restarted worker picks up work before it dies again
	}
	<-sent
	return func(t *testing.T) row { return eventsDelivered(t, s, snd, ids) },
		func(t *testing.T) row { return backfillLinked(t, s, emails) }
}

// seedContacts creates contacts without links through HubSpot's batch API, as an existing CRM holds them.
func seedContacts(t *testing.T, s *system, emails []string) {
	t.Helper()
	for i := 0; i < len(emails); i += 100 {
		var inputs []map[string]any
		for _, e := range emails[i:min(i+100, len(emails))] {
			inputs = append(inputs, map[string]any{"properties": map[string]string{"email": e, "firstname": "Chaos"}})
		}
		b, _ := json.Marshal(map[string]any{"inputs": inputs})
		req, _ := http.NewRequest(http.MethodPost, s.hubspotURL+"/crm/v3/objects/contacts/batch/create", strings.NewReader(string(b)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secrets["HUBSPOT_ACCESS_TOKEN"])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			t.Fatalf("seed contacts: %s", res.Status)
		}
	}
}

// runStarter runs one `starter` command to completion as its own process.
func runStarter(t *testing.T, s *system, args ...string) {
	t.Helper()
	p := s.newProc("starter "+strings.Join(args, " "), append([]string{filepath.Join(binDir, "starter")}, args...), s.env)
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(p.done, time.Minute); err != nil {
		t.Fatalf("starter %v: %v\n%s", args, err, tail(p.out.String()))
	}
}

// backfillLinked waits for the backfill to finish and checks every seeded contact: one Extole person, one
// shareable for the program label, and that shareable's link and code on the HubSpot contact.
func backfillLinked(t *testing.T, s *system, emails []string) row {
	t.Helper()
	c, err := s.client("default")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), deliveryWithin)
	defer cancel()
	if err := c.GetWorkflow(ctx, workflows.BackfillWorkflowID, "").Get(ctx, nil); err != nil {
		t.Errorf("backfill: %v", err)
	}
	var persons struct {
		Persons []struct {
			Email      string `json:"email"`
			Shareables []struct {
				Code  string `json:"code"`
				Label string `json:"label"`
				Link  string `json:"link"`
			} `json:"shareables"`
		} `json:"persons"`
	}
	if err := getJSON(s.extoleURL+"/_sandbox/persons", &persons); err != nil {
		t.Fatal(err)
	}
	contacts := s.hubspotContacts(t)
	r := row{sent: len(emails), acked: len(emails)}
	byEmail := map[string]int{}
	for _, p := range persons.Persons {
		byEmail[strings.ToLower(p.Email)]++
	}
	for _, e := range emails {
		r.duplicated += max(byEmail[e]-1, 0) + max(len(contacts[e])-1, 0)
		var shareables []string
		for _, p := range persons.Persons {
			if strings.EqualFold(p.Email, e) {
				for _, sh := range p.Shareables {
					if sh.Label == "refer-a-friend" {
						shareables = append(shareables, sh.Code)
					}
				}
			}
		}
		r.duplicated += max(len(shareables)-1, 0)
		if len(contacts[e]) == 0 || len(shareables) == 0 || contacts[e][0].Properties["share_code"] != shareables[0] ||
			contacts[e][0].Properties["share_link"] == "" {
			r.missing++
			continue
		}
		r.delivered++
	}
	return r
}

// temporalRestart: the dev server is stopped (SIGTERM) and restarted on the same db file while the sender
// keeps sending and retrying the 503s.
func temporalRestart(t *testing.T, s *system, events int) verify {
	ids := keys("tmp", events)
	snd := newSender(3 * time.Minute)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		paced(ids, 100*time.Millisecond, func(id string) { sendEvents(s, snd, []string{id}, 1) })
	}()
	waitAcked(t, snd, events/4)
	if err := s.temporal.signal(syscall.SIGTERM, 30*time.Second); err != nil {
		t.Logf("dev server exit: %v", err)
	}
	time.Sleep(3 * time.Second) // the sender meets 503s
	if err := s.startTemporal(); err != nil {
		t.Fatal(err)
	}
	<-sent
	return func(t *testing.T) row { return eventsDelivered(t, s, snd, ids) }
}

// paced calls f for each key in turn, one every gap, each in its own goroutine, and waits for all.
func paced(ids []string, gap time.Duration, f func(string)) {
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() { f(id) })
		time.Sleep(gap)
	}
	wg.Wait()
}

// tokenRevoked: Extole answers 403 access_denied and HubSpot 401 to every call while the tokens are
// "revoked"; the events and links are acknowledged, held, and delivered once the tokens work again.
func tokenRevoked(t *testing.T, s *system, events int) verify {
	s.setFaults(t, map[string]any{"force_status": 403, "path_prefix": "/v5/events"},
		map[string]any{"force_status": 401, "path_prefix": "/crm/v3/objects/contacts"})
	ids := keys("revoked", events)
	emails := emailsFor("revoked", events/2)
	snd, lsnd := newSender(time.Minute), newSender(time.Minute)
	sendEvents(s, snd, ids, 10)
	sendLinks(s, lsnd, emails, 10)
	time.Sleep(4 * time.Second) // the workers meet the 401/403s
	got, contacts := s.extoleEvents(t), s.hubspotContacts(t)
	for _, id := range ids {
		if got[id] != 0 {
			t.Errorf("event %s reached Extole while its token was revoked", id)
		}
	}
	for _, e := range emails {
		if len(contacts[e]) != 0 {
			t.Errorf("contact %s written while the HubSpot token was revoked", e)
		}
	}
	s.setFaults(t, nil, nil)
	return func(t *testing.T) row {
		r, l := eventsDelivered(t, s, snd, ids), linksDelivered(t, s, lsnd, emails)
		return row{sent: r.sent + l.sent, acked: r.acked + l.acked, delivered: r.delivered + l.delivered, missing: r.missing + l.missing,
			lost: r.lost + l.lost, duplicated: r.duplicated + l.duplicated, retries: r.retries + l.retries,
			refusals: strings.TrimSpace(r.refusals + " " + l.refusals)}
	}
}

// duplicates: each conversion is posted `copies` times at once; exactly one is accepted (202) and the rest
// answered duplicate (200).
func duplicates(t *testing.T, s *system, conversions, copies int) verify {
	ids := keys("dup", conversions)
	var posts []string
	for _, id := range ids {
		for i := range copies {
			posts = append(posts, fmt.Sprintf("%s#%d", id, i))
		}
	}
	snd := newSender(time.Minute)
	// Every copy of a conversion in flight at once; five conversions at a time.
	snd.postAll(posts, 5*copies, func(k string) *http.Request { return s.hubspotEvent("signed_up", strings.Split(k, "#")[0]) })
	accepted := map[string]int{}
	for k, status := range snd.ackedKeys() {
		if status == http.StatusAccepted {
			accepted[strings.Split(k, "#")[0]]++
		}
	}
	for _, id := range ids {
		if accepted[id] != 1 {
			t.Errorf("%s: %d of %d concurrent copies answered 202 accepted, want exactly 1", id, accepted[id], copies)
		}
	}
	return func(t *testing.T) row {
		r := eventsDelivered(t, s, snd, ids)
		r.acked = len(snd.ackedKeys()) / copies
		return r
	}
}

// webhookRestart: the webhook server gets SIGTERM under load, drains in-flight requests and exits 0, and
// is restarted; the sender retries the refused connections meanwhile.
func webhookRestart(t *testing.T, s *system, events int) verify {
	ids := keys("web", events)
	snd := newSender(2 * time.Minute)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		paced(ids, 20*time.Millisecond, func(id string) { sendEvents(s, snd, []string{id}, 1) })
	}()
	waitAcked(t, snd, events/3)
	if err := s.serve.signal(syscall.SIGTERM, 30*time.Second); err != nil {
		t.Errorf("webhook server after SIGTERM: %v, want a graceful exit 0", err)
	}
	time.Sleep(time.Second)
	if err := s.serve.start(); err != nil {
		t.Fatal(err)
	}
	if err := s.waitServe(); err != nil {
		t.Fatal(err)
	}
	<-sent
	return func(t *testing.T) row { return eventsDelivered(t, s, snd, ids) }
}

// flakyAPIs: both simulated APIs fail 30 % of calls with 503 and shed 10 % with 429 + Retry-After while
// events and links flow; the faults stay on until everything is delivered.
func flakyAPIs(t *testing.T, s *system, events, links int) (verify, verify) {
	f := map[string]any{"error_rate": 0.3, "error_status": 503, "rate_limit_rate": 0.1, "retry_after": "1"}
	s.setFaults(t, f, f)
	ids, emails := keys("flaky", events), emailsFor("flaky", links)
	snd, lsnd := newSender(time.Minute), newSender(time.Minute)
	var wg sync.WaitGroup
	wg.Go(func() { sendEvents(s, snd, ids, 10) })
	wg.Go(func() { sendLinks(s, lsnd, emails, 10) })
	wg.Wait()
	re, rl := eventsDelivered(t, s, snd, ids), linksDelivered(t, s, lsnd, emails)
	s.setFaults(t, nil, nil)
	return func(*testing.T) row { return re }, func(*testing.T) row { return rl }
}
