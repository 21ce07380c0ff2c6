package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// recordingTemporal records every Temporal call either webhook handler makes. The handlers hold no API
// client: a webhook reaches HubSpot or Extole only through a workflow, so zero calls here means no
// workflow started and no API called.
type recordingTemporal struct {
	client.Client // nil: a method not listed below panics, which gin turns into a 500 the table catches
	mu            sync.Mutex
	calls         []string
}

func (r *recordingTemporal) record(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, name)
}

func (r *recordingTemporal) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func (r *recordingTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	r.record("ExecuteWorkflow")
	return fakeRun{id: opts.ID}, nil
}

func (r *recordingTemporal) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	r.record("NewWithStartWorkflowOperation")
	return nil
}

// UpdateWithStartWorkflow gets no answer, so a valid share link goes on to the durable signal.
func (r *recordingTemporal) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	r.record("UpdateWithStartWorkflow")
	return nil, context.DeadlineExceeded
}

func (r *recordingTemporal) SignalWithStartWorkflow(_ context.Context, id, _ string, _ any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	r.record("SignalWithStartWorkflow")
	return fakeRun{id: id}, nil
}

// TestBadInputChangesNothing sends what a careless or hostile sender might to both endpoints, with
// authentication configured as in production. Every case gets its exact 4xx, a JSON error naming the
// field where there is one, and no Temporal call. The "valid" rows prove the default credentials pass,
// so each refusal comes from the one thing its row changes.
func TestBadInputChangesNothing(t *testing.T) {
	const (
		eventsPath = "/webhooks/hubspot/events"
		sharePath  = "/webhooks/extole/share-links"
		secret     = "client-secret"
		apiKey     = "k-1"
		bearer     = "tok-extole"
		signingKey = "sk-extole"
		localURI   = "http://example.com" + eventsPath // httptest.NewRequest's host
	)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	hubspotAuth := HubSpotAuth{APIKey: apiKey, APIKeyName: "X-API-Key", ClientSecret: secret, Now: func() time.Time { return now }}
	extoleAuth := ExtoleAuth{Token: bearer, SigningKey: signingKey}

	event := func(data string) string { return `{"event_name":"signed_up","data":` + data + `}` }
	pcData := func(pcid string) string {
		return event(`{"email":"jane@example.com","partner_conversion_id":` + pcid + `}`)
	}
	props := func(p string) string { return `{"properties":` + p + `}` }
	link := func(email string) string {
		return props(`{"email":` + email + `,"share_code":"jane12","share_link":"https://refer.example.com/jane12"}`)
	}
	big := `{"event_name":"a","data":{"x":"` + strings.Repeat("y", 2<<20) + `"}}`

	// header edits applied after the valid defaults; "" deletes a header. body is the request's body.
	type edit func(r *http.Request, body string)
	set := func(kv ...string) edit {
		return func(r *http.Request, _ string) {
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "" {
					r.Header.Del(kv[i])
				} else {
					r.Header.Set(kv[i], kv[i+1])
				}
			}
		}
	}
	v3 := func(key, ts, signedBody string) edit {
		return func(r *http.Request, body string) {
			if signedBody == "" {
				signedBody = body
			}
			r.Header.Del("X-API-Key") // the signature alone must carry the request
			r.Header.Set("X-HubSpot-Signature-v3", signV3(key, http.MethodPost, localURI, signedBody, ts))
			r.Header.Set("X-HubSpot-Request-Timestamp", ts)
		}
	}
	hexSig := func(version, payload string) edit {
		return func(r *http.Request, _ string) {
			r.Header.Del("X-API-Key")
			r.Header.Set("X-HubSpot-Signature", sha256Hex(payload))
			if version != "" {
				r.Header.Set("X-HubSpot-Signature-Version", version)
			}
		}
	}
	extoleSig := func(key, signedBody string) edit {
		return func(r *http.Request, _ string) { r.Header.Set("X-Extole-Signature", hexHMAC(key, signedBody)) }
	}

	tests := []struct {
		name   string
		path   string
		body   string
		edit   edit
		status int
		field  string // "" when the refusal is about the request, not a field
	}{
		// the defaults pass: each row below changes one thing
		{"events: valid", eventsPath, validBody, nil, 202, ""},
		{"events: valid v3 signature", eventsPath, validBody, v3(secret, ms(0), ""), 202, ""},
		{"share: valid", sharePath, shareBody, nil, 202, ""},
		{"events: partner_conversion_id of 20 é (40 bytes)", eventsPath, pcData(`"` + strings.Repeat("é", 20) + `"`), nil, 202, ""},
		{"events: partner_conversion_id of 38 characters", eventsPath, pcData(`"` + strings.Repeat("é", 37) + `1"`), nil, 202, ""},

		// HubSpot: the body as a whole
		{"events: malformed JSON", eventsPath, `{"event_name":`, nil, 400, "body"},
		{"events: JSON array", eventsPath, `[` + validBody + `]`, nil, 400, "body"},
		{"events: JSON string", eventsPath, `"signed_up"`, nil, 400, "body"},
		{"events: trailing data", eventsPath, validBody + `[]`, nil, 400, "body"},
		{"events: empty body", eventsPath, ``, nil, 400, "body"},
		{"events: form content type", eventsPath, validBody, set("Content-Type", "application/x-www-form-urlencoded"), 415, ""},
		{"events: no content type", eventsPath, validBody, set("Content-Type", ""), 415, ""},
		{"events: 2 MiB body", eventsPath, big, nil, 413, ""},
		{"events: invalid UTF-8 in a key", eventsPath, `{"event_name":"signed_up","k` + "\xff" + `":1,"data":{"email":"jane@example.com","partner_conversion_id":"p"}}`, nil, 400, "body"},
		{"events: invalid UTF-8 in a data key", eventsPath, event(`{"email":"jane@example.com","partner_conversion_id":"p","k` + "\xff" + `":"v"}`), nil, 400, "data"},

		// HubSpot: fields
		{"events: missing event_name", eventsPath, `{"data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"events: empty event_name", eventsPath, `{"event_name":"","data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"events: event_name a number", eventsPath, `{"event_name":7,"data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"events: event_name with newline", eventsPath, `{"event_name":"sign\ned_up","data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"events: event_name invalid UTF-8", eventsPath, `{"event_name":"signed` + "\xfe" + `","data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"events: event_name over 100 characters", eventsPath, `{"event_name":"` + strings.Repeat("é", 101) + `","data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"events: missing data", eventsPath, `{"event_name":"signed_up"}`, nil, 400, "data"},
		{"events: data null", eventsPath, event(`null`), nil, 400, "data"},
		{"events: data an array", eventsPath, event(`[{"partner_conversion_id":"p"}]`), nil, 400, "data"},
		{"events: missing partner_conversion_id", eventsPath, event(`{"email":"a@b.co"}`), nil, 400, "data.partner_conversion_id"},
		{"events: empty partner_conversion_id", eventsPath, pcData(`"  "`), nil, 400, "data.partner_conversion_id"},
		{"events: partner_conversion_id a boolean", eventsPath, pcData(`true`), nil, 400, "data.partner_conversion_id"},
		{"events: partner_conversion_id with control characters", eventsPath, pcData(`"ab\ncd\u0000"`), nil, 400, "data.partner_conversion_id"},
		{"events: partner_conversion_id with a tab", eventsPath, pcData(`"ab\tcd"`), nil, 400, "data.partner_conversion_id"},
		{"events: partner_conversion_id invalid UTF-8", eventsPath, pcData(`"pc` + "\xff" + `"`), nil, 400, "data.partner_conversion_id"},
		{"events: partner_conversion_id lone surrogate", eventsPath, pcData(`"pc\ud800"`), nil, 400, "data.partner_conversion_id"},
		{"events: partner_conversion_id 39 characters", eventsPath, pcData(`"` + strings.Repeat("é", 39) + `"`), nil, 400, "data.partner_conversion_id"},
		{"events: no email and no partner_user_id", eventsPath, event(`{"partner_conversion_id":"p"}`), nil, 400, "data.email"},
		{"events: email not a string", eventsPath, event(`{"email":{"a":"b"},"partner_conversion_id":"p"}`), nil, 400, "data.email"},
		{"events: malformed email", eventsPath, event(`{"email":"jane@","partner_conversion_id":"p"}`), nil, 400, "data.email"},
		{"events: email with control character", eventsPath, event(`{"email":"ja\u0007ne@example.com","partner_conversion_id":"p"}`), nil, 400, "data.email"},
		{"events: email invalid UTF-8", eventsPath, event(`{"email":"j` + "\xc3" + `@example.com","partner_conversion_id":"p"}`), nil, 400, "data.email"},
		{"events: invalid UTF-8 in a forwarded field", eventsPath, event(`{"email":"a@b.co","partner_conversion_id":"p","first_name":"Ren` + "\xe9" + `e"}`), nil, 400, "data.first_name"},

		// HubSpot: authentication
		{"events: no credentials", eventsPath, validBody, set("X-API-Key", ""), 401, ""},
		{"events: wrong API key", eventsPath, validBody, set("X-API-Key", "k-2"), 401, ""},
		{"events: v3 wrong secret", eventsPath, validBody, v3("other-secret", ms(0), ""), 401, ""},
		{"events: v3 over another body", eventsPath, validBody, v3(secret, ms(0), strings.Replace(validBody, "pc-1", "pc-2", 1)), 401, ""},
		{"events: v3 stale (6 minutes old)", eventsPath, validBody, v3(secret, ms(-6*time.Minute), ""), 401, ""},
		{"events: v3 from the future (6 minutes ahead)", eventsPath, validBody, v3(secret, ms(6*time.Minute), ""), 401, ""},
		{"events: v3 without timestamp", eventsPath, validBody, func(r *http.Request, body string) {
			v3(secret, ms(0), "")(r, body)
			r.Header.Del("X-HubSpot-Request-Timestamp")
		}, 401, ""},
		{"events: v3 not base64", eventsPath, validBody, set("X-API-Key", "", "X-HubSpot-Signature-v3", "%%%", "X-HubSpot-Request-Timestamp", ms(0)), 401, ""},
		{"events: v3 bad even with the API key", eventsPath, validBody, set("X-HubSpot-Signature-v3", "AAAA", "X-HubSpot-Request-Timestamp", ms(0)), 401, ""},
		{"events: v2 wrong secret", eventsPath, validBody, hexSig("v2", "other"+"POST"+localURI+validBody), 401, ""},
		{"events: v2 over another URI", eventsPath, validBody, hexSig("v2", secret+"POST"+"https://elsewhere.example.com"+eventsPath+validBody), 401, ""},
		{"events: v1 wrong secret", eventsPath, validBody, hexSig("v1", "other"+validBody), 401, ""},
		{"events: v1 over another body", eventsPath, validBody, hexSig("v1", secret+"{}"), 401, ""},
		{"events: signature without version", eventsPath, validBody, hexSig("", secret+validBody), 401, ""},
		{"events: unknown signature version", eventsPath, validBody, hexSig("v9", secret+validBody), 401, ""},

		// Extole: the body as a whole
		{"share: malformed JSON", sharePath, `{"properties":{`, nil, 400, "body"},
		{"share: JSON array", sharePath, `[` + shareBody + `]`, nil, 400, "body"},
		{"share: empty body", sharePath, ``, nil, 400, "body"},
		{"share: text/plain", sharePath, shareBody, set("Content-Type", "text/plain"), 415, ""},
		{"share: 2 MiB body", sharePath, big, nil, 413, ""},
		{"share: properties not an object", sharePath, props(`["email"]`), nil, 400, "properties"},

		// Extole: fields
		{"share: missing email", sharePath, props(`{"share_link":"https://refer.example.com/jane12"}`), nil, 400, "properties.email"},
		{"share: empty email", sharePath, link(`""`), nil, 400, "properties.email"},
		{"share: email an object", sharePath, link(`{"a":1}`), nil, 400, "properties.email"},
		{"share: malformed email", sharePath, link(`"jane.example.com"`), nil, 400, "properties.email"},
		{"share: email with NUL", sharePath, link(`"jane\u0000@example.com"`), nil, 400, "properties.email"},
		{"share: email invalid UTF-8", sharePath, link(`"jane` + "\xff" + `@example.com"`), nil, 400, "properties.email"},
		{"share: flat email invalid UTF-8", sharePath, `{"email":"jane` + "\xfe" + `@example.com","share_link":"refer.example.com/x"}`, nil, 400, "email"},
		{"share: missing share_link", sharePath, props(`{"email":"jane@example.com","share_code":"jane12"}`), nil, 400, "properties.share_link"},
		{"share: share_link not a URL", sharePath, props(`{"email":"jane@example.com","share_link":"refer me"}`), nil, 400, "properties.share_link"},
		{"share: share_link with NUL", sharePath, props(`{"email":"jane@example.com","share_link":"https://refer.example.com/a\u0000b"}`), nil, 400, "properties.share_link"},
		{"share: share_code too short", sharePath, props(`{"email":"jane@example.com","share_code":"ab","share_link":"refer.example.com/x"}`), nil, 400, "properties.share_code"},
		{"share: share_code with control character", sharePath, props(`{"email":"jane@example.com","share_code":"jane\n12","share_link":"refer.example.com/x"}`), nil, 400, "properties.share_code"},
		{"share: empty property name", sharePath, props(`{"email":"jane@example.com","share_link":"refer.example.com/x","":"v"}`), nil, 400, "properties"},
		{"share: control character in a property name", sharePath, `{"email":"jane@example.com","share_link":"refer.example.com/x","a\u0000b":"v"}`, nil, 400, "body"},
		{"share: invalid UTF-8 in another property", sharePath, props(`{"email":"jane@example.com","share_link":"refer.example.com/x","company":"Caf` + "\xe9" + `"}`), nil, 400, "properties.company"},

		// Extole: authentication
		{"share: no bearer", sharePath, shareBody, set("Authorization", ""), 401, ""},
		{"share: wrong bearer", sharePath, shareBody, set("Authorization", "Bearer nope"), 401, ""},
		{"share: Basic instead of Bearer", sharePath, shareBody, set("Authorization", "Basic "+bearer), 401, ""},
		{"share: HMAC missing", sharePath, shareBody, set("X-Extole-Signature", ""), 401, ""},
		{"share: HMAC with another key", sharePath, shareBody, extoleSig("other-key", shareBody), 401, ""},
		{"share: HMAC over another body", sharePath, shareBody, extoleSig(signingKey, strings.Replace(shareBody, "jane12", "mall12", 2)), 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &recordingTemporal{}
			h := NewRouter(Deps{Temporal: rt, Log: zap.NewNop(), HubSpot: hubspotAuth, Extole: extoleAuth})
			req := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-API-Key", apiKey)
			req.Header.Set("Authorization", "Bearer "+bearer)
			req.Header.Set("X-Extole-Signature", hexHMAC(signingKey, tt.body))
			if tt.edit != nil {
				tt.edit(req, tt.body)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status < 400 {
				assert.NotEmpty(t, rt.recorded(), "a valid request reaches Temporal")
				return
			}
			assert.Empty(t, rt.recorded(), "bad input starts no workflow")
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			var out map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
			msg, _ := out["error"].(string)
			assert.NotEmpty(t, msg, "the error says what is wrong")
			if tt.field != "" {
				assert.Equal(t, tt.field, out["field"])
				assert.True(t, strings.HasPrefix(msg, tt.field+": "), msg)
			} else {
				assert.NotContains(t, out, "field")
			}
			for _, s := range []string{secret, apiKey, bearer, signingKey} {
				assert.NotContains(t, rec.Body.String(), s, "a credential is never echoed")
			}
		})
	}
}
