package hubspotsim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

func TestHubSpotProperties(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})

	for _, n := range []string{"email", "firstname", "lastname", "company", "phone", "createdate", "lastmodifieddate", "hs_object_id"} {
		assert.Equal(t, 200, hs(t, base, http.MethodGet, propertiesBase+"/"+n, nil).Status, "built-in %s", n)
	}

	r := hs(t, base, http.MethodGet, propertiesBase+"/email", nil)
	require.Equal(t, 200, r.Status)
	email := r.JSON(t)
	assert.Equal(t, "string", email["type"])
	assert.Equal(t, "contactinformation", email["groupName"])
	assert.Equal(t, []any{}, email["options"])
	requireHubSpotError(t, hs(t, base, http.MethodGet, propertiesBase+"/share_link", nil), 404, "OBJECT_NOT_FOUND")

	create := `{"name":"share_link","label":"Share link","type":"string","fieldType":"text","groupName":"contactinformation","description":"Extole share link"}`
	r = hs(t, base, http.MethodPost, propertiesBase, create)
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	p := r.JSON(t)
	assert.Equal(t, "share_link", p["name"])
	assert.Equal(t, "Share link", p["label"])
	assert.Equal(t, "Extole share link", p["description"])
	assert.Equal(t, []any{}, p["options"])
	assert.Contains(t, p, "createdAt")
	assert.Equal(t, false, p["modificationMetadata"].(map[string]any)["readOnlyValue"])

	r = hs(t, base, http.MethodPost, propertiesBase, create)
	m := requireHubSpotError(t, r, 409, "OBJECT_ALREADY_EXISTS")
	assert.Equal(t, "Property named 'share_link' already exists.", m["message"])

	for _, tc := range []struct{ name, body string }{
		{"missing label", `{"name":"x","type":"string","fieldType":"text","groupName":"contactinformation"}`},
		{"unknown type", `{"name":"x","label":"X","type":"text","fieldType":"text","groupName":"contactinformation"}`},
		{"unknown fieldType", `{"name":"x","label":"X","type":"string","fieldType":"dropdown","groupName":"contactinformation"}`},
		{"unknown group", `{"name":"x","label":"X","type":"string","fieldType":"text","groupName":"referrals"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireHubSpotError(t, hs(t, base, http.MethodPost, propertiesBase, tc.body), 400, "VALIDATION_ERROR")
		})
	}

	// The new property can now be written and read on contacts.
	r = hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co","share_link":"https://refer.example.com/a01"}}`)
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	c, ok := h.ContactByEmail("a@b.co")
	require.True(t, ok)
	assert.Equal(t, "https://refer.example.com/a01", c.Properties["share_link"])

	// Groups.
	assert.Equal(t, 200, hs(t, base, http.MethodGet, propertiesBase+"/groups/contactinformation", nil).Status)
	requireHubSpotError(t, hs(t, base, http.MethodGet, propertiesBase+"/groups/referrals", nil), 404, "OBJECT_NOT_FOUND")
	r = hs(t, base, http.MethodPost, propertiesBase+"/groups", `{"name":"referrals","label":"Referrals"}`)
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	assert.Equal(t, "referrals", r.JSON(t)["name"])
	requireHubSpotError(t, hs(t, base, http.MethodPost, propertiesBase+"/groups", `{"name":"referrals","label":"Referrals"}`), 409, "OBJECT_ALREADY_EXISTS")
	requireHubSpotError(t, hs(t, base, http.MethodPost, propertiesBase+"/groups", `{"name":"nolabel"}`), 400, "VALIDATION_ERROR")
	assert.Equal(t, 201, hs(t, base, http.MethodPost, propertiesBase, `{"name":"share_code","label":"Share code","type":"string","fieldType":"text","groupName":"referrals"}`).Status)

	// The 0-1 alias and the admin view.
	assert.Equal(t, 200, hs(t, base, http.MethodGet, "/crm/v3/properties/0-1/share_code", nil).Status)
	adm := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/properties", nil).JSON(t)
	assert.Len(t, adm["properties"], len(h.Properties()))
	assert.Equal(t, 4, h.Stats().Writes, "2 properties, 1 group, 1 contact")
}
