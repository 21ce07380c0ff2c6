package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
)

// One writer per contact, and the webhook wins: a link the webhook writes while the backfill's batch
// write is in flight is what HubSpot holds once everything settles, and a contact that already has a
// share_link keeps it (without a share_code of another shareable next to it).
func TestBackfillNeverOverwritesTheWebhooksLink(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()

	// Property setup: one HubSpot request per activity (group, properties, label lookup and creation).
	before := len(s.HubSpot.Requests())
	setup, err := s.Client.ExecuteWorkflow(ctx, workflows.SetupHubSpotStartOptions(), workflows.SetupHubSpot)
	require.NoError(t, err)
	var rep hubspot.EnsureReport
	require.NoError(t, setup.Get(ctx, &rep))
	assert.True(t, rep.GroupCreated)
	assert.Len(t, rep.Created, len(bridgePropertyNames()))
	assert.Len(t, s.HubSpot.Requests()[before:], 1+len(bridgePropertyNames())+2, "one request per property-setup activity")
	s.recordHistory(setup.GetID(), "setup_hubspot_one_call_per_activity")

	const (
		racing   = "race@example.com"
		halfDone = "half@example.com"
		hookLink = "https://hook.example.com/race01"
		kept     = "https://hook.example.com/half01"
	)
	s.HubSpot.Seed(2, func(i int) map[string]string {
		if i == 0 {
			return map[string]string{"email": racing}
		}
		return map[string]string{"email": halfDone, "share_link": kept}
	})

	// The backfill's batch write is slow, so it is still in flight when the webhook's link arrives.
	upsertPath := "/crm/v3/objects/contacts/batch/upsert"
	s.HubSpot.SetFaults(sandbox.Faults{LatencyMS: 6000, PathPrefix: upsertPath})
	run := s.startBackfill(workflows.BackfillInput{Label: "refer-a-friend"})
	eventually(t, time.Minute, "the backfill's batch write in flight", func() bool {
		for _, a := range s.describe(run.GetID()).GetPendingActivities() {
			if a.GetActivityType().GetName() == "WriteLinks" && a.GetState() == enums.PENDING_ACTIVITY_STATE_STARTED {
				return true
			}
		}
		return false
	})
	time.Sleep(500 * time.Millisecond) // the started activity's request reaches the sandbox
	s.HubSpot.SetFaults(sandbox.Faults{})

	status, res, _ := s.post(shareLinksPath,
		`{"properties":{"email":"`+racing+`","share_code":"race01","share_link":"`+hookLink+`"}}`, bearer)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	s.hubspotHas(racing, map[string]string{"share_link": hookLink}) // written before the backfill's batch lands

	var p workflows.BackfillProgress
	require.NoError(t, run.Get(ctx, &p))
	require.True(t, p.Done)
	require.Zero(t, p.Failed, "%v", p.Failures)
	assert.Equal(t, 1, p.SkippedReasons[workflows.SkipOtherLink], "the contact with another shareable's link")
	s.recordHistory(run.GetID(), "share_link_backfill_single_writer")

	tests := []struct {
		email    string
		wantLink string
		wantCode bool
	}{
		{email: racing, wantLink: hookLink, wantCode: true},
		{email: halfDone, wantLink: kept, wantCode: false}, // untouched: Extole's shareable is another link
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			eventually(t, 30*time.Second, tc.email+" carrying "+tc.wantLink, func() bool {
				c, ok := s.HubSpot.ContactByEmail(tc.email)
				return ok && c.Properties["share_link"] == tc.wantLink && (c.Properties["share_code"] != "") == tc.wantCode
			})
		})
	}
}
