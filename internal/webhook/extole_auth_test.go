package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func hexHMAC(key, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestExtoleSignatureAccepted(t *testing.T) {
	a := ExtoleAuth{Token: "tok", SigningKey: "sk"}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(shareBody))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("X-Extole-Signature", hexHMAC("sk", shareBody))
	assert.NoError(t, a.verify(req, []byte(shareBody)))
	assert.NoError(t, ExtoleAuth{Sandbox: true}.verify(req, []byte(shareBody)), "sandbox without a token")
}
