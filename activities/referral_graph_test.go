package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnsureReferralLabelsCreatesThePairOnce(t *testing.T) {
	hs := hubspotsim.New(hubspotsim.Options{})
	srv := httptest.NewServer(hs)
	defer srv.Close()
	c := hubspot.New(srv.URL, "tok", nil)
	for _, want := range []string{"created", "existing"} {
		got, err := EnsureReferralLabels(context.Background(), c)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	require.Len(t, hs.ContactLabels(), 2)
	labels, err := (&HubSpot{Client: c}).FindReferralLabels(context.Background())
	require.NoError(t, err)
	assert.Equal(t, ReferralLabels{Found: true, ReferredBy: hs.ContactLabels()[0].TypeID, Referred: hs.ContactLabels()[1].TypeID}, labels)
}

func TestFriendReferrerIsTheLatestAttribution(t *testing.T) {
	tests := []struct {
		name   string
		status int // 0 = 200
		answer string
		want   Referrer
	}{
		{"none: organic", 0, `[]`, Referrer{}},
		{"the person is gone: none, not a failure", http.StatusForbidden,
			`{"unique_id":"1","http_status_code":403,"code":"person_not_found","message":"Person not found"}`, Referrer{}},
		{"the most recently updated advocate", 0, `[
			{"my_role":"FRIEND","other_person_id":"p-old","updated_date":"2026-11-20T10:00:00.000Z","data":{"shareable_code":{"name":"shareable_code","value":"old01"}}},
			{"my_role":"FRIEND","other_person_id":"p-new","updated_date":"2026-11-26T10:00:00.000-05:00","other_person":{"id":"p-new","identity_key":{"name":"email"},"identity_key_value":"alex@example.com"},"data":{"shareable_code":{"name":"shareable_code","value":"alex01"}}}]`,
			Referrer{Found: true, AdvocatePersonID: "p-new", AdvocateEmail: "alex@example.com", Code: "alex01"}},
		{"advocate roles are not referrers", 0, `[{"my_role":"ADVOCATE","other_person_id":"p-friend"}]`, Referrer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				assert.Equal(t, "FRIEND", r.URL.Query().Get("my_roles"))
				if tt.status != 0 {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tt.status)
				}
				_, _ = w.Write([]byte(tt.answer))
			}))
			defer srv.Close()
			got, err := (&Extole{Client: extole.New(srv.URL, "tok", nil)}).FriendReferrer(context.Background(), "p-jane")
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
