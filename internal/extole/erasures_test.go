package extole

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestErasure(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		answer   string
		wantErr  bool
		wantKind Kind
		want     Erasure
	}{
		{"documented sample", 200, `{"id":"8620b00dea6d786780a3bb0d9","status":"COMPLETED","note":"hubspot-contact-123","created_date":"2019-09-03T20:38:01.755Z"}`, false, 0,
			Erasure{ID: "8620b00dea6d786780a3bb0d9", Status: "COMPLETED", Note: "hubspot-contact-123", CreatedDate: "2019-09-03T20:38:01.755Z"}},
		{"without id, as the client library has it", 200, `{"status":"COMPLETED","note":"hubspot-contact-123","created_date":"2019-09-03T20:38:01.755Z"}`, false, 0,
			Erasure{Status: "COMPLETED", Note: "hubspot-contact-123", CreatedDate: "2019-09-03T20:38:01.755Z"}},
		{"malformed email is permanent", 400, `{"code":"invalid_erasure_email","message":"Invalid erasure email","http_status_code":400}`, true, KindInvalid, Erasure{}},
		{"outage is retried", 503, ``, true, KindTransient, Erasure{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "POST /v4/erasures", r.Method+" "+r.URL.Path)
				var body map[string]string
				require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
				assert.Equal(t, map[string]string{"email": "jane@example.com", "note": "hubspot-contact-123"}, body)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			got, err := New(srv.URL, "tok", nil).RequestErasure(context.Background(), "jane@example.com", "hubspot-contact-123")
			if tt.wantErr {
				e, ok := AsError(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, tt.wantKind, e.Kind)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
