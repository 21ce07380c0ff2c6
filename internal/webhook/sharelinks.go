package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// envelopeKeys are the flat body's metadata and Extole identities, not HubSpot contact properties ("Share
// Link Created" template, docs/extole-api.md#outbound-webhooks). The nested {"properties": …} form is written
// as sent: it was built for HubSpot's API, so its keys are HubSpot properties.
var envelopeKeys = []string{"event", "event_name", "timestamp", "event_time", "type", "event_id", "partner_user_id", "person_id"}

// maxPropertyLen bounds one property value; HubSpot's single-line text holds far less than a webhook body.
const maxPropertyLen = 65536

// extoleShareLink accepts exactly the body Extole's generic webhook posts to HubSpot's create-contact
// endpoint ({"properties": {...}}) and the flat body of Extole's "Share Link Created" templates.
func (s *server) extoleShareLink(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	if err := s.Extole.verify(c.Request, body); err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, errNotConfigured) {
			status = http.StatusServiceUnavailable
			c.Header("Retry-After", retryAfterSeconds)
		}
		fail(c, status, "", err.Error())
		return
	}
	if !isJSON(c.Request) {
		fail(c, http.StatusUnsupportedMediaType, "", "Content-Type must be application/json")
		return
	}
	received := time.Now().UTC()
	link, ferr := parseShareLink(body, received)
	if ferr != nil {
		fail(c, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	link.ReceivedAt = received
	s.submitShareLink(c, link)
}

// submitShareLink hands the link to the contact's ShareLinkSync. It first tries update-with-start, which
// answers exactly (accepted, duplicate, superseded) but needs a worker to answer. If no answer comes in
// time it falls back to signal-with-start, which the server records durably without a worker: the link is
// then safe and the workflow de-duplicates it when it runs. Only when both fail does Extole get a 503.
func (s *server) submitShareLink(c *gin.Context, link workflows.ShareLink) {
	opts := workflows.ShareLinkStartOptions(link.Email)
	state := workflows.ShareLinkState{Email: link.Email}

	ctx, cancel := context.WithTimeout(c.Request.Context(), updateTimeout)
	defer cancel()
	op := s.Temporal.NewWithStartWorkflowOperation(opts, workflows.ShareLinkSync, state)
	h, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.ShareLinkUpdate,
			Args:         []any{link},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	var ack workflows.ShareLinkAck
	if err == nil {
		err = h.Get(ctx, &ack)
	}
	if err == nil {
		status := http.StatusOK
		if ack.Status == workflows.LinkAccepted {
			status = http.StatusAccepted
		}
		setOutcome(c, ack.Status) // the workflow's statuses are the metric's outcomes
		c.JSON(status, gin.H{"status": ack.Status, "workflow_id": opts.ID, "run_id": h.RunID()})
		return
	}
	if isInvalidArgument(err) {
		s.answerStart(c, opts.ID, nil, err)
		return
	}
	s.Log.Warn("update-with-start got no answer; recording the link by signal", zap.String("workflow_id", opts.ID), zap.Error(err))
	ctx2, cancel2 := context.WithTimeout(context.Background(), startTimeout)
	defer cancel2()
	run, err := s.Temporal.SignalWithStartWorkflow(ctx2, opts.ID, workflows.ShareLinkSignal, link, opts, workflows.ShareLinkSync, state)
	s.answerStart(c, opts.ID, run, err)
}

// updateTimeout bounds the exact answer; a busy or absent worker falls back to the durable signal.
const updateTimeout = 5 * time.Second

// parseShareLink validates the body and builds the link. Property values must be strings (HubSpot's
// property values are); numbers and booleans are taken as their JSON text.
func parseShareLink(body []byte, now time.Time) (workflows.ShareLink, *fieldError) {
	var top map[string]json.RawMessage
	if err := decodeStrict(body, &top); err != nil {
		return workflows.ShareLink{}, bad("body", "must be a JSON object: %v", err)
	}
	if err := invalidUTF8(body, top, "properties"); err != nil {
		return workflows.ShareLink{}, err
	}
	fields, prefix := top, ""
	if raw, ok := top["properties"]; ok {
		fields, prefix = nil, "properties."
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			return workflows.ShareLink{}, bad("properties", "must be a JSON object")
		}
	}
	props := map[string]string{}
	for k, raw := range fields {
		if prefix == "" && slices.Contains(envelopeKeys, k) {
			continue
		}
		if strings.TrimSpace(k) == "" || idText(k, k) != nil {
			field := "body" // such a key cannot name itself, so name the object that holds it
			if prefix != "" {
				field = "properties"
			}
			return workflows.ShareLink{}, bad(field, "has a property name %q that is empty or contains control characters", k)
		}
		v, ok := scalarText(raw)
		if !ok {
			return workflows.ShareLink{}, bad(prefix+k, "must be a string, number or boolean")
		}
		if v == "" {
			continue // an empty value would clear the property in HubSpot; Extole sends one for unset fields
		}
		if len(v) > maxPropertyLen {
			return workflows.ShareLink{}, bad(prefix+k, "is longer than %d bytes", maxPropertyLen)
		}
		props[k] = v
	}

	email := strings.TrimSpace(props["email"])
	delete(props, "email")
	if err := idText(prefix+"email", email); err != nil {
		return workflows.ShareLink{}, err
	}
	switch {
	case email == "":
		return workflows.ShareLink{}, bad(prefix+"email", "is required")
	case !contact.ValidEmail(email):
		return workflows.ShareLink{}, bad(prefix+"email", "%q is not a well-formed email address", email)
	}
	shareLink, err := contact.NormalizeShareLink(props[contact.PropShareLink])
	if err != nil {
		return workflows.ShareLink{}, bad(prefix+contact.PropShareLink, "%v", err)
	}
	props[contact.PropShareLink] = shareLink
	if code, ok := props[contact.PropShareCode]; ok && !contact.ValidShareCode(code) {
		return workflows.ShareLink{}, bad(prefix+contact.PropShareCode, "must be 4–50 letters, digits, '-' or '_' (Extole's rule), got %q", code)
	}

	// Extole's event_id is not time-ordered (random-looking or second-resolution ids), so only an event
	// time orders links; a future one is taken as the arrival, else it would supersede every later link.
	at := now
	for _, k := range []string{"timestamp", "event_time"} {
		if t, ok := eventTime(top[k]); ok {
			if t.Before(now) {
				at = t
			}
			break
		}
	}
	return workflows.ShareLink{Email: email, Properties: props, At: at, Key: linkKey(email, props)}, nil
}

// eventTime reads the Extole event's time, the ordering key between links: RFC 3339, or epoch seconds or
// milliseconds (Extole's bodies are templated per client). Anything else is ignored and the arrival
// time orders the link: a link is never refused over an ordering hint.
func eventTime(raw json.RawMessage) (time.Time, bool) {
	v, ok := scalarText(raw)
	if !ok || v == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		if n > 1e12 { // milliseconds
			return time.UnixMilli(n).UTC(), true
		}
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}

// linkKey identifies a delivery's content for de-duplication: the same link with the same properties is
// the same key, whenever it arrives.
func linkKey(email string, props map[string]string) string {
	h := sha256.New()
	h.Write([]byte(contact.NormalizeEmail(email)))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(props[k]))
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

func scalarText(raw json.RawMessage) (string, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return "", true
	}
	switch t[0] {
	case '"':
		var s string
		return s, json.Unmarshal(t, &s) == nil
	case '{', '[':
		return "", false
	default:
		return string(t), true // number or boolean literal
	}
}
