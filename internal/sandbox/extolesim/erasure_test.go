package extolesim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

func TestExtoleErasure(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	person := func(email string) string {
		r := ex(t, base, http.MethodPost, "/v5/persons", map[string]string{"identity_key_value": email})
		require.Less(t, r.Status, 300, "body: %s", r.Body)
		return r.JSON(t)["id"].(string)
	}
	jane := person("jane@example.com")

	first := ex(t, base, http.MethodPost, "/v4/erasures", map[string]string{"email": "Jane@example.com", "note": "hubspot-contact-1001"})
	require.Equal(t, 200, first.Status, "body: %s", first.Body)
	m := first.JSON(t)
	assert.Equal(t, []string{"created_date", "id", "note", "status"}, simtest.Keys(m))
	assert.Equal(t, "COMPLETED", m["status"])
	assert.Equal(t, "hubspot-contact-1001", m["note"])
	assert.Empty(t, e.Persons(), "the person is gone")
	assert.Equal(t, 403, ex(t, base, http.MethodGet, "/v5/persons/"+jane, nil).Status, "person_not_found")

	again := ex(t, base, http.MethodPost, "/v4/erasures", map[string]string{"email": "jane@example.com"}).JSON(t)
	assert.Equal(t, m["id"], again["id"], "a retried request answers with the same erasure")
	require.Len(t, e.Erasures(), 1)
	assert.Equal(t, 2, e.Erasures()[0].Requests)
	assert.Equal(t, []string{jane}, e.Erasures()[0].PersonIDs)

	back := person("jane@example.com")
	third := ex(t, base, http.MethodPost, "/v4/erasures", map[string]string{"email": "jane@example.com"}).JSON(t)
	assert.NotEqual(t, m["id"], third["id"], "a person who came back is erased anew")
	require.Len(t, e.Erasures(), 2)
	assert.Equal(t, []string{back}, e.Erasures()[1].PersonIDs)

	unknown := ex(t, base, http.MethodPost, "/v4/erasures", map[string]string{"email": "nobody@example.com"})
	require.Equal(t, 200, unknown.Status)
	assert.Nil(t, unknown.JSON(t)["note"])
	assert.Empty(t, e.Erasures()[2].PersonIDs)

	listed := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/erasures", nil).JSON(t)["erasures"].([]any)
	assert.Len(t, listed, 3)

	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"empty", map[string]string{}, "empty_request"},
		{"only a note", map[string]string{"note": "x"}, "empty_request"},
		{"bad email", map[string]string{"email": "not-an-email"}, "invalid_erasure_email"},
		{"not json", "{", "invalid_json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireExtoleError(t, ex(t, base, http.MethodPost, "/v4/erasures", tc.body), 400, tc.code)
		})
	}
}
