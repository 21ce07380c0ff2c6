package webhook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

const shareBody = `{"properties":{"email":"jane@example.com","share_code":"jane12","share_link":"https://refer.example.com/jane12"}}`

// Requests refused before any workflow is touched (fakeTemporal panics on any call).
func TestShareLinkRefusals(t *testing.T) {
	tok := ExtoleAuth{Token: "tok"}
	signed := ExtoleAuth{Token: "tok", SigningKey: "sk"}
	tests := []struct {
		name    string
		auth    ExtoleAuth
		body    string
		headers map[string]string
		want    int
		field   string
	}{
		{"token not configured", ExtoleAuth{}, shareBody, nil, 503, ""},
		{"no bearer", tok, shareBody, nil, 401, ""},
		{"wrong bearer", tok, shareBody, map[string]string{"Authorization": "Bearer nope"}, 401, ""},
		{"basic instead of bearer", tok, shareBody, map[string]string{"Authorization": "Basic tok"}, 401, ""},
		{"signature missing", signed, shareBody, map[string]string{"Authorization": "Bearer tok"}, 401, ""},
		{"signature wrong", signed, shareBody, map[string]string{"Authorization": "Bearer tok", "X-Extole-Signature": hexHMAC("other", shareBody)}, 401, ""},
		{"not json", tok, shareBody, map[string]string{"Authorization": "Bearer tok", "Content-Type": "text/plain"}, 415, ""},
		{"no email", tok, `{"properties":{"share_link":"https://r.example.com/x"}}`, map[string]string{"Authorization": "Bearer tok"}, 400, "properties.email"},
		{"bad email", tok, `{"email":"nope","share_link":"https://r.example.com/x"}`, map[string]string{"Authorization": "Bearer tok"}, 400, "email"},
		{"no link", tok, `{"email":"a@example.com"}`, map[string]string{"Authorization": "Bearer tok"}, 400, "share_link"},
		{"bad link", tok, `{"email":"a@example.com","share_link":"not a link"}`, map[string]string{"Authorization": "Bearer tok"}, 400, "share_link"},
		{"short code", tok, `{"email":"a@example.com","share_link":"r.example.com/x","share_code":"abc"}`, map[string]string{"Authorization": "Bearer tok"}, 400, "share_code"},
		{"code with space", tok, `{"email":"a@example.com","share_link":"r.example.com/x","share_code":"ab cd"}`, map[string]string{"Authorization": "Bearer tok"}, 400, "share_code"},
		{"nested value", tok, `{"properties":{"email":"a@example.com","share_link":"r.example.com/x","extra":{"a":1}}}`, map[string]string{"Authorization": "Bearer tok"}, 400, "properties.extra"},
		{"properties not an object", tok, `{"properties":"x"}`, map[string]string{"Authorization": "Bearer tok"}, 400, "properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewRouter(Deps{Temporal: &fakeTemporal{}, Log: zap.NewNop(), Extole: tt.auth})
			req := httptest.NewRequest(http.MethodPost, "/webhooks/extole/share-links", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.want, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), `"error"`)
			if tt.field != "" {
				assert.Contains(t, rec.Body.String(), `"field":"`+tt.field+`"`)
			}
			assert.NotContains(t, rec.Body.String(), "tok\"", "the token is never echoed")
		})
	}
}

func TestParseShareLinkForms(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	nested, ferr := parseShareLink([]byte(`{"properties":{"email":"Jane@Example.com","share_code":"jane12","share_link":"share.example.com/jane12","company":"Example Co","extole_app_type":"hubspot","phone":5551234,"empty":""}}`), now)
	require.Nil(t, ferr)
	assert.Equal(t, "Jane@Example.com", nested.Email)
	assert.Equal(t, map[string]string{"share_code": "jane12", "share_link": "https://share.example.com/jane12",
		"company": "Example Co", "extole_app_type": "hubspot", "phone": "5551234"}, nested.Properties,
		"every property as sent, scheme added, empty values not written")
	assert.Equal(t, now, nested.At, "arrival time without an event time")

	flat, ferr := parseShareLink([]byte(`{"event":"Share Link Created","email":"jane@example.com","partner_user_id":"USER-1","timestamp":"2024-03-15T10:30:00.000Z","share_link":"https://share.example.com/jane12","share_code":"jane12"}`), now)
	require.Nil(t, ferr)
	assert.Equal(t, map[string]string{"share_code": "jane12", "share_link": "https://share.example.com/jane12"}, flat.Properties,
		"envelope and Extole identities are not HubSpot properties")
	assert.Equal(t, time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC), flat.At)
	assert.Equal(t, nested.Key == flat.Key, false)

	again, _ := parseShareLink([]byte(`{"email":"JANE@example.com","share_code":"jane12","share_link":"https://share.example.com/jane12","timestamp":"2026-01-01T00:00:00Z"}`), now)
	assert.Equal(t, flat.Key, again.Key, "same link for the same contact = same key, whenever it arrives")

	for raw, want := range map[string]time.Time{
		`1710498600`:      time.Unix(1710498600, 0).UTC(),
		`1710498600000`:   time.UnixMilli(1710498600000).UTC(),
		`"1710498600000"`: time.UnixMilli(1710498600000).UTC(),
		`"yesterday"`:     now,
	} {
		l, ferr := parseShareLink([]byte(`{"email":"a@example.com","share_link":"r.example.com/x","event_time":`+raw+`}`), now)
		require.Nil(t, ferr, raw)
		assert.Equal(t, want, l.At, raw)
	}
}
