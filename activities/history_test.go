package activities

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/contact"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Activity inputs and results are recorded in workflow histories: their JSON must not change when a
// client's wire type does, or recorded histories would no longer decode the same way.
func TestHistoryTypesKeepTheirJSON(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{
			name: "SendEvent input",
			v: SendEventInput{EventName: "signed_up", EventTime: "2026-11-26T10:00:00Z",
				Data: map[string]json.RawMessage{"email": json.RawMessage(`"jane@example.com"`)}},
			want: `{"event_name":"signed_up","event_time":"2026-11-26T10:00:00Z","data":{"email":"jane@example.com"}}`,
		},
		{
			name: "SendEvent input without a time",
			v:    SendEventInput{EventName: "converted", Data: map[string]json.RawMessage{}},
			want: `{"event_name":"converted","data":{}}`,
		},
		{
			name: "CreateProperty input",
			v:    contact.Property{Name: "extole_referrals_count", Label: "Extole referrals", Description: "Friends.", Type: contact.PropertyNumber},
			want: `{"Name":"extole_referrals_count","Label":"Extole referrals","Description":"Friends.","Type":"number"}`,
		},
		{
			name: "CreateProperty input of a text property",
			v:    contact.Property{Name: "share_link", Label: "Extole share link", Description: "Link."},
			want: `{"Name":"share_link","Label":"Extole share link","Description":"Link."}`,
		},
		{
			name: "GetDeal result",
			v:    Deal{ID: "7", Properties: map[string]string{"amount": "1500.00"}},
			want: `{"ID":"7","Properties":{"amount":"1500.00"}}`,
		},
		{
			name: "GetDealPipeline result",
			v:    Pipeline{ID: "default", Label: "Sales", Stages: []Stage{{ID: "closedwon", Label: "Won", Won: true}}},
			want: `{"id":"default","label":"Sales","stages":[{"id":"closedwon","label":"Won","won":true}]}`,
		},
		{
			name: "Associations result",
			v:    []Association{{ID: "9", Labels: []string{"Primary"}}},
			want: `[{"ID":"9","Labels":["Primary"]}]`,
		},
		{
			name: "ReadLineItems result",
			v:    []LineItem{{ID: "3", Properties: map[string]string{"name": "Plan"}}},
			want: `[{"ID":"3","Properties":{"name":"Plan"}}]`,
		},
		{
			name: "GetContact result",
			v:    Contact{ID: "5", Properties: map[string]string{"email": "jane@example.com"}, CreatedAt: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)},
			want: `{"ID":"5","Properties":{"email":"jane@example.com"},"CreatedAt":"2026-11-26T10:00:00Z","UpdatedAt":"0001-01-01T00:00:00Z"}`,
		},
		{
			name: "EnsureProperties result",
			v:    PropertiesReport{GroupCreated: true, Created: []string{"share_link"}, Existing: []string{"share_code"}},
			want: `{"GroupCreated":true,"Created":["share_link"],"Existing":["share_code"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
		})
	}
}
