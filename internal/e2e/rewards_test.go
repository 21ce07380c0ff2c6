package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/hubspot-extole/bridge/internal/webhook"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/client"
)

const (
	rewardsPath      = "/webhooks/extole/rewards"
	rewardSigningKey = "reward-signing-key"
)

func signature(key, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// rewardStack is a stack whose simulated Extole posts signed reward webhooks to the bridge.
func rewardStack(t *testing.T, hold, duplicate bool) *stack {
	s := newStack(t, stackOptions{ExtoleAuth: webhook.ExtoleAuth{Token: extoleWebhookToken, SigningKey: rewardSigningKey}})
	s.Extole.SetRewardWebhook(extolesim.RewardWebhook{URL: s.WebhookURL + rewardsPath, Token: extoleWebhookToken,
		SigningKey: rewardSigningKey, Hold: hold, Duplicate: duplicate})
	return s
}

// rewardState queries a person's RewardSync (it stays open for the hold).
func (s *stack) rewardState(personID string) workflows.RewardSyncState {
	s.T.Helper()
	v, err := s.Client.QueryWorkflow(context.Background(), workflows.RewardWorkflowID(personID), "", workflows.RewardQuery)
	require.NoError(s.T, err)
	var st workflows.RewardSyncState
	require.NoError(s.T, v.Get(&st))
	return st
}

// advance moves a reward on; event times are in milliseconds, so changes are spread a little.
func (s *stack) advance(id, state string) {
	s.T.Helper()
	time.Sleep(3 * time.Millisecond)
	_, err := s.Extole.AdvanceReward(id, state)
	require.NoError(s.T, err)
}

func (s *stack) reconcile(lookback time.Duration) workflows.ReconcileReport {
	s.T.Helper()
	run, err := s.Client.ExecuteWorkflow(context.Background(), workflows.ReconcileRunOptions(time.Now()), workflows.Reconcile,
		workflows.ReconcileInput{Lookback: lookback})
	require.NoError(s.T, err)
	var rep workflows.ReconcileReport
	require.NoError(s.T, s.waitResult(run.GetID(), &rep))
	s.recordHistory(run.GetID(), "reconcile_rewards")
	return rep
}

// 20 reward webhooks delivered out of order and each twice end in the latest state and counts derived from
// every reward; a webhook dropped on purpose is found and applied by the reconciliation; a body naming only
// the reward is looked up.
func TestRewardWebhooksToHubSpot(t *testing.T) {
	s := rewardStack(t, false, false)
	s.createContact("jane@example.com", "Jane")

	// The first webhook goes straight through: the person's workflow starts and reads Extole's rewards.
	r1 := s.Extole.CreateReward("jane@example.com", "USER-1", 10, "USD")
	s.hubspotHas("jane@example.com", map[string]string{contact.PropRewardState: "EARNED", contact.PropRewardsEarned: "1"})

	// 19 more, held back, then delivered shuffled, concurrently and each twice.
	s.Extole.SetRewardWebhook(extolesim.RewardWebhook{URL: s.WebhookURL + rewardsPath, Token: extoleWebhookToken,
		SigningKey: rewardSigningKey, Hold: true, Duplicate: true})
	ids := map[string]string{"r1": r1.RewardID}
	for i, name := range []string{"r2", "r3", "r4", "r5", "r6", "r7"} {
		ids[name] = s.Extole.CreateReward("jane@example.com", "USER-1", float64(20+10*i), "USD").RewardID
	}
	for _, step := range [][2]string{
		{"r1", "FULFILLED"}, {"r2", "FULFILLED"}, {"r3", "CANCELED"}, {"r1", "SENT"}, {"r4", "FULFILLED"},
		{"r5", "FULFILLED"}, {"r2", "SENT"}, {"r6", "FULFILLED"}, {"r7", "REVOKED"}, {"r5", "SENT"},
		{"r1", "REDEEMED"}, {"r6", "SENT"}, {"r6", "REDEEMED"},
	} {
		s.advance(ids[step[0]], step[1])
	}
	s.Extole.FlushRewardWebhooks(true)
	deliveries := s.Extole.RewardWebhookDeliveries()
	require.Len(t, deliveries, 1+2*19)
	for _, d := range deliveries {
		require.True(t, d.Delivered, "%+v", d)
	}

	// r1, r2, r4, r5, r6 earned (r3 canceled, r7 revoked); the latest change was r6's redemption.
	want := map[string]string{contact.PropRewardState: "REDEEMED", contact.PropRewardValue: "60 USD",
		contact.PropRewardsEarned: "5", contact.PropRewardsValueTotal: "180 USD"}
	s.hubspotHas("jane@example.com", want)
	person := r1.PersonID
	st := s.rewardState(person)
	for name, state := range map[string]string{"r1": "REDEEMED", "r2": "SENT", "r3": "CANCELED", "r4": "FULFILLED",
		"r5": "SENT", "r6": "REDEEMED", "r7": "REVOKED"} {
		assert.Equal(t, state, st.Rewards[ids[name]].State, name)
	}

	// Dropped: r4's SENT never reaches the bridge; the reconciliation finds it.
	s.Extole.DropNextRewardWebhook()
	s.advance(ids["r4"], "SENT")
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, "FULFILLED", s.rewardState(person).Rewards[ids["r4"]].State, "the dropped webhook is not applied by itself")
	rep := s.reconcile(time.Hour)
	assert.Equal(t, 7, rep.Checked)
	assert.Equal(t, 1, rep.Missing, "only r4's SENT was missing")
	assert.Equal(t, 6, rep.Held)
	s.hubspotHas("jane@example.com", map[string]string{contact.PropRewardState: "SENT", contact.PropRewardValue: "40 USD",
		contact.PropRewardsEarned: "5", contact.PropRewardsValueTotal: "180 USD"})

	// A body with only reward_id (the reward-webhooks page's shape) is read from Extole.
	s.Extole.DropNextRewardWebhook()
	s.advance(ids["r2"], "REDEEMED")
	body := `{"reward_id":"` + ids["r2"] + `","data":{"rewardee_role":"advocate"}}`
	status, ans, _ := s.post(rewardsPath, body, http.Header{"Authorization": {"Bearer " + extoleWebhookToken},
		"X-Extole-Signature": {signature(rewardSigningKey, body)}})
	require.Equal(t, http.StatusOK, status, "%v", ans)
	s.hubspotHas("jane@example.com", map[string]string{contact.PropRewardState: "REDEEMED", contact.PropRewardValue: "20 USD"})
	s.recordHistory(workflows.RewardWorkflowID(person), "reward_sync_out_of_order")
}

// A reward for a person HubSpot does not know is reported by the workflow, not failed, and no contact is
// created for it.
func TestRewardForUnknownContactIsReported(t *testing.T) {
	s := rewardStack(t, false, false)
	// The worker's property setup creates the reward properties (recorded for the replay test).
	run, err := s.Client.ExecuteWorkflow(context.Background(), workflows.SetupHubSpotStartOptions(), workflows.SetupHubSpot)
	require.NoError(t, err)
	var setup activities.PropertiesReport
	require.NoError(t, run.Get(context.Background(), &setup))
	for _, d := range contact.RewardProperties {
		assert.Contains(t, setup.Created, d.Name)
	}
	s.recordHistory(run.GetID(), "setup_hubspot_reward_properties")

	r := s.Extole.CreateReward("ghost@example.com", "", 25, "USD")
	var st workflows.RewardSyncState
	eventually(t, time.Minute, "the unknown contact reported", func() bool {
		v, err := s.Client.QueryWorkflow(context.Background(), workflows.RewardWorkflowID(r.PersonID), "", workflows.RewardQuery)
		if err != nil || v.Get(&st) != nil {
			return false
		}
		return st.Unknown != ""
	})
	assert.Equal(t, "has no HubSpot contact", st.Unknown)
	assert.Equal(t, "EARNED", st.Rewards[r.RewardID].State, "held for when the contact exists")
	_, ok := s.HubSpot.ContactByEmail("ghost@example.com")
	assert.False(t, ok, "no contact is created for a reward")
	// The Web UI's "current details" come from this built-in query.
	v, err := s.Client.QueryWorkflow(context.Background(), workflows.RewardWorkflowID(r.PersonID), "", "__temporal_workflow_metadata")
	require.NoError(t, err)
	var md sdkpb.WorkflowMetadata
	require.NoError(t, v.Get(&md))
	assert.Contains(t, md.GetCurrentDetails(), "has no HubSpot contact")
	assert.NotContains(t, md.GetCurrentDetails(), "ghost@example.com", "the email is masked")
}

// With HUBSPOT_REWARD_EVENTS each state change also lands on the contact's timeline, once.
func TestRewardChangesBecomeHubSpotCustomEvents(t *testing.T) {
	s := newStack(t, stackOptions{})
	contactID := s.createContact("sam@example.com", "Sam")
	r := s.Extole.CreateReward("sam@example.com", "", 15, "EUR")
	ch := workflows.RewardChange{RewardID: r.RewardID, PersonID: r.PersonID, State: "SENT", EventID: "abcdefghij0123456789",
		At: time.Now().UTC(), FaceValue: "15", FaceValueType: "EUR", Source: workflows.RewardFromWebhook}
	const name = "pe24681357_extole_reward"
	ack, err := workflows.SubmitRewards(context.Background(), s.Client, []workflows.RewardChange{ch}, name)
	require.NoError(t, err)
	assert.Equal(t, workflows.RewardAck{Accepted: 1}, ack)
	eventually(t, 30*time.Second, "the custom event", func() bool { return len(s.HubSpot.CustomEvents()) > 0 })
	ack, err = workflows.SubmitRewards(context.Background(), s.Client, []workflows.RewardChange{ch}, name)
	require.NoError(t, err)
	assert.Equal(t, workflows.RewardAck{Duplicate: 1}, ack)
	time.Sleep(300 * time.Millisecond)
	evs := s.HubSpot.CustomEvents()
	require.Len(t, evs, 1)
	assert.Equal(t, name, evs[0].EventName)
	assert.Equal(t, contactID, evs[0].ObjectID)
	assert.Equal(t, map[string]string{"reward_id": r.RewardID, "reward_state": "SENT", "face_value": "15", "face_value_type": "EUR"}, evs[0].Properties)
	s.hubspotHas("sam@example.com", map[string]string{contact.PropRewardState: "SENT", contact.PropRewardValue: "15 EUR"})
}

// The nightly schedule hands each run's window end to the next run (its last completion result).
func TestReconcileScheduleContinuesFromTheLastRun(t *testing.T) {
	s := newStack(t, stackOptions{})
	ctx := context.Background()
	h, err := s.Client.ScheduleClient().Create(ctx, workflows.ReconcileScheduleOptions("0 0 1 1 *", workflows.ReconcileInput{Lookback: 6 * time.Hour}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Delete(ctx) })
	runs := func() []string {
		d, err := h.Describe(ctx)
		require.NoError(t, err)
		var ids []string
		for _, a := range d.Info.RecentActions {
			ids = append(ids, a.StartWorkflowResult.WorkflowID)
		}
		return ids
	}
	var reports []workflows.ReconcileReport
	for i := range 2 {
		require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
		eventually(t, 30*time.Second, "the scheduled run", func() bool { return len(runs()) > i })
		var rep workflows.ReconcileReport
		require.NoError(t, s.waitResult(runs()[i], &rep))
		reports = append(reports, rep)
		time.Sleep(time.Second) // the next window ends a second later
	}
	assert.Equal(t, 6*time.Hour, reports[0].To.Sub(reports[0].From), "the first run looks back")
	assert.Equal(t, reports[0].To.Add(-time.Hour), reports[1].From, "the next continues from it, an hour of overlap")
	assert.True(t, reports[1].To.After(reports[0].To))
}
