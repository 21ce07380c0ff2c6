package sandbox

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultsForceCount(t *testing.T) {
	e, base := newExtoleServer(t, ExtoleOptions{})
	e.SetFaults(Faults{ForceStatus: 503, ForceCount: 2, RetryAfter: "7"})
	for i := 0; i < 2; i++ {
		r := ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`)
		m := requireExtoleError(t, r, 503, "service_unavailable")
		assert.EqualValues(t, 503, m["http_status_code"])
		assert.Equal(t, "7", r.Header.Get("Retry-After"))
	}
	r := ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`)
	require.Equal(t, 200, r.Status)
	assert.Empty(t, r.Header.Get("Retry-After"))
	assert.Len(t, e.Events(), 1, "injected requests are not applied")

	recs := e.Requests()
	require.Len(t, recs, 3)
	assert.True(t, recs[0].Injected)
	assert.Equal(t, "service_unavailable", recs[0].Code)
	assert.False(t, recs[2].Injected)
}

func TestFaultsForceUntilChanged(t *testing.T) {
	h, base := newHubSpotServer(t, HubSpotOptions{})
	h.SetFaults(Faults{ForceStatus: 500})
	for i := 0; i < 5; i++ {
		r := hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co"}}`)
		require.Equal(t, 500, r.Status)
		assert.Equal(t, "INTERNAL_ERROR", r.JSON(t)["category"])
	}
	assert.Empty(t, h.Contacts(), "injected requests are not applied")
	h.SetFaults(Faults{})
	assert.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co"}}`).Status)
	st := h.Stats()
	assert.Equal(t, 6, st.Requests)
	assert.Equal(t, 5, st.Injected)
	assert.Equal(t, 1, st.Writes)
}

func TestFaultsErrorRate(t *testing.T) {
	run := func() []int {
		h, base := newHubSpotServer(t, HubSpotOptions{RatePer10s: -1})
		h.SetFaults(Faults{ErrorRate: 0.3, ErrorStatus: 502})
		var statuses []int
		for i := 0; i < 200; i++ {
			statuses = append(statuses, hs(t, base, http.MethodGet, contactsBase, nil).Status)
		}
		return statuses
	}
	a := run()
	errs := 0
	for _, s := range a {
		require.Contains(t, []int{200, 502}, s)
		if s == 502 {
			errs++
		}
	}
	assert.InDelta(t, 60, errs, 30, "about 30%% of 200 requests should fail, got %d", errs)
	assert.Equal(t, a, run(), "default rand is seeded: same faults on every run")

	e, ebase := newExtoleServer(t, ExtoleOptions{})
	e.SetFaults(Faults{ErrorRate: 1})
	requireExtoleError(t, ex(t, ebase, http.MethodGet, "/v5/persons", nil), 503, "service_unavailable")
}

func TestFaultsPathPrefix(t *testing.T) {
	e, base := newExtoleServer(t, ExtoleOptions{})
	e.SetFaults(Faults{ForceStatus: 500, PathPrefix: "/v5/persons"})
	assert.Equal(t, 200, ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`).Status)
	requireExtoleError(t, ex(t, base, http.MethodGet, "/v5/persons", nil), 500, "software_error")
	requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":"a@b.co"}`), 500, "software_error")
	assert.Empty(t, e.Persons())
}

func TestFaultsLatency(t *testing.T) {
	e, base := newExtoleServer(t, ExtoleOptions{})
	e.SetFaults(Faults{LatencyMS: 100})
	start := time.Now()
	require.Equal(t, 200, ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`).Status)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)

	// A client that gives up must not wait for the full latency, and its
	// request must not be applied.
	e.SetFaults(Faults{LatencyMS: 10_000})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v5/events", strings.NewReader(`{"event_name":"late"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+extoleToken)
	req.Header.Set("Content-Type", "application/json")
	start = time.Now()
	_, err = http.DefaultClient.Do(req)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "err: %v", err)
	require.Eventually(t, func() bool {
		recs := e.Requests()
		return len(recs) == 2 && recs[1].Status == StatusClientClosedRequest
	}, 3*time.Second, 10*time.Millisecond, "the handler must notice the cancelled context")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Len(t, e.Events(), 1)
}

func TestFaultsAdminEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.Handler
		api  string
	}{
		{"extole", NewExtole(ExtoleOptions{}), "/v5/persons"},
		{"hubspot", NewHubSpot(HubSpotOptions{}), contactsBase},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := serve(t, tc.h).URL
			r := do(t, nil, http.MethodPut, base+"/_sandbox/faults", `{"force_status":500,"force_count":1,"path_prefix":"/v"}`)
			require.Equal(t, 200, r.Status, "body: %s", r.Body)
			assert.EqualValues(t, 500, r.JSON(t)["force_status"])
			got := do(t, nil, http.MethodGet, base+"/_sandbox/faults", nil).JSON(t)
			assert.Equal(t, "/v", got["path_prefix"])

			// Admin endpoints are never faulted and never recorded.
			do(t, nil, http.MethodPut, base+"/_sandbox/faults", `{"force_status":500}`)
			reqs := do(t, nil, http.MethodGet, base+"/_sandbox/requests", nil)
			require.Equal(t, 200, reqs.Status)
			assert.Equal(t, map[string]any{"requests": []any{}}, reqs.JSON(t))

			api := do(t, nil, http.MethodGet, base+tc.api, nil)
			assert.Equal(t, 500, api.Status)
			recs := do(t, nil, http.MethodGet, base+"/_sandbox/requests", nil).JSON(t)["requests"].([]any)
			require.Len(t, recs, 1)
			rec := recs[0].(map[string]any)
			assert.Equal(t, "GET", rec["method"])
			assert.Equal(t, tc.api, rec["path"])
			assert.EqualValues(t, 500, rec["status"])
			assert.Equal(t, true, rec["injected"])

			// {} clears.
			require.Equal(t, 200, do(t, nil, http.MethodPut, base+"/_sandbox/faults", `{}`).Status)
			assert.NotEqual(t, 500, do(t, nil, http.MethodGet, base+tc.api, nil).Status)

			for _, bad := range []string{`{"force_stauts":500}`, `{"error_rate":2}`, `{"force_status":42}`, `not json`} {
				assert.Equal(t, 400, do(t, nil, http.MethodPut, base+"/_sandbox/faults", bad).Status, bad)
			}
			assert.Equal(t, 405, do(t, nil, http.MethodPost, base+"/_sandbox/requests", nil).Status)
			assert.Equal(t, 404, do(t, nil, http.MethodGet, base+"/_sandbox/nope", nil).Status)
			r = do(t, nil, http.MethodPost, base+"/_sandbox/reset", nil)
			require.Equal(t, 200, r.Status)
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.Equal(t, map[string]any{"requests": []any{}}, do(t, nil, http.MethodGet, base+"/_sandbox/requests", nil).JSON(t))
		})
	}
}

func TestFaultsExtoleInjectedBodies(t *testing.T) {
	e, base := newExtoleServer(t, ExtoleOptions{})
	for _, tc := range []struct {
		status int
		code   string
	}{
		{429, "too_many_requests"},
		{403, "access_denied"},
		{401, "method_unauthorized"},
		{500, "software_error"},
		{503, "service_unavailable"},
		{504, "gateway_timeout"},
		{418, "unexpected_request"},
	} {
		e.SetFaults(Faults{ForceStatus: tc.status, ForceCount: 1})
		requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`), tc.status, tc.code)
	}
	e.SetFaults(Faults{ForceStatus: 204, ForceCount: 1})
	r := ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`)
	assert.Equal(t, 204, r.Status)
	assert.Empty(t, r.Body)
	assert.Empty(t, e.Events())
}

func TestFaultsHubSpotInjectedBodies(t *testing.T) {
	h, base := newHubSpotServer(t, HubSpotOptions{})
	inject := func(status int, method, path, body string) (response, map[string]any) {
		t.Helper()
		h.SetFaults(Faults{ForceStatus: status, ForceCount: 1})
		r := hs(t, base, method, path, body)
		require.Equal(t, status, r.Status, "body: %s", r.Body)
		if status < 400 {
			return r, nil
		}
		m := r.JSON(t)
		assert.Equal(t, "error", m["status"])
		assert.NotEmpty(t, m["message"])
		assert.Equal(t, r.Header.Get("X-HubSpot-Correlation-Id"), m["correlationId"])
		assert.Equal(t, hubspotContentType, r.Header.Get("Content-Type"))
		return r, m
	}
	_, m := inject(429, http.MethodGet, contactsBase, "")
	assert.Equal(t, PolicyTenSecondly, m["policyName"])
	assert.Equal(t, "RATE_LIMIT", m["errorType"])
	assert.Equal(t, "You have reached your ten_secondly_rolling limit.", m["message"])
	_, m = inject(429, http.MethodPost, contactsBase+"/search", `{}`)
	assert.Equal(t, PolicySecondly, m["policyName"])

	r, m := inject(401, http.MethodGet, contactsBase, "")
	assert.Equal(t, "INVALID_AUTHENTICATION", m["category"])
	assert.Equal(t, "401 Unauthorized", r.Header.Get("X-HubSpot-Auth-Failure"))
	_, m = inject(403, http.MethodPost, contactsBase, `{}`)
	assert.Equal(t, "MISSING_SCOPES", m["category"])
	assert.Contains(t, string(marshalJSON(m["errors"])), "crm.objects.contacts.write")
	_, m = inject(423, http.MethodPatch, contactsBase+"/1001", `{}`)
	assert.Equal(t, "LOCKED", m["category"])
	_, m = inject(503, http.MethodGet, contactsBase, "")
	assert.Equal(t, "SERVICE_UNAVAILABLE", m["category"])
	r, _ = inject(204, http.MethodPost, contactsBase, `{"properties":{"email":"x@y.io"}}`)
	assert.Empty(t, r.Body)
	assert.Empty(t, h.Contacts())

	st := h.Stats()
	assert.Equal(t, 2, st.RateLimited, "injected 429s count as rate limited")
	assert.Equal(t, map[string]int{PolicyTenSecondly: 1, PolicySecondly: 1}, st.RateLimitedByPolicy)
	assert.Equal(t, 7, st.Injected)
}

// A flaky API sheds load with 429s while it also fails with 5xx: both rates apply at once, and the
// 429 carries Retry-After so the client waits as told.
func TestFaultsErrorAndRateLimitRates(t *testing.T) {
	h, base := newHubSpotServer(t, HubSpotOptions{RatePer10s: -1})
	h.SetFaults(Faults{ErrorRate: 0.3, ErrorStatus: 503, RateLimitRate: 0.1, RetryAfter: "1"})
	counts := map[int]int{}
	for i := 0; i < 400; i++ {
		r := hs(t, base, http.MethodGet, contactsBase, nil)
		counts[r.Status]++
		if r.Status == 429 {
			assert.Equal(t, "1", r.Header.Get("Retry-After"))
		}
	}
	assert.Equal(t, 400, counts[200]+counts[503]+counts[429], "only 200, 503 and 429: %v", counts)
	assert.InDelta(t, 120, counts[503], 40, "about 30%% 5xx: %v", counts)
	assert.InDelta(t, 40, counts[429], 25, "about 10%% 429: %v", counts)

	e, ebase := newExtoleServer(t, ExtoleOptions{})
	e.SetFaults(Faults{RateLimitRate: 1})
	requireExtoleError(t, ex(t, ebase, http.MethodGet, "/v5/persons", nil), 429, "too_many_requests")
	assert.Error(t, Faults{RateLimitRate: 0.8, ErrorRate: 0.3}.validate(), "rates above 1 in total cannot be honoured")
}
