// Package contact holds the rules for the values that identify a contact and its share link, shared by
// the webhooks, the CSV import and the workflows so that all of them accept and normalize alike, and the
// bridge's HubSpot contact properties (schema.go).
package contact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
)

// ValidEmail accepts a bare address (no display name) with a dotted domain, which is what both HubSpot
// and Extole accept as an identity.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != strings.TrimSpace(s) || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(a.Address, '@')
	return at > 0 && strings.Contains(a.Address[at+1:], ".") && !strings.HasSuffix(a.Address, ".")
}

// NormalizeEmail is the one definition of "the same address" (HubSpot treats emails case-insensitively).
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// hashSalt is EMAIL_HASH_SALT, set once at start by config.Load; empty means the unsalted form.
var hashSalt atomic.Pointer[string]

// SetHashSalt sets the deployment's EMAIL_HASH_SALT. Every process of a deployment must use the same
// salt: it is part of ShareLinkSync's workflow ID as well as of the ContactEmailHash search attribute.
func SetHashSalt(salt string) { hashSalt.Store(&salt) }

// HashEmail is the stable, non-reversible form of an address used in search attributes and workflow IDs,
// which Temporal stores unencrypted: the hex HMAC-SHA256 of the normalized address keyed with the
// deployment's salt, so a dictionary of known addresses cannot reverse it without the salt. Without a
// salt it is the plain sha256 hex, the form used before the salt existed.
func HashEmail(email string) string {
	return HashEmailWith(email, saltOrEmpty())
}

// HashEmailWith is HashEmail under an explicit salt, for operators computing a search value.
func HashEmailWith(email, salt string) string {
	if salt == "" {
		sum := sha256.Sum256([]byte(NormalizeEmail(email)))
		return hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, []byte(salt))
	m.Write([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(m.Sum(nil))
}

func saltOrEmpty() string {
	if p := hashSalt.Load(); p != nil {
		return *p
	}
	return ""
}

// MaskEmail shortens an address for summaries, logs and reports, which are stored unencrypted: only the
// domain is kept ("jane.doe@example.com" → "…@example.com"), because the local part is usually a name.
func MaskEmail(email string) string {
	if email == "" {
		return ""
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return "…"
	}
	return "…@" + strings.ToLower(strings.TrimSpace(email[at+1:]))
}

var shareCodeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{4,50}$`)

// ValidShareCode applies Extole's rule for share codes: 4 to 50 letters, digits, '-' or '_'
// (docs/extole-api.md#persons-and-shareables, code_out_of_range and code_illegal_character).
func ValidShareCode(code string) bool { return shareCodeRe.MatchString(code) }

// NormalizeShareLink accepts Extole's scheme-less links ("share.example.com/jane12", as in its own
// examples) and returns them with https://, so the link in a HubSpot email is clickable.
func NormalizeShareLink(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("is required")
	}
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		strings.ContainsAny(v, " \t\r\n") || !strings.Contains(u.Hostname(), ".") {
		return "", errors.New("must be a URL like https://refer.example.com/jane12")
	}
	return v, nil
}
