package codec

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

const uiOrigin = "http://localhost:8233"

func payloadsJSON(t *testing.T, ps ...*commonpb.Payload) string {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	require.NoError(t, err)
	return string(b)
}

func TestServer(t *testing.T) {
	c := mustParse(t, "k1:"+key(1))
	encrypted, err := c.Encode([]*commonpb.Payload{jsonPayload(t, "jane@example.com")})
	require.NoError(t, err)
	decodeBody := payloadsJSON(t, encrypted...)
	srv := httptest.NewServer(Handler(c, ServerOptions{AllowedOrigins: []string{uiOrigin}, AuthToken: "op-token"}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, method, path, origin, auth, body string
		wantStatus                             int
		wantCORS                               bool
		wantInBody                             string
	}{
		{name: "decode", method: "POST", path: "/decode", origin: uiOrigin, auth: "Bearer op-token", body: decodeBody,
			wantStatus: 200, wantCORS: true, wantInBody: "ImphbmVAZXhhbXBsZS5jb20i"}, // base64 of "jane@example.com" in JSON
		{name: "encode", method: "POST", path: "/encode", auth: "Bearer op-token", body: payloadsJSON(t, jsonPayload(t, "x")),
			wantStatus: 200, wantInBody: "YmluYXJ5L2VuY3J5cHRlZA"}, // base64 of binary/encrypted
		{name: "preflight from the UI", method: "OPTIONS", path: "/decode", origin: uiOrigin, wantStatus: 204, wantCORS: true},
		{name: "preflight from elsewhere", method: "OPTIONS", path: "/decode", origin: "https://evil.example", wantStatus: 204},
		{name: "no token", method: "POST", path: "/decode", origin: uiOrigin, body: decodeBody, wantStatus: 401, wantCORS: true},
		{name: "wrong token", method: "POST", path: "/decode", auth: "Bearer nope", body: decodeBody, wantStatus: 401},
		{name: "tampered payload", method: "POST", path: "/decode", auth: "Bearer op-token",
			body: strings.Replace(decodeBody, `"data":"`, `"data":"AAAA`, 1), wantStatus: 400},
		{name: "not JSON", method: "POST", path: "/decode", auth: "Bearer op-token", body: "{", wantStatus: 400},
		{name: "GET", method: "GET", path: "/decode", auth: "Bearer op-token", wantStatus: 405},
		{name: "other path", method: "POST", path: "/x/decode", auth: "Bearer op-token", body: decodeBody, wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			body := string(b)
			assert.Equal(t, tt.wantStatus, res.StatusCode, body)
			if tt.wantCORS {
				assert.Equal(t, tt.origin, res.Header.Get("Access-Control-Allow-Origin"))
				assert.Contains(t, res.Header.Get("Access-Control-Allow-Headers"), "X-Namespace")
			} else {
				assert.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
			}
			assert.Contains(t, body, tt.wantInBody)
			if tt.wantStatus == 200 {
				var out commonpb.Payloads
				require.NoError(t, protojson.Unmarshal([]byte(body), &out), "the SDK's remote codec client reads it")
				assert.True(t, json.Valid([]byte(body)))
			}
		})
	}
}
