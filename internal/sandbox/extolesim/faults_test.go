package extolesim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

func TestFaultsForceCount(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	e.SetFaults(sandbox.Faults{ForceStatus: 503, ForceCount: 2, RetryAfter: "7"})
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

func TestFaultsPathPrefix(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	e.SetFaults(sandbox.Faults{ForceStatus: 500, PathPrefix: "/v5/persons"})
	assert.Equal(t, 200, ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`).Status)
	requireExtoleError(t, ex(t, base, http.MethodGet, "/v5/persons", nil), 500, "software_error")
	requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":"a@b.co"}`), 500, "software_error")
	assert.Empty(t, e.Persons())
}

func TestFaultsLatency(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	e.SetFaults(sandbox.Faults{LatencyMS: 100})
	start := time.Now()
	require.Equal(t, 200, ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`).Status)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)

	// A client that gives up must not wait for the full latency, and its
	// request must not be applied.
	e.SetFaults(sandbox.Faults{LatencyMS: 10_000})
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
		return len(recs) == 2 && recs[1].Status == sandbox.StatusClientClosedRequest
	}, 3*time.Second, 10*time.Millisecond, "the handler must notice the cancelled context")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Len(t, e.Events(), 1)
}

func TestFaultsExtoleInjectedBodies(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
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
		e.SetFaults(sandbox.Faults{ForceStatus: tc.status, ForceCount: 1})
		requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`), tc.status, tc.code)
	}
	e.SetFaults(sandbox.Faults{ForceStatus: 204, ForceCount: 1})
	r := ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`)
	assert.Equal(t, 204, r.Status)
	assert.Empty(t, r.Body)
	assert.Empty(t, e.Events())
}

func TestFaultsErrorRates(t *testing.T) {
	e, ebase := newExtoleServer(t, Options{})
	e.SetFaults(sandbox.Faults{ErrorRate: 1})
	requireExtoleError(t, ex(t, ebase, http.MethodGet, "/v5/persons", nil), 503, "service_unavailable")
	e.SetFaults(sandbox.Faults{RateLimitRate: 1})
	requireExtoleError(t, ex(t, ebase, http.MethodGet, "/v5/persons", nil), 429, "too_many_requests")
}
