package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/workflows"
	"go.uber.org/zap"
)

// maxConversionIDLen is Extole's documented limit on partner_conversion_id, its de-duplication key, in
// characters (runes), not bytes.
const maxConversionIDLen = 38

// maxEventNameLen bounds event_name, in characters; it becomes part of the workflow ID.
const maxEventNameLen = 100

// hubspotEvent accepts exactly the body a HubSpot workflow's "Send a webhook" action sends to Extole's
// /v5/events, so a user only changes the URL.
func (s *server) hubspotEvent(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	if err := s.HubSpot.verify(c.Request, body); err != nil {
		fail(c, http.StatusUnauthorized, "", err.Error())
		return
	}
	if !isJSON(c.Request) {
		fail(c, http.StatusUnsupportedMediaType, "", "Content-Type must be application/json")
		return
	}
	in, ferr := parseEvent(body)
	if ferr != nil {
		fail(c, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}
	in.ReceivedAt = time.Now().UTC()
	if _, ok := in.Data["extole_app_type"]; !ok {
		in.Data["extole_app_type"] = json.RawMessage(`"hubspot"`)
	}

	opts := workflows.EventStartOptions(in)
	ctx, cancel := context.WithTimeout(c.Request.Context(), startTimeout)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.EventWorkflow(in.EventName), in)
	if err == nil {
		s.Log.Info("event accepted", zap.String("workflow_id", opts.ID), zap.String("partner_conversion_id", in.PartnerConversionID()), zap.String("event_name", in.EventName))
	}
	s.answerStart(c, opts.ID, run, err)
}

func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// fieldError is a validation failure that names the offending field.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func bad(field, format string, args ...any) *fieldError {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...)}
}

// parseEvent validates a body against Extole's rules, so that what we accept Extole will accept too and a
// bad event is refused now, while the sender can still see why, instead of failing in a workflow later.
func parseEvent(body []byte) (workflows.EventInput, *fieldError) {
	var top map[string]json.RawMessage
	if err := decodeStrict(body, &top); err != nil {
		return workflows.EventInput{}, bad("body", "must be a JSON object: %v", err)
	}
	if err := invalidUTF8(body, top, "data"); err != nil {
		return workflows.EventInput{}, err
	}
	var in workflows.EventInput
	if err := stringField(top, "event_name", &in.EventName); err != nil {
		return in, err
	}
	switch {
	case strings.TrimSpace(in.EventName) == "":
		return in, bad("event_name", "is required")
	case utf8.RuneCountInString(in.EventName) > maxEventNameLen:
		return in, bad("event_name", "must be at most %d characters", maxEventNameLen)
	case strings.Contains(in.EventName, "/"):
		return in, bad("event_name", "must not contain '/'")
	}
	if err := idText("event_name", in.EventName); err != nil {
		return in, err
	}
	if err := stringField(top, "event_time", &in.EventTime); err != nil {
		return in, err
	}
	raw, ok := top["data"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return in, bad("data", "is required")
	}
	if err := json.Unmarshal(raw, &in.Data); err != nil || in.Data == nil {
		return in, bad("data", "must be a JSON object")
	}

	var pcid string
	if v, ok := in.Data["partner_conversion_id"]; ok && !isStringOrNumber(v) {
		return in, bad("data.partner_conversion_id", "must be a string or a number")
	}
	pcid = in.PartnerConversionID()
	switch {
	case strings.TrimSpace(pcid) == "":
		return in, bad("data.partner_conversion_id", "is required (it is Extole's de-duplication key)")
	case utf8.RuneCountInString(pcid) > maxConversionIDLen:
		return in, bad("data.partner_conversion_id", "must be at most %d characters (Extole's limit), got %d", maxConversionIDLen, utf8.RuneCountInString(pcid))
	}
	if err := idText("data.partner_conversion_id", pcid); err != nil {
		return in, err
	}

	var email, userID string
	if err := stringField(in.Data, "email", &email); err != nil {
		return in, withPrefix(err)
	}
	if v, ok := in.Data["partner_user_id"]; ok && !isStringOrNumber(v) {
		return in, bad("data.partner_user_id", "must be a string or a number")
	}
	userID = strings.TrimSpace(in.PartnerUserID())
	switch {
	case strings.TrimSpace(email) != "":
		if err := idText("data.email", strings.TrimSpace(email)); err != nil { // the ID hashes the trimmed address
			return in, err
		}
		if !contact.ValidEmail(email) {
			return in, bad("data.email", "%q is not a well-formed email address", email)
		}
	case userID == "":
		return in, bad("data.email", "is required unless data.partner_user_id is given")
	}
	return in, nil
}

// idText refuses what must not reach a workflow ID or search attribute: control characters (PostgreSQL
// cannot store NUL, so the start would fail with a 5xx the sender retries for days) and U+FFFD, which is
// what a lone surrogate escape decodes to, so that "\ud800" and "\udc00" would become the same ID.
func idText(field, v string) *fieldError {
	if i := strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }); i >= 0 {
		return bad(field, "must not contain control characters or invalid characters (byte %d)", i)
	}
	return nil
}

// invalidUTF8 refuses a body that is not valid UTF-8, naming the member that holds the bad bytes (one
// level into the nested object) or else "body". encoding/json would turn every invalid byte into U+FFFD,
// so "pc\xff" and "pc\xfe" would become the same conversion and the second a false duplicate.
// json.RawMessage keeps the bytes as sent, which is what lets us find the member.
func invalidUTF8(body []byte, top map[string]json.RawMessage, nested string) *fieldError {
	if utf8.Valid(body) {
		return nil
	}
	field := "body" // the bad bytes are in a key, or a key is ""
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k == "" || utf8.Valid(top[k]) {
			continue
		}
		field = k
		var inner map[string]json.RawMessage
		if k == nested && json.Unmarshal(top[k], &inner) == nil {
			for _, ik := range slices.Sorted(maps.Keys(inner)) {
				if ik != "" && !utf8.Valid(inner[ik]) {
					field = k + "." + ik
					break
				}
			}
		}
		break
	}
	return bad(field, "is not valid UTF-8")
}

func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON object")
	}
	return nil
}

// stringField reads an optional string member; a present non-string value is an error.
func stringField(m map[string]json.RawMessage, key string, dst *string) *fieldError {
	raw, ok := m[key]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return bad(key, "must be a string")
	}
	return nil
}

func withPrefix(e *fieldError) *fieldError { return &fieldError{field: "data." + e.field, msg: e.msg} }

func isStringOrNumber(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return false
	}
	if t[0] == '"' {
		return true
	}
	var n json.Number
	return json.Unmarshal(t, &n) == nil
}
