package hubspotsim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// AppWebhookOptions makes the simulated HubSpot deliver app-webhook events, as an app subscribed to
// deal.creation, deal.propertyChange, deal.associationChange, contact.propertyChange and
// contact.privacyDeletion receives them (https://developers.hubspot.com/docs/api/webhooks): JSON arrays
// of up to 100 events, signed v1 and v3 with the app's client secret, retried with attemptNumber+1.
// Off while TargetURL is "".
type AppWebhookOptions struct {
	TargetURL    string
	ClientSecret string
	AppID        int64         // 0 = DefaultAppID
	Window       time.Duration // how long events gather before a batch is sent; 0 = 200 ms
	MaxBatch     int           // 0 = 100, HubSpot's maximum
	Timeout      time.Duration // an answer slower than this fails the attempt; 0 = 5 s, as HubSpot
	// Retries after the first attempt; 0 = 10, as HubSpot (which spreads them over 24 h). <0 = none.
	Retries int
	// Backoff is the first retry's delay, doubled per retry up to MaxBackoff, ±20% jitter: HubSpot's
	// 24 h scaled down. 0 = 1 s; MaxBackoff 0 = 1 min.
	Backoff, MaxBackoff time.Duration
	// MaxConcurrent bounds requests in flight, as HubSpot's maxConcurrentRequests; 0 = 10.
	MaxConcurrent int
	Client        *http.Client // nil = a client with Timeout
}

// DefaultAppID is the appId of the sandbox's app.
const DefaultAppID = 3170421

// changeSource of writes through the API: HubSpot's examples show CRM_UI and CRM but not what API
// writes carry, so this is a choice.
const apiChangeSource = "INTEGRATION"

// AppWebhookEvent is one event of a delivery, fields in the order of a captured HubSpot delivery.
// Numbers are JSON numbers; ids exceed 2^31.
type AppWebhookEvent struct {
	EventID              int64   `json:"eventId"`
	SubscriptionID       int64   `json:"subscriptionId"`
	PortalID             int64   `json:"portalId"`
	AppID                int64   `json:"appId"`
	OccurredAt           int64   `json:"occurredAt"`
	SubscriptionType     string  `json:"subscriptionType"`
	AttemptNumber        int     `json:"attemptNumber"`
	ObjectID             int64   `json:"objectId"`
	PropertyName         string  `json:"propertyName,omitempty"`
	PropertyValue        *string `json:"propertyValue,omitempty"` // "" when the property was cleared
	ChangeFlag           string  `json:"changeFlag,omitempty"`
	ChangeSource         string  `json:"changeSource"`
	AssociationType      string  `json:"associationType,omitempty"`
	FromObjectID         int64   `json:"fromObjectId,omitempty"`
	ToObjectID           int64   `json:"toObjectId,omitempty"`
	AssociationRemoved   *bool   `json:"associationRemoved,omitempty"`
	IsPrimaryAssociation *bool   `json:"isPrimaryAssociation,omitempty"`
}

// AppWebhookDelivery is one batch and how its delivery went.
type AppWebhookDelivery struct {
	ID         int               `json:"id"`
	Status     string            `json:"status"` // "sending" (incl. waiting to retry), "delivered", "failed"
	Attempts   int               `json:"attempts"`
	LastStatus int               `json:"lastStatus"` // HTTP status of the last attempt; 0 = no answer
	LastError  string            `json:"lastError,omitempty"`
	Events     []AppWebhookEvent `json:"events"`
}

// appWebhooks batches and delivers events. Its lock is taken after the fake's, never before.
type appWebhooks struct {
	o      AppWebhookOptions
	client *http.Client
	sem    chan struct{}
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup

	mu         sync.Mutex
	queue      []AppWebhookEvent
	timer      *time.Timer
	deliveries []*AppWebhookDelivery
	nextEvent  int64
}

func newAppWebhooks(o AppWebhookOptions) *appWebhooks {
	if o.TargetURL == "" {
		return nil
	}
	if o.AppID == 0 {
		o.AppID = DefaultAppID
	}
	if o.Window <= 0 {
		o.Window = 200 * time.Millisecond
	}
	if o.MaxBatch <= 0 || o.MaxBatch > 100 {
		o.MaxBatch = 100
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Retries == 0 {
		o.Retries = 10
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 10
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: o.Timeout}
	}
	return &appWebhooks{o: o, client: client, sem: make(chan struct{}, o.MaxConcurrent), stop: make(chan struct{}), nextEvent: 1030198139}
}

// reset drops queued events and the delivery log; batches being sent finish unlisted.
func (a *appWebhooks) reset() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	a.queue, a.deliveries = nil, nil
}

// emitLocked queues an event with the app's envelope fields. Caller holds h.mu.
func (h *HubSpot) emitLocked(ev AppWebhookEvent, at time.Time) {
	a := h.app
	if a == nil {
		return
	}
	ev.PortalID, ev.AppID, ev.OccurredAt, ev.ChangeSource = hubSpotPortalID, a.o.AppID, at.UnixMilli(), apiChangeSource
	ev.SubscriptionID = subscriptionID(ev.SubscriptionType, ev.PropertyName)
	a.mu.Lock()
	defer a.mu.Unlock()
	ev.EventID = a.nextEvent
	a.nextEvent++
	a.queue = append(a.queue, ev)
	switch {
	case len(a.queue) >= a.o.MaxBatch:
		if a.timer != nil {
			a.timer.Stop()
			a.timer = nil
		}
		a.flushLocked()
	case a.timer == nil:
		a.timer = time.AfterFunc(a.o.Window, a.flush)
	}
}

// emitPropertyChangesLocked emits <object>.propertyChange for each property whose value a write
// changes; old is nil for a create.
func (h *HubSpot) emitPropertyChangesLocked(object string, id int64, old, written map[string]string, at time.Time) {
	if h.app == nil {
		return
	}
	names := make([]string, 0, len(written))
	for k, v := range written {
		if old[k] != v {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		h.emitLocked(AppWebhookEvent{SubscriptionType: object + ".propertyChange", ObjectID: id, PropertyName: k, PropertyValue: new(written[k])}, at)
	}
}

// subscriptionID is stable per subscription: HubSpot has one per event type, and one per property
// for property changes.
func subscriptionID(typ, prop string) int64 {
	f := fnv.New32a()
	f.Write([]byte(typ + "/" + prop))
	return 4_000_000 + int64(f.Sum32()%1_000_000)
}

func (a *appWebhooks) flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.timer = nil
	a.flushLocked()
}

func (a *appWebhooks) flushLocked() {
	select {
	case <-a.stop:
		return
	default:
	}
	for len(a.queue) > 0 {
		n := min(len(a.queue), a.o.MaxBatch)
		d := &AppWebhookDelivery{ID: len(a.deliveries) + 1, Status: "sending", Events: append([]AppWebhookEvent{}, a.queue[:n]...)}
		a.queue = a.queue[n:]
		a.deliveries = append(a.deliveries, d)
		a.wg.Add(1)
		go a.send(d)
	}
}

// send delivers one batch, retrying a non-2xx answer, a timeout or a connection failure.
func (a *appWebhooks) send(d *AppWebhookDelivery) {
	defer a.wg.Done()
	a.mu.Lock()
	events := append([]AppWebhookEvent{}, d.Events...)
	a.mu.Unlock()
	wait := a.o.Backoff
	for attempt := 0; ; attempt++ {
		for i := range events {
			events[i].AttemptNumber = attempt
		}
		status, err := a.post(events)
		a.mu.Lock()
		d.Attempts, d.LastStatus, d.LastError, d.Events = attempt+1, status, "", append([]AppWebhookEvent{}, events...)
		if err != nil {
			d.LastError = err.Error()
		}
		done := status >= 200 && status < 300
		switch {
		case done:
			d.Status = "delivered"
		case attempt >= a.o.Retries:
			d.Status = "failed"
		}
		a.mu.Unlock()
		if d.Status != "sending" {
			return
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/5+1)) * 2
		select {
		case <-a.stop:
			return
		case <-time.After(wait - wait/5 + jitter):
		}
		wait = min(wait*2, a.o.MaxBackoff)
	}
}

// post sends one attempt and returns the answer's status (0 = none).
func (a *appWebhooks) post(events []AppWebhookEvent) (int, error) {
	select {
	case a.sem <- struct{}{}:
	case <-a.stop:
		return 0, fmt.Errorf("sandbox closed")
	}
	defer func() { <-a.sem }()
	body, err := json.Marshal(events)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.o.TargetURL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "HubSpot Connect 2.0 (http://dev.hubspot.com/) (namespace: webhooks-nio-http-client) - WebhooksExecutorDaemon-executor")
	req.Header.Set("X-HubSpot-Signature", signV1(a.o.ClientSecret, body))
	req.Header.Set("X-HubSpot-Signature-Version", "v1")
	req.Header.Set("X-HubSpot-Signature-v3", signV3(a.o.ClientSecret, http.MethodPost, a.o.TargetURL, body, ts))
	req.Header.Set("X-HubSpot-Request-Timestamp", ts)
	req.Header.Set("X-HubSpot-Timeout-Millis", strconv.FormatInt(a.o.Timeout.Milliseconds(), 10))
	res, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	return res.StatusCode, nil
}

// signV1 is hex(sha256(clientSecret + body)) (https://developers.hubspot.com/docs/api/webhooks/validating-requests).
func signV1(secret string, body []byte) string {
	s := sha256.New()
	s.Write([]byte(secret))
	s.Write(body)
	return hex.EncodeToString(s.Sum(nil))
}

// signV3 is base64(HMAC-SHA256(clientSecret, method + uri + body + timestamp)), same page.
func signV3(secret, method, uri string, body []byte, ts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri))
	m.Write(body)
	m.Write([]byte(ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// AppWebhookDeliveries returns the deliveries since the last Reset, oldest first.
func (h *HubSpot) AppWebhookDeliveries() []AppWebhookDelivery {
	a := h.app
	if a == nil {
		return []AppWebhookDelivery{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AppWebhookDelivery, 0, len(a.deliveries))
	for _, d := range a.deliveries {
		c := *d
		c.Events = append([]AppWebhookEvent{}, d.Events...)
		out = append(out, c)
	}
	return out
}

// FlushAppWebhooks sends the events gathered so far without waiting for the window to end.
func (h *HubSpot) FlushAppWebhooks() {
	if a := h.app; a != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.timer != nil {
			a.timer.Stop()
			a.timer = nil
		}
		a.flushLocked()
	}
}

// Close stops the emitter: waiting retries are dropped and Close returns when no delivery is in
// flight. The API keeps answering.
func (h *HubSpot) Close() {
	if a := h.app; a != nil {
		// Under a.mu, so no flush adds a delivery to the wait group once Wait has begun.
		a.mu.Lock()
		a.once.Do(func() { close(a.stop) })
		a.mu.Unlock()
		a.wg.Wait()
	}
}
