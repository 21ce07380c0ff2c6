package webhook

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/webhook/hubspotsig"
)

// HubSpotAuth authenticates HubSpot's workflow webhooks. A HubSpot "Send a webhook" action uses one of two
// authentication types (docs/hubspot-api.md#webhook-authentication): an API key in a header or query
// parameter, or a request signature made with the app's client secret. A deployment may have actions of both
// kinds, so a request passes when it carries a valid signature or the right API key. A request that carries a
// signature which does not verify is refused even if it also carries a key: someone tampered with it.
type HubSpotAuth struct {
	APIKey        string // HUBSPOT_WEBHOOK_API_KEY; "" = API-key authentication off
	APIKeyName    string // HUBSPOT_WEBHOOK_API_KEY_NAME: header or query parameter name
	ClientSecret  string // HUBSPOT_CLIENT_SECRET; "" = signature verification off
	PublicBaseURL string // PUBLIC_BASE_URL: scheme://host HubSpot calls; "" = derive from the request
	Now           func() time.Time

	trustedProxies []netip.Prefix // Deps.TrustedProxies, set by NewRouter
}

var errUnauthenticated = errors.New("missing or invalid HubSpot credentials")

// enabled reports whether any authentication is configured. With none, only sandbox mode starts a server.
func (a HubSpotAuth) enabled() bool { return a.APIKey != "" || a.ClientSecret != "" }

// verify returns nil when the request is authentic, or an error whose text is safe to send back.
func (a HubSpotAuth) verify(r *http.Request, body []byte) error {
	if !a.enabled() {
		return nil
	}
	if a.ClientSecret != "" {
		if ok, present := a.verifySignature(r, body); present {
			if !ok {
				return errors.New("X-HubSpot-Signature does not verify (check HUBSPOT_CLIENT_SECRET, and PUBLIC_BASE_URL or TRUSTED_PROXIES behind a proxy)")
			}
			return nil
		}
	}
	if a.APIKey != "" {
		got := r.Header.Get(a.APIKeyName)
		if got == "" {
			got = r.URL.Query().Get(a.APIKeyName)
		}
		if got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(a.APIKey)) == 1 {
			return nil
		}
		if got != "" {
			return errors.New("invalid API key in " + a.APIKeyName)
		}
	}
	return errUnauthenticated
}

// verifySignature checks whichever signature version the request carries: v3 when its headers are present,
// else X-HubSpot-Signature as v2 or v1 per X-HubSpot-Signature-Version
// (docs/hubspot-api.md#request-signatures).
func (a HubSpotAuth) verifySignature(r *http.Request, body []byte) (ok, present bool) {
	if sig := r.Header.Get("X-HubSpot-Signature-v3"); sig != "" {
		now := time.Now
		if a.Now != nil {
			now = a.Now
		}
		err := hubspotsig.VerifyV3(a.ClientSecret, r.Method, a.requestURI(r), body, r.Header.Get("X-HubSpot-Request-Timestamp"), sig, now())
		return err == nil, true
	}
	sig := r.Header.Get("X-HubSpot-Signature")
	if sig == "" {
		return false, false
	}
	// v1 and v2 carry no timestamp, so a captured request could be replayed; replays of an accepted event
	// are answered as duplicates by the workflow ID. The version must be named: an unnamed one is refused.
	switch strings.ToLower(r.Header.Get("X-HubSpot-Signature-Version")) {
	case "v2":
		return hubspotsig.VerifyV2(a.ClientSecret, r.Method, a.requestURI(r), body, sig), true
	case "v1":
		return hubspotsig.VerifyV1(a.ClientSecret, body, sig), true
	default:
		return false, true
	}
}

// requestURI rebuilds the URL HubSpot signed: scheme and host from PUBLIC_BASE_URL (behind a proxy the
// request's own Host is not what HubSpot called), else from the request, with X-Forwarded-Proto/Host
// when the peer is a trusted proxy (from anyone else they would let a request signed for another URI
// pass); path and query exactly as received.
func (a HubSpotAuth) requestURI(r *http.Request) string {
	if a.PublicBaseURL != "" {
		return strings.TrimRight(a.PublicBaseURL, "/") + r.URL.RequestURI()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if a.fromTrustedProxy(r) {
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			scheme = strings.TrimSpace(strings.Split(p, ",")[0])
		}
		if h := r.Header.Get("X-Forwarded-Host"); h != "" {
			host = strings.TrimSpace(strings.Split(h, ",")[0])
		}
	}
	return scheme + "://" + host + r.URL.RequestURI()
}

// fromTrustedProxy reports whether the connection's own peer is one of the trusted proxies.
func (a HubSpotAuth) fromTrustedProxy(r *http.Request) bool {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, p := range a.trustedProxies {
		if p.Contains(peer.Addr().Unmap()) {
			return true
		}
	}
	return false
}
