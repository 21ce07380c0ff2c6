package hubspotsim

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHubSpotCustomEvents(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	id := hs(t, base, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]string{"email": "jane@example.com"}}).JSON(t)["id"].(string)
	ev := map[string]any{"eventName": "pe1_reward", "objectId": id, "uuid": "6f1c1e1a-0000-5000-8000-000000000001",
		"properties": map[string]string{"reward_state": "SENT"}}
	assert.Equal(t, 204, hs(t, base, http.MethodPost, "/events/v3/send", ev).Status)
	assert.Equal(t, 400, hs(t, base, http.MethodPost, "/events/v3/send", ev).Status, "the same uuid again")
	assert.Equal(t, 204, hs(t, base, http.MethodPost, "/events/v3/send", map[string]any{"eventName": "pe1_reward", "email": "JANE@example.com", "properties": map[string]string{}}).Status)
	assert.Equal(t, 400, hs(t, base, http.MethodPost, "/events/v3/send", map[string]any{"eventName": "pe1_reward", "objectId": "999999"}).Status, "unknown contact")
	got := h.CustomEvents()
	require.Len(t, got, 2)
	assert.Equal(t, id, got[1].ObjectID)
	assert.Equal(t, "SENT", got[0].Properties["reward_state"])
}
