package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// fakeTemporal records workflow starts. It is the only stand-in in these handler tests; the integration
// tests in internal/e2e run the same handlers against a real Temporal server.
type fakeTemporal struct {
	client.Client // nil: any other method panics, which would reveal an unexpected call
	mu            sync.Mutex
	starts        []start
	err           error
}

type start struct {
	opts client.StartWorkflowOptions
	in   workflows.EventInput
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.starts = append(f.starts, start{opts: opts, in: args[0].(workflows.EventInput)})
	return fakeRun{id: opts.ID}, nil
}

type fakeRun struct {
	client.WorkflowRun
	id string
}

func (r fakeRun) GetID() string    { return r.id }
func (r fakeRun) GetRunID() string { return "run-1" }

const validBody = `{"event_name":"signed_up","data":{"email":"jane@example.com","advocate_code":"alex01","partner_conversion_id":"pc-1"}}`

func do(t *testing.T, h http.Handler, body string, mutate func(*http.Request)) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/hubspot/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if mutate != nil {
		mutate(req)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec, out
}

func TestEventValidation(t *testing.T) {
	long := strings.Repeat("x", 39)
	tests := []struct {
		name       string
		body       string
		header     map[string]string
		wantStatus int
		wantField  string
	}{
		{"valid signed_up", validBody, nil, 202, ""},
		{"partner_user_id instead of email", `{"event_name":"lead","data":{"partner_user_id":"u1","partner_conversion_id":"pc-2"}}`, nil, 202, ""},
		{"numeric conversion id", `{"event_name":"lead","data":{"email":"a@b.co","partner_conversion_id":12345}}`, nil, 202, ""},
		{"38-char conversion id", `{"event_name":"x","data":{"email":"a@b.co","partner_conversion_id":"` + long[:38] + `"}}`, nil, 202, ""},
		{"json content type with charset", validBody, map[string]string{"Content-Type": "application/json; charset=utf-8"}, 202, ""},
		{"not json", `event_name=signed_up`, nil, 400, "body"},
		{"json array", `[1,2]`, nil, 400, "body"},
		{"trailing data", validBody + `{}`, nil, 400, "body"},
		{"missing event_name", `{"data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"empty event_name", `{"event_name":" ","data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"event_name not a string", `{"event_name":5,"data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"event_name with slash", `{"event_name":"a/b","data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_name"},
		{"event_time not a string", `{"event_name":"a","event_time":1,"data":{"email":"a@b.co","partner_conversion_id":"p"}}`, nil, 400, "event_time"},
		{"missing data", `{"event_name":"a"}`, nil, 400, "data"},
		{"data not an object", `{"event_name":"a","data":"x"}`, nil, 400, "data"},
		{"missing conversion id", `{"event_name":"a","data":{"email":"a@b.co"}}`, nil, 400, "data.partner_conversion_id"},
		{"empty conversion id", `{"event_name":"a","data":{"email":"a@b.co","partner_conversion_id":""}}`, nil, 400, "data.partner_conversion_id"},
		{"39-char conversion id", `{"event_name":"a","data":{"email":"a@b.co","partner_conversion_id":"` + long + `"}}`, nil, 400, "data.partner_conversion_id"},
		{"conversion id an object", `{"event_name":"a","data":{"email":"a@b.co","partner_conversion_id":{}}}`, nil, 400, "data.partner_conversion_id"},
		{"no identity", `{"event_name":"a","data":{"partner_conversion_id":"p"}}`, nil, 400, "data.email"},
		{"empty email, no user id", `{"event_name":"a","data":{"email":"","partner_conversion_id":"p"}}`, nil, 400, "data.email"},
		{"malformed email", `{"event_name":"a","data":{"email":"jane.example.com","partner_conversion_id":"p"}}`, nil, 400, "data.email"},
		{"email with display name", `{"event_name":"a","data":{"email":"Jane <jane@example.com>","partner_conversion_id":"p"}}`, nil, 400, "data.email"},
		{"email without dotted domain", `{"event_name":"a","data":{"email":"jane@localhost","partner_conversion_id":"p"}}`, nil, 400, "data.email"},
		{"email not a string", `{"event_name":"a","data":{"email":["a@b.co"],"partner_conversion_id":"p"}}`, nil, 400, "data.email"},
		{"text/plain", validBody, map[string]string{"Content-Type": "text/plain"}, 415, ""},
		{"no content type", validBody, map[string]string{"Content-Type": ""}, 415, ""},
		{"body over 1 MiB", `{"event_name":"a","data":{"x":"` + strings.Repeat("y", MaxBodyBytes) + `"}}`, nil, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTemporal{}
			h := NewRouter(Deps{Temporal: ft, Log: zap.NewNop(), HubSpot: HubSpotAuth{}})
			rec, out := do(t, h, tt.body, func(r *http.Request) {
				for k, v := range tt.header {
					r.Header.Set(k, v)
				}
			})
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			if tt.wantStatus >= 400 {
				assert.NotEmpty(t, out["error"], "4xx bodies say what is wrong")
				assert.Empty(t, ft.starts, "nothing is started for bad input")
			}
			if tt.wantField != "" {
				assert.Equal(t, tt.wantField, out["field"])
				assert.True(t, strings.HasPrefix(out["error"].(string), tt.wantField+": "), out["error"])
			}
		})
	}
}

func TestEventStartOptionsAndPassThrough(t *testing.T) {
	ft := &fakeTemporal{}
	h := NewRouter(Deps{Temporal: ft, Log: zap.NewNop()})
	body := `{"event_name":"converted","data":{"email":"Deal@Example.com","partner_conversion_id":"deal-9","product":"Pro","amount":"99.50","nested":{"a":[1,2]}}}`
	rec, out := do(t, h, body, nil)
	require.Equal(t, 202, rec.Code, rec.Body.String())
	assert.Equal(t, map[string]any{"status": "accepted", "workflow_id": "extole-event/converted/deal-9", "run_id": "run-1"}, out)
	require.Len(t, ft.starts, 1)
	st := ft.starts[0]
	assert.Equal(t, workflows.TaskQueue, st.opts.TaskQueue)
	assert.True(t, st.opts.WorkflowExecutionErrorWhenAlreadyStarted)
	assert.Equal(t, "converted → Extole for …@example.com (deal-9)", st.opts.StaticSummary)
	assert.Equal(t, `"99.50"`, string(st.in.Data["amount"]), "strings stay strings")
	assert.JSONEq(t, `{"a":[1,2]}`, string(st.in.Data["nested"]))
	assert.Equal(t, `"hubspot"`, string(st.in.Data["extole_app_type"]), "added when absent")
	hash, ok := st.opts.TypedSearchAttributes.GetKeyword(workflows.ContactEmailHash)
	require.True(t, ok)
	assert.Equal(t, contact.HashEmail("deal@example.com"), hash, "case-insensitive email hash")

	ft2 := &fakeTemporal{}
	h2 := NewRouter(Deps{Temporal: ft2, Log: zap.NewNop()})
	do(t, h2, `{"event_name":"x","data":{"email":"a@b.co","partner_conversion_id":"p","extole_app_type":"custom"}}`, nil)
	assert.Equal(t, `"custom"`, string(ft2.starts[0].in.Data["extole_app_type"]), "kept when present")
}

func TestStartOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantBody   map[string]any
		retryAfter string
	}{
		{"duplicate", &serviceerror.WorkflowExecutionAlreadyStarted{RunId: "r-0"}, 200,
			map[string]any{"status": "duplicate", "workflow_id": "extole-event/signed_up/pc-1", "run_id": "r-0"}, ""},
		{"temporal unreachable", serviceerror.NewUnavailable("connection refused"), 503, nil, "30"},
		{"deadline", context.DeadlineExceeded, 503, nil, "30"},
		{"start refused", serviceerror.NewInvalidArgument("no mapping for search attribute"), 500, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewRouter(Deps{Temporal: &fakeTemporal{err: tt.err}, Log: zap.NewNop()})
			rec, out := do(t, h, validBody, nil)
			assert.Equal(t, tt.wantStatus, rec.Code)
			if tt.wantBody != nil {
				assert.Equal(t, tt.wantBody, out)
			} else {
				assert.NotEmpty(t, out["error"])
			}
			assert.Equal(t, tt.retryAfter, rec.Header().Get("Retry-After"))
		})
	}
}

func signV3(secret, method, uri, body, ts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri + body + ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestHubSpotAuth(t *testing.T) {
	const secret = "client-secret"
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	old := strconv.FormatInt(now.Add(-6*time.Minute).UnixMilli(), 10)
	// httptest.NewRequest targets http://example.com
	const localURI = "http://example.com/webhooks/hubspot/events"
	const publicURI = "https://bridge.example.org/webhooks/hubspot/events"
	set := func(kv ...string) func(*http.Request) {
		return func(r *http.Request) {
			for i := 0; i < len(kv); i += 2 {
				r.Header.Set(kv[i], kv[i+1])
			}
		}
	}
	apiKey := HubSpotAuth{APIKey: "k-1", APIKeyName: "X-API-Key"}
	sig := HubSpotAuth{ClientSecret: secret, Now: func() time.Time { return now }}
	both := HubSpotAuth{APIKey: "k-1", APIKeyName: "X-API-Key", ClientSecret: secret, Now: func() time.Time { return now }}
	public := HubSpotAuth{ClientSecret: secret, PublicBaseURL: "https://bridge.example.org", Now: func() time.Time { return now }}

	tests := []struct {
		name   string
		auth   HubSpotAuth
		target string
		mutate func(*http.Request)
		want   int
	}{
		{"no auth configured (sandbox)", HubSpotAuth{}, "", nil, 202},
		{"api key in header", apiKey, "", set("X-API-Key", "k-1"), 202},
		{"api key in query", apiKey, "/webhooks/hubspot/events?X-API-Key=k-1", nil, 202},
		{"custom key name", HubSpotAuth{APIKey: "k-1", APIKeyName: "Authorization"}, "", set("Authorization", "k-1"), 202},
		{"api key missing", apiKey, "", nil, 401},
		{"api key wrong", apiKey, "", set("X-API-Key", "k-2"), 401},
		{"v3 valid", sig, "", set("X-HubSpot-Signature-v3", signV3(secret, "POST", localURI, validBody, ts), "X-HubSpot-Request-Timestamp", ts), 202},
		{"v3 with PUBLIC_BASE_URL", public, "", set("X-HubSpot-Signature-v3", signV3(secret, "POST", publicURI, validBody, ts), "X-HubSpot-Request-Timestamp", ts), 202},
		{"v3 signed for another host", public, "", set("X-HubSpot-Signature-v3", signV3(secret, "POST", localURI, validBody, ts), "X-HubSpot-Request-Timestamp", ts), 401},
		{"v3 older than 5 minutes", sig, "", set("X-HubSpot-Signature-v3", signV3(secret, "POST", localURI, validBody, old), "X-HubSpot-Request-Timestamp", old), 401},
		{"v3 wrong secret", sig, "", set("X-HubSpot-Signature-v3", signV3("other", "POST", localURI, validBody, ts), "X-HubSpot-Request-Timestamp", ts), 401},
		{"v3 without timestamp", sig, "", set("X-HubSpot-Signature-v3", signV3(secret, "POST", localURI, validBody, ts)), 401},
		{"v2 valid", sig, "", set("X-HubSpot-Signature", sha256Hex(secret+"POST"+localURI+validBody), "X-HubSpot-Signature-Version", "v2"), 202},
		{"v2 tampered", sig, "", set("X-HubSpot-Signature", sha256Hex(secret+"POST"+localURI+"{}"), "X-HubSpot-Signature-Version", "v2"), 401},
		{"v1 valid", sig, "", set("X-HubSpot-Signature", sha256Hex(secret+validBody), "X-HubSpot-Signature-Version", "v1"), 202},
		{"signature without version", sig, "", set("X-HubSpot-Signature", sha256Hex(secret+validBody)), 401},
		{"secret configured, unsigned", sig, "", nil, 401},
		{"both: key alone is enough", both, "", set("X-API-Key", "k-1"), 202},
		{"both: signature alone is enough", both, "", set("X-HubSpot-Signature-v3", signV3(secret, "POST", localURI, validBody, ts), "X-HubSpot-Request-Timestamp", ts), 202},
		{"both: bad signature is refused even with the key", both, "", set("X-API-Key", "k-1", "X-HubSpot-Signature-v3", "AAAA", "X-HubSpot-Request-Timestamp", ts), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTemporal{}
			h := NewRouter(Deps{Temporal: ft, Log: zap.NewNop(), HubSpot: tt.auth})
			target := tt.target
			if target == "" {
				target = "/webhooks/hubspot/events"
			}
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(validBody))
			req.Header.Set("Content-Type", "application/json")
			if tt.mutate != nil {
				tt.mutate(req)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, rec.Body.String())
			if tt.want == 401 {
				assert.Empty(t, ft.starts)
				assert.Contains(t, rec.Body.String(), `"error"`)
				assert.NotContains(t, rec.Body.String(), "k-1", "the secret is never echoed")
			}
		})
	}
}
