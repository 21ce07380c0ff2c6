package hubspot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve answers each "METHOD path?query" with a status and body.
func serve(t *testing.T, answers map[string][2]string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		if r.URL.RawQuery != "" {
			key += "?" + r.URL.RawQuery
		}
		a, ok := answers[key]
		if !ok {
			t.Errorf("unexpected request %s", key)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		status := map[string]int{"200": 200, "207": 207, "404": 404}[a[0]]
		w.WriteHeader(status)
		_, _ = w.Write([]byte(a[1]))
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, "tok", nil)
}

func TestGetDealPipelineRecognisesWonByMetadata(t *testing.T) {
	c := serve(t, map[string][2]string{"GET /crm/v3/pipelines/deals/p1": {"200", `{"id":"p1","label":"Sales","stages":[
		{"id":"closedwon","label":"Lost, renamed","metadata":{"isClosed":"true","probability":"0.0"}},
		{"id":"812723471","label":"Won","metadata":{"isClosed":"true","probability":"1.0"}},
		{"id":"old","label":"Won once","archived":true,"metadata":{"isClosed":"true","probability":"1.0"}},
		{"id":"contractsent","label":"Contract sent","metadata":{"isClosed":"false","probability":"0.9"}},
		{"id":"open100","label":"Open at 100%","metadata":{"isClosed":"false","probability":"1.0"}}]}`}})
	p, err := c.GetDealPipeline(context.Background(), "p1")
	require.NoError(t, err)
	won := map[string]bool{}
	for _, s := range p.Stages {
		won[s.ID] = s.Won
	}
	assert.Equal(t, map[string]bool{"closedwon": false, "812723471": true, "contractsent": false, "open100": false}, won,
		"closed and probability 1.0; ids and labels say nothing; archived stages are left out")
}

func TestAssociationsFollowsPagingAndReadsLabels(t *testing.T) {
	c := serve(t, map[string][2]string{
		"GET /crm/v4/objects/deals/7/associations/contacts?limit=500":          {"200", `{"results":[{"toObjectId":101,"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":3,"label":null}]}],"paging":{"next":{"after":"a1"}}}`},
		"GET /crm/v4/objects/deals/7/associations/contacts?after=a1&limit=500": {"200", `{"results":[{"toObjectId":"267448862446","associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":3,"label":null},{"category":"USER_DEFINED","typeId":9,"label":"Primary"}]}]}`},
	})
	as, err := c.Associations(context.Background(), "deals", "7", "contacts")
	require.NoError(t, err)
	assert.Equal(t, []Association{{ID: "101"}, {ID: "267448862446", Labels: []string{"Primary"}}}, as)
}

func TestReadLineItemsSkipsDeletedOnes(t *testing.T) {
	c := serve(t, map[string][2]string{"POST /crm/v3/objects/line_items/batch/read": {"207", `{"status":"COMPLETE",
		"results":[{"id":"2","properties":{"name":"Seats","quantity":"5"}},{"id":"1","properties":{"name":"Pro plan","quantity":"1"}}],
		"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some LINE_ITEM objects","context":{"ids":["3"]}}]}`}})
	items, err := c.ReadLineItems(context.Background(), []string{"1", "2", "3"}, []string{"name", "quantity"})
	require.NoError(t, err)
	require.Len(t, items, 2)
	assert.Equal(t, "Pro plan", items[0].Properties["name"], "in the order asked")
	assert.Equal(t, "Seats", items[1].Properties["name"])
}

func TestGetDealAndContactByID(t *testing.T) {
	c := serve(t, map[string][2]string{
		"GET /crm/v3/objects/deals/7?properties=amount%2Cdealstage":     {"200", `{"id":"7","properties":{"amount":"1500.00","dealstage":"closedwon","closedate":null}}`},
		"GET /crm/v3/objects/deals/8":                                   {"404", `{"status":"error","message":"Object not found","category":"OBJECT_NOT_FOUND"}`},
		"GET /crm/v3/objects/contacts/123?properties=email%2Cfirstname": {"200", `{"id":"123","properties":{"email":"jane@example.com","firstname":"Jane"}}`},
	})
	d, err := c.GetDeal(context.Background(), "7", "amount", "dealstage")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"amount": "1500.00", "dealstage": "closedwon"}, d.Properties)
	_, err = c.GetDeal(context.Background(), "8")
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, KindNotFound, e.Kind)
	ct, err := c.GetContact(context.Background(), "123", "email", "firstname")
	require.NoError(t, err)
	assert.Equal(t, "jane@example.com", ct.Properties["email"])
}
