// Package contact holds the rules for the values that identify a contact and its share link, shared by
// the webhooks, the CSV import and the workflows so that all of them accept and normalize alike.
package contact

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
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

// HashEmail is the stable, non-reversible form of an address used in search attributes, which Temporal
// stores unencrypted in its visibility store: the sha256 hex of the normalized address.
func HashEmail(email string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])
}

// MaskEmail shortens an address for summaries and reports: "jane@example.com" → "jane@…".
func MaskEmail(email string) string {
	if i := strings.IndexByte(email, '@'); i >= 0 {
		return email[:i+1] + "…"
	}
	return email
}

var shareCodeRe = regexp.MustCompile(`^[A-Za-z0-9_-]{4,50}$`)

// ValidShareCode applies Extole's rule for share codes: 4 to 50 letters, digits, '-' or '_'
// (reference extole.md §3.3, code_out_of_range and code_illegal_character).
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
