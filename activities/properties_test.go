package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// Every property-setup activity is exactly one HubSpot request (the task-queue rate limit counts
// activities), and "already exists" is success, not an error.
func TestPropertyActivitiesOneRequestEach(t *testing.T) {
	shareLink := contact.Properties[0]
	createGroup := func(a *HubSpot) (CreatedResult, error) { return a.CreatePropertyGroup(context.Background()) }
	createShareLink := func(a *HubSpot) (CreatedResult, error) { return a.CreateProperty(context.Background(), shareLink) }

	tests := []struct {
		name        string
		before      []func(a *HubSpot) (CreatedResult, error) // run first, not counted
		call        func(a *HubSpot) (CreatedResult, error)
		faults      sandbox.Faults
		wantCreated bool
		wantErrType string // "" = no error
	}{
		{name: "group created", call: createGroup, wantCreated: true},
		{name: "group exists (409)", before: []func(*HubSpot) (CreatedResult, error){createGroup}, call: createGroup},
		{name: "property created", before: []func(*HubSpot) (CreatedResult, error){createGroup}, call: createShareLink, wantCreated: true},
		{name: "property exists (409)", before: []func(*HubSpot) (CreatedResult, error){createGroup, createShareLink}, call: createShareLink},
		{name: "property without its group is rejected", call: createShareLink, wantErrType: ErrTypeHubSpotRejected},
		{name: "429 is retried later", call: createGroup, faults: sandbox.Faults{ForceStatus: 429}, wantErrType: ErrTypeHubSpotRateLimited},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := hubspotsim.New(hubspotsim.Options{})
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			a := &HubSpot{Client: hubspot.New(srv.URL, "pat-test", nil)}
			for _, f := range tc.before {
				_, err := f(a)
				require.NoError(t, err)
			}
			fake.SetFaults(tc.faults)
			before := len(fake.Requests())

			res, err := tc.call(a)

			assert.Len(t, fake.Requests()[before:], 1, "one HubSpot request per activity")
			assert.Equal(t, http.MethodPost, fake.Requests()[before].Method)
			if tc.wantErrType != "" {
				var appErr *temporal.ApplicationError
				require.True(t, errors.As(err, &appErr), "error %v", err)
				assert.Equal(t, tc.wantErrType, appErr.Type())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantCreated, res.Created)
		})
	}
}
