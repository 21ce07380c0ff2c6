package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckScopes(t *testing.T) {
	const token = "pat-na1-setup"
	for _, tc := range []struct {
		name       string
		scopes     []string
		serverTok  string
		wantOut    string
		wantFailed bool
	}{
		{"all granted", nil, token, "token scopes: all 5 required scopes granted\n", false},
		{"deals and line items missing", []string{"crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.write"}, token,
			"token lacks scopes: crm.objects.deals.read, crm.objects.line_items.read (add them to the app, see docs/hubspot-app.md)\n", true},
		{"scopes unreadable: only a warning", nil, "another-token", "could not read the token's scopes", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(hubspotsim.New(hubspotsim.Options{Token: tc.serverTok, Scopes: tc.scopes}))
			defer srv.Close()
			var out bytes.Buffer
			err := checkScopes(context.Background(), hubspot.New(srv.URL, token, nil), &out)
			assert.Contains(t, out.String(), tc.wantOut)
			assert.Equal(t, tc.wantFailed, err != nil, "%v", err)
		})
	}
}

// The developer-platform project must ask for exactly the scopes `setup hubspot` checks.
func TestHubSpotAppProjectMatchesTheBridge(t *testing.T) {
	raw, err := os.ReadFile("../../hubspot-app/src/app/app-hsmeta.json")
	require.NoError(t, err)
	var app struct {
		Config struct {
			Auth struct {
				RequiredScopes []string `json:"requiredScopes"`
			} `json:"auth"`
		} `json:"config"`
	}
	require.NoError(t, json.Unmarshal(raw, &app))
	assert.ElementsMatch(t, hubspot.RequiredScopes, app.Config.Auth.RequiredScopes)

	raw, err = os.ReadFile("../../hubspot-app/src/app/webhooks/webhooks-hsmeta.json")
	require.NoError(t, err)
	var hooks struct {
		Config struct {
			Subscriptions map[string][]struct {
				SubscriptionType string `json:"subscriptionType"`
				PropertyName     string `json:"propertyName"`
				Active           bool   `json:"active"`
			} `json:"subscriptions"`
		} `json:"config"`
	}
	require.NoError(t, json.Unmarshal(raw, &hooks))
	var got []string
	for group, subs := range hooks.Config.Subscriptions {
		for _, s := range subs {
			assert.True(t, s.Active, s.SubscriptionType)
			got = append(got, group+" "+s.SubscriptionType+" "+s.PropertyName)
		}
	}
	assert.ElementsMatch(t, []string{
		"legacyCrmObjects deal.propertyChange dealstage",
		"legacyCrmObjects deal.associationChange ",
		"legacyCrmObjects contact.propertyChange advocate_code",
		"hubEvents contact.privacyDeletion ",
	}, got)
}
