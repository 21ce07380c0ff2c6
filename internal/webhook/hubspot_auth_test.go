package webhook

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

// X-Forwarded-Proto/Host decide which URI a v3 signature must cover. From an untrusted peer they are the
// attacker's to choose (e.g. to replay a request HubSpot signed for another host), so only a configured
// proxy may set them.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	const secret = "client-secret"
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	const path = "/webhooks/hubspot/events"
	const ownURI = "http://bridge.internal:8080" + path // the request's own Host
	const forwardedURI = "https://bridge.example.org" + path
	const spoofedURI = "https://evil.example" + path
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	forwarded := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "bridge.example.org"}
	spoofed := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}

	tests := []struct {
		name       string
		trusted    []netip.Prefix
		publicBase string
		peer       string
		header     map[string]string
		signedURI  string
		want       int
	}{
		{"untrusted peer: spoofed host does not change the URI", nil, "", "203.0.113.9:4711", spoofed, spoofedURI, 401},
		{"untrusted peer: the connection's own URI verifies despite spoofed headers", nil, "", "203.0.113.9:4711", spoofed, ownURI, 202},
		{"peer outside the trusted ranges", proxies, "", "192.0.2.1:4711", forwarded, forwardedURI, 401},
		{"trusted proxy: forwarded URI verifies", proxies, "", "10.1.2.3:4711", forwarded, forwardedURI, 202},
		{"trusted IPv6 proxy", proxies, "", "[::1]:4711", forwarded, forwardedURI, 202},
		{"trusted proxy: own URI no longer matches", proxies, "", "10.1.2.3:4711", forwarded, ownURI, 401},
		{"PUBLIC_BASE_URL wins over a trusted proxy's headers", proxies, "https://public.example", "10.1.2.3:4711", forwarded, "https://public.example" + path, 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTemporal{}
			auth := HubSpotAuth{ClientSecret: secret, PublicBaseURL: tt.publicBase, Now: func() time.Time { return now }}
			h := NewRouter(Deps{Temporal: ft, Log: zap.NewNop(), HubSpot: auth, TrustedProxies: tt.trusted})
			req := httptest.NewRequest(http.MethodPost, ownURI, strings.NewReader(validBody))
			req.RemoteAddr = tt.peer
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-HubSpot-Signature-v3", signV3(secret, http.MethodPost, tt.signedURI, validBody, ts))
			req.Header.Set("X-HubSpot-Request-Timestamp", ts)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, rec.Body.String())
			if tt.want == 401 {
				assert.Empty(t, ft.starts, "nothing started")
			}
		})
	}
}
