package extolesim

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Rewards (docs/extole-rewards.md): GET /v2/rewards and /v2/rewards/{id} answer from the rewards a test
// creates and advances (CreateReward, AdvanceReward, or POST /_sandbox/rewards); every state change is
// posted as a reward webhook in the flat body of Extole's signature example, signed with X-Extole-Signature
// (hex HMAC-SHA256 of the body) and a bearer token, retried on a non-2xx answer (at least once), and on
// request duplicated, held back and reordered, or dropped.

// RewardWebhook configures the reward webhooks. Off while URL is "".
type RewardWebhook struct {
	URL        string
	Token      string // bearer token; "" = none
	SigningKey string // "" = unsigned
	// Hold queues the webhooks until FlushRewardWebhooks, which can reorder them.
	Hold bool
	// Duplicate delivers every webhook twice.
	Duplicate  bool
	Attempts   int           // 0 = 5, Extole's documented retries
	RetryAfter time.Duration // first retry, doubled each time; 0 = 200 ms
	Client     *http.Client  // nil = a client with a 10 s timeout
}

// SandboxReward is a reward as GET /v2/rewards lists it (RewardResponse's fields the bridge reads).
type SandboxReward struct {
	RewardID      string    `json:"reward_id"`
	PersonID      string    `json:"person_id"`
	PartnerUserID string    `json:"partner_user_id,omitempty"`
	Email         string    `json:"email"`
	State         string    `json:"state"`
	FaceValue     float64   `json:"face_value"`
	FaceValueType string    `json:"face_value_type"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"-"` // the last state change: what time_interval filters on here
}

// RewardWebhookDelivery is one webhook and how it ended.
type RewardWebhookDelivery struct {
	EventID   string `json:"event_id"`
	RewardID  string `json:"reward_id"`
	Type      string `json:"type"`
	Attempts  int    `json:"attempts"`
	Status    int    `json:"status"`
	Delivered bool   `json:"delivered"`
	Dropped   bool   `json:"dropped,omitempty"`
}

type rewardWebhookEvent struct {
	eventID, rewardID, typ string
	body                   []byte
	dropped                bool
}

// rewardState is the fake's rewards; hook is configuration and survives Reset.
type rewardState struct {
	list     []*SandboxReward
	byID     map[string]*SandboxReward
	queued   []rewardWebhookEvent
	dropNext int

	hookMu     sync.Mutex // guards hook and deliveries: deliveries end outside e.mu
	hook       RewardWebhook
	deliveries []RewardWebhookDelivery
}

func (s *rewardState) resetLocked() {
	s.list, s.byID, s.queued, s.dropNext = nil, map[string]*SandboxReward{}, nil, 0
	s.hookMu.Lock()
	s.deliveries = nil
	s.hookMu.Unlock()
}

var (
	exRewardNotFound   = extoleCode{400, "reward_not_found", "Reward not found"}
	exTimeInterval     = extoleCode{400, "time_interval_invalid", "Time interval is invalid or not ISO-8601 explicit form"}
	exRewardStateBad   = extoleCode{400, "reward_state_invalid", "Reward state is invalid"}
	rewardEventByState = map[string]string{
		"EARNED": "reward_earned", "FULFILLED": "reward_fulfilled", "FULFILL_FAILED": "reward_fulfillment_failed",
		"SENT": "reward_sent", "REDEEMED": "reward_redeemed", "CANCELED": "reward_canceled",
		"REVOKED": "reward_revoked", "FAILED": "reward_failed",
	}
)

// SetRewardWebhook configures where and how reward webhooks go.
func (e *Extole) SetRewardWebhook(w RewardWebhook) {
	e.rewards.hookMu.Lock()
	defer e.rewards.hookMu.Unlock()
	e.rewards.hook = w
}

// CreateReward earns a reward for the person with this email (created when new) and emits reward_earned.
func (e *Extole) CreateReward(email, partnerUserID string, faceValue float64, valueType string) SandboxReward {
	e.mu.Lock()
	p := e.personByEmail[strings.ToLower(email)]
	if p == nil {
		p = e.addPersonLocked(email)
	}
	now := e.now().UTC()
	r := &SandboxReward{RewardID: fmt.Sprintf("%016x%08x", e.rnd.Uint64(), e.rnd.Uint32()), PersonID: p.id,
		PartnerUserID: partnerUserID, Email: p.email, State: "EARNED", FaceValue: faceValue, FaceValueType: valueType,
		CreatedAt: now, UpdatedAt: now}
	e.rewards.list = append(e.rewards.list, r)
	e.rewards.byID[r.RewardID] = r
	ev := e.rewardEventLocked(r)
	e.mu.Unlock()
	e.emitReward(ev)
	return *r
}

// AdvanceReward moves a reward to state (FULFILLED, SENT, REDEEMED, CANCELED, …) and emits its webhook.
func (e *Extole) AdvanceReward(rewardID, state string) (SandboxReward, error) {
	e.mu.Lock()
	r := e.rewards.byID[rewardID]
	if r == nil {
		e.mu.Unlock()
		return SandboxReward{}, fmt.Errorf("no reward %q", rewardID)
	}
	state = strings.ToUpper(state)
	if _, ok := rewardEventByState[state]; !ok {
		e.mu.Unlock()
		return SandboxReward{}, fmt.Errorf("unknown reward state %q", state)
	}
	r.State, r.UpdatedAt = state, e.now().UTC()
	ev := e.rewardEventLocked(r)
	e.mu.Unlock()
	e.emitReward(ev)
	return *r, nil
}

// DropNextRewardWebhook drops the next webhook: it is recorded as dropped and never sent.
func (e *Extole) DropNextRewardWebhook() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rewards.dropNext++
}

// Rewards lists the rewards in creation order.
func (e *Extole) Rewards() []SandboxReward {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]SandboxReward, len(e.rewards.list))
	for i, r := range e.rewards.list {
		out[i] = *r
	}
	return out
}

// RewardWebhookDeliveries returns the finished webhook deliveries in the order they ended.
func (e *Extole) RewardWebhookDeliveries() []RewardWebhookDelivery {
	e.rewards.hookMu.Lock()
	defer e.rewards.hookMu.Unlock()
	return slices.Clone(e.rewards.deliveries)
}

// FlushRewardWebhooks sends the held webhooks, in a shuffled order when reorder is set, and returns when
// every delivery ended.
func (e *Extole) FlushRewardWebhooks(reorder bool) {
	e.mu.Lock()
	q := e.rewards.queued
	e.rewards.queued = nil
	if reorder {
		e.rnd.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
	}
	e.mu.Unlock()
	hook := e.rewardHook()
	var wg sync.WaitGroup
	for _, ev := range q {
		wg.Go(func() { e.deliverReward(hook, ev) })
	}
	wg.Wait()
}

func (e *Extole) rewardHook() RewardWebhook {
	e.rewards.hookMu.Lock()
	defer e.rewards.hookMu.Unlock()
	return e.rewards.hook
}

// rewardWebhookBody is the flat body of Extole's signature example.
type rewardWebhookBody struct {
	Type                    string  `json:"type"`
	EventID                 string  `json:"event_id"`
	EventTime               string  `json:"event_time"`
	RewardID                string  `json:"reward_id"`
	RewardSupplierName      string  `json:"reward_supplier_name"`
	RewardSupplierID        string  `json:"reward_supplier_id"`
	PartnerRewardSupplierID string  `json:"partner_reward_supplier_id"`
	RewardSupplierType      string  `json:"reward_supplier_type"`
	PersonID                string  `json:"person_id"`
	PartnerUserID           *string `json:"partner_user_id"`
	FaceValue               float64 `json:"face_value"`
	FaceValueType           string  `json:"face_value_type"`
	Message                 *string `json:"message"`
	SchemaVersion           int     `json:"schema_version"`
}

const eventIDChars = "abcdefghijklmnopqrstuvwxyz0123456789"

// rewardEventLocked builds the webhook for r's current state. Caller holds e.mu.
func (e *Extole) rewardEventLocked(r *SandboxReward) rewardWebhookEvent {
	id := make([]byte, 20)
	for i := range id {
		id[i] = eventIDChars[e.rnd.IntN(len(eventIDChars))]
	}
	var puid *string
	if r.PartnerUserID != "" {
		puid = &r.PartnerUserID
	}
	b := rewardWebhookBody{Type: rewardEventByState[r.State], EventID: string(id), EventTime: r.UpdatedAt.Format("2006-01-02T15:04:05.000Z"),
		RewardID: r.RewardID, RewardSupplierName: "Advocate Account Credit", RewardSupplierID: "701e681a9e46c8b6778f3452",
		PartnerRewardSupplierID: "Advocate Account Credit", RewardSupplierType: "CUSTOM_REWARD", PersonID: r.PersonID,
		PartnerUserID: puid, FaceValue: r.FaceValue, FaceValueType: r.FaceValueType, SchemaVersion: 1}
	raw, _ := json.Marshal(b) // plain values always marshal
	ev := rewardWebhookEvent{eventID: b.EventID, rewardID: r.RewardID, typ: b.Type, body: raw, dropped: e.rewards.dropNext > 0}
	if ev.dropped {
		e.rewards.dropNext--
	}
	return ev
}

// emitReward sends (or holds, or drops) one webhook; sends happen after Extole's own answer, so off the
// caller's goroutine.
func (e *Extole) emitReward(ev rewardWebhookEvent) {
	hook := e.rewardHook()
	if ev.dropped {
		e.rewards.hookMu.Lock()
		e.rewards.deliveries = append(e.rewards.deliveries, RewardWebhookDelivery{EventID: ev.eventID, RewardID: ev.rewardID, Type: ev.typ, Dropped: true})
		e.rewards.hookMu.Unlock()
		return
	}
	if hook.URL == "" {
		return
	}
	if hook.Hold {
		e.mu.Lock()
		e.rewards.queued = append(e.rewards.queued, ev)
		e.mu.Unlock()
		return
	}
	go e.deliverReward(hook, ev)
}

func (e *Extole) deliverReward(hook RewardWebhook, ev rewardWebhookEvent) {
	times := 1
	if hook.Duplicate {
		times = 2
	}
	for range times {
		d := postReward(hook, ev)
		e.rewards.hookMu.Lock()
		e.rewards.deliveries = append(e.rewards.deliveries, d)
		e.rewards.hookMu.Unlock()
	}
}

func postReward(hook RewardWebhook, ev rewardWebhookEvent) RewardWebhookDelivery {
	header := http.Header{}
	if hook.Token != "" {
		header.Set("Authorization", "Bearer "+hook.Token)
	}
	if hook.SigningKey != "" {
		m := hmac.New(sha256.New, []byte(hook.SigningKey))
		m.Write(ev.body)
		header.Set("X-Extole-Signature", hex.EncodeToString(m.Sum(nil)))
	}
	d := RewardWebhookDelivery{EventID: ev.eventID, RewardID: ev.rewardID, Type: ev.typ}
	d.Attempts, d.Status = postWithRetries(hook.Client, hook.URL, ev.body, header, hook.Attempts, cmp.Or(hook.RetryAfter, 200*time.Millisecond))
	d.Delivered = delivered(d.Status)
	return d
}

// --- API --------------------------------------------------------------------

type rewardResponse struct {
	RewardID      string   `json:"reward_id"`
	PersonID      string   `json:"person_id"`
	PartnerUserID *string  `json:"partner_user_id"`
	Email         string   `json:"email"`
	State         string   `json:"state"`
	FaceValue     float64  `json:"face_value"`
	FaceValueType string   `json:"face_value_type"`
	CreatedAt     string   `json:"created_at"`
	Data          struct{} `json:"data"`
	Sandbox       string   `json:"sandbox"`
	Container     string   `json:"container"`
}

func (r *SandboxReward) response() rewardResponse {
	out := rewardResponse{RewardID: r.RewardID, PersonID: r.PersonID, Email: r.Email, State: r.State, FaceValue: r.FaceValue,
		FaceValueType: r.FaceValueType, CreatedAt: r.CreatedAt.Format("2006-01-02T15:04:05.000Z07:00"),
		Sandbox: "production-production", Container: "production"}
	if r.PartnerUserID != "" {
		out.PartnerUserID = &r.PartnerUserID
	}
	return out
}

// successStates are what success_only=true (Extole's default) keeps: rewards that were fulfilled.
var successStates = []string{"FULFILLED", "SENT", "REDEEMED"}

// listRewards handles GET /v2/rewards: a plain array, filtered by person_id, state, success_only and
// time_interval (on the last state change), ordered by that time, paged by limit/offset.
func (e *Extole) listRewards(c *extoleCall) {
	limit, offset, ok := e.parseLimitOffset(c)
	if !ok {
		return
	}
	q := c.r.URL.Query()
	from, to, ok := parseTimeInterval(q.Get("time_interval"), c.at)
	if !ok {
		e.fail(c.w, exTimeInterval, map[string]any{"time_interval": q.Get("time_interval")})
		return
	}
	state := strings.ToUpper(q.Get("state"))
	if _, known := rewardEventByState[state]; state != "" && !known {
		e.fail(c.w, exRewardStateBad, map[string]any{"state": q.Get("state")})
		return
	}
	successOnly := q.Get("success_only") != "false"
	rows := slices.Clone(e.rewards.list)
	slices.SortStableFunc(rows, func(a, b *SandboxReward) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	out := []rewardResponse{}
	for _, r := range rows {
		switch {
		case q.Get("person_id") != "" && r.PersonID != q.Get("person_id"):
		case state != "" && r.State != state:
		case successOnly && !slices.Contains(successStates, r.State):
		case !from.IsZero() && r.UpdatedAt.Before(from), !to.IsZero() && !r.UpdatedAt.Before(to):
		default:
			out = append(out, r.response())
		}
	}
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, page(out, limit, offset))
}

func (e *Extole) getReward(c *extoleCall) {
	id, _ := url.PathUnescape(c.params[0])
	r := e.rewards.byID[id]
	if r == nil {
		e.fail(c.w, exRewardNotFound, map[string]any{"reward_id": id})
		return
	}
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, r.response())
}

var isoDuration = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseTimeInterval reads an ISO 8601 interval: "<start>/<end>", "<start>/<duration>", "<duration>/<end>"
// or a bare duration ending now ("P30D", the spec's example). "" = no filter.
func parseTimeInterval(s string, now time.Time) (from, to time.Time, ok bool) {
	if s == "" {
		return time.Time{}, time.Time{}, true
	}
	parts := strings.Split(s, "/")
	if len(parts) == 1 {
		d, ok := parseISODuration(parts[0])
		return now.Add(-d), now, ok
	}
	if len(parts) != 2 {
		return time.Time{}, time.Time{}, false
	}
	from, errFrom := time.Parse(time.RFC3339Nano, parts[0])
	to, errTo := time.Parse(time.RFC3339Nano, parts[1])
	switch {
	case errFrom == nil && errTo == nil:
	case errFrom == nil:
		d, ok := parseISODuration(parts[1])
		if !ok {
			return time.Time{}, time.Time{}, false
		}
		to = from.Add(d)
	case errTo == nil:
		d, ok := parseISODuration(parts[0])
		if !ok {
			return time.Time{}, time.Time{}, false
		}
		from = to.Add(-d)
	default:
		return time.Time{}, time.Time{}, false
	}
	return from, to, !to.Before(from)
}

func parseISODuration(s string) (time.Duration, bool) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, false
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * unit
		}
	}
	return d, true
}

// --- admin --------------------------------------------------------------------

// serveRewardAdmin handles POST /_sandbox/rewards {"email","partner_user_id","face_value","face_value_type"}
// (earn) and POST /_sandbox/rewards/{id} {"state"} (advance), for trying the flow by hand.
func (e *Extole) serveRewardAdmin(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email         string  `json:"email"`
		PartnerUserID string  `json:"partner_user_id"`
		FaceValue     float64 `json:"face_value"`
		FaceValueType string  `json:"face_value_type"`
		State         string  `json:"state"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, sandbox.MaxBodyBytes))
	if err := json.Unmarshal(body, &in); err != nil {
		sandbox.WriteJSON(w, sandbox.AdminContentType, http.StatusBadRequest, map[string]string{"error": "body must be a JSON object: " + err.Error()})
		return
	}
	id := strings.Trim(strings.TrimPrefix(r.URL.Path, "/_sandbox/rewards"), "/")
	if id == "" {
		if !sandbox.IsValidEmail(in.Email) {
			sandbox.WriteJSON(w, sandbox.AdminContentType, http.StatusBadRequest, map[string]string{"error": "email: a valid address is required"})
			return
		}
		sandbox.WriteJSON(w, sandbox.AdminContentType, http.StatusOK, e.CreateReward(in.Email, in.PartnerUserID, in.FaceValue, in.FaceValueType))
		return
	}
	rw, err := e.AdvanceReward(id, in.State)
	if err != nil {
		sandbox.WriteJSON(w, sandbox.AdminContentType, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	sandbox.WriteJSON(w, sandbox.AdminContentType, http.StatusOK, rw)
}

func isRewardAdmin(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == "/_sandbox/rewards" || strings.HasPrefix(r.URL.Path, "/_sandbox/rewards/"))
}
