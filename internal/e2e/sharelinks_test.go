package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const shareLinksPath = "/webhooks/extole/share-links"

var bearer = http.Header{"Authorization": {"Bearer " + extoleWebhookToken}}

// extoleBody is the body Extole's generic webhook sends to HubSpot's create-contact endpoint today
// (docs/extole-api.md#outbound-webhooks).
func extoleBody(email, code string) string {
	return fmt.Sprintf(`{"properties":{"email":%q,"share_code":%q,"share_link":"https://refer.example.com/%s","company":"Example Co","extole_app_type":"hubspot"}}`,
		email, code, code)
}

// hubspotHas waits until the simulated HubSpot's contact carries want.
func (s *stack) hubspotHas(email string, want map[string]string) hubspotsim.Contact {
	s.T.Helper()
	var got hubspotsim.Contact
	eventually(s.T, time.Minute, "HubSpot contact "+email, func() bool {
		c, ok := s.HubSpot.ContactByEmail(email)
		if !ok {
			return false
		}
		got = c
		for k, v := range want {
			if c.Properties[k] != v {
				return false
			}
		}
		return true
	})
	return got
}

func countByEmail(contacts []hubspotsim.Contact, email string) int {
	n := 0
	for _, c := range contacts {
		if c.Properties["email"] == email {
			n++
		}
	}
	return n
}

func TestShareLinkCreatesNewContact(t *testing.T) {
	s := newStack(t, stackOptions{})
	status, res, _ := s.post(shareLinksPath, extoleBody("new@example.com", "new01"), bearer)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	assert.Equal(t, "accepted", res["status"])
	assert.Equal(t, workflows.ShareLinkWorkflowID("new@example.com"), res["workflow_id"])

	c := s.hubspotHas("new@example.com", map[string]string{
		"share_code": "new01", "share_link": "https://refer.example.com/new01", "company": "Example Co", "extole_app_type": "hubspot",
	})
	// The properties did not exist: the workflow created them on HubSpot's PROPERTY_DOESNT_EXIST.
	eventually(t, 10*time.Second, "contact id search attribute", func() bool {
		d := s.describe(res["workflow_id"].(string))
		return string(d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["HubSpotContactId"].GetData()) == `"`+c.ID+`"`
	})

	// The same delivery again starts nothing and writes nothing.
	writes := s.HubSpot.Stats().Writes
	status, res, _ = s.post(shareLinksPath, extoleBody("new@example.com", "new01"), bearer)
	require.Equal(t, http.StatusOK, status, "%v", res)
	assert.Equal(t, "duplicate", res["status"])
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, writes, s.HubSpot.Stats().Writes)
	assert.Equal(t, 1, countByEmail(s.HubSpot.Contacts(), "new@example.com"))
	s.recordHistory(res["workflow_id"].(string), "share_link_sync")
}

// The worker runs SetupHubSpot at start; `starter setup hubspot` calls the same client method.
func TestSetupHubSpotCreatesPropertiesOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	var first, second hubspot.EnsureReport
	run, err := s.Client.ExecuteWorkflow(context.Background(), workflows.SetupHubSpotStartOptions(), workflows.SetupHubSpot)
	require.NoError(t, err)
	require.NoError(t, run.Get(context.Background(), &first))
	assert.True(t, first.GroupCreated)
	assert.ElementsMatch(t, bridgePropertyNames(), first.Created)
	s.recordHistory(run.GetID(), "setup_hubspot")

	run, err = s.Client.ExecuteWorkflow(context.Background(), workflows.SetupHubSpotStartOptions(), workflows.SetupHubSpot)
	require.NoError(t, err)
	require.NoError(t, run.Get(context.Background(), &second))
	assert.False(t, second.GroupCreated)
	assert.Empty(t, second.Created)
	assert.ElementsMatch(t, first.Created, second.Existing)
	names := map[string]string{}
	for _, p := range s.HubSpot.Properties() {
		names[p.Name] = p.GroupName
	}
	for _, name := range first.Created {
		assert.Equal(t, "extole", names[name], name)
	}
}

func TestShareLinkUpdatesExistingContactWithoutDuplicate(t *testing.T) {
	s := newStack(t, stackOptions{})
	ids := s.HubSpot.Seed(1, func(int) map[string]string {
		return map[string]string{"email": "Existing@Example.com", "firstname": "Ex"}
	})
	// Flat "Share Link Created" template body, scheme-less link as in Extole's example.
	body := `{"event":"Share Link Created","email":"existing@example.com","partner_user_id":"USER-1",` +
		`"timestamp":"2026-11-26T10:30:00.000Z","share_link":"share.example.com/ex01","share_code":"ex01"}`
	status, res, _ := s.post(shareLinksPath, body, bearer)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	c := s.hubspotHas("existing@example.com", map[string]string{"share_code": "ex01", "share_link": "https://share.example.com/ex01"})
	assert.Equal(t, ids[0], c.ID, "the existing contact was updated")
	assert.Equal(t, "Ex", c.Properties["firstname"], "other properties untouched")
	assert.NotContains(t, c.Properties, "partner_user_id", "Extole's identity is not a HubSpot property")
	assert.Len(t, s.HubSpot.Contacts(), 1, "no second contact")
}

func TestLaterShareLinkWins(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.HubSpot.Seed(1, func(int) map[string]string { return map[string]string{"email": "two@example.com"} })
	flat := func(code, ts string) string {
		return fmt.Sprintf(`{"email":"two@example.com","share_link":"https://refer.example.com/%s","share_code":%q,"timestamp":%q}`, code, code, ts)
	}
	// HubSpot is slow, so both links are in flight together; the newer Extole event arrives first.
	s.HubSpot.SetFaults(sandbox.Faults{LatencyMS: 300})
	status, _, _ := s.post(shareLinksPath, flat("newer01", "2026-11-26T10:00:05Z"), bearer)
	require.Equal(t, http.StatusAccepted, status)
	status, res, _ := s.post(shareLinksPath, flat("older01", "2026-11-26T10:00:00Z"), bearer)
	require.Less(t, status, 300)
	// Whether the older one was still pending or already superseded, it must never land last.
	if status == http.StatusOK {
		assert.Equal(t, "superseded", res["status"])
	}
	s.hubspotHas("two@example.com", map[string]string{"share_code": "newer01"})
	time.Sleep(time.Second)
	c, _ := s.HubSpot.ContactByEmail("two@example.com")
	assert.Equal(t, "newer01", c.Properties["share_code"])
	assert.Equal(t, "https://refer.example.com/newer01", c.Properties["share_link"])
}

func TestShareLinksSurviveHubSpot429Bursts(t *testing.T) {
	s := newStack(t, stackOptions{})
	// One in three HubSpot calls is refused with TEN_SECONDLY_ROLLING 429s.
	s.HubSpot.SetFaults(sandbox.Faults{ErrorRate: 0.33, ErrorStatus: http.StatusTooManyRequests, RetryAfter: "1", PathPrefix: "/crm/v3/objects"})
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, res, _ := s.post(shareLinksPath, extoleBody(fmt.Sprintf("burst%02d@example.com", i), fmt.Sprintf("burst%02d", i)), bearer)
			assert.Equal(t, http.StatusAccepted, status, "%v", res)
		}()
	}
	wg.Wait()
	for i := range n {
		s.hubspotHas(fmt.Sprintf("burst%02d@example.com", i), map[string]string{"share_code": fmt.Sprintf("burst%02d", i)})
	}
	assert.Greater(t, s.HubSpot.Stats().RateLimited, 0, "the fault actually fired")
	assert.Len(t, s.HubSpot.Contacts(), n, "no write lost, none doubled")
}

// With the worker's limit configured to the account's limit, the bridge never provokes a 429 however
// many links arrive at once: the Temporal server paces the HubSpot task queue.
func TestConfiguredRateLimitAvoids429(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const limit = 60 // per 10 s, both sides: the simulated account and HUBSPOT_RATE_LIMIT_PER_10S
	s := newStack(t, stackOptions{HubSpotPer10s: limit, HubSpot: hubspotsim.Options{RatePer10s: limit}})
	// The properties exist already (the worker's start-up setup made them), so each link is one call.
	_, err := hubspot.New(s.HubSpotURL, hubspotToken, nil).EnsureContactProperties(context.Background(),
		contact.PropertyGroup, contact.PropertyGroupLabel, activities.HubSpotPropertyDefs(contact.Properties))
	require.NoError(t, err)
	time.Sleep(10 * time.Second) // let the setup calls leave the rolling window
	const n = 200
	var wg sync.WaitGroup
	sem := make(chan struct{}, 20)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			status, res, _ := s.post(shareLinksPath, extoleBody(fmt.Sprintf("rl%03d@example.com", i), fmt.Sprintf("rl%03d", i)), bearer)
			assert.Less(t, status, 300, "%v", res)
		}()
	}
	wg.Wait()
	eventually(t, 3*time.Minute, "all 200 contacts written", func() bool { return len(s.HubSpot.Contacts()) == n })
	for i := range n {
		c, ok := s.HubSpot.ContactByEmail(fmt.Sprintf("rl%03d@example.com", i))
		require.True(t, ok)
		assert.Equal(t, fmt.Sprintf("rl%03d", i), c.Properties["share_code"])
	}
	assert.Equal(t, 0, s.HubSpot.Stats().RateLimited, "no 429 with a correctly configured limit")
}
