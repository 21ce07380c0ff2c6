package sandbox_test

import (
	"net/http"
	"testing"

	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultsAdminEndpoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.Handler
		api  string
	}{
		{"extole", extolesim.New(extolesim.Options{}), "/v5/persons"},
		{"hubspot", hubspotsim.New(hubspotsim.Options{}), "/crm/v3/objects/contacts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := simtest.Serve(t, tc.h).URL
			r := simtest.Do(t, nil, http.MethodPut, base+"/_sandbox/faults", `{"force_status":500,"force_count":1,"path_prefix":"/v"}`)
			require.Equal(t, 200, r.Status, "body: %s", r.Body)
			assert.EqualValues(t, 500, r.JSON(t)["force_status"])
			got := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/faults", nil).JSON(t)
			assert.Equal(t, "/v", got["path_prefix"])

			// Admin endpoints are never faulted and never recorded.
			simtest.Do(t, nil, http.MethodPut, base+"/_sandbox/faults", `{"force_status":500}`)
			reqs := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/requests", nil)
			require.Equal(t, 200, reqs.Status)
			assert.Equal(t, map[string]any{"requests": []any{}}, reqs.JSON(t))

			api := simtest.Do(t, nil, http.MethodGet, base+tc.api, nil)
			assert.Equal(t, 500, api.Status)
			recs := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/requests", nil).JSON(t)["requests"].([]any)
			require.Len(t, recs, 1)
			rec := recs[0].(map[string]any)
			assert.Equal(t, "GET", rec["method"])
			assert.Equal(t, tc.api, rec["path"])
			assert.EqualValues(t, 500, rec["status"])
			assert.Equal(t, true, rec["injected"])

			// {} clears.
			require.Equal(t, 200, simtest.Do(t, nil, http.MethodPut, base+"/_sandbox/faults", `{}`).Status)
			assert.NotEqual(t, 500, simtest.Do(t, nil, http.MethodGet, base+tc.api, nil).Status)

			for _, bad := range []string{`{"force_stauts":500}`, `{"error_rate":2}`, `{"force_status":42}`, `not json`, `{"rate_limit_rate":0.8,"error_rate":0.3}`} {
				assert.Equal(t, 400, simtest.Do(t, nil, http.MethodPut, base+"/_sandbox/faults", bad).Status, bad)
			}
			assert.Equal(t, 405, simtest.Do(t, nil, http.MethodPost, base+"/_sandbox/requests", nil).Status)
			assert.Equal(t, 404, simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/nope", nil).Status)
			r = simtest.Do(t, nil, http.MethodPost, base+"/_sandbox/reset", nil)
			require.Equal(t, 200, r.Status)
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.Equal(t, map[string]any{"requests": []any{}}, simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/requests", nil).JSON(t))
		})
	}
}
