package extole_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func event(pcid string) extole.Event {
	return extole.Event{Name: "signed_up", Data: map[string]json.RawMessage{
		"email": json.RawMessage(`"jane@example.com"`), "partner_conversion_id": json.RawMessage(`"` + pcid + `"`),
	}}
}

// Every error class against the simulated Extole, which answers with Extole's documented bodies.
func TestSendEventErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		faults    sandbox.Faults
		ev        extole.Event
		wantKind  extole.Kind
		wantCode  string
		wantRetry time.Duration
	}{
		{name: "wrong token", token: "nope", ev: event("p1"), wantKind: extole.KindAuth, wantCode: "access_denied"},
		{name: "missing token", token: "", ev: event("p1"), wantKind: extole.KindAuth, wantCode: "missing_access_token"},
		{name: "missing event name", token: "t", ev: extole.Event{Data: event("p1").Data}, wantKind: extole.KindInvalid, wantCode: "missing_event_name"},
		{name: "bad event time", token: "t", ev: extole.Event{Name: "x", EventTime: "yesterday", Data: event("p1").Data}, wantKind: extole.KindInvalid, wantCode: "invalid_event_time_format"},
		{name: "429 with Retry-After", token: "t", ev: event("p1"), faults: sandbox.Faults{ForceStatus: 429, ForceCount: 1, RetryAfter: "7"}, wantKind: extole.KindRateLimited, wantCode: "too_many_requests", wantRetry: 7 * time.Second},
		{name: "503", token: "t", ev: event("p1"), faults: sandbox.Faults{ForceStatus: 503, ForceCount: 1}, wantKind: extole.KindTransient},
		{name: "500", token: "t", ev: event("p1"), faults: sandbox.Faults{ForceStatus: 500, ForceCount: 1}, wantKind: extole.KindTransient, wantCode: "software_error"},
		{name: "402", token: "t", ev: event("p1"), faults: sandbox.Faults{ForceStatus: 402, ForceCount: 1}, wantKind: extole.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := extolesim.New(extolesim.Options{Token: "t"})
			fake.SetFaults(tt.faults)
			srv := httptest.NewServer(fake)
			defer srv.Close()
			_, err := extole.New(srv.URL, tt.token, nil).SendEvent(context.Background(), tt.ev)
			e, ok := extole.AsError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tt.wantKind, e.Kind, e.Error())
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, e.Code)
			}
			assert.Equal(t, tt.wantRetry, e.RetryAfter)
			assert.NotContains(t, e.Error(), "Bearer", "the token never appears in an error")
		})
	}
}

func TestSendEventSuccessAndDedupe(t *testing.T) {
	fake := extolesim.New(extolesim.Options{Token: "t"})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c := extole.New(srv.URL, "t", nil)
	id1, err := c.SendEvent(context.Background(), event("pc-1"))
	require.NoError(t, err)
	assert.NotEmpty(t, id1)
	id2, err := c.SendEvent(context.Background(), event("pc-1"))
	require.NoError(t, err)
	assert.Equal(t, id1, id2, "Extole answers a repeated conversion with the first event's id")
	assert.Len(t, fake.Events(), 1)
}

func TestNetworkErrorsAreTransientAndHideTheURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	_, _, err := extole.New(srv.URL, "t", nil).FindPersonByEmail(context.Background(), "secret.person@example.com")
	e, ok := extole.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, extole.KindTransient, e.Kind)
	assert.NotContains(t, e.Error(), "secret.person")
}

func TestPersonsAndShareablesGetOrCreate(t *testing.T) {
	fake := extolesim.New(extolesim.Options{Token: "t"})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c := extole.New(srv.URL, "t", nil)
	ctx := context.Background()

	_, found, err := c.FindPersonByEmail(ctx, "alex@example.com")
	require.NoError(t, err)
	assert.False(t, found)
	p, err := c.CreatePerson(ctx, "alex@example.com")
	require.NoError(t, err)
	_, err = c.CreatePerson(ctx, "alex@example.com")
	assert.True(t, extole.HasCode(err, extole.CodeIdentityTaken), "%v", err)
	got, found, err := c.FindPersonByEmail(ctx, "alex@example.com")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, p.ID, got.ID)

	s, err := c.CreateShareable(ctx, p.ID, "refer-a-friend")
	require.NoError(t, err)
	assert.NotEmpty(t, s.Code)
	assert.Contains(t, s.Link, s.Code)
	_, err = c.CreateShareable(ctx, p.ID, "refer-a-friend")
	assert.True(t, extole.HasCode(err, extole.CodeShareableTaken), "%v", err)
	list, err := c.ListShareables(ctx, p.ID, "refer-a-friend")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, s.Code, list[0].Code)

	_, err = c.ListShareables(ctx, "999999", "")
	e, ok := extole.AsError(err)
	require.True(t, ok)
	assert.Equal(t, extole.KindNotFound, e.Kind, "person_not_found is a 403 but not an auth problem")
}
