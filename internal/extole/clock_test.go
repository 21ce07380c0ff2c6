package extole

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRetryAfterDateUsesTheClientsClock: an HTTP-date Retry-After is measured from the injected clock,
// as in the HubSpot client, so the wait does not depend on the test machine's time.
func TestRetryAfterDateUsesTheClientsClock(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat))
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := New(srv.URL, "token", nil)
	c.now = func() time.Time { return now }

	_, err := c.SendEvent(context.Background(), Event{Name: "signed_up"})
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, 90*time.Second, e.RetryAfter)
}
