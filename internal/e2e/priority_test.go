package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/internal/webhook"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// A backfill alone dispatches Extole calls at the queue's whole limit (not a share of it), the server
// never lets it exceed that limit under the priority matcher, and live events sent while backfill calls
// are queued overtake them. With the old static split the backfill got half the budget; without
// priority each live event waited behind the ~100 backfill calls queued before it.
func TestBackfillUsesWholeBudgetAndLiveEventsGoFirst(t *testing.T) {
	const perMinute = 600 // both sides: EXTOLE_RATE_LIMIT_PER_MINUTE and the simulated account
	s := newStack(t, stackOptions{ExtolePerMinute: perMinute, ExtoleAPIPerMinute: perMinute})
	seed(s.HubSpot, 400, func(int) seedKind { return eligible })
	s.startBackfill(workflows.BackfillInput{Label: "refer-a-friend"})

	// The whole budget: calls/s over a window once the backfill has filled the queue.
	limit := temporalx.Limits{ExtolePerMinute: perMinute}.ExtolePerSec()
	eventually(t, time.Minute, "the backfill reaching Extole", func() bool { return len(s.Extole.Requests()) >= 10 })
	const window = 8 * time.Second
	from := time.Now()
	time.Sleep(window)
	calls := countBetween(s.Extole.Requests(), from, from.Add(window), func(sandbox.RequestRecord) bool { return true })
	rate := float64(calls) / window.Seconds()
	t.Logf("backfill alone: %.2f Extole calls/s, queue limit %.2f/s (ratio %.2f)", rate, limit, rate/limit)
	assert.GreaterOrEqual(t, rate, 0.9*limit, "the backfill uses the whole budget when no live traffic runs")
	// The server's limiter allows about one second of the rate as burst on top of the steady rate.
	assert.LessOrEqual(t, float64(calls), limit*(window.Seconds()+1)+4, "TaskQueueActivitiesPerSecond holds under the new matcher")

	// Live events sent now are queued behind ~100 backfill calls; each is delivered before most of them.
	const live = 10
	sent := time.Now()
	var wg sync.WaitGroup
	for i := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, res, _ := s.post(eventsPath, signedUpBody(fmt.Sprintf("pc-live-%d", i)), nil)
			assert.Equal(t, http.StatusAccepted, status, "%v", res)
		}()
	}
	wg.Wait()
	eventually(t, time.Minute, "the live events delivered", func() bool { return len(s.Extole.Events()) >= live })
	reqs := s.Extole.Requests()
	isBackfill := func(r sandbox.RequestRecord) bool { return !strings.HasPrefix(r.Path, "/v5/events") }
	worst := 0
	for _, r := range reqs {
		if r.Path == "/v5/events" && r.Status < 300 {
			worst = max(worst, countBetween(reqs, sent, r.At, isBackfill))
		}
	}
	t.Logf("live events: the last of %d was delivered after %d backfill calls made since they were sent", live, worst)
	assert.LessOrEqual(t, worst, 50, "live events are dispatched ahead of the backfill calls queued before them")
	assert.Zero(t, countBetween(reqs, time.Time{}, time.Now(), func(r sandbox.RequestRecord) bool { return r.Status == http.StatusTooManyRequests }),
		"no 429 at the configured limit")
}

// countBetween counts the requests in [from, to) that match.
func countBetween(reqs []sandbox.RequestRecord, from, to time.Time, match func(sandbox.RequestRecord) bool) int {
	n := 0
	for _, r := range reqs {
		if !r.At.Before(from) && r.At.Before(to) && match(r) {
			n++
		}
	}
	return n
}

// BenchmarkHeadroom measures the 429s each headroom setting provokes from the simulated Extole (600 per
// sliding minute) and HubSpot (100 per rolling 10 s) when live traffic keeps both queues full, for
// HEADROOM_DURATION per setting (default 20s) at the settings HEADROOM_SETTINGS lists (percentages;
// default 80,85,90,95). It prints setting, calls/s and 429s per API; pick the highest setting with no 429.
func BenchmarkHeadroom(b *testing.B) {
	d := 20 * time.Second
	if v := os.Getenv("HEADROOM_DURATION"); v != "" {
		var err error
		d, err = time.ParseDuration(v)
		require.NoError(b, err)
	}
	settings := []float64{0.80, 0.85, 0.90, 0.95}
	if v := os.Getenv("HEADROOM_SETTINGS"); v != "" { // e.g. "95" for one long run of the setting in use
		settings = nil
		for _, pct := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(pct))
			require.NoError(b, err, "HEADROOM_SETTINGS: percentages, comma-separated")
			settings = append(settings, float64(n)/100)
		}
	}
	const extolePerMinute, hubspotPer10s = 600, 100
	fmt.Printf("headroom over %s per setting (Extole %d/min, HubSpot %d/10 s)\n", d, extolePerMinute, hubspotPer10s)
	fmt.Printf("%-8s %15s %11s %16s %12s\n", "setting", "Extole calls/s", "Extole 429", "HubSpot calls/s", "HubSpot 429")
	for _, setting := range settings {
		r := runHeadroom(b, setting, d, extolePerMinute, hubspotPer10s)
		fmt.Printf("%-8s %15.2f %11d %16.2f %12d\n", fmt.Sprintf("%.0f%%", setting*100), r.extoleRate, r.extole429, r.hubspotRate, r.hubspot429)
	}
}

type headroomResult struct {
	extoleRate, hubspotRate float64
	extole429, hubspot429   int
}

// runHeadroom sends live events and share links at 1.25 × the dispatch rate for d, so both queues stay
// full, waits until everything sent is delivered, and counts the calls in the sending window and the
// 429s of the whole run.
func runHeadroom(b *testing.B, setting float64, d time.Duration, extolePerMinute, hubspotPer10s int) headroomResult {
	c, _ := namespaceClient(b)
	ext := extolesim.New(extolesim.Options{Token: extoleToken, RateLimitPerMinute: extolePerMinute})
	extSrv := httptest.NewServer(ext)
	defer extSrv.Close()
	hs := hubspotsim.New(hubspotsim.Options{Token: hubspotToken, RatePer10s: hubspotPer10s, SearchPerSecond: -1, DailyLimit: -1})
	hsSrv := httptest.NewServer(hs)
	defer hsSrv.Close()
	_, err := hubspot.New(hsSrv.URL, hubspotToken, nil).EnsureContactProperties(context.Background(),
		contact.PropertyGroup, contact.PropertyGroupLabel, activities.HubSpotPropertyDefs(contact.Properties))
	require.NoError(b, err)
	time.Sleep(10 * time.Second) // the setup calls leave HubSpot's rolling window

	acts := temporalx.Activities{
		Extole:  &activities.Extole{Client: extole.New(extSrv.URL, extoleToken, nil)},
		HubSpot: &activities.HubSpot{Client: hubspot.New(hsSrv.URL, hubspotToken, nil)},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	lim := temporalx.Limits{ExtolePerMinute: extolePerMinute, HubSpotPer10s: hubspotPer10s, HubSpotSearchPerSec: 100, Headroom: setting}
	go func() { done <- temporalx.Run(ctx, temporalx.NewWorkers(c, acts, lim)) }()
	defer func() {
		cancel()
		require.NoError(b, <-done)
	}()
	web := httptest.NewServer(webhook.NewRouter(webhook.Deps{Temporal: c, Log: zap.NewNop(),
		Extole: webhook.ExtoleAuth{Token: extoleWebhookToken}}))
	defer web.Close()

	post := func(path, body string, h http.Header) {
		req, err := http.NewRequest(http.MethodPost, web.URL+path, strings.NewReader(body))
		require.NoError(b, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range h {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(b, err)
		res.Body.Close()
		require.Less(b, res.StatusCode, 300, path)
	}
	extoleEvery := time.Duration(float64(time.Minute) / (float64(extolePerMinute) * setting * 1.25))
	hubspotEvery := time.Duration(float64(10*time.Second) / (float64(hubspotPer10s) * setting * 1.25))
	start := time.Now()
	var wg sync.WaitGroup
	sent := [2]int{}
	for i, every := range []time.Duration{extoleEvery, hubspotEvery} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(every)
			defer tick.Stop()
			for n := 0; time.Since(start) < d; n++ {
				<-tick.C
				if i == 0 {
					go post(eventsPath, signedUpBody(fmt.Sprintf("pc-headroom-%d", n)), nil)
				} else {
					go post(shareLinksPath, extoleBody(fmt.Sprintf("h%05d@example.com", n), fmt.Sprintf("h%05d", n)), bearer)
				}
				sent[i]++
			}
		}()
	}
	wg.Wait()
	end := start.Add(d)
	deadline := time.Now().Add(5 * time.Minute)
	for (len(ext.Events()) < sent[0] || len(hs.Contacts()) < sent[1]) && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	var r headroomResult
	ok := func(rec sandbox.RequestRecord) bool { return rec.Status < 300 }
	r.extoleRate = float64(countBetween(ext.Requests(), start, end, ok)) / d.Seconds()
	r.hubspotRate = float64(countBetween(hs.Requests(), start, end, ok)) / d.Seconds()
	r.extole429 = countBetween(ext.Requests(), time.Time{}, time.Now(), func(rec sandbox.RequestRecord) bool { return rec.Status == http.StatusTooManyRequests })
	r.hubspot429 = hs.Stats().RateLimited
	return r
}
