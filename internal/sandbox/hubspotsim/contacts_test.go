package hubspotsim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An enumeration value outside the property's options is refused as real HubSpot does: INVALID_OPTION
// with "<value> was not one of the allowed options: [...]" inside the VALIDATION_ERROR message, per input
// of a batch upsert, and nothing of that input is written.
func TestHubSpotRejectsInvalidEnumerationValues(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	r := hs(t, base, http.MethodPost, "/crm/v3/properties/contacts", `{"name":"tier","label":"Tier","type":"enumeration","fieldType":"select","groupName":"contactinformation",`+
		`"options":[{"label":"Gold","value":"gold"},{"label":"Silver","value":"silver"}]}`)
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Body)
	r = hs(t, base, http.MethodPost, "/crm/v3/properties/contacts", `{"name":"tags","label":"Tags","type":"enumeration","fieldType":"checkbox","groupName":"contactinformation",`+
		`"options":[{"label":"A","value":"a"},{"label":"B","value":"b"}]}`)
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Body)

	tests := []struct {
		name    string
		props   string
		wantErr string // "" = written
	}{
		{"an option", `{"tier":"gold"}`, ""},
		{"several options of a multi-select", `{"tags":"a;b"}`, ""},
		{"clearing", `{"tier":""}`, ""},
		{"not an option", `{"tier":"platinum"}`, `{"isValid":false,"message":"platinum was not one of the allowed options: [gold, silver]","error":"INVALID_OPTION","name":"tier"`},
		{"labels are not values", `{"tier":"Gold"}`, `"error":"INVALID_OPTION","name":"tier"`},
		{"one bad option of a multi-select", `{"tags":"a;z"}`, `"error":"INVALID_OPTION","name":"tags"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hs(t, base, http.MethodPost, contactsBase+"/batch/upsert",
				`{"inputs":[{"id":"enum@x.io","idProperty":"email","objectWriteTraceId":"0","properties":`+tt.props+`}]}`)
			if tt.wantErr == "" {
				require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
				return
			}
			require.Equal(t, http.StatusMultiStatus, r.Status, "body: %s", r.Body)
			e := r.JSON(t)["errors"].([]any)[0].(map[string]any)
			assert.Equal(t, "VALIDATION_ERROR", e["category"])
			assert.Contains(t, e["message"], tt.wantErr)
		})
	}
	c, ok := h.ContactByEmail("enum@x.io")
	require.True(t, ok)
	assert.Equal(t, "a;b", c.Properties["tags"], "refused writes changed nothing")
	assert.Empty(t, c.Properties["tier"])
}
