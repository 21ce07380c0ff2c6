package activities

import (
	"encoding/json"
	"testing"

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
