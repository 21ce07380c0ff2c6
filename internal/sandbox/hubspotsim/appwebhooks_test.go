package hubspotsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/webhook/hubspotsig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

const appSecret = "app-client-secret"

// receiver records app-webhook deliveries; answer decides each attempt's status.
type receiver struct {
	t      *testing.T
	url    string
	mu     sync.Mutex
	posts  [][]AppWebhookEvent
	answer func(n int) int // n = 0-based POST count
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	rc := &receiver{t: t, answer: answer}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Both signatures HubSpot sends must verify with the bridge's own checks.
		assert.True(t, hubspotsig.VerifyV1(appSecret, body, r.Header.Get("X-HubSpot-Signature")), "v1")
		assert.Equal(t, "v1", r.Header.Get("X-HubSpot-Signature-Version"))
		assert.NoError(t, hubspotsig.VerifyV3(appSecret, r.Method, rc.url, body, r.Header.Get("X-HubSpot-Request-Timestamp"), r.Header.Get("X-HubSpot-Signature-v3"), time.Now()), "v3")
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var events []AppWebhookEvent
		assert.NoError(t, json.Unmarshal(body, &events), "a JSON array: %s", body)
		rc.mu.Lock()
		n := len(rc.posts)
		rc.posts = append(rc.posts, events)
		rc.mu.Unlock()
		status := 200
		if rc.answer != nil {
			status = rc.answer(n)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/webhooks/hubspot/app"
	return rc
}

func (rc *receiver) events() []AppWebhookEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var all []AppWebhookEvent
	for _, p := range rc.posts {
		all = append(all, p...)
	}
	return all
}

func (rc *receiver) batches() [][]AppWebhookEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]AppWebhookEvent{}, rc.posts...)
}

func newEmittingHubSpot(t *testing.T, rc *receiver, o AppWebhookOptions) (*HubSpot, string) {
	t.Helper()
	o.TargetURL, o.ClientSecret = rc.url, appSecret
	if o.Window == 0 {
		o.Window = 20 * time.Millisecond
	}
	if o.Backoff == 0 {
		o.Backoff = 10 * time.Millisecond
	}
	h, base := newHubSpotServer(t, Options{AppWebhooks: o, RatePer10s: -1})
	t.Cleanup(h.Close)
	return h, base
}

// settled waits until every delivery has finished.
func settled(t *testing.T, h *HubSpot) []AppWebhookDelivery {
	t.Helper()
	var ds []AppWebhookDelivery
	require.Eventually(t, func() bool {
		ds = h.AppWebhookDeliveries()
		for _, d := range ds {
			if d.Status == "sending" {
				return false
			}
		}
		return len(ds) > 0
	}, 10*time.Second, 10*time.Millisecond)
	return ds
}

func TestAppWebhooksDealFlow(t *testing.T) {
	rc := newReceiver(t, nil)
	h, base := newEmittingHubSpot(t, rc, AppWebhookOptions{Window: time.Minute}) // flushed below
	contact := h.Seed(1, func(int) map[string]string { return map[string]string{"email": "jane@example.com"} })[0]
	deal := createDeal(t, base, map[string]any{"dealname": "Deal", "dealstage": "appointmentscheduled"})
	dealID, _ := strconv.ParseInt(deal, 10, 64)
	contactID, _ := strconv.ParseInt(contact, 10, 64)
	hs(t, base, http.MethodPut, "/crm/v4/objects/deals/"+deal+"/associations/default/contacts/"+contact, "")
	hs(t, base, http.MethodPut, "/crm/v4/objects/deals/"+deal+"/associations/default/contacts/"+contact, "") // no change, no event
	hs(t, base, http.MethodPatch, dealsBase+"/"+deal, map[string]any{"properties": map[string]any{"dealstage": "closedwon", "dealname": "Deal"}})
	assert.Empty(t, h.AppWebhookDeliveries(), "events gather until the window ends")
	h.FlushAppWebhooks()
	settled(t, h)

	type seen struct {
		Type, Prop, Value, Assoc string
		Object, From, To         int64
	}
	var got []seen
	for _, e := range rc.events() {
		s := seen{Type: e.SubscriptionType, Prop: e.PropertyName, Assoc: e.AssociationType, Object: e.ObjectID, From: e.FromObjectID, To: e.ToObjectID}
		if e.PropertyValue != nil {
			s.Value = *e.PropertyValue
		}
		got = append(got, s)
		assert.Equal(t, int64(hubSpotPortalID), e.PortalID)
		assert.Equal(t, int64(DefaultAppID), e.AppID)
		assert.NotZero(t, e.EventID)
		assert.NotZero(t, e.SubscriptionID)
		assert.InDelta(t, time.Now().UnixMilli(), e.OccurredAt, 10000)
		assert.Equal(t, 0, e.AttemptNumber)
		assert.Equal(t, apiChangeSource, e.ChangeSource)
	}
	assert.Equal(t, []seen{
		{Type: "deal.creation", Object: dealID},
		{Type: "deal.propertyChange", Prop: "deal_currency_code", Value: "USD", Object: dealID},
		{Type: "deal.propertyChange", Prop: "dealname", Value: "Deal", Object: dealID},
		{Type: "deal.propertyChange", Prop: "dealstage", Value: "appointmentscheduled", Object: dealID},
		{Type: "deal.propertyChange", Prop: "pipeline", Value: "default", Object: dealID},
		{Type: "deal.associationChange", Assoc: "DEAL_TO_CONTACT", Object: dealID, From: dealID, To: contactID},
		{Type: "deal.propertyChange", Prop: "dealstage", Value: "closedwon", Object: dealID},
	}, got, "only changed values are events")
	assert.Len(t, rc.batches(), 1, "events of one gathering window go in one POST")
	assoc := rc.events()[5]
	require.NotNil(t, assoc.AssociationRemoved)
	assert.False(t, *assoc.AssociationRemoved)

	var raw map[string]any
	require.NoError(t, json.Unmarshal(must(json.Marshal(rc.events()[6])), &raw))
	assert.Equal(t, []string{"appId", "attemptNumber", "changeSource", "eventId", "objectId", "occurredAt", "portalId", "propertyName", "propertyValue", "subscriptionId", "subscriptionType"}, simtest.Keys(raw))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestAppWebhooksContactEvents(t *testing.T) {
	rc := newReceiver(t, nil)
	h, base := newEmittingHubSpot(t, rc, AppWebhookOptions{})
	id := h.Seed(1, func(int) map[string]string { return map[string]string{"email": "jane@example.com"} })[0]
	// advocate_code is a custom property, created by `starter setup hubspot`.
	require.Equal(t, 201, hs(t, base, http.MethodPost, propertiesBase, map[string]any{"name": "advocate_code", "label": "Advocate code",
		"type": "string", "fieldType": "text", "groupName": "contactinformation"}).Status)
	for _, tc := range []struct {
		name      string
		call      func()
		typ, prop string
		value     *string
	}{
		{"PATCH sets advocate_code", func() {
			hs(t, base, http.MethodPatch, contactsBase+"/"+id, map[string]any{"properties": map[string]any{"advocate_code": "alex01"}})
		}, "contact.propertyChange", "advocate_code", new("alex01")},
		{"same value again is no change", func() {
			hs(t, base, http.MethodPatch, contactsBase+"/"+id, map[string]any{"properties": map[string]any{"advocate_code": "alex01"}})
		}, "", "", nil},
		{"PATCH clears it", func() {
			hs(t, base, http.MethodPatch, contactsBase+"/"+id, map[string]any{"properties": map[string]any{"advocate_code": ""}})
		}, "contact.propertyChange", "advocate_code", new("")},
		{"privacy deletion", func() {
			require.Equal(t, 204, hs(t, base, http.MethodPost, gdprDeletePath, map[string]any{"objectId": id}).Status)
		}, "contact.privacyDeletion", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(rc.events())
			tc.call()
			h.FlushAppWebhooks()
			time.Sleep(50 * time.Millisecond)
			settled(t, h)
			evs := rc.events()[before:]
			if tc.typ == "" {
				assert.Empty(t, evs)
				return
			}
			require.Len(t, evs, 1)
			assert.Equal(t, tc.typ, evs[0].SubscriptionType)
			assert.Equal(t, id, strconv.FormatInt(evs[0].ObjectID, 10))
			assert.Equal(t, tc.prop, evs[0].PropertyName)
			assert.Equal(t, tc.value, evs[0].PropertyValue)
		})
	}
}

func TestAppWebhooksBatchesOfAtMost100(t *testing.T) {
	rc := newReceiver(t, nil)
	h, base := newEmittingHubSpot(t, rc, AppWebhookOptions{Window: 500 * time.Millisecond})
	for b := range 2 {
		inputs := make([]map[string]any, 0, 100)
		for i := range 100 {
			inputs = append(inputs, map[string]any{"properties": map[string]any{"email": fmt.Sprintf("p%d-%d@example.com", b, i)}})
		}
		require.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase+"/batch/create", map[string]any{"inputs": inputs}).Status)
	}
	ds := settled(t, h)
	require.Eventually(t, func() bool { return len(rc.events()) == 200 }, 5*time.Second, 10*time.Millisecond)
	for _, b := range rc.batches() {
		assert.LessOrEqual(t, len(b), 100)
	}
	assert.Len(t, ds, 2, "a full batch goes out without waiting for the window")
}

func TestAppWebhooksRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answer   func(n int) int
		retries  int
		timeout  time.Duration
		status   string
		attempts int
	}{
		{"5xx then 2xx", func(n int) int { return map[bool]int{true: 503, false: 204}[n < 2] }, 0, 0, "delivered", 3},
		{"4xx is retried too", func(n int) int { return map[bool]int{true: 401, false: 200}[n < 1] }, 0, 0, "delivered", 2},
		{"gives up after the retries", func(int) int { return 500 }, 2, 0, "failed", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.answer)
			h, base := newEmittingHubSpot(t, rc, AppWebhookOptions{Retries: tc.retries, Timeout: tc.timeout})
			createDeal(t, base, map[string]any{"dealstage": "closedwon"})
			ds := settled(t, h)
			require.Len(t, ds, 1)
			assert.Equal(t, tc.status, ds[0].Status)
			assert.Equal(t, tc.attempts, ds[0].Attempts)
			batches := rc.batches()
			require.Len(t, batches, tc.attempts)
			for n, b := range batches {
				assert.Equal(t, batches[0][0].EventID, b[0].EventID, "the same events are resent")
				assert.Equal(t, n, b[0].AttemptNumber)
			}
		})
	}
}

func TestAppWebhooksTimeoutIsRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			<-release // slower than the timeout
		}
	}))
	defer srv.Close()
	defer close(release)
	h := New(Options{AppWebhooks: AppWebhookOptions{TargetURL: srv.URL, ClientSecret: appSecret, Timeout: 100 * time.Millisecond, Window: time.Millisecond, Backoff: time.Millisecond}})
	defer h.Close()
	base := simtest.Serve(t, h).URL
	createDeal(t, base, map[string]any{"dealstage": "closedwon"})
	ds := settled(t, h)
	assert.Equal(t, "delivered", ds[0].Status)
	assert.Equal(t, 2, ds[0].Attempts)
}

func TestAppWebhooksAdminListAndReset(t *testing.T) {
	rc := newReceiver(t, nil)
	h, base := newEmittingHubSpot(t, rc, AppWebhookOptions{})
	createDeal(t, base, map[string]any{"dealstage": "closedwon"})
	settled(t, h)
	m := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/app-webhooks", nil).JSON(t)
	d := m["deliveries"].([]any)[0].(map[string]any)
	assert.Equal(t, "delivered", d["status"])
	assert.Equal(t, float64(1), d["attempts"])
	assert.NotEmpty(t, d["events"])
	assert.NotEmpty(t, simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/deals", nil).JSON(t)["deals"])
	h.Reset()
	assert.Empty(t, h.AppWebhookDeliveries())
	assert.Empty(t, h.Deals())
}

func TestAppWebhooksOffWithoutTarget(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	createDeal(t, base, map[string]any{"dealstage": "closedwon"})
	h.FlushAppWebhooks()
	h.Close()
	assert.Empty(t, h.AppWebhookDeliveries())
}

// At most MaxConcurrent requests are in flight, as HubSpot's maxConcurrentRequests; Close drops the
// retries still waiting and returns.
func TestAppWebhooksConcurrencyAndClose(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	h := New(Options{AppWebhooks: AppWebhookOptions{TargetURL: srv.URL, ClientSecret: appSecret,
		MaxBatch: 1, MaxConcurrent: 2, Window: time.Millisecond, Backoff: time.Hour}})
	base := simtest.Serve(t, h).URL
	createDeal(t, base, map[string]any{"dealstage": "closedwon"}) // 1 creation + 4 property events = 5 batches
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return inFlight == 2 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	close(release)
	require.Eventually(t, func() bool {
		n := 0
		for _, d := range h.AppWebhookDeliveries() {
			n += d.Attempts
		}
		return n == 5
	}, 5*time.Second, time.Millisecond)
	mu.Lock()
	assert.Equal(t, 2, peak)
	mu.Unlock()

	done := make(chan struct{})
	go func() { h.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the hour-long backoff")
	}
	for _, d := range h.AppWebhookDeliveries() {
		assert.Equal(t, "sending", d.Status, "dropped while waiting to retry")
	}
}
