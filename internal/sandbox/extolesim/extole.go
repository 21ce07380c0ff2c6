package extolesim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Options configures a simulated Extole API.
type Options struct {
	Token              string           // accepted server token; "" = any non-empty token accepted
	RateLimitPerMinute int              // 0 = 100 (Extole's documented limit); <0 = unlimited. Sliding 60 s window per token.
	Now                func() time.Time // nil = time.Now
	ShareBaseURL       string           // base of generated share links, default "https://refer.example.com/"
	// Rand drives generated ids and the fault error rate. nil = a generator
	// with a fixed seed, so runs are repeatable. It is only used under the
	// fake's mutex; do not share it with other goroutines.
	Rand *rand.Rand
	// ShareLinkExtension, when set, posts a share link to the bridge's webhook for each trigger event.
	ShareLinkExtension ShareLinkExtension
}

// Event is an event the fake accepted (first submission of its
// partner_conversion_id, or an event without one).
type Event struct {
	ID         string                     `json:"id"`
	EventName  string                     `json:"event_name"`
	Data       map[string]json.RawMessage `json:"data"`
	ReceivedAt time.Time                  `json:"received_at"`
}

// Shareable is a share link/code owned by a person.
type Shareable struct {
	Code        string    `json:"code"`
	Label       string    `json:"label"`
	Key         string    `json:"key"`
	Link        string    `json:"link"`
	CreatedDate time.Time `json:"created_date"`
}

// Person is a profile known to the fake, keyed by email.
type Person struct {
	ID         string      `json:"id"`
	Email      string      `json:"email"`
	Shareables []Shareable `json:"shareables"`
}

// Extole simulates the parts of the Extole server API the bridge uses: POST
// /v5/events (docs/extole-api.md#events-api) and the persons/shareables
// endpoints used by a share-link backfill
// (docs/extole-api.md#persons-and-shareables). It implements http.Handler and
// is safe for concurrent use.
//
// Every API request passes these stages in order; the first that answers wins:
//  1. faults (injected status or latency; nothing is applied);
//  2. routing: unknown path → 404 method_not_found, wrong method → 405
//     method_not_allowed. Extole runs on JAX-RS, which matches the resource
//     before the access-token resolver runs, so these come before auth;
//  3. auth (403 missing_access_token / access_denied,
//     docs/extole-api.md#authentication);
//  4. rate limit (429 too_many_requests,
//     docs/extole-api.md#rate-limits-and-conventions);
//  5. the endpoint itself.
type Extole struct {
	opts Options
	now  func() time.Time

	mu             sync.Mutex
	rnd            *rand.Rand
	faults         sandbox.FaultState
	events         []Event
	byConversionID map[string]string // partner_conversion_id → id of the first event
	duplicates     int
	persons        []*extolePerson // creation order
	personByID     map[string]*extolePerson
	personByEmail  map[string]*extolePerson // lower-cased email
	codes          map[string]bool          // lower-cased share codes in use
	ids            map[string]bool          // ids handed out, to keep them unique
	seq            int
	requests       []sandbox.RequestRecord
	admitted       map[string][]time.Time // token → arrival of admitted requests in the last minute
	ext            extension
	erasures       []*Erasure            // extole_erasure.go
	relationships  []*extoleRelationship // extole_relationships.go, creation order
	rewards        rewardState           // extole_rewards.go
}

type extolePerson struct {
	id, identityID, email string
	version               int
	shareables            []*extoleShareable
}

type extoleShareable struct {
	code, key, label, link string
	content                json.RawMessage
	data                   map[string]json.RawMessage
	created, updated       time.Time
	seq                    int
}

// New returns a fake Extole with no events, persons or faults.
func New(o Options) *Extole {
	if o.RateLimitPerMinute == 0 {
		o.RateLimitPerMinute = 100
	}
	if o.ShareBaseURL == "" {
		o.ShareBaseURL = "https://refer.example.com/"
	}
	e := &Extole{opts: o, now: o.Now, rnd: sandbox.NewRand(o.Rand, 0xe7013)}
	if e.now == nil {
		e.now = time.Now
	}
	e.resetLocked()
	return e
}

// Reset drops all state: events, duplicates count, persons, shareables, the
// request log, rate-limit windows and faults. Options are kept.
func (e *Extole) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.resetLocked()
}

func (e *Extole) resetLocked() {
	e.faults.Set(sandbox.Faults{})
	e.events = nil
	e.byConversionID = map[string]string{}
	e.duplicates = 0
	e.persons = nil
	e.personByID = map[string]*extolePerson{}
	e.personByEmail = map[string]*extolePerson{}
	e.codes = map[string]bool{}
	e.ids = map[string]bool{}
	e.seq = 0
	e.requests = nil
	e.admitted = map[string][]time.Time{}
	e.erasures = nil
	e.rewards.resetLocked()
	e.relationships = nil
	e.ext.mu.Lock()
	e.ext.deliveries = nil
	e.ext.mu.Unlock()
}

// SetFaults replaces the active faults; sandbox.Faults{} clears them.
func (e *Extole) SetFaults(f sandbox.Faults) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults.Set(f)
}

// CurrentFaults returns the active faults.
func (e *Extole) CurrentFaults() sandbox.Faults {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.faults.Current()
}

// Events returns the accepted first-time events in arrival order.
func (e *Extole) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Event, len(e.events))
	for i, ev := range e.events {
		ev.Data = cloneRawMap(ev.Data)
		out[i] = ev
	}
	return out
}

// Duplicates returns how many events were answered as duplicates of an
// earlier partner_conversion_id (and therefore not added to Events).
func (e *Extole) Duplicates() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.duplicates
}

// Requests returns the API request log (admin requests are not logged).
func (e *Extole) Requests() []sandbox.RequestRecord {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sandbox.RequestRecord{}, e.requests...)
}

// Persons returns all persons in creation order, each with its shareables
// newest first (the order GET /v5/persons/{id}/shareables uses).
func (e *Extole) Persons() []Person {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Person, 0, len(e.persons))
	for _, p := range e.persons {
		ep := Person{ID: p.id, Email: p.email, Shareables: []Shareable{}}
		for _, s := range p.sortedShareables() {
			ep.Shareables = append(ep.Shareables, Shareable{Code: s.code, Label: s.label, Key: s.key, Link: s.link, CreatedDate: s.created})
		}
		out = append(out, ep)
	}
	return out
}

func (e *Extole) adminExtra(name string) any {
	switch name {
	case "events":
		return map[string]any{"events": e.Events(), "duplicates": e.Duplicates(), "share_link_deliveries": e.ShareLinkDeliveries()}
	case "persons":
		return map[string]any{"persons": e.Persons()}
	case "erasures":
		return map[string]any{"erasures": e.Erasures()}
	case "rewards":
		return map[string]any{"rewards": e.Rewards(), "webhooks": e.RewardWebhookDeliveries()}
	case "relationships":
		return map[string]any{"relationships": e.Relationships()}
	}
	return nil
}

// --- error catalogue -------------------------------------------------------

// extoleCode is one of Extole's documented error codes. Statuses and messages
// come from docs/extole-api.md (#authentication, #errors,
// #persons-and-shareables, which quote Extole's Java API); where they give
// none, the message is marked as chosen here.
type extoleCode struct {
	status  int
	code    string
	message string
}

var (
	exMissingToken  = extoleCode{403, "missing_access_token", "No access_token was provided with this request."}
	exAccessDenied  = extoleCode{403, "access_denied", "The access_token provided is not permitted to access the specified resource."}
	exTooMany       = extoleCode{429, "too_many_requests", "The server is unable to process your request at the moment, please retry later."}
	exMediaType     = extoleCode{415, "unsupported_media_type", "Request had an unsupported or no media type"}
	exInvalidJSON   = extoleCode{400, "invalid_json", "JSON is invalid"}
	exMissingBody   = extoleCode{400, "missing_request_body", "Missing request body"}
	exMissingName   = extoleCode{400, "missing_event_name", "Missing event name"}
	exBadEventTime  = extoleCode{400, "invalid_event_time_format", "Invalid event time format. Expected: ISO8601 format"}
	exNotFound      = extoleCode{404, "method_not_found", "Unable to find specified endpoint"}
	exNotAllowed    = extoleCode{405, "method_not_allowed", "Access not allowed to this endpoint"}
	exPersonMissing = extoleCode{403, "person_not_found", "Person not found"}
	exInvalidKey    = extoleCode{400, "invalid_key_value", "Invalid key value"}
	exKeyValueTaken = extoleCode{400, "identity_key_value_already_taken", "Identity key value already taken"}
	exLabelMissing  = extoleCode{400, "label_is_missing", "Label is missing"}
	exLabelChars    = extoleCode{400, "label_name_contains_illegal_character", "Label name can only contain alphanumeric, dash and underscore characters"}
	exCodeTaken     = extoleCode{400, "code_taken", "The code associated with this shareable has already been specified"}
	exCodeRange     = extoleCode{400, "code_out_of_range", "Code length must be between 4 and 50 characters"}
	exCodeChars     = extoleCode{400, "code_illegal_character", "Code can only contain alphanumeric, dash and underscore"}
	exKeyTaken      = extoleCode{400, "shareable_key_taken", "The key associated with this shareable has already been specified"}
	exInvalidLimit  = extoleCode{400, "invalid_limit", "Limit should be a non negative integer"}
	exInvalidOffset = extoleCode{400, "invalid_offset", "Offset should be a non negative integer"}
	exMaxFetch      = extoleCode{400, "max_fetch_size_1000", "Maximum allowed difference between limit and offset should be 1000"}
)

// injectedExtoleCodes maps an injected status to the code Extole uses for it.
// 503, 502 and 504 have no documented Extole code; they are chosen here so a
// client sees an Extole-shaped body whatever the status.
var injectedExtoleCodes = map[int]extoleCode{
	400: {400, "unexpected_request", "Received unexpected request"},
	401: {401, "method_unauthorized", "Unauthorized access to this endpoint"},
	402: {402, "payment_required", "The access_token provided is associated with an unpaid account."},
	403: exAccessDenied,
	404: exNotFound,
	405: exNotAllowed,
	406: {406, "not_acceptable", "Not Acceptable"},
	415: exMediaType,
	429: exTooMany,
	500: {500, "software_error", "Unexpected Software Error"},
	502: {502, "bad_gateway", "The server received an invalid response from an upstream server."},
	503: {503, "service_unavailable", "The service is temporarily unavailable, please retry later."},
	504: {504, "gateway_timeout", "The server did not receive a timely response from an upstream server."},
}

// extoleErrorBody is Extole's RestExceptionResponse
// (docs/extole-api.md#errors).
type extoleErrorBody struct {
	UniqueID       string         `json:"unique_id"`
	HTTPStatusCode int            `json:"http_status_code"`
	Code           string         `json:"code"`
	Message        string         `json:"message"`
	Parameters     map[string]any `json:"parameters"`
}

const extoleContentType = "application/json"

// fail writes an Extole error. Caller holds e.mu.
func (e *Extole) fail(w *sandbox.Recorder, c extoleCode, params map[string]any) {
	if params == nil {
		params = map[string]any{}
	}
	w.Code = c.code
	sandbox.WriteJSON(w, extoleContentType, c.status, extoleErrorBody{
		UniqueID:       e.uniqueIDLocked(),
		HTTPStatusCode: c.status,
		Code:           c.code,
		Message:        c.message,
		Parameters:     params,
	})
}

// uniqueIDLocked mirrors RestExceptionBuilder.generateUniqueId: epoch seconds
// shifted into the high bits plus randomness, rendered as a decimal string
// (docs/extole-api.md#errors). A 32-bit shift yields the 19-digit ids seen in
// Extole's examples.
func (e *Extole) uniqueIDLocked() string {
	v := uint64(e.now().Unix())<<32 | uint64(e.rnd.Uint32())
	if v < 1e18 || v >= 1e19 { // clock far from today: keep 19 digits anyway
		v = 1e18 + v%9e18
	}
	return strconv.FormatUint(v, 10)
}

// newIDLocked returns a fresh 19-digit numeric id (events, persons): Extole ids
// are numeric strings of about 19 digits in every example
// (docs/extole-api.md#events-api).
func (e *Extole) newIDLocked() string {
	for {
		id := e.uniqueIDLocked()
		if !e.ids[id] {
			e.ids[id] = true
			return id
		}
	}
}

// --- request pipeline ------------------------------------------------------

type extoleCall struct {
	w      *sandbox.Recorder
	r      *http.Request
	body   []byte
	at     time.Time
	params []string // path parameters (person id)
}

type extoleHandler func(e *Extole, c *extoleCall)

// route maps a path to its handlers by method. ok=false means the path is not
// an Extole endpoint at all.
func (e *Extole) route(path string) (handlers map[string]extoleHandler, params []string, ok bool) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) == 2 && seg[0] == "v4" && seg[1] == "erasures":
		return map[string]extoleHandler{http.MethodPost: (*Extole).postErasure}, nil, true
	case len(seg) == 2 && seg[0] == "v2" && seg[1] == "rewards":
		return map[string]extoleHandler{http.MethodGet: (*Extole).listRewards}, nil, true
	case len(seg) == 3 && seg[0] == "v2" && seg[1] == "rewards" && seg[2] != "":
		return map[string]extoleHandler{http.MethodGet: (*Extole).getReward}, seg[2:3], true
	case len(seg) == 2 && seg[0] == "v5" && seg[1] == "events":
		return map[string]extoleHandler{http.MethodPost: (*Extole).postEvent}, nil, true
	case len(seg) == 2 && seg[0] == "v5" && seg[1] == "persons":
		return map[string]extoleHandler{http.MethodGet: (*Extole).listPersons, http.MethodPost: (*Extole).createPerson}, nil, true
	case len(seg) == 3 && seg[0] == "v5" && seg[1] == "persons" && seg[2] != "":
		return map[string]extoleHandler{http.MethodGet: (*Extole).getPerson}, seg[2:3], true
	case len(seg) == 4 && seg[0] == "v5" && seg[1] == "persons" && seg[2] != "" && seg[3] == "relationships":
		return map[string]extoleHandler{http.MethodGet: (*Extole).listRelationships}, seg[2:3], true
	case len(seg) == 4 && seg[0] == "v5" && seg[1] == "persons" && seg[2] != "" && seg[3] == "shareables":
		return map[string]extoleHandler{http.MethodGet: (*Extole).listShareables, http.MethodPost: (*Extole).createShareable}, seg[2:3], true
	}
	return nil, nil, false
}

// ServeHTTP answers Extole API requests and the /_sandbox/ admin endpoints
// (GET requests, GET|PUT faults, POST reset, GET events, GET persons).
func (e *Extole) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isRewardAdmin(r) {
		e.serveRewardAdmin(w, r)
		return
	}
	if sandbox.IsAdminPath(r.URL.Path) {
		sandbox.ServeAdmin(w, r, e, e.adminExtra)
		return
	}
	rec := &sandbox.Recorder{ResponseWriter: w}
	// Read the body first: net/http only notices a client hanging up (and
	// cancels r.Context()) once the request body has been consumed, and the
	// latency below must end when the client gives up.
	body, readErr := io.ReadAll(io.LimitReader(r.Body, sandbox.MaxBodyBytes))

	e.mu.Lock()
	at := e.now()
	inject, latency := e.faults.Decide(r.URL.Path, e.rnd)
	retryAfter := e.faults.Current().RetryAfter
	e.mu.Unlock()

	if !sandbox.SleepCtx(r.Context(), latency) {
		e.mu.Lock()
		e.logLocked(r, at, sandbox.StatusClientClosedRequest, "client_closed_request", inject != 0)
		e.mu.Unlock()
		return
	}
	if inject != 0 {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.writeInjectedLocked(rec, inject, retryAfter)
		e.logLocked(r, at, rec.FinalStatus(), rec.Code, true)
		return
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	defer func() { e.logLocked(r, at, rec.FinalStatus(), rec.Code, false) }()

	handlers, params, ok := e.route(r.URL.Path)
	if !ok {
		e.fail(rec, exNotFound, nil)
		return
	}
	h := handlers[r.Method]
	if h == nil {
		allowed := make([]string, 0, len(handlers))
		for m := range handlers {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		rec.Header().Set("Allow", strings.Join(allowed, ", "))
		e.fail(rec, exNotAllowed, nil)
		return
	}
	token, code := e.authenticate(r)
	if code != nil {
		e.fail(rec, *code, nil)
		return
	}
	if !e.admitLocked(token, at) {
		// No Retry-After: Extole documents none
		// (docs/extole-api.md#rate-limits-and-conventions).
		e.fail(rec, exTooMany, nil)
		return
	}
	if readErr != nil {
		e.fail(rec, exMissingBody, nil)
		return
	}
	h(e, &extoleCall{w: rec, r: r, body: body, at: at, params: params})
}

func (e *Extole) logLocked(r *http.Request, at time.Time, status int, code string, injected bool) {
	e.requests = append(e.requests, sandbox.RequestRecord{Method: r.Method, Path: r.URL.Path, Status: status, Code: code, Injected: injected, At: at})
}

// writeInjectedLocked answers with an injected status. Error statuses get an
// Extole error body with the fitting code; a 2xx/3xx gets an empty body, which
// for 204 mimics what Extole documents for a request that never reached the
// Events API (wrong host, docs/extole-api.md#events-api).
func (e *Extole) writeInjectedLocked(w *sandbox.Recorder, status int, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	if status < 400 {
		w.WriteHeader(status)
		return
	}
	c, ok := injectedExtoleCodes[status]
	if !ok {
		c = extoleCode{status, "unexpected_request", "Received unexpected request"}
		if status >= 500 {
			c = extoleCode{status, "software_error", "Unexpected Software Error"}
		}
	}
	e.fail(w, c, nil)
}

// authenticate finds the access token the way Extole's BaseAuthorizationFilter
// does (docs/extole-api.md#authentication): query parameter access_token first,
// then the Authorization header (the text after its last space, so "Bearer X"
// and a bare "X" both work), then the access_token cookie; the first non-empty
// one wins. (The header is not first: Extole's own filter order is used.)
func (e *Extole) authenticate(r *http.Request) (string, *extoleCode) {
	token := r.URL.Query().Get("access_token")
	if token == "" {
		if h := strings.TrimSpace(r.Header.Get("Authorization")); h != "" {
			token = h[strings.LastIndex(h, " ")+1:]
		}
	}
	if token == "" {
		if ck, err := r.Cookie("access_token"); err == nil {
			token = ck.Value
		}
	}
	if token == "" {
		return "", &exMissingToken
	}
	if e.opts.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(e.opts.Token)) != 1 {
		return "", &exAccessDenied
	}
	return token, nil
}

// admitLocked applies the documented 100 requests per minute per token
// (docs/extole-api.md#rate-limits-and-conventions) as a sliding 60 s window.
// Only admitted requests are counted, so a client that backs off after a 429
// gets back in once old requests age out.
func (e *Extole) admitLocked(token string, at time.Time) bool {
	limit := e.opts.RateLimitPerMinute
	if limit < 0 {
		return true
	}
	window := e.admitted[token]
	keep := window[:0]
	for _, t := range window {
		if at.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	if len(keep) >= limit {
		e.admitted[token] = keep
		return false
	}
	e.admitted[token] = append(keep, at)
	return true
}

// requireJSON enforces Content-Type: application/json (415 otherwise,
// docs/extole-api.md#events-api).
func (e *Extole) requireJSON(c *extoleCall) bool {
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		e.fail(c.w, exMediaType, nil)
		return false
	}
	return true
}

// decodeObject parses the body as a JSON object: an empty body is
// missing_request_body and anything unparseable invalid_json
// (docs/extole-api.md#errors).
func (e *Extole) decodeObject(c *extoleCall) (map[string]json.RawMessage, bool) {
	if len(bytes.TrimSpace(c.body)) == 0 {
		e.fail(c.w, exMissingBody, nil)
		return nil, false
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &obj); err != nil || obj == nil {
		e.fail(c.w, exInvalidJSON, nil)
		return nil, false
	}
	return obj, true
}

// --- /v5/events ------------------------------------------------------------

// postEvent handles POST /v5/events (docs/extole-api.md#events-api,
// #duplicates).
//
// Dedupe: Extole de-duplicates on the field mapped as UNIQUE_PARTNER_EVENT_KEY,
// by default partner_conversion_id, first event wins
// (docs/extole-api.md#duplicates). The HTTP answer to a duplicate is
// undocumented; the fake answers 200 with the first event's id (a "2xx, flagged
// in processing" reading of docs/extole-api.md#duplicates), counts it in
// Duplicates() and does not add it to Events(). The key is compared across all
// event names, as the docs describe it, by its string form ("42" == 42).
//
// An accepted event whose data.email is a valid address also creates that
// person if unknown, because email is Extole's primary identity key
// (docs/extole-api.md#events-api, OpenAPI EventSubmissionData). A later POST
// /v5/persons for that email therefore answers
// identity_key_value_already_taken, as it would for real.
func (e *Extole) postEvent(c *extoleCall) {
	if !e.requireJSON(c) {
		return
	}
	obj, ok := e.decodeObject(c)
	if !ok {
		return
	}
	name, ok := sandbox.JSONScalarString(obj["event_name"])
	if !ok {
		e.fail(c.w, exInvalidJSON, nil)
		return
	}
	if strings.TrimSpace(name) == "" {
		e.fail(c.w, exMissingName, nil)
		return
	}
	if raw, present := obj["event_time"]; present && !isJSONNull(raw) {
		var s string
		if json.Unmarshal(raw, &s) != nil || !validEventTime(s) {
			e.fail(c.w, exBadEventTime, map[string]any{"event_time": strings.Trim(string(raw), `"`)})
			return
		}
	}
	data := map[string]json.RawMessage{}
	if raw, present := obj["data"]; present && !isJSONNull(raw) {
		if err := json.Unmarshal(raw, &data); err != nil || data == nil {
			e.fail(c.w, exInvalidJSON, nil)
			return
		}
	}
	key := conversionKey(data["partner_conversion_id"])
	if key == "" {
		// Batch files and the bridge's backfill events carry partner_event_id; keyed apart from
		// partner_conversion_id so the two never collide.
		if k := conversionKey(data["partner_event_id"]); k != "" {
			key = "partner_event_id:" + k
		}
	}
	if key != "" {
		if first, dup := e.byConversionID[key]; dup {
			e.duplicates++
			c.w.Code = "duplicate"
			sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, map[string]string{"id": first})
			return
		}
	}
	id := e.newIDLocked()
	e.events = append(e.events, Event{ID: id, EventName: name, Data: data, ReceivedAt: c.at})
	if key != "" {
		e.byConversionID[key] = id
	}
	if email, ok := sandbox.JSONScalarString(data["email"]); ok && sandbox.IsValidEmail(strings.TrimSpace(email)) {
		if _, known := e.personByEmail[strings.ToLower(strings.TrimSpace(email))]; !known {
			e.addPersonLocked(strings.TrimSpace(email))
		}
		e.triggerExtensionLocked(name, strings.TrimSpace(email), c.at)
		e.relateLocked(name, id, strings.TrimSpace(email), data, c.at) // extole_relationships.go
	}
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, map[string]string{"id": id})
}

// eventTimeLayouts are the ISO 8601 forms accepted for event_time: RFC 3339 and
// the offset-without-colon form Extole's own docs use
// ("2013-08-11T14:33:18-0700", docs/extole-api.md#events-api), with or without
// fractions, and local date-times without an offset.
var eventTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
}

func validEventTime(s string) bool {
	for _, l := range eventTimeLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}

// conversionKey renders partner_conversion_id as a string: strings as they
// are, numbers by their JSON text. Other types and empty values disable dedupe.
func conversionKey(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func isJSONNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func cloneRawMap(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = append(json.RawMessage(nil), v...)
	}
	return out
}

// --- /v5/persons ------------------------------------------------------------

// extolePersonResponse is Extole's PersonResponse
// (docs/extole-api.md#persons-and-shareables). It has no email field: the email
// is identity_key_value when identity_key.name is "email". version is a string
// in Extole's Java model.
type extolePersonResponse struct {
	ID               string            `json:"id"`
	IdentityID       string            `json:"identity_id"`
	IdentityKey      map[string]string `json:"identity_key"`
	IdentityKeyValue string            `json:"identity_key_value"`
	Locale           struct{}          `json:"locale"`
	Version          string            `json:"version"`
}

func (p *extolePerson) response() extolePersonResponse {
	return extolePersonResponse{
		ID:               p.id,
		IdentityID:       p.identityID,
		IdentityKey:      map[string]string{"name": "email"},
		IdentityKeyValue: p.email,
		Version:          strconv.Itoa(p.version),
	}
}

func (e *Extole) addPersonLocked(email string) *extolePerson {
	p := &extolePerson{id: e.newIDLocked(), identityID: e.newIDLocked(), email: email, version: 1}
	e.persons = append(e.persons, p)
	e.personByID[p.id] = p
	e.personByEmail[strings.ToLower(email)] = p
	return p
}

// parseLimitOffset reads Extole's limit/offset paging
// (docs/extole-api.md#rate-limits-and-conventions): limit default 100, above
// 1000 → max_fetch_size_1000; negative or non-integer values → invalid_limit /
// invalid_offset.
func (e *Extole) parseLimitOffset(c *extoleCall) (limit, offset int, ok bool) {
	q := c.r.URL.Query()
	limit, offset = 100, 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			e.fail(c.w, exInvalidLimit, map[string]any{"limit": s})
			return 0, 0, false
		}
		limit = n
	}
	if s := q.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			e.fail(c.w, exInvalidOffset, map[string]any{"offset": s})
			return 0, 0, false
		}
		offset = n
	}
	if limit > 1000 {
		e.fail(c.w, exMaxFetch, map[string]any{"limit": limit, "offset": offset})
		return 0, 0, false
	}
	return limit, offset, true
}

func page[T any](items []T, limit, offset int) []T {
	if offset >= len(items) {
		return items[:0]
	}
	end := min(offset+limit, len(items))
	return items[offset:end]
}

// listPersons handles GET /v5/persons?identity_key_value=: always a JSON array,
// empty when nobody matches, "because the same key may resolve to multiple
// Extole profiles" (docs/extole-api.md#persons-and-shareables). Emails compare
// case-insensitively. Without identity_key_value every person is listed
// (paged).
func (e *Extole) listPersons(c *extoleCall) {
	limit, offset, ok := e.parseLimitOffset(c)
	if !ok {
		return
	}
	want := strings.ToLower(strings.TrimSpace(c.r.URL.Query().Get("identity_key_value")))
	out := []extolePersonResponse{}
	if want == "" {
		for _, p := range e.persons {
			out = append(out, p.response())
		}
	} else if p, ok := e.personByEmail[want]; ok { // by index: a scan per lookup was the bench's top CPU cost
		out = append(out, p.response())
	}
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, page(out, limit, offset))
}

// createPerson handles POST /v5/persons {"identity_key_value": email}
// (docs/extole-api.md#persons-and-shareables): 400 invalid_key_value for a
// missing or malformed email, 400 identity_key_value_already_taken when a
// person has it already.
func (e *Extole) createPerson(c *extoleCall) {
	if !e.requireJSON(c) {
		return
	}
	obj, ok := e.decodeObject(c)
	if !ok {
		return
	}
	email, ok := sandbox.JSONScalarString(obj["identity_key_value"])
	email = strings.TrimSpace(email)
	if !ok || !sandbox.IsValidEmail(email) {
		e.fail(c.w, exInvalidKey, map[string]any{"identity_key_value": email})
		return
	}
	if _, taken := e.personByEmail[strings.ToLower(email)]; taken {
		e.fail(c.w, exKeyValueTaken, map[string]any{"identity_key_value": email})
		return
	}
	p := e.addPersonLocked(email)
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, p.response())
}

// personLocked resolves the {person_id} path parameter; an unknown id is 403
// person_not_found (docs/extole-api.md#persons-and-shareables), not 404.
func (e *Extole) personLocked(c *extoleCall) (*extolePerson, bool) {
	id, _ := url.PathUnescape(c.params[0])
	p, ok := e.personByID[id]
	if !ok {
		e.fail(c.w, exPersonMissing, map[string]any{"person_id": id})
		return nil, false
	}
	return p, true
}

func (e *Extole) getPerson(c *extoleCall) {
	if p, ok := e.personLocked(c); ok {
		sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, p.response())
	}
}

// --- /v5/persons/{id}/shareables ---------------------------------------------

// extoleShareableResponse is PersonShareableResponse
// (docs/extole-api.md#persons-and-shareables).
type extoleShareableResponse struct {
	Code        string                         `json:"code"`
	Key         string                         `json:"key"`
	Label       string                         `json:"label"`
	Link        string                         `json:"link"`
	Content     json.RawMessage                `json:"content"`
	Data        map[string]extoleShareableData `json:"data"`
	CreatedDate string                         `json:"created_date"`
	UpdatedDate string                         `json:"updated_date"`
}

type extoleShareableData struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// extoleTimeLayout: RFC 3339 with milliseconds and a numeric offset, the form
// of Extole's ZonedDateTime responses
// (docs/extole-api.md#rate-limits-and-conventions).
const extoleTimeLayout = "2006-01-02T15:04:05.000-07:00"

func (s *extoleShareable) response() extoleShareableResponse {
	data := make(map[string]extoleShareableData, len(s.data))
	for k, v := range s.data {
		data[k] = extoleShareableData{Name: k, Value: v}
	}
	content := s.content
	if len(content) == 0 {
		content = json.RawMessage("{}")
	}
	return extoleShareableResponse{
		Code: s.code, Key: s.key, Label: s.label, Link: s.link,
		Content: content, Data: data,
		CreatedDate: s.created.UTC().Format(extoleTimeLayout),
		UpdatedDate: s.updated.UTC().Format(extoleTimeLayout),
	}
}

// sortedShareables returns shareables by created date descending, the order
// Extole documents for the list endpoint
// (docs/extole-api.md#persons-and-shareables); creation order breaks ties so
// equal timestamps (a frozen test clock) stay deterministic.
func (p *extolePerson) sortedShareables() []*extoleShareable {
	out := append([]*extoleShareable(nil), p.shareables...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].created.Equal(out[j].created) {
			return out[i].created.After(out[j].created)
		}
		return out[i].seq > out[j].seq
	})
	return out
}

// listShareables handles GET /v5/persons/{id}/shareables with the labels
// filter (comma-separated and/or repeated) and limit/offset paging.
func (e *Extole) listShareables(c *extoleCall) {
	p, ok := e.personLocked(c)
	if !ok {
		return
	}
	limit, offset, ok := e.parseLimitOffset(c)
	if !ok {
		return
	}
	labels := map[string]bool{}
	for _, v := range c.r.URL.Query()["labels"] {
		for _, l := range strings.Split(v, ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels[strings.ToLower(l)] = true
			}
		}
	}
	out := []extoleShareableResponse{}
	for _, s := range p.sortedShareables() {
		if len(labels) == 0 || labels[strings.ToLower(s.label)] {
			out = append(out, s.response())
		}
	}
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, page(out, limit, offset))
}

type shareableCreateRequest struct {
	Label   *string                    `json:"label"`
	Code    *string                    `json:"code"`
	Key     *string                    `json:"key"`
	Content json.RawMessage            `json:"content"`
	Data    map[string]json.RawMessage `json:"data"`
}

// createShareable handles POST /v5/persons/{id}/shareables
// (docs/extole-api.md#persons-and-shareables). Checks, in order: person exists
// (403 person_not_found), JSON body, label present and well-formed, explicit
// code length 4..50 and characters, the person has no shareable with that label
// or key (400 shareable_key_taken), the code is not used by anyone (400
// code_taken with code_suggestions).
//
// key: the sources conflict (docs/extole-api.md#persons-and-shareables): docs
// say a repeated key returns the same link, Extole's Java API and its SFDC app
// use 400 shareable_key_taken, and the SFDC mock returns it for a repeated
// label with no key. The fake follows the Java/SFDC behaviour and defaults key
// to the label, so a second shareable with the same label (or key) for one
// person is shareable_key_taken; its parameters carry the existing shareable's
// code.
//
// Generated codes: the email's local part reduced to lower-case letters and
// digits (at most 12), padded to at least two characters, plus a two-digit
// counter, e.g. "alex01": unique, 4+ characters, and valid under Extole's own
// rules. link = ShareBaseURL + code.
func (e *Extole) createShareable(c *extoleCall) {
	p, ok := e.personLocked(c)
	if !ok || !e.requireJSON(c) {
		return
	}
	if len(bytes.TrimSpace(c.body)) == 0 {
		e.fail(c.w, exMissingBody, nil)
		return
	}
	var req shareableCreateRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		e.fail(c.w, exInvalidJSON, nil)
		return
	}
	if req.Label == nil || strings.TrimSpace(*req.Label) == "" {
		e.fail(c.w, exLabelMissing, nil)
		return
	}
	label := strings.TrimSpace(*req.Label)
	if !isCodeChars(label) {
		e.fail(c.w, exLabelChars, map[string]any{"label": label})
		return
	}
	code := ""
	if req.Code != nil && *req.Code != "" {
		code = *req.Code
		if len(code) < 4 || len(code) > 50 {
			e.fail(c.w, exCodeRange, map[string]any{"code": code})
			return
		}
		if !isCodeChars(code) {
			e.fail(c.w, exCodeChars, map[string]any{"code": code})
			return
		}
	}
	key := label
	if req.Key != nil && *req.Key != "" {
		key = *req.Key
	}
	for _, s := range p.shareables {
		if strings.EqualFold(s.label, label) || s.key == key {
			e.fail(c.w, exKeyTaken, map[string]any{"code": s.code})
			return
		}
	}
	if code != "" && e.codes[strings.ToLower(code)] {
		e.fail(c.w, exCodeTaken, map[string]any{"code": code, "code_suggestions": e.codeSuggestionsLocked(code)})
		return
	}
	if len(req.Content) > 0 && isJSONNull(req.Content) {
		req.Content = nil
	}
	s := e.addShareableLocked(p, code, key, label, req.Content, req.Data, c.at)
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, s.response())
}

// addShareableLocked gives p a new shareable; code "" = a generated one.
func (e *Extole) addShareableLocked(p *extolePerson, code, key, label string, content json.RawMessage, data map[string]json.RawMessage, at time.Time) *extoleShareable {
	if code == "" {
		code = e.generateCodeLocked(p.email)
	}
	e.seq++
	s := &extoleShareable{
		code: code, key: key, label: label, link: e.opts.ShareBaseURL + code,
		content: content, data: data, created: at, updated: at, seq: e.seq,
	}
	p.shareables = append(p.shareables, s)
	p.version++
	e.codes[strings.ToLower(code)] = true
	return s
}

// isCodeChars: "alphanumeric, dash and underscore only"
// (docs/extole-api.md#persons-and-shareables).
func isCodeChars(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return s != ""
}

func (e *Extole) generateCodeLocked(email string) string {
	local := email
	if at := strings.IndexByte(email, '@'); at >= 0 {
		local = email[:at]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(local) {
		if b.Len() == 12 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	base := b.String()
	if len(base) < 2 {
		base += "ref" // keeps base+counter at 4+ characters
	}
	for n := 1; ; n++ {
		code := fmt.Sprintf("%s%02d", base, n)
		if !e.codes[code] {
			return code
		}
	}
}

// codeSuggestionsLocked offers three free variants of a taken code.
func (e *Extole) codeSuggestionsLocked(code string) []string {
	base := code
	if len(base) > 47 {
		base = base[:47]
	}
	var out []string
	for n := 1; len(out) < 3; n++ {
		cand := fmt.Sprintf("%s%d", base, n)
		if !e.codes[strings.ToLower(cand)] {
			out = append(out, cand)
		}
	}
	return out
}
