package hubspotsim

import (
	"crypto/subtle"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Options configures a simulated HubSpot API.
type Options struct {
	Token           string // accepted private-app token; "" = any non-empty bearer accepted
	RatePer10s      int    // rolling 10 s window for non-search API calls; 0 = 100 (Free/Starter); <0 = unlimited
	SearchPerSecond int    // 0 = 5; <0 = unlimited
	DailyLimit      int    // 0 = 250000; <0 = unlimited
	Now             func() time.Time
	// Rand drives correlation ids and the fault error rate (math/rand/v2).
	// nil = a generator with a fixed seed. Only used under the fake's mutex.
	Rand *rand.Rand
	// AppWebhooks, with a TargetURL, emits app-webhook events for changes made through the API.
	AppWebhooks AppWebhookOptions
	// Scopes the token introspection endpoints report; nil = DefaultScopes.
	Scopes []string
}

// Contact is a stored CRM contact. Properties holds every non-empty value,
// including the maintained createdate, lastmodifieddate and hs_object_id.
type Contact struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
}

// Stats counts what the fake has seen since the last Reset.
type Stats struct {
	Requests            int            `json:"requests"`            // API requests received (admin excluded)
	RateLimited         int            `json:"rateLimited"`         // 429 answers, real or injected
	RateLimitedByPolicy map[string]int `json:"rateLimitedByPolicy"` // by policyName: TEN_SECONDLY_ROLLING, SECONDLY, DAILY
	// Writes counts records changed by API calls: each contact created
	// or updated (a batch counts per record), and each property or
	// property group created. Seed does not count.
	Writes   int `json:"writes"`
	Injected int `json:"injected"` // answers that came from sandbox.Faults
}

// HubSpot simulates the CRM v3 contacts, search and properties APIs
// (docs/hubspot-api.md). It implements http.Handler and is safe for concurrent
// use.
//
// Every API request passes these stages in order; the first that answers wins:
//  1. faults (injected status or latency; nothing is applied, no limit consumed);
//  2. auth: Authorization: Bearer <token>, else 401 INVALID_AUTHENTICATION
//     (docs/hubspot-api.md#authentication);
//  3. rate limits: DAILY, then SECONDLY for search or TEN_SECONDLY_ROLLING for
//     everything else (docs/hubspot-api.md#rate-limits). HubSpot enforces these
//     at its gateway, so they apply before routing, and unknown paths consume
//     them too;
//  4. routing and the endpoint itself.
//
// Every response carries X-HubSpot-Correlation-Id, and every JSON body uses
// Content-Type application/json;charset=utf-8
// (docs/hubspot-api.md#rate-limits).
type HubSpot struct {
	opts Options
	now  func() time.Time

	mu       sync.Mutex
	rnd      *rand.Rand
	faults   sandbox.FaultState
	contacts []*hsContact // ascending id = creation order
	byID     map[int64]*hsContact
	byEmail  map[string]*hsContact // lower-cased email
	nextID   int64
	props    map[string]*Property
	groups   map[string]*PropertyGroup
	stats    Stats
	requests []sandbox.RequestRecord
	tenSec   map[string][]time.Time // token → admitted non-search calls
	secondly map[string][]time.Time // token → admitted search calls
	dayKey   string                 // UTC date the daily counter belongs to
	dayCount int
	crm      crmStore     // deals, line items, associations (hubspot_crm.go)
	labels   labelStore   // contact↔contact labels and associations (hubspot_labels.go)
	events   eventStore   // custom event occurrences (hubspot_events.go)
	app      *appWebhooks // nil = no app-webhook target
}

type hsContact struct {
	id               int64
	props            map[string]string
	created, updated time.Time
}

// hubSpotPortalID appears where HubSpot puts the account (portal) id.
const hubSpotPortalID = 24681357

// firstContactID: ids start well above 1 so that a client confusing a record
// id with a list position or a search offset fails visibly.
const firstContactID = 1001

const hubspotContentType = "application/json;charset=utf-8"

// New returns a fake HubSpot account with no contacts, the built-in
// contact properties and the contactinformation group.
func New(o Options) *HubSpot {
	if o.RatePer10s == 0 {
		o.RatePer10s = 100
	}
	if o.SearchPerSecond == 0 {
		o.SearchPerSecond = 5
	}
	if o.DailyLimit == 0 {
		o.DailyLimit = 250000
	}
	h := &HubSpot{opts: o, now: o.Now, rnd: sandbox.NewRand(o.Rand, 0x4b5b07), app: newAppWebhooks(o.AppWebhooks)}
	if h.now == nil {
		h.now = time.Now
	}
	h.resetLocked()
	return h
}

// Reset drops all state: contacts (ids restart), custom properties and groups,
// the request log, stats, rate-limit windows and faults. Options are kept.
func (h *HubSpot) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.resetLocked()
}

func (h *HubSpot) resetLocked() {
	h.faults.Set(sandbox.Faults{})
	h.contacts = nil
	h.byID = map[int64]*hsContact{}
	h.byEmail = map[string]*hsContact{}
	h.nextID = firstContactID
	h.props, h.groups = builtinProperties(h.now())
	h.stats = Stats{RateLimitedByPolicy: map[string]int{}}
	h.requests = nil
	h.tenSec = map[string][]time.Time{}
	h.secondly = map[string][]time.Time{}
	h.dayKey, h.dayCount = "", 0
	h.crm = newCRMStore()
	h.labels = newLabelStore()
	h.events = newEventStore()
	h.app.reset()
}

// SetFaults replaces the active faults; sandbox.Faults{} clears them.
func (h *HubSpot) SetFaults(f sandbox.Faults) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults.Set(f)
}

// CurrentFaults returns the active faults.
func (h *HubSpot) CurrentFaults() sandbox.Faults {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.faults.Current()
}

// Requests returns the API request log (admin requests are not logged).
func (h *HubSpot) Requests() []sandbox.RequestRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]sandbox.RequestRecord{}, h.requests...)
}

// Stats returns a copy of the counters.
func (h *HubSpot) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stats
	s.RateLimitedByPolicy = make(map[string]int, len(h.stats.RateLimitedByPolicy))
	for k, v := range h.stats.RateLimitedByPolicy {
		s.RateLimitedByPolicy[k] = v
	}
	return s
}

// Contacts returns every contact, sorted by numeric id.
func (h *HubSpot) Contacts() []Contact {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Contact, 0, len(h.contacts))
	for _, c := range h.contacts {
		out = append(out, c.export())
	}
	return out
}

// ContactByEmail finds a contact by email, ignoring case.
func (h *HubSpot) ContactByEmail(email string) (Contact, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return Contact{}, false
	}
	return c.export(), true
}

func (c *hsContact) export() Contact {
	props := make(map[string]string, len(c.props))
	for k, v := range c.props {
		props[k] = v
	}
	return Contact{ID: strconv.FormatInt(c.id, 10), Properties: props, CreatedAt: c.created, UpdatedAt: c.updated}
}

// Seed bulk-creates n contacts, bypassing auth, rate limits, faults, the
// request log, Stats and property validation, and returns their ids in order.
// props may be nil; a nil or empty map gives a contact with only the
// maintained properties. Seeded contacts get creation times 1 ms apart ending
// now, so sorting by createdate is deterministic. It panics on a duplicate
// email, because that is a bug in the calling test.
func (h *HubSpot) Seed(n int, props func(i int) map[string]string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		p := map[string]string{}
		if props != nil {
			for k, v := range props(i) {
				p[k] = v
			}
		}
		if e := strings.ToLower(p["email"]); e != "" {
			if _, dup := h.byEmail[e]; dup {
				panic(fmt.Sprintf("sandbox: HubSpot.Seed: duplicate email %q", p["email"]))
			}
		}
		c := h.newContactLocked(p, now.Add(-time.Duration(n-1-i)*time.Millisecond))
		ids = append(ids, strconv.FormatInt(c.id, 10))
	}
	return ids
}

func (h *HubSpot) adminExtra(name string) any {
	switch name {
	case "contacts":
		return map[string]any{"contacts": h.Contacts()}
	case "stats":
		return h.Stats()
	case "properties":
		return map[string]any{"properties": h.Properties()}
	case "deals":
		return map[string]any{"deals": h.Deals()}
	case "app-webhooks":
		return map[string]any{"deliveries": h.AppWebhookDeliveries()}
	case "labels":
		return map[string]any{"labels": h.ContactLabels()}
	case "custom-events":
		return map[string]any{"events": h.CustomEvents()}
	}
	return nil
}

// --- error bodies ------------------------------------------------------------

// hsErrorBody covers every documented or observed HubSpot error shape. Field order
// follows the observed bodies: status, message, [errorType], correlationId,
// [context], [errors], [links], [policyName], [groupName], [requestId], category.
type hsErrorBody struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	ErrorType     string              `json:"errorType,omitempty"`
	CorrelationID string              `json:"correlationId"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []hsErrorDetail     `json:"errors,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`
	PolicyName    string              `json:"policyName,omitempty"`
	GroupName     string              `json:"groupName,omitempty"`
	RequestID     string              `json:"requestId,omitempty"`
	Category      string              `json:"category,omitempty"`
}

type hsErrorDetail struct {
	Message string         `json:"message"`
	In      string         `json:"in,omitempty"`
	Context map[string]any `json:"context,omitempty"`
}

// hsCall is one API request being answered.
type hsCall struct {
	w    *sandbox.Recorder
	r    *http.Request
	body []byte
	at   time.Time
	corr string
}

// uuidLocked returns a random RFC 4122 version-4-shaped id, the format of
// HubSpot's correlationId.
func (h *HubSpot) uuidLocked() string {
	r := h.rnd
	return fmt.Sprintf("%08x-%04x-4%03x-%x%03x-%012x",
		r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 8|r.Uint32()&3, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
}

// fail writes a HubSpot error. Every 429 is counted in Stats by policy.
func (h *HubSpot) fail(c *hsCall, status int, b hsErrorBody) {
	b.Status = "error"
	b.CorrelationID = c.corr
	c.w.Code = b.Category
	if status == http.StatusTooManyRequests {
		c.w.Code = b.PolicyName
		h.stats.RateLimited++
		h.stats.RateLimitedByPolicy[b.PolicyName]++
	}
	sandbox.WriteJSON(c.w, hubspotContentType, status, b)
}

func (h *HubSpot) validationError(c *hsCall, msg string) {
	h.fail(c, http.StatusBadRequest, hsErrorBody{Message: msg, Category: "VALIDATION_ERROR"})
}

// unauthorized is the observed 401 (docs/hubspot-api.md#authentication), with
// its X-HubSpot-Auth-Failure header. HubSpot answers a missing and a wrong
// token the same way.
func (h *HubSpot) unauthorized(c *hsCall) {
	c.w.Header().Set("X-HubSpot-Auth-Failure", "401 Unauthorized")
	h.fail(c, http.StatusUnauthorized, hsErrorBody{
		Message:  "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
		Category: "INVALID_AUTHENTICATION",
	})
}

// Rate-limit policy names, as HubSpot's 429 bodies spell them
// (docs/hubspot-api.md#rate-limits).
const (
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	PolicySecondly    = "SECONDLY"
	PolicyDaily       = "DAILY"
)

// rateLimited writes HubSpot's 429 for a policy
// (docs/hubspot-api.md#rate-limits). These bodies carry errorType RATE_LIMIT
// and no category, as observed; the burst body has groupName, the others
// requestId. The groupName wording for private apps is a guess modelled on the
// observed hapikey one. No Retry-After: it is unconfirmed that HubSpot sends
// one on API 429s.
func (h *HubSpot) rateLimited(c *hsCall, policy string) {
	b := hsErrorBody{ErrorType: "RATE_LIMIT", PolicyName: policy}
	switch policy {
	case PolicyTenSecondly:
		b.Message = "You have reached your ten_secondly_rolling limit."
		b.GroupName = fmt.Sprintf("publicapi:private-app-api-calls-ten-secondly:%d", hubSpotPortalID)
	case PolicySecondly:
		b.Message = "You have reached your secondly limit."
		b.RequestID = h.uuidLocked()
	default:
		b.Message = "You have reached your daily limit."
		b.RequestID = h.uuidLocked()
	}
	h.fail(c, http.StatusTooManyRequests, b)
}

// writeInjectedLocked answers with an injected status and the body HubSpot
// sends for it (docs/hubspot-api.md#rate-limits, #errors, #authentication).
// Bodies HubSpot does not document (404 without context, 409 without an id,
// 423, 477, 5xx) are chosen here in HubSpot's standard error shape. 2xx/3xx are
// sent with an empty body.
func (h *HubSpot) writeInjectedLocked(c *hsCall, status int, retryAfter string) {
	h.stats.Injected++
	if retryAfter != "" {
		c.w.Header().Set("Retry-After", retryAfter)
	}
	if status < 400 {
		c.w.WriteHeader(status)
		return
	}
	switch status {
	case http.StatusTooManyRequests:
		// Search is limited per second, everything else per 10 s
		// (docs/hubspot-api.md#search, #rate-limits).
		if c.r.Method == http.MethodPost && isSearchPath(normalizeHubSpotPath(c.r.URL.Path)) {
			h.rateLimited(c, PolicySecondly)
		} else {
			h.rateLimited(c, PolicyTenSecondly)
		}
	case http.StatusUnauthorized:
		h.unauthorized(c)
	case http.StatusForbidden:
		h.fail(c, status, hsErrorBody{
			Message: "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
			Errors: []hsErrorDetail{{
				Message: "One or more of the following scopes are required.",
				Context: map[string]any{"requiredScopes": []string{requiredScope(c.r)}},
			}},
			Links:    map[string]string{"scopes": "https://developers.hubspot.com/scopes"},
			Category: "MISSING_SCOPES",
		})
	case http.StatusBadRequest:
		h.validationError(c, "Invalid input.")
	case http.StatusNotFound:
		h.fail(c, status, hsErrorBody{Message: "Object not found.  objectId are usually numeric.", Category: "OBJECT_NOT_FOUND"})
	case http.StatusConflict:
		h.fail(c, status, hsErrorBody{Message: "Conflict.", Category: "CONFLICT"})
	case http.StatusLocked:
		// "Locks will last for 2 seconds" (docs/hubspot-api.md#rate-limits).
		h.fail(c, status, hsErrorBody{Message: "The record is locked by a high-volume sync; locks last 2 seconds, retry after that.", Category: "LOCKED"})
	case 477:
		h.fail(c, status, hsErrorBody{Message: "Migration in progress.", Category: "MIGRATION_IN_PROGRESS"})
	case http.StatusInternalServerError:
		h.fail(c, status, hsErrorBody{Message: "internal error", Category: "INTERNAL_ERROR"})
	default:
		text := http.StatusText(status)
		if text == "" {
			text = "HTTP " + strconv.Itoa(status)
		}
		h.fail(c, status, hsErrorBody{Message: text, Category: strings.ToUpper(strings.ReplaceAll(text, " ", "_"))})
	}
}

// requiredScope names the private-app scope the request would need.
func requiredScope(r *http.Request) string {
	kind := "crm.objects.contacts"
	switch p := normalizeHubSpotPath(r.URL.Path); {
	case strings.HasPrefix(p, "/crm/v3/properties/"):
		kind = "crm.schemas.contacts"
	case strings.Contains(p, "line_items"):
		kind = "crm.objects.line_items"
	case strings.Contains(p, "deals"):
		kind = "crm.objects.deals"
	}
	if r.Method == http.MethodGet {
		return kind + ".read"
	}
	return kind + ".write"
}

// --- request pipeline ----------------------------------------------------------

const (
	contactsBase   = "/crm/v3/objects/contacts"
	propertiesBase = "/crm/v3/properties/contacts"
)

// normalizeHubSpotPath maps the generic object-type form (0-1 = contacts,
// docs/hubspot-api.md#contacts) onto the named one.
func normalizeHubSpotPath(p string) string {
	for _, pair := range [][2]string{{"/crm/v3/objects/0-1", contactsBase}, {"/crm/v3/properties/0-1", propertiesBase}} {
		if p == pair[0] || strings.HasPrefix(p, pair[0]+"/") {
			return pair[1] + strings.TrimPrefix(p, pair[0])
		}
	}
	return p
}

func isSearchPath(p string) bool { return strings.TrimSuffix(p, "/") == contactsBase+"/search" }

type hsHandler func(h *HubSpot, c *hsCall, params []string)

// route maps a normalized path to its handlers by method; ok=false means no
// such endpoint.
func route(p string) (handlers map[string]hsHandler, params []string, ok bool) {
	if handlers, params, ok := labelRoute(p); ok {
		return handlers, params, ok
	}
	if handlers, params, ok := crmRoute(p); ok {
		return handlers, params, ok
	}
	if handlers, params, ok := eventRoute(p); ok {
		return handlers, params, ok
	}
	trim := func(base string) ([]string, bool) {
		if p != base && !strings.HasPrefix(p, base+"/") {
			return nil, false
		}
		rest := strings.Trim(strings.TrimPrefix(p, base), "/")
		if rest == "" {
			return []string{}, true
		}
		return strings.Split(rest, "/"), true
	}
	if seg, ok := trim(contactsBase); ok {
		switch {
		case len(seg) == 0:
			return map[string]hsHandler{http.MethodPost: (*HubSpot).createContact}, nil, true
		case len(seg) == 1 && seg[0] == "search":
			// GET /contacts/search would be a lookup of id "search": HubSpot
			// routes it to the by-id endpoint, which answers 404.
			return map[string]hsHandler{http.MethodPost: (*HubSpot).search, http.MethodGet: (*HubSpot).getContact}, seg, true
		case len(seg) == 1:
			return map[string]hsHandler{http.MethodGet: (*HubSpot).getContact, http.MethodPatch: (*HubSpot).patchContact}, seg, true
		case len(seg) == 2 && seg[0] == "batch":
			if hb, ok := batchHandlers[seg[1]]; ok {
				return map[string]hsHandler{http.MethodPost: hb}, nil, true
			}
		}
		return nil, nil, false
	}
	if seg, ok := trim(propertiesBase); ok {
		switch {
		case len(seg) == 0:
			return map[string]hsHandler{http.MethodPost: (*HubSpot).createProperty}, nil, true
		case len(seg) == 1 && seg[0] == "groups":
			return map[string]hsHandler{http.MethodPost: (*HubSpot).createGroup}, nil, true
		case len(seg) == 2 && seg[0] == "groups":
			return map[string]hsHandler{http.MethodGet: (*HubSpot).getGroup}, seg[1:], true
		case len(seg) == 1:
			return map[string]hsHandler{http.MethodGet: (*HubSpot).getProperty}, seg, true
		}
	}
	return nil, nil, false
}

// ServeHTTP answers HubSpot API requests and the /_sandbox/ admin endpoints
// (GET requests, GET|PUT faults, POST reset, GET contacts, GET stats,
// GET properties).
func (h *HubSpot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sandbox.IsAdminPath(r.URL.Path) {
		sandbox.ServeAdmin(w, r, h, h.adminExtra)
		return
	}
	c := &hsCall{w: &sandbox.Recorder{ResponseWriter: w}, r: r}
	// Read the body first: net/http only notices a client hanging up (and
	// cancels r.Context()) once the request body has been consumed, and the
	// latency below must end when the client gives up.
	body, readErr := io.ReadAll(io.LimitReader(r.Body, sandbox.MaxBodyBytes))
	c.body = body

	h.mu.Lock()
	c.at = h.now()
	c.corr = h.uuidLocked()
	h.stats.Requests++
	inject, latency := h.faults.Decide(r.URL.Path, h.rnd)
	retryAfter := h.faults.Current().RetryAfter
	h.mu.Unlock()
	c.w.Header().Set("X-HubSpot-Correlation-Id", c.corr)

	if !sandbox.SleepCtx(r.Context(), latency) {
		h.mu.Lock()
		h.logLocked(c, sandbox.StatusClientClosedRequest, "client_closed_request", inject != 0)
		h.mu.Unlock()
		return
	}
	if inject != 0 {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.writeInjectedLocked(c, inject, retryAfter)
		h.logLocked(c, c.w.FinalStatus(), c.w.Code, true)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	defer func() { h.logLocked(c, c.w.FinalStatus(), c.w.Code, false) }()

	if !h.authorized(r) {
		h.unauthorized(c)
		return
	}
	p := normalizeHubSpotPath(r.URL.Path)
	search := r.Method == http.MethodPost && isSearchPath(p)
	if policy := h.admitLocked(c, search); policy != "" {
		h.rateLimited(c, policy)
		return
	}
	if readErr != nil {
		h.validationError(c, "Invalid input JSON: could not read request body.")
		return
	}
	handlers, params, ok := route(p)
	if !ok {
		// HubSpot's body for an unknown route is undocumented; chosen here.
		h.fail(c, http.StatusNotFound, hsErrorBody{Message: fmt.Sprintf("No endpoint for %s %s", r.Method, r.URL.Path), Category: "RESOURCE_NOT_FOUND"})
		return
	}
	hd := handlers[r.Method]
	if hd == nil {
		allowed := make([]string, 0, len(handlers))
		for m := range handlers {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		c.w.Header().Set("Allow", strings.Join(allowed, ", "))
		h.fail(c, http.StatusMethodNotAllowed, hsErrorBody{Message: fmt.Sprintf("HTTP %s is not supported by this endpoint", r.Method), Category: "METHOD_NOT_ALLOWED"})
		return
	}
	hd(h, c, params)
}

func (h *HubSpot) logLocked(c *hsCall, status int, code string, injected bool) {
	h.requests = append(h.requests, sandbox.RequestRecord{Method: c.r.Method, Path: c.r.URL.Path, Status: status, Code: code, Injected: injected, At: c.at})
}

// authorized checks Authorization: Bearer <token>
// (docs/hubspot-api.md#authentication). The scheme is matched
// case-insensitively; the token exactly.
func (h *HubSpot) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	return h.opts.Token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(h.opts.Token)) == 1
}

// admitLocked applies HubSpot's limits (docs/hubspot-api.md#rate-limits,
// #search) and returns the policy that refused the call, or "" when it is
// admitted. Only admitted calls are counted. The daily counter resets at
// midnight UTC (HubSpot uses the account's time zone; the fake's account is in
// UTC). Non-search responses get the X-HubSpot-RateLimit-* headers
// (docs/hubspot-api.md#rate-limits), search responses none
// (docs/hubspot-api.md#search). A limit that is switched off (<0) omits its
// headers.
func (h *HubSpot) admitLocked(c *hsCall, search bool) string {
	at := c.at
	policy := ""
	if h.opts.DailyLimit >= 0 {
		if day := at.UTC().Format("2006-01-02"); day != h.dayKey {
			h.dayKey, h.dayCount = day, 0
		}
		if h.dayCount >= h.opts.DailyLimit {
			policy = PolicyDaily
		}
	}
	token := strings.TrimSpace(c.r.Header.Get("Authorization"))
	windows, size, limit := h.tenSec, 10*time.Second, h.opts.RatePer10s
	if search {
		windows, size, limit = h.secondly, time.Second, h.opts.SearchPerSecond
	}
	window := windows[token][:0:0]
	for _, t := range windows[token] {
		if at.Sub(t) < size {
			window = append(window, t)
		}
	}
	if policy == "" && limit >= 0 && len(window) >= limit {
		policy = PolicyTenSecondly
		if search {
			policy = PolicySecondly
		}
	}
	if policy == "" {
		window = append(window, at)
		h.dayCount++
	}
	windows[token] = window
	if !search {
		hd := c.w.Header()
		if limit >= 0 {
			hd.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(limit))
			hd.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(max(0, limit-len(window))))
			hd.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
		}
		if h.opts.DailyLimit >= 0 {
			hd.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(h.opts.DailyLimit))
			hd.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(0, h.opts.DailyLimit-h.dayCount)))
		}
	}
	return policy
}
