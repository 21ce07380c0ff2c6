package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/metrics/metricstest"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// appTemporal records the starts and signals of the app-webhook endpoint; errs fails calls by workflow ID.
type appTemporal struct {
	client.Client
	mu    sync.Mutex
	calls []string // "<method> <workflow id> [<signal>]"
	args  map[string]any
	errs  map[string]error
}

func (f *appTemporal) record(call, id string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.errs[id]; err != nil {
		return err
	}
	f.calls = append(f.calls, call)
	if f.args == nil {
		f.args = map[string]any{}
	}
	f.args[call] = arg
	return nil
}

func (f *appTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	return fakeRun{id: opts.ID}, f.record("start "+opts.ID, opts.ID, args[0])
}

func (f *appTemporal) SignalWithStartWorkflow(_ context.Context, id, signal string, arg any, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	return fakeRun{id: id}, f.record("signal-with-start "+id+" "+signal, id, []any{arg, args[0]})
}

func (f *appTemporal) SignalWorkflow(_ context.Context, id, _, signal string, arg any) error {
	return f.record("signal "+id+" "+signal, id, arg)
}

const appSecret = "app-client-secret"

var appNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func appRouter(f *appTemporal, secret string) http.Handler {
	return NewRouter(Deps{Temporal: f, Log: zap.NewNop(),
		HubSpot: HubSpotAuth{ClientSecret: secret, Now: func() time.Time { return appNow }},
		App:     AppFlow{Hold: time.Hour, ContactWait: time.Minute}})
}

// postApp sends body to the app endpoint signed v3 at ts and v1, as HubSpot does; sign edits headers.
func postApp(h http.Handler, body string, sign func(r *http.Request)) (*httptest.ResponseRecorder, map[string]any) {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/hubspot/app", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	ts := strconv.FormatInt(appNow.UnixMilli(), 10)
	r.Header.Set("X-HubSpot-Request-Timestamp", ts)
	r.Header.Set("X-HubSpot-Signature-v3", signV3(appSecret, http.MethodPost, "http://example.com/webhooks/hubspot/app", body, ts))
	r.Header.Set("X-HubSpot-Signature", sha256Hex(appSecret+body))
	r.Header.Set("X-HubSpot-Signature-Version", "v1")
	if sign != nil {
		sign(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w, out
}

func dealStage(deal, stage string, at int64) string {
	return fmt.Sprintf(`{"eventId":1,"subscriptionId":2,"portalId":62515,"appId":54321,"occurredAt":%d,"subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":%s,"propertyName":"dealstage","propertyValue":%q,"changeSource":"CRM_UI"}`, at, deal, stage)
}

func TestAppWebhookAuthentication(t *testing.T) {
	body := "[" + dealStage("7", "closedwon", 1) + "]"
	tests := []struct {
		name   string
		secret string
		sign   func(r *http.Request)
		want   int
	}{
		{"v3 and v1, as HubSpot sends", appSecret, nil, http.StatusOK},
		{"v1 alone", appSecret, func(r *http.Request) { r.Header.Del("X-HubSpot-Signature-v3") }, http.StatusOK},
		{"v3 alone", appSecret, func(r *http.Request) { r.Header.Del("X-HubSpot-Signature") }, http.StatusOK},
		{"stale timestamp", appSecret, func(r *http.Request) {
			ts := strconv.FormatInt(appNow.Add(-6*time.Minute).UnixMilli(), 10)
			r.Header.Set("X-HubSpot-Request-Timestamp", ts)
			r.Header.Set("X-HubSpot-Signature-v3", signV3(appSecret, http.MethodPost, "http://example.com/webhooks/hubspot/app", body, ts))
		}, http.StatusUnauthorized},
		{"v3 with another secret", appSecret, func(r *http.Request) {
			r.Header.Set("X-HubSpot-Signature-v3", signV3("other", http.MethodPost, "http://example.com/webhooks/hubspot/app", body, r.Header.Get("X-HubSpot-Request-Timestamp")))
		}, http.StatusUnauthorized},
		{"v1 with another secret", appSecret, func(r *http.Request) {
			r.Header.Del("X-HubSpot-Signature-v3")
			r.Header.Set("X-HubSpot-Signature", sha256Hex("other"+body))
		}, http.StatusUnauthorized},
		{"unsigned", appSecret, func(r *http.Request) {
			r.Header.Del("X-HubSpot-Signature-v3")
			r.Header.Del("X-HubSpot-Signature")
		}, http.StatusUnauthorized},
		{"client secret not configured: HubSpot retries later", "", nil, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &appTemporal{}
			w, _ := postApp(appRouter(f, tt.secret), body, tt.sign)
			assert.Equal(t, tt.want, w.Code, w.Body.String())
			if tt.want != http.StatusOK {
				assert.Empty(t, f.calls, "nothing started")
			}
		})
	}
}

func TestAppWebhookRoutesEachEvent(t *testing.T) {
	advocateID := workflows.EventWorkflowID("signed_up", workflows.AdvocateConversionID("123", "alex01"))
	tests := []struct {
		name      string
		event     string
		wantCall  string // "" = acknowledged without work
		wantCount string // bridge_app_webhook_events_ignored_total's reason counted
	}{
		{"won stage → the deal's workflow", dealStage("7", "closedwon", 1), "signal-with-start hubspot-deal/7 dealstage", ""},
		{"a large object id", dealStage("267448862446", "closedwon", 1), "signal-with-start hubspot-deal/267448862446 dealstage", ""},
		{"contact associated → the waiting deal", `{"subscriptionType":"deal.associationChange","objectId":7,"associationType":"DEAL_TO_CONTACT","fromObjectId":7,"toObjectId":123,"associationRemoved":false,"occurredAt":2}`,
			"signal hubspot-deal/7 association", ""},
		{"the contact side of the same change", `{"subscriptionType":"deal.associationChange","objectId":123,"associationType":"CONTACT_TO_DEAL","fromObjectId":123,"toObjectId":7,"associationRemoved":false,"occurredAt":2}`,
			"signal hubspot-deal/7 association", ""},
		{"association removed", `{"subscriptionType":"deal.associationChange","objectId":7,"associationType":"DEAL_TO_CONTACT","fromObjectId":7,"toObjectId":123,"associationRemoved":true}`,
			"", "deal.associationChange.removed_or_malformed"},
		{"advocate code set", `{"subscriptionType":"contact.propertyChange","objectId":123,"propertyName":"advocate_code","propertyValue":"alex01","occurredAt":3}`,
			"start " + advocateID, ""},
		{"advocate code cleared", `{"subscriptionType":"contact.propertyChange","objectId":123,"propertyName":"advocate_code","propertyValue":"","occurredAt":3}`,
			"", "contact.propertyChange.advocate_code_cleared"},
		{"privacy deletion", `{"subscriptionType":"contact.privacyDeletion","objectId":123,"occurredAt":4}`, "start hubspot-privacy/123", ""},
		{"another deal property", `{"subscriptionType":"deal.propertyChange","objectId":7,"propertyName":"amount","propertyValue":"10"}`, "", "deal.propertyChange.amount"},
		{"unknown subscription type", `{"subscriptionType":"ticket.creation","objectId":9}`, "", "ticket.creation"},
		{"not an event", `"hello"`, "", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &appTemporal{}
			ignored := map[string]string{"reason": tt.wantCount}
			before := metricstest.Value(t, "bridge_app_webhook_events_ignored_total", ignored)
			w, out := postApp(appRouter(f, appSecret), "["+tt.event+"]", nil)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			if tt.wantCall == "" {
				assert.Empty(t, f.calls)
				assert.EqualValues(t, 1, out["ignored"])
				assert.Equal(t, before+1, metricstest.Value(t, "bridge_app_webhook_events_ignored_total", ignored))
				return
			}
			assert.Equal(t, []string{tt.wantCall}, f.calls)
			assert.EqualValues(t, 1, out["accepted"])
		})
	}

	// The deal's workflow gets the change and the configured settings.
	f := &appTemporal{}
	postApp(appRouter(f, appSecret), "["+dealStage("7", "closedwon", 1700000000000)+"]", nil)
	args := f.args["signal-with-start hubspot-deal/7 dealstage"].([]any)
	assert.Equal(t, workflows.DealStageChange{Stage: "closedwon", OccurredAt: 1700000000000}, args[0])
	assert.Equal(t, workflows.DealInput{DealID: "7", Hold: time.Hour, ContactWait: time.Minute}, args[1])
	postApp(appRouter(f, appSecret), `[{"subscriptionType":"contact.privacyDeletion","objectId":123}]`, nil)
	assert.Equal(t, workflows.PrivacyInput{ContactID: "123"}, f.args["start hubspot-privacy/123"], "the contact id only")
}

func TestAppWebhookBatchAnswers(t *testing.T) {
	batch := func(n int) string {
		evs := make([]string, n)
		for i := range evs {
			evs[i] = dealStage(strconv.Itoa(1000+i), "closedwon", 1)
		}
		return "[" + strings.Join(evs, ",") + "]"
	}
	privacy := `[{"subscriptionType":"contact.privacyDeletion","objectId":123},` + dealStage("7", "closedwon", 1) + `]`
	assoc := `[{"subscriptionType":"deal.associationChange","associationType":"DEAL_TO_CONTACT","fromObjectId":7,"toObjectId":123}]`
	tests := []struct {
		name       string
		body       string
		errs       map[string]error
		wantStatus int
		wantOut    map[string]any
	}{
		{"100 events held", batch(100), nil, http.StatusOK, map[string]any{"accepted": 100.0, "duplicate": 0.0, "ignored": 0.0}},
		{"empty batch", "[]", nil, http.StatusOK, map[string]any{"accepted": 0.0}},
		{"a redelivered privacy deletion is a duplicate", privacy,
			map[string]error{"hubspot-privacy/123": serviceerror.NewWorkflowExecutionAlreadyStarted("dup", "", "r")},
			http.StatusOK, map[string]any{"accepted": 1.0, "duplicate": 1.0}},
		{"an association with no deal waiting", assoc, map[string]error{"hubspot-deal/7": serviceerror.NewNotFound("gone")},
			http.StatusOK, map[string]any{"ignored": 1.0}},
		{"one event not held fails the batch", privacy, map[string]error{"hubspot-deal/7": serviceerror.NewUnavailable("down")},
			http.StatusServiceUnavailable, nil},
		{"the server refusing a start is the operator's problem", privacy, map[string]error{"hubspot-privacy/123": serviceerror.NewInvalidArgument("no SA")},
			http.StatusInternalServerError, nil},
		{"more than HubSpot sends", batch(101), nil, http.StatusBadRequest, nil},
		{"not an array", `{"subscriptionType":"contact.privacyDeletion"}`, nil, http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &appTemporal{errs: tt.errs}
			w, out := postApp(appRouter(f, appSecret), tt.body, nil)
			require.Equal(t, tt.wantStatus, w.Code, w.Body.String())
			for k, v := range tt.wantOut {
				assert.Equal(t, v, out[k], k)
			}
			if tt.wantStatus == http.StatusServiceUnavailable {
				assert.Equal(t, retryAfterSeconds, w.Header().Get("Retry-After"))
			}
		})
	}
}

// Whatever HubSpot (or anyone with the secret) sends, parsing never panics, holds at most 100 events, and
// only decimal record ids reach a workflow ID.
func FuzzParseAppEvents(f *testing.F) {
	for _, s := range []string{
		"[" + dealStage("7", "closedwon", 1) + "]",
		`[{"subscriptionType":"deal.associationChange","associationType":"DEAL_TO_CONTACT","fromObjectId":"7","toObjectId":1e3}]`,
		`[{"subscriptionType":"contact.privacyDeletion","objectId":-1},{"objectId":"12a"},null,1,"x"]`,
		`[{"objectId":18446744073709551616}]`, `[]`, `{}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		events, ferr := parseAppEvents(body)
		if ferr != nil {
			return
		}
		if len(events) > maxAppEvents {
			t.Fatalf("accepted %d events", len(events))
		}
		for _, ev := range events {
			for _, n := range []json.Number{ev.ObjectID, ev.FromObjectID, ev.ToObjectID} {
				if id, ok := recordID(n); ok && strings.Trim(id, "0123456789") != "" {
					t.Fatalf("record id %q is not decimal", id)
				}
			}
		}
	})
}
