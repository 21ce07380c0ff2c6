package hubspot_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenInfoReportsMissingScopes(t *testing.T) {
	const oauthToken = "CKDZpunPLhICAQEYs-gDIIGOBii1hQIyGQAf3xBKEgsYjYMJVvlHEz9tFHAwSq1TQAM40s0D"
	for _, tc := range []struct {
		name        string
		token       string
		scopes      []string
		wantPrivate bool
		wantPath    string
		wantMissing []string
	}{
		{"private app with every scope", testToken, nil, true, "/oauth/v2/private-apps/get/access-token-info", nil},
		{"private app without deals and schemas", testToken, []string{"crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.line_items.read"},
			true, "/oauth/v2/private-apps/get/access-token-info", []string{"crm.schemas.contacts.write", "crm.objects.deals.read"}},
		{"OAuth token", oauthToken, []string{"oauth", "crm.objects.contacts.read"}, false, "/oauth/v1/access-tokens/" + oauthToken,
			[]string{"crm.objects.contacts.write", "crm.schemas.contacts.write", "crm.objects.deals.read", "crm.objects.line_items.read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, url := newFake(t, hubspotsim.Options{Token: tc.token, Scopes: tc.scopes})
			info, err := hubspot.New(url, tc.token, nil).TokenInfo(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.wantPrivate, info.PrivateApp)
			assert.NotZero(t, info.HubID)
			assert.Equal(t, tc.wantMissing, info.Missing(hubspot.RequiredScopes))
			reqs := fake.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tc.wantPath, reqs[0].Path)
		})
	}
}

func TestTokenInfoErrorsNeverHoldTheToken(t *testing.T) {
	const token = "oauth-token-secret"
	_, url := newFake(t, hubspotsim.Options{Token: "another-token"})
	_, err := hubspot.New(url, token, nil).TokenInfo(context.Background())
	e, ok := hubspot.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, hubspot.KindAuth, e.Kind)

	// A network failure names the path, which carries an OAuth token.
	_, err = hubspot.New("http://127.0.0.1:1", token, &http.Client{}).TokenInfo(context.Background())
	require.Error(t, err)
	assert.False(t, strings.Contains(err.Error(), token), err.Error())
}
