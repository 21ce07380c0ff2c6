package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shareLinkState queries a contact's ShareLinkSync (it stays open for the hold, so there is no result
// to wait for).
func (s *stack) shareLinkState(workflowID string) workflows.ShareLinkState {
	s.T.Helper()
	v, err := s.Client.QueryWorkflow(context.Background(), workflowID, "", workflows.ShareLinkQuery)
	require.NoError(s.T, err)
	var st workflows.ShareLinkState
	require.NoError(s.T, v.Get(&st))
	return st
}

// Defect 6: properties HubSpot refuses (one that does not exist, an invalid option) no longer lose the
// link: share_link and share_code are written, the refused ones are reported with HubSpot's reason.
func TestShareLinkWrittenWhenHubSpotRefusesOtherProperties(t *testing.T) {
	s := newStack(t, stackOptions{})
	req, err := http.NewRequest(http.MethodPost, s.HubSpotURL+"/crm/v3/properties/contacts", strings.NewReader(
		`{"name":"tier","label":"Tier","type":"enumeration","fieldType":"select","groupName":"contactinformation","options":[{"label":"Gold","value":"gold"}]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+hubspotToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)

	body := `{"properties":{"email":"odd@example.com","share_code":"odd01","share_link":"https://refer.example.com/odd01",` +
		`"company":"Example Co","favorite_food":"pie","tier":"platinum"}}`
	status, ans, _ := s.post(shareLinksPath, body, bearer)
	require.Equal(t, http.StatusAccepted, status, "%v", ans)
	id := ans["workflow_id"].(string)

	c := s.hubspotHas("odd@example.com", map[string]string{
		"share_code": "odd01", "share_link": "https://refer.example.com/odd01", "company": "Example Co",
	})
	assert.NotContains(t, c.Properties, "tier")
	var st workflows.ShareLinkState
	eventually(t, 10*time.Second, "the applied link in the workflow's state", func() bool {
		st = s.shareLinkState(id)
		return st.Applied != nil
	})
	reasons := map[string]string{}
	for _, d := range st.Applied.Dropped {
		reasons[d.Property] = d.Code + ": " + d.Reason
	}
	assert.Equal(t, map[string]string{
		"favorite_food": `PROPERTY_DOESNT_EXIST: Property "favorite_food" does not exist`,
		"tier":          "INVALID_OPTION: platinum was not one of the allowed options: [gold]",
	}, reasons)
	assert.Equal(t, c.ID, st.Applied.ContactID)
	s.recordHistory(id, "share_link_sync_dropped")
}

// Defect 9: without an event time links are ordered by arrival, but a link already seen, or whose
// share_link was replaced by a newer one, never wins again, however late Extole redelivers it.
func TestRedeliveredOldShareLinkNeverWins(t *testing.T) {
	s := newStack(t, stackOptions{})
	flat := func(code, extra string) string {
		return fmt.Sprintf(`{"event":"Share Link Created","email":"three@example.com","share_link":"https://refer.example.com/%s","share_code":%q%s}`, code, code, extra)
	}
	status, ans, _ := s.post(shareLinksPath, flat("first01", `,"event_id":"qb3jju459ugjr2aojk5e"`), bearer)
	require.Equal(t, http.StatusAccepted, status, "%v", ans)
	s.hubspotHas("three@example.com", map[string]string{"share_code": "first01"})
	status, ans, _ = s.post(shareLinksPath, flat("second01", `,"event_id":"zz0000000000000000aa"`), bearer)
	require.Equal(t, http.StatusAccepted, status, "%v", ans)
	s.hubspotHas("three@example.com", map[string]string{"share_code": "second01"})
	writes := s.HubSpot.Stats().Writes

	tests := []struct {
		name, body, want string
	}{
		{"the same delivery again", flat("first01", `,"event_id":"qb3jju459ugjr2aojk5e"`), "duplicate"},
		{"the replaced link with other content", flat("first01", `,"event_id":"qb3jju459ugjr2aojk5e","company":"Example Co"`), "superseded"},
	}
	for _, tt := range tests {
		status, ans, _ := s.post(shareLinksPath, tt.body, bearer)
		require.Equal(t, http.StatusOK, status, "%s: %v", tt.name, ans)
		assert.Equal(t, tt.want, ans["status"], tt.name)
	}
	time.Sleep(500 * time.Millisecond)
	c, _ := s.HubSpot.ContactByEmail("three@example.com")
	assert.Equal(t, "second01", c.Properties["share_code"])
	assert.Equal(t, "https://refer.example.com/second01", c.Properties["share_link"])
	assert.Equal(t, writes, s.HubSpot.Stats().Writes, "no write for either")
	s.recordHistory(ans["workflow_id"].(string), "share_link_sync_superseded")
}
