package extole

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListRelationships(t *testing.T) {
	tests := []struct {
		name      string
		query     RelationshipQuery
		wantQuery string
		status    int
		answer    string
		want      []Relationship
		wantEmail string // OtherEmail of the first
		wantCode  string // DataText("shareable_code") of the first
		wantKind  Kind
	}{
		{name: "Extole's own app fixture: no other_person", query: RelationshipQuery{Role: RoleFriend},
			wantQuery: "limit=100&my_roles=FRIEND&offset=0", status: 200,
			answer: `[{"my_role":"FRIEND","other_person_id":"p_referrer","program":"referral-program"}]`,
			want:   []Relationship{{MyRole: "FRIEND", OtherPersonID: "p_referrer", Program: "referral-program"}}},
		{name: "newer shape with other_person and data", query: RelationshipQuery{Role: RoleAdvocate, DataValues: []string{"event_name:converted"}, Offset: 100},
			wantQuery: "data_values=event_name%3Aconverted&limit=100&my_roles=ADVOCATE&offset=100", status: 200,
			answer: `[{"id":"r1","my_role":"ADVOCATE","other_person_id":"p_friend","other_person":{"id":"p_friend","identity_key":{"name":"email"},"identity_key_value":"jane@example.com"},` +
				`"data":{"shareable_code":{"name":"shareable_code","value":"alex01"},"event_name":{"name":"event_name","value":"converted"}},"created_date":"2026-11-26T10:00:00.000Z"}]`,
			wantEmail: "jane@example.com", wantCode: "alex01"},
		{name: "unknown person", status: 403, wantQuery: "limit=100&offset=0",
			answer: `{"unique_id":"u","http_status_code":403,"code":"person_not_found","message":"Person not found","parameters":{"person_id":"p1"}}`, wantKind: KindNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "GET /v5/persons/p1/relationships", r.Method+" "+r.URL.Path)
				assert.Equal(t, tt.wantQuery, r.URL.RawQuery)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			got, err := New(srv.URL, "tok", nil).ListRelationships(context.Background(), "p1", tt.query)
			if tt.status != 200 {
				e, ok := AsError(err)
				require.True(t, ok, "%v", err)
				assert.Equal(t, tt.wantKind, e.Kind)
				return
			}
			require.NoError(t, err)
			if tt.want != nil {
				assert.Equal(t, tt.want, got)
			}
			require.NotEmpty(t, got)
			assert.Equal(t, tt.wantEmail, got[0].OtherEmail())
			assert.Equal(t, tt.wantCode, got[0].DataText("shareable_code"))
		})
	}
}

func TestGetPersonEmailOnlyForEmailIdentity(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":"p1","identity_key":{"name":"email"},"identity_key_value":"alex@example.com"}`: "alex@example.com",
		`{"id":"p1","identity_key":{"name":"partner_user_id"},"identity_key_value":"u-42"}`:   "",
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, "/v5/persons/p1", r.URL.Path)
			_, _ = w.Write([]byte(body))
		}))
		p, err := New(srv.URL, "tok", nil).GetPerson(context.Background(), "p1")
		srv.Close()
		require.NoError(t, err)
		assert.Equal(t, want, p.Email())
	}
}
