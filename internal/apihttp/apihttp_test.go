package apihttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubspot-extole/bridge/internal/apihttp"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/metrics/metricstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// apiClient is one call of each API client, so every case runs against both: the clients must keep
// one transport discipline (issue 12).
type apiClient struct {
	api   string
	call  func(ctx context.Context, baseURL string) error
	typed func(err error) (retryable, ok bool) // the client's own typed error
}

var clients = []apiClient{
	{
		api: "extole",
		call: func(ctx context.Context, baseURL string) error {
			_, err := extole.New(baseURL, "token", nil).SendEvent(ctx, extole.Event{Name: "signed_up"})
			return err
		},
		typed: func(err error) (bool, bool) {
			e, ok := extole.AsError(err)
			return ok && e.Kind == extole.KindTransient, ok
		},
	},
	{
		api: "hubspot",
		call: func(ctx context.Context, baseURL string) error {
			_, err := hubspot.New(baseURL, "token", nil).UpsertContactByEmail(ctx, "jane@example.com", map[string]string{"share_code": "jane12"})
			return err
		},
		typed: func(err error) (bool, bool) {
			e, ok := hubspot.AsError(err)
			return ok && e.Kind == hubspot.KindTransient, ok
		},
	},
}

func TestClientsShareOneTransportDiscipline(t *testing.T) {
	// A success body one byte over the limit is truncated, so it cannot decode: a transient failure.
	oversized := `{"results":[{"id":"` + strings.Repeat("1", apihttp.MaxResponseBytes) + `"}]}`
	cases := []struct {
		name    string
		handler http.HandlerFunc
		cancel  bool // the caller's context is cancelled while the request is in flight
		// want
		contextErr bool // a context error, not the API's typed error
		transient  bool
	}{
		{
			name:    "caller cancels: context error wrapped, not the API's failure",
			handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			cancel:  true, contextErr: true,
		},
		{
			name: "answer over the size limit: transient",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(oversized))
			},
			transient: true,
		},
		{
			name: "connection dropped: transient, no URL in the text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				_ = conn.Close()
			},
			transient: true,
		},
	}
	for _, tc := range cases {
		for _, cl := range clients {
			t.Run(tc.name+"/"+cl.api, func(t *testing.T) {
				srv := httptest.NewServer(tc.handler)
				defer srv.Close()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tc.cancel {
					go cancel()
				}
				err := cl.call(ctx, srv.URL)
				require.Error(t, err)
				assert.NotContains(t, err.Error(), srv.URL, "the URL stays out of failure text")
				if tc.contextErr {
					assert.ErrorIs(t, err, context.Canceled)
					assert.Contains(t, err.Error(), "request ended")
					_, typed := cl.typed(err)
					assert.False(t, typed, "a cancelled call is not the API's failure: %v", err)
					return
				}
				transient, typed := cl.typed(err)
				assert.True(t, typed && transient == tc.transient, "want transient=%v, got %v", tc.transient, err)
			})
		}
	}
}

// TestClientsCountRequestsAnd429s: every request is counted by API, operation and status class, and a
// 429 also in bridge_api_rate_limited_total.
func TestClientsCountRequestsAnd429s(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"status":"error","message":"slow down","category":"RATE_LIMITS"}`))
	}))
	defer srv.Close()
	for _, cl := range clients {
		t.Run(cl.api, func(t *testing.T) {
			api := map[string]string{"api": cl.api}
			class := map[string]string{"api": cl.api, "status_class": "4xx"}
			limited := metricstest.Value(t, "bridge_api_rate_limited_total", api)
			requests := metricstest.Value(t, "bridge_api_requests_total", class)
			require.Error(t, cl.call(context.Background(), srv.URL))
			assert.Equal(t, limited+1, metricstest.Value(t, "bridge_api_rate_limited_total", api))
			assert.Equal(t, requests+1, metricstest.Value(t, "bridge_api_requests_total", class))
		})
	}
}
