package hubspot

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordOne answers one request and records its method, path, query and body.
func recordOne(t *testing.T, status int, answer string, got *string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = r.Method + " " + r.URL.Path
		if r.URL.RawQuery != "" {
			*got += "?" + r.URL.RawQuery
		}
		if len(b) > 0 {
			*got += " " + string(b)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, "tok", nil)
}

func TestContactLabels(t *testing.T) {
	var got string
	c := recordOne(t, 200, `{"results":[{"category":"HUBSPOT_DEFINED","typeId":449,"label":null},{"category":"USER_DEFINED","typeId":144,"label":"Referred by"}]}`, &got)
	types, err := c.ContactLabels(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "GET /crm/associations/v4/contacts/contacts/labels", got)
	assert.Equal(t, []AssociationType{{Category: "HUBSPOT_DEFINED", TypeID: 449}, {Category: "USER_DEFINED", TypeID: 144, Label: "Referred by"}}, types)
}

func TestCreateContactLabelPair(t *testing.T) {
	var got string
	// HubSpot's documented pair example answers 200 with both types.
	c := recordOne(t, 200, `{"results":[{"category":"USER_DEFINED","typeId":145,"label":"Referred"},{"category":"USER_DEFINED","typeId":144,"label":"Referred by"}]}`, &got)
	types, err := c.CreateContactLabelPair(context.Background(), LabelPair{Name: "extole_referred_by", Label: "Referred by", InverseLabel: "Referred"})
	require.NoError(t, err)
	assert.Equal(t, `POST /crm/associations/v4/contacts/contacts/labels {"name":"extole_referred_by","label":"Referred by","inverseLabel":"Referred"}`, got)
	assert.Len(t, types, 2)
}

func TestAssociateContacts(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		answer   string
		wantKind Kind
	}{
		{"labelled", 201, `{"fromObjectTypeId":"0-1","fromObjectId":11,"toObjectTypeId":"0-1","toObjectId":22,"labels":["Referred by"]}`, 0},
		{"unknown contact is permanent", 400, `{"status":"error","message":"One or more associations are invalid","correlationId":"c","context":{"INVALID_OBJECT_IDS":["CONTACT=22 is not valid"]},"category":"VALIDATION_ERROR"}`, KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			err := recordOne(t, tt.status, tt.answer, &got).AssociateContacts(context.Background(), "11", "22", 144)
			assert.Equal(t, `PUT /crm/v4/objects/contacts/11/associations/contacts/22 [{"associationCategory":"USER_DEFINED","associationTypeId":144}]`, got)
			if tt.status < 300 {
				require.NoError(t, err)
				return
			}
			e, ok := AsError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tt.wantKind, e.Kind)
		})
	}
}

func TestUpdateContactByEmailNeverCreates(t *testing.T) {
	var got string
	c := recordOne(t, 200, `{"id":"11","properties":{"extole_referrals_count":"2"}}`, &got)
	id, err := c.UpdateContactByEmail(context.Background(), "alex@example.com", map[string]string{"extole_referrals_count": "2"})
	require.NoError(t, err)
	assert.Equal(t, "11", id)
	assert.Equal(t, `PATCH /crm/v3/objects/contacts/alex@example.com?idProperty=email {"properties":{"extole_referrals_count":"2"}}`, got)

	missing := recordOne(t, 404, `{"status":"error","message":"Object not found.  objectId are usually numeric.","correlationId":"c","category":"OBJECT_NOT_FOUND"}`, &got)
	_, err = missing.UpdateContactByEmail(context.Background(), "gone@example.com", map[string]string{"extole_referrals_count": "2"})
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, KindNotFound, e.Kind)
}
