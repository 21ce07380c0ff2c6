package hubspotsim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHubSpotContactLabels(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	const labels = "/crm/associations/v4/contacts/contacts/labels"
	pair := map[string]string{"name": "extole_referred_by", "label": "Referred by", "inverseLabel": "Referred"}

	created := hs(t, base, http.MethodPost, labels, pair)
	require.Equal(t, 200, created.Status, "body: %s", created.Body)
	assert.Equal(t, []any{
		map[string]any{"category": "USER_DEFINED", "typeId": 145.0, "label": "Referred"},
		map[string]any{"category": "USER_DEFINED", "typeId": 144.0, "label": "Referred by"},
	}, created.JSON(t)["results"])
	listed := hs(t, base, http.MethodGet, "/crm/v4/associations/contacts/contacts/labels", nil).JSON(t)["results"].([]any)
	assert.Len(t, listed, 3, "HubSpot's unlabelled type and the pair")

	for _, tc := range []struct {
		name   string
		body   any
		status int
		cat    string
	}{
		{"the same name again", pair, 409, "CONFLICT"},
		{"hyphen in the name", map[string]string{"name": "referred-by", "label": "x"}, 400, "VALIDATION_ERROR"},
		{"no label", map[string]string{"name": "x"}, 400, "VALIDATION_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hs(t, base, http.MethodPost, labels, tc.body)
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			assert.Equal(t, tc.cat, r.JSON(t)["category"])
			assert.Equal(t, "error", r.JSON(t)["status"])
		})
	}
	require.Len(t, h.ContactLabels(), 2)

	ids := h.Seed(2, func(i int) map[string]string {
		return map[string]string{"email": []string{"jane@example.com", "alex@example.com"}[i]}
	})
	jane, alex := ids[0], ids[1]
	path := "/crm/v4/objects/contacts/" + jane + "/associations/contacts/" + alex
	label := []map[string]any{{"associationCategory": "USER_DEFINED", "associationTypeId": 144}}
	put := hs(t, base, http.MethodPut, path, label)
	require.Equal(t, 201, put.Status, "body: %s", put.Body)
	assert.Equal(t, []any{"Referred by"}, put.JSON(t)["labels"])
	writes := h.Stats().Writes
	require.Equal(t, 201, hs(t, base, http.MethodPut, path, label).Status)
	assert.Equal(t, writes, h.Stats().Writes, "the same label again changes nothing")
	assert.Equal(t, map[string][]string{alex: {"Referred by"}}, h.ContactAssociations(jane))
	assert.Equal(t, map[string][]string{jane: {"Referred"}}, h.ContactAssociations(alex), "the other side gets the inverse label")

	for _, tc := range []struct {
		name string
		path string
		body any
		msg  string
	}{
		{"unknown contact", "/crm/v4/objects/contacts/" + jane + "/associations/contacts/999", label, "One or more associations are invalid"},
		{"unknown type", path, []map[string]any{{"associationCategory": "USER_DEFINED", "associationTypeId": 7}}, "association type USER_DEFINED/7 is not valid from contacts to contacts"},
		{"spec fields missing", path, []map[string]any{{}}, "Invalid input JSON on line 1, column 3. Some required fields were not set: [associationCategory, associationTypeId]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hs(t, base, http.MethodPut, tc.path, tc.body)
			require.Equal(t, 400, r.Status, "body: %s", r.Body)
			assert.Equal(t, tc.msg, r.JSON(t)["message"])
		})
	}
}
