package hubspot

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// RequiredScopes are the scopes the bridge's token needs: contacts read/write and the property setup
// (share links, referrals), deals and line items read (won deals).
var RequiredScopes = []string{
	"crm.objects.contacts.read",
	"crm.objects.contacts.write",
	"crm.schemas.contacts.write",
	"crm.objects.deals.read",
	"crm.objects.line_items.read",
}

// TokenInfo is what HubSpot says about an access token.
type TokenInfo struct {
	PrivateApp bool // a private-app token; else an OAuth access token
	HubID      int64
	AppID      int64
	Scopes     []string
}

// privateAppPrefix starts every private-app token ("pat-na1-…", "pat-eu1-…"):
// https://developers.hubspot.com/docs/apps/legacy-apps/authentication/intro-to-auth.
const privateAppPrefix = "pat-"

// TokenInfo looks up the client's own token: a private-app token with POST
// /oauth/v2/private-apps/get/access-token-info {"tokenKey"} (https://developers.hubspot.com/docs/api/private-apps),
// any other with GET /oauth/v1/access-tokens/{token}
// (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/get-oauth-token-metadata).
func (c *Client) TokenInfo(ctx context.Context) (TokenInfo, error) {
	if strings.HasPrefix(c.token, privateAppPrefix) {
		var out struct {
			HubID  int64    `json:"hubId"`
			AppID  int64    `json:"appId"`
			Scopes []string `json:"scopes"`
		}
		_, err := c.do(ctx, http.MethodPost, "/oauth/v2/private-apps/get/access-token-info", nil, map[string]string{"tokenKey": c.token}, &out)
		return TokenInfo{PrivateApp: true, HubID: out.HubID, AppID: out.AppID, Scopes: out.Scopes}, err
	}
	var out struct {
		HubID  int64    `json:"hub_id"`
		AppID  int64    `json:"app_id"`
		Scopes []string `json:"scopes"`
	}
	_, err := c.do(ctx, http.MethodGet, "/oauth/v1/access-tokens/"+url.PathEscape(c.token), nil, nil, &out)
	return TokenInfo{HubID: out.HubID, AppID: out.AppID, Scopes: out.Scopes}, c.withoutToken(err)
}

// withoutToken removes the token from a failure of a call whose path carries it (a network error
// names the path), keeping Error's promise never to contain the token.
func (c *Client) withoutToken(err error) error {
	e, ok := AsError(err)
	if !ok {
		return err
	}
	scrub := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, url.PathEscape(c.token), "<token>"), c.token, "<token>")
	}
	out := *e
	out.Message = scrub(e.Message)
	if e.cause != nil {
		out.cause = errors.New(scrub(e.cause.Error()))
	}
	return &out
}

// Missing returns the scopes of required the token lacks, in required's order.
func (t TokenInfo) Missing(required []string) []string {
	var missing []string
	for _, s := range required {
		if !slices.Contains(t.Scopes, s) {
			missing = append(missing, s)
		}
	}
	return missing
}
