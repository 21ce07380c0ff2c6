package hubspotsim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

func TestFaultsForceUntilChanged(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	h.SetFaults(sandbox.Faults{ForceStatus: 500})
	for i := 0; i < 5; i++ {
		r := hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co"}}`)
		require.Equal(t, 500, r.Status)
		assert.Equal(t, "INTERNAL_ERROR", r.JSON(t)["category"])
	}
	assert.Empty(t, h.Contacts(), "injected requests are not applied")
	h.SetFaults(sandbox.Faults{})
	assert.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co"}}`).Status)
	st := h.Stats()
	assert.Equal(t, 6, st.Requests)
	assert.Equal(t, 5, st.Injected)
	assert.Equal(t, 1, st.Writes)
}

func TestFaultsErrorRate(t *testing.T) {
	run := func() []int {
		h, base := newHubSpotServer(t, Options{RatePer10s: -1})
		h.SetFaults(sandbox.Faults{ErrorRate: 0.3, ErrorStatus: 502})
		var statuses []int
		for i := 0; i < 200; i++ {
			statuses = append(statuses, hs(t, base, http.MethodGet, emailProperty, nil).Status)
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
}

func TestFaultsHubSpotInjectedBodies(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	inject := func(status int, method, path, body string) (simtest.Response, map[string]any) {
		t.Helper()
		h.SetFaults(sandbox.Faults{ForceStatus: status, ForceCount: 1})
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
	_, m := inject(429, http.MethodGet, emailProperty, "")
	assert.Equal(t, PolicyTenSecondly, m["policyName"])
	assert.Equal(t, "RATE_LIMIT", m["errorType"])
	assert.Equal(t, "You have reached your ten_secondly_rolling limit.", m["message"])
	_, m = inject(429, http.MethodPost, contactsBase+"/search", `{}`)
	assert.Equal(t, PolicySecondly, m["policyName"])

	r, m := inject(401, http.MethodGet, emailProperty, "")
	assert.Equal(t, "INVALID_AUTHENTICATION", m["category"])
	assert.Equal(t, "401 Unauthorized", r.Header.Get("X-HubSpot-Auth-Failure"))
	_, m = inject(403, http.MethodPost, contactsBase, `{}`)
	assert.Equal(t, "MISSING_SCOPES", m["category"])
	assert.Contains(t, string(sandbox.MarshalJSON(m["errors"])), "crm.objects.contacts.write")
	_, m = inject(423, http.MethodPatch, contactsBase+"/1001", `{}`)
	assert.Equal(t, "LOCKED", m["category"])
	_, m = inject(503, http.MethodGet, emailProperty, "")
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
	h, base := newHubSpotServer(t, Options{RatePer10s: -1})
	h.SetFaults(sandbox.Faults{ErrorRate: 0.3, ErrorStatus: 503, RateLimitRate: 0.1, RetryAfter: "1"})
	counts := map[int]int{}
	for i := 0; i < 400; i++ {
		r := hs(t, base, http.MethodGet, emailProperty, nil)
		counts[r.Status]++
		if r.Status == 429 {
			assert.Equal(t, "1", r.Header.Get("Retry-After"))
		}
	}
	assert.Equal(t, 400, counts[200]+counts[503]+counts[429], "only 200, 503 and 429: %v", counts)
	assert.InDelta(t, 120, counts[503], 40, "about 30%% 5xx: %v", counts)
	assert.InDelta(t, 40, counts[429], 25, "about 10%% 429: %v", counts)
}
