package hubspotsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sha256Hex(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
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

// FuzzVerifyV1: the signature of (secret, body) verifies; with another secret, another body or any
// other signature text that is not the same digest, it does not.
func FuzzVerifyV1(f *testing.F) {
	f.Add(vecSecret, "other-secret", []byte(vecBodyV1), []byte(vecBodyV1+" "), "232db2")
	f.Add("", "x", []byte(""), []byte("\x00"), strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, secret, other string, body, otherBody []byte, sig string) {
		good := sha256Hex(secret, string(body))
		if !VerifyV1(secret, body, good) || !VerifyV1(secret, body, strings.ToUpper(good)) {
			t.Fatal("correct signature refused")
		}
		if other != secret && VerifyV1(other, body, good) {
			t.Fatalf("signature made with %q accepted for %q", secret, other)
		}
		if string(otherBody) != string(body) && VerifyV1(secret, otherBody, good) {
			t.Fatalf("signature over %q accepted for %q", body, otherBody)
		}
		if VerifyV1(secret, body, sig) {
			if got, err := hex.DecodeString(strings.TrimSpace(sig)); err != nil || hex.EncodeToString(got) != good {
				t.Fatalf("accepted %q, which is not the signature %s", sig, good)
			}
		}
	})
}

// FuzzVerifyV2: as v1, over secret + method + URI + body.
func FuzzVerifyV2(f *testing.F) {
	f.Add(vecSecret, "other", "POST", vecURI, []byte(vecBodyJSON), []byte(vecBodyJSON+"x"), "")
	f.Add("s", "s ", "GET", "", []byte(""), []byte("a"), "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e")
	f.Fuzz(func(t *testing.T, secret, other, method, uri string, body, otherBody []byte, sig string) {
		good := sha256Hex(secret, method, uri, string(body))
		if !VerifyV2(secret, method, uri, body, good) {
			t.Fatal("correct signature refused")
		}
		if other != secret && VerifyV2(other, method, uri, body, good) {
			t.Fatalf("signature made with %q accepted for %q", secret, other)
		}
		if string(otherBody) != string(body) && VerifyV2(secret, method, uri, otherBody, good) {
			t.Fatalf("signature over %q accepted for %q", body, otherBody)
		}
		if VerifyV2(secret, method, uri, body, sig) {
			if got, err := hex.DecodeString(strings.TrimSpace(sig)); err != nil || hex.EncodeToString(got) != good {
				t.Fatalf("accepted %q, which is not the signature %s", sig, good)
			}
		}
	})
}

// FuzzVerifyV3: a signature over the request with a timestamp within five minutes of now verifies; the
// same signature with another secret, another body, or a timestamp outside the window does not, and
// nothing that is not one of the two accepted URI forms' MACs is ever accepted.
func FuzzVerifyV3(f *testing.F) {
	f.Add(vecSecret, "other", "POST", vecURI, []byte(vecBodyJSON), []byte(vecBodyJSON+" "), int64(0), "")
	f.Add("s", "s\x00", "POST", "https://x.example.com/a%3Ab?c=%2f", []byte("{}"), []byte("{ }"), int64(-301_000), "AAAA")
	f.Add("s", "t", "GET", "", []byte(""), []byte("a"), int64(299_999), "")
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, secret, other, method, uri string, body, otherBody []byte, offsetMs int64, sig string) {
		ts := strconv.FormatInt(now.UnixMilli()+offsetMs, 10)
		good := base64.StdEncoding.EncodeToString(v3MAC(secret, method, uri, body, ts))
		err := VerifyV3(secret, method, uri, body, ts, good, now)
		inWindow := offsetMs >= -MaxSignatureAge.Milliseconds() && offsetMs <= MaxSignatureAge.Milliseconds()
		if inWindow != (err == nil) {
			t.Fatalf("offset %d ms: in window %v, got %v", offsetMs, inWindow, err)
		}
		if !inWindow {
			return
		}
		if !hmacEquivalent(secret, other) && VerifyV3(other, method, uri, body, ts, good, now) == nil {
			t.Fatalf("signature made with %q accepted for %q", secret, other)
		}
		if string(otherBody) != string(body) && VerifyV3(secret, method, uri, otherBody, ts, good, now) == nil {
			t.Fatalf("signature over %q accepted for %q", body, otherBody)
		}
		if VerifyV3(secret, method, uri, body, ts, sig, now) == nil {
			got, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
			if !hmac.Equal(got, v3MAC(secret, method, uri, body, ts)) && !hmac.Equal(got, v3MAC(secret, method, decodeSignatureURI(uri), body, ts)) {
				t.Fatalf("accepted %q, which is the MAC of neither URI form", sig)
			}
		}
	})
}
