package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// friendBody is a friend's event from HubSpot; code "" is an organic one.
func friendBody(event, email, code, pcid string) string {
	extra := ""
	if code != "" {
		extra = fmt.Sprintf(`,"advocate_code":%q`, code)
	}
	return fmt.Sprintf(`{"event_name":%q,"data":{"email":%q,"partner_conversion_id":%q%s}}`, event, email, pcid, extra)
}

// setupHubSpot runs the SetupHubSpot workflow to the end and returns its report.
func (s *stack) setupHubSpot() (activities.PropertiesReport, string) {
	s.T.Helper()
	ctx := context.Background()
	run, err := s.Client.ExecuteWorkflow(ctx, workflows.SetupHubSpotStartOptions(), workflows.SetupHubSpot)
	require.NoError(s.T, err)
	var rep activities.PropertiesReport
	require.NoError(s.T, run.Get(ctx, &rep))
	return rep, run.GetRunID()
}

// friendEvent posts a friend's event and waits for its referral graph workflow.
func (s *stack) friendEvent(event, email, code, pcid string) workflows.ReferralOutcome {
	s.T.Helper()
	status, res, _ := s.post(eventsPath, friendBody(event, email, code, pcid), nil)
	require.Equal(s.T, http.StatusAccepted, status, "%v", res)
	eventID := res["workflow_id"].(string)
	var ev workflows.EventResult
	require.NoError(s.T, s.waitResult(eventID, &ev))
	require.Equal(s.T, workflows.ReferralWorkflowID(eventID), ev.ReferralWorkflowID)
	var out workflows.ReferralOutcome
	require.NoError(s.T, s.waitResult(ev.ReferralWorkflowID, &out))
	return out
}

func TestReferralGraphWrittenToHubSpot(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()

	// The label pair is created once: a second setup, on restarted workers, finds it.
	rep, _ := s.setupHubSpot()
	assert.Equal(t, "created", rep.Labels)
	s.recordHistory(workflows.SetupHubSpotWorkflowID, "setup_hubspot_referral_labels")
	s.RestartWorkers()
	rep, _ = s.setupHubSpot()
	assert.Equal(t, "existing", rep.Labels)
	require.Len(t, s.HubSpot.ContactLabels(), 2, "one pair: Referred by / Referred")

	ids := s.HubSpot.Seed(4, func(i int) map[string]string {
		return map[string]string{"email": []string{"alex@example.com", "jane@example.com", "bob@example.com", "organic@example.com"}[i]}
	})
	alex, jane, bob, organic := ids[0], ids[1], ids[2], ids[3]
	ext := extole.New(s.ExtoleURL, extoleToken, nil)
	advocate, err := ext.CreatePerson(ctx, "alex@example.com")
	require.NoError(t, err)
	share, err := ext.CreateShareable(ctx, advocate.ID, "refer-a-friend")
	require.NoError(t, err)
	code := share.Code
	counts := func(referrals, converted string) map[string]string {
		return map[string]string{contact.PropReferralsCount: referrals, contact.PropConvertedReferralsCount: converted}
	}
	referredBy := map[string]string{contact.PropReferredByEmail: "alex@example.com", contact.PropReferredByCode: code}

	// A signed-up friend: "Referred by" the advocate, who counts one referral.
	out := s.friendEvent("signed_up", "jane@example.com", code, "pc-jane")
	assert.Equal(t, workflows.ReferralOutcome{Referred: true, AdvocateEmail: "alex@example.com", Code: code, Associated: true}, out)
	s.hubspotHas("jane@example.com", referredBy)
	s.hubspotHas("alex@example.com", counts("1", "0"))
	assert.Equal(t, map[string][]string{alex: {"Referred by"}}, s.HubSpot.ContactAssociations(jane))
	assert.Equal(t, map[string][]string{jane: {"Referred"}}, s.HubSpot.ContactAssociations(alex))
	s.recordHistory(workflows.EventWorkflowID("signed_up", "pc-jane"), "referral_signup_graph")
	s.recordHistory(workflows.ReferralWorkflowID(workflows.EventWorkflowID("signed_up", "pc-jane")), "record_referral")

	// The same event delivered twice is one event; the same friend signing up again is the same
	// referral: the advocate still counts one.
	status, res, _ := s.post(eventsPath, friendBody("signed_up", "jane@example.com", code, "pc-jane"), nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "duplicate", res["status"])
	s.friendEvent("signed_up", "jane@example.com", code, "pc-jane-again")
	s.hubspotHas("alex@example.com", counts("1", "0"))
	assert.Equal(t, map[string][]string{alex: {"Referred by"}}, s.HubSpot.ContactAssociations(jane))

	// A second friend: two referrals (three signups of two friends).
	s.friendEvent("signed_up", "bob@example.com", code, "pc-bob")
	s.hubspotHas("alex@example.com", counts("2", "0"))
	assert.Equal(t, map[string][]string{jane: {"Referred"}, bob: {"Referred"}}, s.HubSpot.ContactAssociations(alex))

	// A conversion of a referred friend, without the code (a won deal carries none): converted goes up.
	out = s.friendEvent("converted", "jane@example.com", "", "deal-jane")
	assert.True(t, out.Referred)
	s.hubspotHas("alex@example.com", counts("2", "1"))

	// An organic signup writes nothing.
	out = s.friendEvent("signed_up", "organic@example.com", "", "pc-organic")
	assert.False(t, out.Referred)
	c, _ := s.HubSpot.ContactByEmail("organic@example.com")
	assert.Empty(t, c.Properties[contact.PropReferredByEmail])
	assert.Empty(t, s.HubSpot.ContactAssociations(organic))
	s.hubspotHas("alex@example.com", counts("2", "1"))
	s.recordHistory(workflows.ReferralCountsWorkflowID(advocate.ID), "referral_counts") // open: waiting for the next recount
}

// bridgePropertyNames are the properties a setup started today creates.
func bridgePropertyNames() []string {
	var names []string
	for _, d := range slices.Concat(contact.Properties, contact.ReferralGraphProperties, contact.RewardProperties) {
		names = append(names, d.Name)
	}
	return names
}
