// Package hubspotsig verifies the signatures HubSpot puts on the requests it sends us (workflow webhooks,
// app webhooks), with the app's client secret. It is the inbound side; the outbound API client is
// internal/hubspot.
package hubspotsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook request signatures (docs/hubspot-api.md#request-signatures). HubSpot signs outgoing requests with
// the app's client secret in three historical schemes; which one a request carries depends on the sender (app
// webhook subscriptions: v1; workflow webhook actions and CRM cards: v2; all newer traffic also v3).

// MaxSignatureAge is how old an X-HubSpot-Request-Timestamp may be: the docs say "Reject the request if the
// timestamp is older than 5 minutes" and every official SDK uses 300000 ms
// (docs/hubspot-api.md#request-signatures).
const MaxSignatureAge = 5 * time.Minute

var (
	// ErrSignatureMismatch means the signature does not match the request: wrong secret, or the
	// method, URI, body or timestamp was altered (or re-encoded by a proxy).
	ErrSignatureMismatch = errors.New("hubspot: signature mismatch")
	// ErrTimestampExpired means X-HubSpot-Request-Timestamp is older than MaxSignatureAge.
	ErrTimestampExpired = errors.New("hubspot: signature timestamp expired")
	// ErrTimestampInvalid means X-HubSpot-Request-Timestamp is missing, not epoch milliseconds, or more
	// than MaxSignatureAge in the future.
	ErrTimestampInvalid = errors.New("hubspot: signature timestamp invalid")
)

// VerifyV1 checks X-HubSpot-Signature for X-HubSpot-Signature-Version v1:
// hex(sha256(clientSecret + body)) (docs/hubspot-api.md#request-signatures). The comparison is constant-time.
func VerifyV1(secret string, body []byte, signature string) bool {
	return verifyHexSHA256(signature, []byte(secret), body)
}

// VerifyV2 checks X-HubSpot-Signature for version v2: hex(sha256(clientSecret + method + uri + body)), where
// uri is the full URL HubSpot called, including scheme, host and query in the original order
// (docs/hubspot-api.md#request-signatures).
func VerifyV2(secret, method, uri string, body []byte, signature string) bool {
	return verifyHexSHA256(signature, []byte(secret), []byte(method), []byte(uri), body)
}

// VerifyV3 checks X-HubSpot-Signature-v3: base64(HMAC-SHA256(key=clientSecret, method + uri + body +
// timestamp)), timestamp being the X-HubSpot-Request-Timestamp header value verbatim (epoch milliseconds),
// uri the full URL (docs/hubspot-api.md#request-signatures).
//
// The timestamp must lie within MaxSignatureAge of now in either direction. The docs only require
// rejecting old timestamps; we also reject ones more than MaxSignatureAge in the future because the
// signature covers the timestamp, so a request stamped far ahead would stay replayable until that
// time plus five minutes. Five minutes of forward slack tolerates ordinary clock skew between HubSpot
// and us. Old timestamps yield ErrTimestampExpired, unparseable or future ones ErrTimestampInvalid.
//
// The docs tell the receiver to decode the twelve URL-encoded characters of their table (%3A %2F %3F
// %40 %21 %24 %27 %28 %29 %2A %2C %3B, hex case-insensitive) in the URI before signing, whereas the
// official Node/Python/Ruby/PHP SDKs hash the URI as received. Since we cannot tell which of the two
// HubSpot's signer matches for a given URI, a signature over either form is accepted; both forms are
// derived from the same request, so this does not widen what an attacker without the secret can forge.
func VerifyV3(secret, method, uri string, body []byte, timestamp, signature string, now time.Time) error {
	ms, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil || ms <= 0 {
		return fmt.Errorf("%w: %q is not epoch milliseconds", ErrTimestampInvalid, timestamp)
	}
	sent := time.UnixMilli(ms)
	if now.Sub(sent) > MaxSignatureAge {
		return fmt.Errorf("%w: sent %s, %s ago", ErrTimestampExpired, sent.UTC().Format(time.RFC3339), now.Sub(sent).Round(time.Second))
	}
	if sent.Sub(now) > MaxSignatureAge {
		return fmt.Errorf("%w: %s is %s in the future", ErrTimestampInvalid, sent.UTC().Format(time.RFC3339), sent.Sub(now).Round(time.Second))
	}

	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return ErrSignatureMismatch
	}
	decoded := decodeSignatureURI(uri)
	okDecoded := hmac.Equal(got, v3MAC(secret, method, decoded, body, timestamp))
	okRaw := hmac.Equal(got, v3MAC(secret, method, uri, body, timestamp))
	if !okDecoded && !okRaw {
		return ErrSignatureMismatch
	}
	return nil
}

func v3MAC(secret, method, uri string, body []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method))
	m.Write([]byte(uri))
	m.Write(body)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// verifyHexSHA256 compares a hex signature with sha256 over the concatenated parts. The hex is decoded
// rather than compared as text so that upper-case hex is accepted too; the byte comparison is
// constant-time.
func verifyHexSHA256(signature string, parts ...[]byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return subtle.ConstantTimeCompare(got, h.Sum(nil)) == 1
}

// signatureURIDecodes is the decode table of the v3 validation docs (docs/hubspot-api.md#request-signatures).
// Only these escapes are decoded; anything else (e.g. %20) is left as sent, which is what the docs literally
// describe.
var signatureURIDecodes = map[string]byte{
	"3A": ':', "2F": '/', "3F": '?', "40": '@', "21": '!', "24": '$',
	"27": '\'', "28": '(', "29": ')', "2A": '*', "2C": ',', "3B": ';',
}

// decodeSignatureURI applies signatureURIDecodes to uri, matching the hex digits case-insensitively.
func decodeSignatureURI(uri string) string {
	if !strings.Contains(uri, "%") {
		return uri
	}
	var b strings.Builder
	b.Grow(len(uri))
	for i := 0; i < len(uri); i++ {
		if uri[i] == '%' && i+2 < len(uri) {
			if c, ok := signatureURIDecodes[strings.ToUpper(uri[i+1:i+3])]; ok {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(uri[i])
	}
	return b.String()
}
