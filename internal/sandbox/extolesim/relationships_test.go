package extolesim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExtoleRelationships(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	alex := ex(t, base, http.MethodPost, "/v5/persons", map[string]string{"identity_key_value": "alex@example.com"}).JSON(t)["id"].(string)
	share := ex(t, base, http.MethodPost, "/v5/persons/"+alex+"/shareables", map[string]string{"label": "refer-a-friend"})
	require.Equal(t, 200, share.Status, "body: %s", share.Body)
	code := share.JSON(t)["code"].(string)
	event := func(name, email, pcid string, extra map[string]string) {
		data := map[string]string{"email": email, "partner_conversion_id": pcid}
		for k, v := range extra {
			data[k] = v
		}
		r := ex(t, base, http.MethodPost, "/v5/events", map[string]any{"event_name": name, "data": data})
		require.Equal(t, 200, r.Status, "body: %s", r.Body)
	}
	event("signed_up", "jane@example.com", "pc-1", map[string]string{"advocate_code": code})
	event("signed_up", "organic@example.com", "pc-2", nil)
	event("signed_up", "alex@example.com", "pc-3", map[string]string{"share_code": code}) // self-referral
	event("signed_up", "bob@example.com", "pc-4", map[string]string{"advocate_code": "nobody-has-it"})
	event("converted", "jane@example.com", "pc-5", nil) // attributed through the existing relationship
	require.Len(t, e.Relationships(), 2)

	person := func(email string) string {
		return ex(t, base, http.MethodGet, "/v5/persons?identity_key_value="+email, nil).Array(t)[0]["id"].(string)
	}
	jane := person("jane@example.com")
	tests := []struct {
		name      string
		path      string
		status    int
		wantOther []string
		wantEvent []string
	}{
		{"advocate: last relationship per friend", "/v5/persons/" + alex + "/relationships?my_roles=ADVOCATE", 200, []string{jane}, []string{"converted"}},
		{"advocate: every relationship", "/v5/persons/" + alex + "/relationships?include_duplicate_identities=true", 200, []string{jane, jane}, []string{"converted", "signed_up"}},
		{"advocate: converted friends", "/v5/persons/" + alex + "/relationships?my_roles=ADVOCATE&data_values=event_name:converted", 200, []string{jane}, []string{"converted"}},
		{"advocate: filtered before one per friend is kept", "/v5/persons/" + alex + "/relationships?data_values=event_name:signed_up", 200, []string{jane}, []string{"signed_up"}},
		{"friend: its advocate", "/v5/persons/" + jane + "/relationships?my_roles=FRIEND", 200, []string{alex}, []string{"converted"}},
		{"friend as advocate: none", "/v5/persons/" + jane + "/relationships?my_roles=ADVOCATE", 200, []string{}, nil},
		{"organic: none", "/v5/persons/" + person("organic@example.com") + "/relationships", 200, []string{}, nil},
		{"paged past the end", "/v5/persons/" + alex + "/relationships?offset=1", 200, []string{}, nil},
		{"bad data_values", "/v5/persons/" + alex + "/relationships?data_values=event_name", 400, nil, nil},
		{"unknown person", "/v5/persons/123/relationships", 403, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ex(t, base, http.MethodGet, tc.path, nil)
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			if tc.status != 200 {
				code := map[int]string{400: "data_values_invalid", 403: "person_not_found"}[tc.status]
				assert.Equal(t, code, r.JSON(t)["code"])
				return
			}
			others, events := []string{}, []string(nil)
			for _, rel := range r.Array(t) {
				others = append(others, rel["other_person_id"].(string))
				events = append(events, rel["data"].(map[string]any)["event_name"].(map[string]any)["value"].(string))
				assert.Equal(t, code, rel["data"].(map[string]any)["shareable_code"].(map[string]any)["value"])
				assert.Equal(t, "email", rel["other_person"].(map[string]any)["identity_key"].(map[string]any)["name"])
			}
			assert.Equal(t, tc.wantOther, others)
			assert.Equal(t, tc.wantEvent, events)
		})
	}
}
