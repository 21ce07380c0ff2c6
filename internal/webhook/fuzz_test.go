package webhook

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/workflows"
)

// goodIDText is the rule for every value that becomes part of a workflow ID or search attribute.
func goodIDText(t *testing.T, field, v string) {
	t.Helper()
	if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		t.Fatalf("accepted %s %q: invalid UTF-8 or control characters", field, v)
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{
		validBody,
		`{"event_name":"converted","event_time":"2026-11-26T10:00:00Z","data":{"email":"Deal@Example.com","partner_conversion_id":12345,"amount":"99.50","nested":{"a":[1,2]}}}`,
		`{"event_name":"lead","data":{"partner_user_id":"u1","partner_conversion_id":"pc-2"}}`,
		`{"event_name":"x","data":{"email":"a@b.co","partner_conversion_id":"` + strings.Repeat("é", 38) + `"}}`,
		`{"event_name":"x","data":{"email":"a@b.co","partner_conversion_id":"ab\ncd\u0000"}}`,
		`{"event_name":"x","data":{"email":"a@b.co","partner_conversion_id":"pc` + "\xff" + `"}}`,
		`{"event_name":"x","data":{"email":"a@b.co","partner_conversion_id":"pc\ud800"}}`,
		`{"event_name":"a/b","data":{}}`,
		`[1,2]`, `{}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, ferr := parseEvent(body)
		if ferr != nil {
			if ferr.field == "" || ferr.msg == "" {
				t.Fatalf("refusal without field or reason: %+v", ferr)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted a body that is not valid UTF-8: %q", body)
		}
		goodIDText(t, "event_name", in.EventName)
		if strings.TrimSpace(in.EventName) == "" || strings.Contains(in.EventName, "/") || utf8.RuneCountInString(in.EventName) > maxEventNameLen {
			t.Fatalf("accepted event_name %q", in.EventName)
		}
		pcid := in.PartnerConversionID()
		goodIDText(t, "partner_conversion_id", pcid)
		if strings.TrimSpace(pcid) == "" || utf8.RuneCountInString(pcid) > maxConversionIDLen {
			t.Fatalf("accepted partner_conversion_id %q", pcid)
		}
		email := in.Email()
		switch {
		case strings.TrimSpace(email) != "":
			goodIDText(t, "email", strings.TrimSpace(email)) // the ID hashes the trimmed address
			if !contact.ValidEmail(email) {
				t.Fatalf("accepted email %q", email)
			}
		case strings.TrimSpace(in.PartnerUserID()) == "":
			t.Fatalf("accepted an event with neither email nor partner_user_id: %q", body)
		}
		if id := workflows.EventStartOptions(in).ID; !utf8.ValidString(id) {
			t.Fatalf("workflow ID %q is not valid UTF-8", id)
		}
	})
}

func FuzzParseShareLink(f *testing.F) {
	for _, s := range []string{
		shareBody,
		`{"event":"Share Link Created","email":"jane@example.com","partner_user_id":"USER-1","timestamp":"2024-03-15T10:30:00.000Z","share_link":"share.example.com/jane12","share_code":"jane12"}`,
		`{"properties":{"email":"Jane@Example.com","share_link":"https://share.example.com/j","phone":5551234,"empty":"","ok":true}}`,
		`{"email":"jane@example.com","share_link":"r.example.com/x","event_time":1710498600000}`,
		`{"properties":{"email":"jane` + "\xff" + `@example.com","share_link":"r.example.com/x"}}`,
		`{"properties":{"email":"jane\u0000@example.com","share_link":"r.example.com/x"}}`,
		`{"properties":{"email":"jane@example.com","share_link":"r.example.com/x","share_code":"ab"}}`,
		`{"properties":"x"}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		l, ferr := parseShareLink(body, now)
		if ferr != nil {
			if ferr.field == "" || ferr.msg == "" {
				t.Fatalf("refusal without field or reason: %+v", ferr)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted a body that is not valid UTF-8: %q", body)
		}
		goodIDText(t, "email", l.Email)
		if !contact.ValidEmail(l.Email) {
			t.Fatalf("accepted email %q", l.Email)
		}
		if _, err := contact.NormalizeShareLink(l.Properties["share_link"]); err != nil {
			t.Fatalf("accepted share_link %q: %v", l.Properties["share_link"], err)
		}
		if code, ok := l.Properties["share_code"]; ok && !contact.ValidShareCode(code) {
			t.Fatalf("accepted share_code %q", code)
		}
		for k, v := range l.Properties {
			if !utf8.ValidString(k) || !utf8.ValidString(v) || v == "" {
				t.Fatalf("property %q = %q", k, v)
			}
		}
		if l.Key == "" || l.At.IsZero() {
			t.Fatalf("link without key or time: %+v", l)
		}
	})
}

// hmacEquivalent reports whether two HMAC-SHA256 keys are the same key: HMAC hashes a key longer than
// the block and pads a shorter one with zero bytes, so "k" and "k\x00" sign alike. That is a property of
// HMAC, not a forgery; the fuzzer would otherwise find it.
func hmacEquivalent(a, b string) bool {
	norm := func(k string) string {
		if len(k) > sha256.BlockSize {
			s := sha256.Sum256([]byte(k))
			k = string(s[:])
		}
		return strings.TrimRight(k, "\x00")
	}
	return norm(a) == norm(b)
}

// FuzzExtoleSignature: a signature made with the signing key over the body is always accepted; one made
// with another key, or over any other body, never is.
func FuzzExtoleSignature(f *testing.F) {
	f.Add("sk", "other", []byte(shareBody), []byte(strings.Replace(shareBody, "jane12", "mall12", 2)))
	f.Add("k", "k\x00", []byte(`{}`), []byte(`{} `))
	f.Add(strings.Repeat("s", 80), "", []byte(""), []byte("x"))
	f.Fuzz(func(t *testing.T, key, otherKey string, body, otherBody []byte) {
		if key == "" {
			t.Skip("no signing key = no signature required")
		}
		a := ExtoleAuth{Token: "tok", SigningKey: key}
		verify := func(sig string, b []byte) error {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/extole/share-links", nil)
			r.Header.Set("Authorization", "Bearer tok")
			r.Header.Set("X-Extole-Signature", sig)
			return a.verify(r, b)
		}
		good := hexHMAC(key, string(body))
		if err := verify(good, body); err != nil {
			t.Fatalf("correct signature refused: %v", err)
		}
		if err := verify(strings.ToUpper(good), body); err != nil {
			t.Fatalf("upper-case hex refused: %v", err)
		}
		if !hmacEquivalent(key, otherKey) && verify(hexHMAC(otherKey, string(body)), body) == nil {
			t.Fatalf("signature made with key %q accepted for key %q", otherKey, key)
		}
		if string(otherBody) != string(body) && verify(good, otherBody) == nil {
			t.Fatalf("signature over %q accepted for %q", body, otherBody)
		}
		if verify("", body) == nil {
			t.Fatal("missing signature accepted")
		}
	})
}
