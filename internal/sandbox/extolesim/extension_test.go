package extolesim

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

// The extension posts the person's link to the webhook once per accepted trigger event, with the bearer
// token, and retries a non-2xx answer.
func TestShareLinkExtension(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]string
	answers := []int{http.StatusServiceUnavailable} // the first delivery fails once
	hook := simtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer hook-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		status := http.StatusAccepted
		if len(answers) > 0 {
			status, answers = answers[0], answers[1:]
		}
		raw, _ := io.ReadAll(r.Body)
		var m map[string]string
		if json.Unmarshal(raw, &m) == nil && status < 300 {
			bodies = append(bodies, m)
		}
		w.WriteHeader(status)
	}))
	e, base := newExtoleServer(t, Options{ShareLinkExtension: ShareLinkExtension{
		TriggerEvent: "hubspot_backfill", WebhookURL: hook.URL, WebhookToken: "hook-token", Label: "refer-a-friend",
		RetryAfter: 10 * time.Millisecond,
	}})
	for _, tc := range []struct{ body, why string }{
		{`{"event_name":"hubspot_backfill","data":{"email":"alex@example.com","partner_event_id":"hubspot-share-link-1"}}`, "trigger"},
		{`{"event_name":"hubspot_backfill","data":{"email":"alex@example.com","partner_event_id":"hubspot-share-link-1"}}`, "duplicate: not processed again"},
		{`{"event_name":"converted","data":{"email":"bo@example.com"}}`, "another event"},
	} {
		r := ex(t, base, http.MethodPost, "/v5/events", tc.body)
		require.Equal(t, 200, r.Status, "%s: %s", tc.why, r.Body)
	}
	require.Eventually(t, func() bool { return len(e.ShareLinkDeliveries()) == 1 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond) // nothing else is on its way
	d := e.ShareLinkDeliveries()
	require.Len(t, d, 1)
	assert.True(t, d[0].Delivered)
	assert.Equal(t, 2, d[0].Attempts, "retried after the 503")
	assert.Equal(t, 1, e.Duplicates())

	persons := e.Persons()
	require.NotEmpty(t, persons)
	require.Len(t, persons[0].Shareables, 1)
	s := persons[0].Shareables[0]
	assert.Equal(t, "refer-a-friend", s.Label)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 1)
	assert.Equal(t, "Share Link Created", bodies[0]["event"])
	assert.Equal(t, "alex@example.com", bodies[0]["email"])
	assert.Equal(t, s.Link, bodies[0]["share_link"])
	assert.Equal(t, s.Code, bodies[0]["share_code"])
}
