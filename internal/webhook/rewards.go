package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hubspot-extole/bridge/workflows"
	"go.uber.org/zap"
)

// rewardStates maps every spelling of a reward state Extole documents (docs/extole-rewards.md#reward-webhooks)
// to the state the rewards API uses: webhook event names, the webhook script model's type enum and the
// event class names of the docs' table.
var rewardStates = func() map[string]string {
	spellings := map[string][]string{
		"EARNED":         {"reward_earned", "earned", "earnedrewardevent"},
		"FULFILLED":      {"reward_fulfilled", "fulfilled", "fulfilledrewardevent"},
		"FULFILL_FAILED": {"reward_fulfillment_failed", "fulfill_failed", "failed_fulfillment", "failedfulfilledrewardevent"},
		"SENT":           {"reward_sent", "sent", "sentrewardevent"},
		"REDEEMED":       {"reward_redeemed", "redeemed", "redeemedrewardevent"},
		"CANCELED":       {"reward_canceled", "reward_cancelled", "canceled", "cancelled", "canceledrewardevent"},
		"REVOKED":        {"reward_revoked", "revoked", "revokedrewardevent"},
		"FAILED":         {"reward_failed", "failed", "failedrewardevent"},
		"EXPIRED":        {"reward_expired", "expired"},
	}
	m := map[string]string{}
	for state, names := range spellings {
		for _, n := range names {
			m[n] = state
		}
	}
	return m
}()

// maxRewardIDLen bounds ids that become workflow ids; Extole's are 19–24 characters.
const maxRewardIDLen = 100

// rewardBody is what a reward webhook said, before the person's workflow is known.
type rewardBody struct {
	change workflows.RewardChange
	// complete: reward, person and state are known; otherwise only reward_id is, and the bridge reads the
	// reward from Extole (the {"reward_id","data"} body carries nothing else).
	complete bool
}

// extoleReward accepts Extole's reward webhooks in each documented shape and answers 200 once the change
// is durably held by the person's RewardSync (signal-with-start), or by a RewardLookup for bodies that
// carry only reward_id.
func (s *server) extoleReward(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	if err := s.Extole.verifyReward(c.Request, body); err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, errNotConfigured) {
			status = http.StatusServiceUnavailable
			c.Header("Retry-After", retryAfterSeconds)
			err = errors.New("reward webhook is not configured yet (EXTOLE_WEBHOOK_TOKEN is unset); retry later")
		}
		fail(c, status, "", err.Error())
		return
	}
	if !isJSON(c.Request) {
		fail(c, http.StatusUnsupportedMediaType, "", "Content-Type must be application/json")
		return
	}
	rb, ferr := parseReward(body, time.Now().UTC())
	if ferr != nil {
		fail(c, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if !rb.complete {
		opts := workflows.RewardLookupStartOptions(rb.change.RewardID)
		_, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.RewardLookup,
			workflows.RewardLookupInput{RewardID: rb.change.RewardID, EventName: s.RewardEventName})
		s.answerReward(c, opts.ID, err)
		return
	}
	opts := workflows.RewardStartOptions(rb.change.PersonID)
	_, err := s.Temporal.SignalWithStartWorkflow(ctx, opts.ID, workflows.RewardSignal, rb.change, opts, workflows.RewardSync,
		workflows.RewardSyncState{PersonID: rb.change.PersonID, EventName: s.RewardEventName})
	s.answerReward(c, opts.ID, err)
}

// answerReward answers exactly 200 once held: Extole's reward-webhook page counts only a 200 OK as
// delivered. Failures get answerStart's 5xx, which Extole retries.
func (s *server) answerReward(c *gin.Context, workflowID string, err error) {
	if err != nil {
		s.answerStart(c, workflowID, nil, err)
		return
	}
	s.Log.Debug("reward webhook held", zap.String("workflow_id", workflowID))
	c.JSON(http.StatusOK, gin.H{"status": "accepted", "workflow_id": workflowID})
}

// verifyReward authenticates like the share-link endpoint (bearer token), and accepts each documented
// X-Extole-Signature form: lowercase hex HMAC-SHA256 of the raw body (the header's description and Java
// sample, also with a "sha256=" prefix) and "sha1=" + hex HMAC-SHA1 (the same page's Ruby sample).
func (a ExtoleAuth) verifyReward(r *http.Request, body []byte) error {
	if err := (ExtoleAuth{Token: a.Token, Sandbox: a.Sandbox}).verify(r, body); err != nil {
		return err
	}
	if a.SigningKey == "" {
		return nil
	}
	if !validRewardSignature(a.SigningKey, body, r.Header.Get("X-Extole-Signature")) {
		return errors.New("missing or invalid X-Extole-Signature")
	}
	return nil
}

func validRewardSignature(key string, body []byte, header string) bool {
	sig := strings.ToLower(strings.TrimSpace(header))
	algo := sha256.New
	switch {
	case strings.HasPrefix(sig, "sha256="):
		sig = sig[len("sha256="):]
	case strings.HasPrefix(sig, "sha1="):
		sig, algo = sig[len("sha1="):], sha1.New
	case len(sig) == 2*sha1.Size:
		algo = sha1.New
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(got, mac(algo, key, body)) == 1
}

func mac(h func() hash.Hash, key string, body []byte) []byte {
	m := hmac.New(h, []byte(key))
	m.Write(body)
	return m.Sum(nil)
}

// parseReward reads the three documented bodies into one change: the flat body Extole's signature
// example shows ({"type","event_id","event_time","reward_id","person_id",…}), the script model's fields
// (also camelCase, also under "reward"), and {"reward_id","data":{…}}, whose data may repeat any field.
func parseReward(body []byte, now time.Time) (rewardBody, *fieldError) {
	var top map[string]json.RawMessage
	if err := decodeStrict(body, &top); err != nil {
		return rewardBody{}, bad("body", "must be a JSON object: %v", err)
	}
	if err := invalidUTF8(body, top, "data"); err != nil {
		return rewardBody{}, err
	}
	f := rewardFields{top: top}
	for _, nested := range []string{"reward", "data"} {
		raw, ok := top[nested]
		if !ok || isNull(raw) {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return rewardBody{}, bad(nested, "must be a JSON object")
		}
		f.nested = append(f.nested, nestedFields{name: nested, m: m})
	}

	var ch workflows.RewardChange
	var ferr *fieldError
	if ch.RewardID, ferr = f.id("reward_id", "rewardId"); ferr != nil {
		return rewardBody{}, ferr
	}
	if ch.RewardID == "" {
		return rewardBody{}, bad("reward_id", "is required")
	}
	if ch.PersonID, ferr = f.id("person_id", "personId"); ferr != nil {
		return rewardBody{}, ferr
	}
	if ch.PartnerUserID, ferr = f.id("partner_user_id", "partnerUserId"); ferr != nil {
		return rewardBody{}, ferr
	}
	if ch.EventID, ferr = f.id("event_id", "eventId"); ferr != nil {
		return rewardBody{}, ferr
	}
	state, field, ferr := f.text("type", "state", "event_type", "eventType")
	if ferr != nil {
		return rewardBody{}, ferr
	}
	if state != "" {
		s, ok := rewardStates[strings.ToLower(strings.TrimSpace(state))]
		if !ok {
			return rewardBody{}, bad(field, "%q is not a reward event Extole documents (reward_earned, reward_fulfilled, reward_sent, reward_redeemed, reward_canceled, reward_revoked, reward_failed, …)", state)
		}
		ch.State = s
	}
	fv, field, ferr := f.text("face_value", "faceValue")
	if ferr != nil {
		return rewardBody{}, ferr
	}
	if fv != "" {
		if _, ok := new(big.Rat).SetString(fv); !ok {
			return rewardBody{}, bad(field, "must be a number, got %q", fv)
		}
		ch.FaceValue = fv
	}
	if ch.FaceValueType, _, ferr = f.text("face_value_type", "faceValueType"); ferr != nil {
		return rewardBody{}, ferr
	}
	if ch.Email, _, ferr = f.text("email"); ferr != nil {
		return rewardBody{}, ferr
	}
	ch.At = now
	at, field, ferr := f.text("event_time", "eventTime")
	if ferr != nil {
		return rewardBody{}, ferr
	}
	if at != "" {
		t, ok := eventTime(json.RawMessage(`"` + at + `"`))
		if !ok {
			return rewardBody{}, bad(field, "must be an ISO 8601 time or epoch seconds/milliseconds, got %q", at)
		}
		// A future time is taken as the arrival, else it would win over every later change.
		if t.Before(now) {
			ch.At = t
		}
	}
	ch.Source = workflows.RewardFromWebhook
	return rewardBody{change: ch, complete: ch.PersonID != "" && ch.State != ""}, nil
}

type nestedFields struct {
	name string
	m    map[string]json.RawMessage
}

// rewardFields looks a field up at the top level first, then in "reward" and "data".
type rewardFields struct {
	top    map[string]json.RawMessage
	nested []nestedFields
}

// text returns the first of names present as a string or number, and the field's path for errors.
func (f rewardFields) text(names ...string) (string, string, *fieldError) {
	try := func(prefix string, m map[string]json.RawMessage) (string, string, bool, *fieldError) {
		for _, n := range names {
			raw, ok := m[n]
			if !ok || isNull(raw) {
				continue
			}
			v, ok := scalarText(raw)
			if !ok {
				return "", prefix + n, true, bad(prefix+n, "must be a string or a number")
			}
			return strings.TrimSpace(v), prefix + n, true, nil
		}
		return "", "", false, nil
	}
	if v, field, ok, err := try("", f.top); ok {
		return v, field, err
	}
	for _, n := range f.nested {
		if v, field, ok, err := try(n.name+".", n.m); ok {
			return v, field, err
		}
	}
	return "", names[0], nil
}

// id is text for values that become workflow ids: no control characters, bounded length.
func (f rewardFields) id(names ...string) (string, *fieldError) {
	v, field, err := f.text(names...)
	if err != nil {
		return "", err
	}
	if err := idText(field, v); err != nil {
		return "", err
	}
	if len(v) > maxRewardIDLen {
		return "", bad(field, "is longer than %d characters", maxRewardIDLen)
	}
	if strings.Contains(v, "/") {
		return "", bad(field, "must not contain '/'")
	}
	return v, nil
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }
