package hubspotsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Published vectors, docs/hubspot-api.md#request-signatures.
const (
	vecSecret    = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
	vecURI       = "https://www.example.com/webhook_uri"
	vecBodyV1    = `[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]`
	vecBodyQuote = `{'example_field':'example_value'}` // PY/RUBY tests hash this non-JSON string
	vecBodyJSON  = `{"example_field":"example_value"}`
)

func TestVerifyV1_Vectors(t *testing.T) {
	tests := []struct {
		name, body, sig string
	}{
		{"docs+node webhook array", vecBodyV1, "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"},
		{"python/ruby", vecBodyQuote, "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"},
		{"upper-case hex", vecBodyQuote, strings.ToUpper("69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, VerifyV1(vecSecret, []byte(tt.body), tt.sig))
			assert.False(t, VerifyV1(vecSecret, []byte(tt.body+" "), tt.sig), "tampered body")
			assert.False(t, VerifyV1("other-secret", []byte(tt.body), tt.sig), "wrong secret")
		})
	}
	assert.False(t, VerifyV1(vecSecret, []byte(vecBodyV1), ""), "empty signature")
	assert.False(t, VerifyV1(vecSecret, []byte(vecBodyV1), "zz"), "not hex")
	assert.False(t, VerifyV1(vecSecret, []byte(vecBodyV1), "232db2"), "truncated")
}

func TestVerifyV2_Vectors(t *testing.T) {
	tests := []struct {
		name, method, body, sig string
	}{
		{"GET empty body", "GET", "", "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"},
		{"POST json body", "POST", vecBodyJSON, "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"},
		{"POST python body", "POST", vecBodyQuote, "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, VerifyV2(vecSecret, tt.method, vecURI, []byte(tt.body), tt.sig))
			assert.False(t, VerifyV2(vecSecret, tt.method, vecURI, []byte(tt.body+"x"), tt.sig), "tampered body")
			assert.False(t, VerifyV2(vecSecret, tt.method, vecURI+"?a=1", []byte(tt.body), tt.sig), "tampered uri")
			assert.False(t, VerifyV2(vecSecret, "PUT", vecURI, []byte(tt.body), tt.sig), "tampered method")
			assert.False(t, VerifyV2("other", tt.method, vecURI, []byte(tt.body), tt.sig), "wrong secret")
		})
	}
}

func TestVerifyV3_Vectors(t *testing.T) {
	tests := []struct {
		name, body, ts, sig string
	}{
		{"python", vecBodyQuote, "1693657560000", "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="},
		{"ruby 1277cad", vecBodyQuote, "15000000", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
		{"ruby later", vecBodyQuote, "1700000300000", "RnbPH7+UMKVkbV32P8bz450N4M56aPmcru1+D3kSDtw="},
		{"json body (computed in reference)", vecBodyJSON, "1693657560000", "oaA3M5dEtt6kFsseJD/Hv/x+JNl1vsoxFj4oxmwP6Go="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := strconv.ParseInt(tt.ts, 10, 64)
			require.NoError(t, err)
			now := time.UnixMilli(ms).Add(time.Minute) // the request arrived a minute after signing
			assert.NoError(t, VerifyV3(vecSecret, "POST", vecURI, []byte(tt.body), tt.ts, tt.sig, now))

			tampered := []struct {
				what              string
				method, uri, body string
			}{
				{"body", "POST", vecURI, tt.body + " "},
				{"uri", "POST", vecURI + "/x", tt.body},
				{"method", "PUT", vecURI, tt.body},
			}
			for _, tp := range tampered {
				err := VerifyV3(vecSecret, tp.method, tp.uri, []byte(tp.body), tt.ts, tt.sig, now)
				assert.ErrorIs(t, err, ErrSignatureMismatch, "tampered %s", tp.what)
			}
			assert.ErrorIs(t, VerifyV3("other", "POST", vecURI, []byte(tt.body), tt.ts, tt.sig, now), ErrSignatureMismatch)
			// The timestamp is part of the signed message: a fresh timestamp cannot be grafted on.
			fresh := strconv.FormatInt(ms+1000, 10)
			assert.ErrorIs(t, VerifyV3(vecSecret, "POST", vecURI, []byte(tt.body), fresh, tt.sig, now), ErrSignatureMismatch)
		})
	}
}

func signV3(secret, method, uri, body, ts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri + body + ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestVerifyV3_Timestamps(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	tests := []struct {
		name string
		ts   string
		want error
	}{
		{"now", at(0), nil},
		{"4m59s old", at(-4*time.Minute - 59*time.Second), nil},
		{"exactly 5m old", at(-MaxSignatureAge), nil},
		{"5m1s old", at(-MaxSignatureAge - time.Second), ErrTimestampExpired},
		{"a day old", at(-24 * time.Hour), ErrTimestampExpired},
		{"4m in the future (clock skew)", at(4 * time.Minute), nil},
		{"6m in the future", at(6 * time.Minute), ErrTimestampInvalid},
		{"empty", "", ErrTimestampInvalid},
		{"not a number", "abc", ErrTimestampInvalid},
		{"negative", "-5", ErrTimestampInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := signV3(vecSecret, "POST", vecURI, vecBodyJSON, tt.ts)
			err := VerifyV3(vecSecret, "POST", vecURI, []byte(vecBodyJSON), tt.ts, sig, now)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestVerifyV3_URIDecodeTable(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	raw := "https://hooks.example.com/hubspot/contact%3Fsource%3dhs?email=jane%40Example.com&tags=%28a%2Cb%29%3B%2a%21%24%27%2f%3a&sp=a%20b"
	decoded := "https://hooks.example.com/hubspot/contact?source%3dhs?email=jane@Example.com&tags=(a,b);*!$'/:&sp=a%20b"
	// %3d ('=') is not in the table and %20 neither: both stay as sent.
	require.Equal(t, decoded, decodeSignatureURI(raw))

	tests := []struct {
		name   string
		signed string // the URI the signer used
		want   error
	}{
		{"signer decoded (docs)", decoded, nil},
		{"signer used raw URI (SDKs)", raw, nil},
		{"signer decoded beyond the table", strings.ReplaceAll(decoded, "%20", " "), ErrSignatureMismatch},
		{"different URI", "https://hooks.example.com/hubspot/other", ErrSignatureMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := signV3(vecSecret, "POST", tt.signed, vecBodyJSON, ts)
			err := VerifyV3(vecSecret, "POST", raw, []byte(vecBodyJSON), ts, sig, now)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

func TestDecodeSignatureURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://x.io/a", "https://x.io/a"},
		{"%3A%2F%3F%40%21%24%27%28%29%2A%2C%3B", ":/?@!$'()*,;"},
		{"%3a%2f%3f%40%21%24%27%28%29%2a%2c%3b", ":/?@!$'()*,;"},
		{"%20%25%3D%", "%20%25%3D%"},
		{"a%4", "a%4"},
		{"%%40", "%@"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, decodeSignatureURI(tt.in), tt.in)
	}
}

func TestVerifyV3_BadSignatureEncoding(t *testing.T) {
	now := time.Now()
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	for _, sig := range []string{"", "not base64!", "AAAA"} {
		assert.ErrorIs(t, VerifyV3(vecSecret, "POST", vecURI, nil, ts, sig, now), ErrSignatureMismatch, sig)
	}
}
