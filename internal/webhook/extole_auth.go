package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// ExtoleAuth authenticates Extole's outbound webhooks. A client key of algorithm "Password" makes Extole
// send `Authorization: Bearer <key>`; an HS256 key adds X-Extole-Signature, the lowercase hex HMAC-SHA256
// of the raw body (docs/extole-api.md#outbound-webhooks).
type ExtoleAuth struct {
	Token      string // EXTOLE_WEBHOOK_TOKEN
	SigningKey string // EXTOLE_WEBHOOK_SIGNING_KEY; "" = no signature required
	Sandbox    bool   // with no token configured, accept unauthenticated requests (local development only)
}

// errNotConfigured is answered 503, not 401: Extole retries a 5xx, so links sent before an operator
// sets the token are delivered afterwards instead of being dropped.
var errNotConfigured = errors.New("share-link webhook is not configured yet (EXTOLE_WEBHOOK_TOKEN is unset); retry later")

func (a ExtoleAuth) verify(r *http.Request, body []byte) error {
	if a.Token == "" && !a.Sandbox {
		return errNotConfigured
	}
	if a.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(a.Token)) != 1 {
			return errors.New("missing or invalid bearer token")
		}
	}
	if a.SigningKey != "" {
		m := hmac.New(sha256.New, []byte(a.SigningKey))
		m.Write(body)
		want := hex.EncodeToString(m.Sum(nil))
		got := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Extole-Signature")))
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return errors.New("missing or invalid X-Extole-Signature")
		}
	}
	return nil
}
