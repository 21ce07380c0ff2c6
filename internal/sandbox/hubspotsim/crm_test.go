package hubspotsim

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

// createDeal creates a deal and returns its id.
func createDeal(t *testing.T, base string, props map[string]any, assocs ...any) string {
	t.Helper()
	if _, ok := props["dealname"]; !ok {
		props["dealname"] = "Deal"
	}
	body := map[string]any{"properties": props}
	if len(assocs) > 0 {
		body["associations"] = assocs
	}
	r := hs(t, base, http.MethodPost, dealsBase, body)
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	return r.JSON(t)["id"].(string)
}

func assocTo(id any, typeID int) map[string]any {
	return map[string]any{"to": map[string]any{"id": id}, "types": []map[string]any{{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": typeID}}}
}

func TestHubSpotDeals(t *testing.T) {
	_, base := newHubSpotServer(t, Options{})
	id := createDeal(t, base, map[string]any{"dealname": "Acme renewal", "amount": 1500.5, "dealstage": "appointmentscheduled"})

	t.Run("read with the default properties", func(t *testing.T) {
		m := hs(t, base, http.MethodGet, dealsBase+"/"+id, "").JSON(t)
		assert.Equal(t, id, m["id"])
		props := m["properties"].(map[string]any)
		assert.Equal(t, "1500.5", props["amount"], "numbers are stored as their text")
		assert.Equal(t, "default", props["pipeline"], "a deal without a pipeline goes into default")
		assert.Equal(t, id, props["hs_object_id"])
		assert.NotContains(t, props, "deal_currency_code", "not a default property")
		assert.Equal(t, false, m["archived"])
	})
	t.Run("read the requested properties", func(t *testing.T) {
		m := hs(t, base, http.MethodGet, dealsBase+"/"+id+"?properties=amount,deal_currency_code", "").JSON(t)
		assert.Equal(t, []string{"amount", "createdate", "deal_currency_code", "hs_lastmodifieddate", "hs_object_id"}, simtest.Keys(m["properties"].(map[string]any)))
		assert.Equal(t, "USD", m["properties"].(map[string]any)["deal_currency_code"])
	})
	t.Run("patch moves the stage", func(t *testing.T) {
		r := hs(t, base, http.MethodPatch, dealsBase+"/"+id, map[string]any{"properties": map[string]any{"dealstage": "closedwon"}})
		require.Equal(t, 200, r.Status, "body: %s", r.Body)
		assert.Equal(t, "closedwon", r.JSON(t)["properties"].(map[string]any)["dealstage"])
	})
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		category           string
	}{
		{"missing deal", http.MethodGet, dealsBase + "/999", "", 404, "OBJECT_NOT_FOUND"},
		{"patch missing deal", http.MethodPatch, dealsBase + "/999", map[string]any{"properties": map[string]any{"dealname": "x"}}, 404, "OBJECT_NOT_FOUND"},
		{"contact id is not a deal id", http.MethodGet, dealsBase + "/1001", "", 404, "OBJECT_NOT_FOUND"},
		{"stage of another pipeline", http.MethodPost, dealsBase, map[string]any{"properties": map[string]any{"dealname": "x", "dealstage": "1234914"}}, 400, "VALIDATION_ERROR"},
		{"unknown pipeline", http.MethodPost, dealsBase, map[string]any{"properties": map[string]any{"dealname": "x", "dealstage": "closedwon", "pipeline": "nope"}}, 400, "VALIDATION_ERROR"},
		{"no stage", http.MethodPost, dealsBase, map[string]any{"properties": map[string]any{"dealname": "x"}}, 400, "VALIDATION_ERROR"},
		{"no name", http.MethodPost, dealsBase, map[string]any{"properties": map[string]any{"dealstage": "closedwon"}}, 400, "VALIDATION_ERROR"},
		{"unknown property", http.MethodPost, dealsBase, map[string]any{"properties": map[string]any{"dealname": "x", "dealstage": "closedwon", "nope": "1"}}, 400, "VALIDATION_ERROR"},
		{"amount not a number", http.MethodPatch, dealsBase + "/" + id, map[string]any{"properties": map[string]any{"amount": "lots"}}, 400, "VALIDATION_ERROR"},
		{"association to a missing contact", http.MethodPost, dealsBase, map[string]any{"properties": map[string]any{"dealname": "x", "dealstage": "closedwon"}, "associations": []any{assocTo("42", 3)}}, 400, "VALIDATION_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireHubSpotError(t, hs(t, base, tc.method, tc.path, tc.body), tc.status, tc.category)
		})
	}
}

func TestHubSpotLineItemsAndAssociations(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	contacts := h.Seed(2, func(i int) map[string]string { return map[string]string{"email": fmt.Sprintf("c%d@example.com", i)} })
	deal := createDeal(t, base, map[string]any{"dealname": "Deal", "dealstage": "closedwon"}, assocTo(contacts[1], 3))

	var items []string
	for _, li := range []map[string]any{{"name": "Pro plan", "quantity": 2, "price": 10}, {"name": "Setup", "quantity": "1", "price": "99.5", "amount": "99.50"}} {
		r := hs(t, base, http.MethodPost, lineItemsBase, map[string]any{"properties": li, "associations": []any{assocTo(deal, 20)}})
		require.Equal(t, 201, r.Status, "body: %s", r.Body)
		items = append(items, r.JSON(t)["id"].(string))
	}

	t.Run("batch read reports missing ids with 207", func(t *testing.T) {
		r := hs(t, base, http.MethodPost, lineItemsBase+"/batch/read", map[string]any{"properties": []string{"name", "amount"}, "inputs": []map[string]string{{"id": items[0]}, {"id": items[1]}, {"id": "1"}}})
		require.Equal(t, 207, r.Status, "body: %s", r.Body)
		m := r.JSON(t)
		assert.Equal(t, "COMPLETE", m["status"])
		results := m["results"].([]any)
		require.Len(t, results, 2)
		first := results[0].(map[string]any)["properties"].(map[string]any)
		assert.Equal(t, "Pro plan", first["name"])
		assert.Equal(t, "20", first["amount"], "amount defaults to quantity × price")
		assert.Equal(t, "99.50", results[1].(map[string]any)["properties"].(map[string]any)["amount"])
		assert.Equal(t, []any{"1"}, m["errors"].([]any)[0].(map[string]any)["context"].(map[string]any)["ids"])
	})
	t.Run("v4 lists a deal's line items and contacts with numeric ids", func(t *testing.T) {
		m := hs(t, base, http.MethodGet, "/crm/v4/objects/deals/"+deal+"/associations/line_items?limit=500", "").JSON(t)
		results := m["results"].([]any)
		require.Len(t, results, 2)
		assert.Equal(t, map[string]any{"category": "HUBSPOT_DEFINED", "typeId": float64(19), "label": nil}, results[0].(map[string]any)["associationTypes"].([]any)[0])
		assert.Equal(t, items[0], fmt.Sprint(int64(results[0].(map[string]any)["toObjectId"].(float64))))
		c := hs(t, base, http.MethodGet, "/crm/v4/objects/deal/"+deal+"/associations/contacts", "").JSON(t)["results"].([]any)
		require.Len(t, c, 1)
		assert.Equal(t, float64(3), c[0].(map[string]any)["associationTypes"].([]any)[0].(map[string]any)["typeId"])
	})
	t.Run("PUT default associates, both directions, paged", func(t *testing.T) {
		r := hs(t, base, http.MethodPut, "/crm/v4/objects/deals/"+deal+"/associations/default/contacts/"+contacts[0], "")
		require.Equal(t, 200, r.Status, "body: %s", r.Body)
		page := hs(t, base, http.MethodGet, "/crm/v4/objects/deals/"+deal+"/associations/contacts?limit=1", "").JSON(t)
		require.Len(t, page["results"].([]any), 1)
		after := page["paging"].(map[string]any)["next"].(map[string]any)["after"].(string)
		rest := hs(t, base, http.MethodGet, "/crm/v4/objects/deals/"+deal+"/associations/contacts?limit=1&after="+after, "").JSON(t)
		require.Len(t, rest["results"].([]any), 1)
		assert.NotContains(t, rest, "paging")
		back := hs(t, base, http.MethodGet, "/crm/v4/objects/contacts/"+contacts[0]+"/associations/deals", "").JSON(t)["results"].([]any)
		require.Len(t, back, 1)
		assert.Equal(t, float64(4), back[0].(map[string]any)["associationTypes"].([]any)[0].(map[string]any)["typeId"])
		assert.Equal(t, []string{contacts[0], contacts[1]}, h.Deals()[0].Contacts)
	})
	t.Run("PUT default to a missing contact", func(t *testing.T) {
		requireHubSpotError(t, hs(t, base, http.MethodPut, "/crm/v4/objects/deals/"+deal+"/associations/default/contacts/5", ""), 400, "VALIDATION_ERROR")
	})
}

func TestHubSpotPipelines(t *testing.T) {
	_, base := newHubSpotServer(t, Options{})
	for _, tc := range []struct {
		pipeline, stage, isClosed, probability string
	}{
		{"default", "closedwon", "true", "1.0"},
		{"default", "closedlost", "true", "0.0"},
		{"default", "contractsent", "false", "0.9"},
		{"812723471", "1234914", "true", "1.0"},
		{"812723471", "1234913", "false", "1.0"},
	} {
		t.Run(tc.pipeline+"/"+tc.stage, func(t *testing.T) {
			p := hs(t, base, http.MethodGet, pipelinesBase+"/"+tc.pipeline, "").JSON(t)
			var found map[string]any
			for _, s := range p["stages"].([]any) {
				if s.(map[string]any)["id"] == tc.stage {
					found = s.(map[string]any)
				}
			}
			require.NotNil(t, found)
			assert.Equal(t, map[string]any{"isClosed": tc.isClosed, "probability": tc.probability}, found["metadata"])
		})
	}
	requireHubSpotError(t, hs(t, base, http.MethodGet, pipelinesBase+"/nope", ""), 404, "OBJECT_NOT_FOUND")
}

func TestHubSpotGDPRDelete(t *testing.T) {
	for _, tc := range []struct {
		name   string
		body   func(id string) map[string]any
		status int
		gone   bool
	}{
		{"by id", func(id string) map[string]any { return map[string]any{"objectId": id} }, 204, true},
		{"by email", func(string) map[string]any {
			return map[string]any{"objectId": "Jane@example.com", "idProperty": "email"}
		}, 204, true},
		{"unknown email is only blocklisted", func(string) map[string]any { return map[string]any{"objectId": "x@example.com", "idProperty": "email"} }, 204, false},
		{"unknown id", func(string) map[string]any { return map[string]any{"objectId": "5"} }, 404, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, base := newHubSpotServer(t, Options{})
			id := h.Seed(1, func(int) map[string]string { return map[string]string{"email": "jane@example.com"} })[0]
			deal := createDeal(t, base, map[string]any{"dealstage": "closedwon"}, assocTo(id, 3))
			r := hs(t, base, http.MethodPost, gdprDeletePath, tc.body(id))
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			_, found := h.ContactByEmail("jane@example.com")
			assert.Equal(t, !tc.gone, found)
			assert.Equal(t, !tc.gone, len(h.Contacts()) == 1, "deleted for good, not archived")
			if tc.gone {
				assert.Equal(t, 404, hs(t, base, http.MethodGet, contactsBase+"/"+id+"?archived=true", "").Status)
				assert.Empty(t, h.Deals()[0].Contacts, "associations go with the contact")
				assert.Empty(t, hs(t, base, http.MethodGet, "/crm/v4/objects/deals/"+deal+"/associations/contacts", "").JSON(t)["results"])
			}
		})
	}
}
