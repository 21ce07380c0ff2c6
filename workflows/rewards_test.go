package workflows

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// rewardEnv is a RewardSync test environment: Extole lists seed for the person, HubSpot has the contact
// when contactID is not "", and every write lands in hubspot.
type rewardEnv struct {
	env     *testsuite.TestWorkflowEnvironment
	hubspot map[string]string
	writes  int
	events  []hubspot.CustomEvent
}

func newRewardEnv(t *testing.T, seed []activities.RewardRecord, contactID string) *rewardEnv {
	t.Helper()
	r := &rewardEnv{env: newTestEnv(), hubspot: map[string]string{}}
	x, h := &activities.Extole{}, &activities.HubSpot{}
	r.env.RegisterActivity(x)
	r.env.RegisterActivity(h)
	r.env.OnActivity(x.ListRewards, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ListRewardsInput) ([]activities.RewardRecord, error) {
			if in.Offset > 0 {
				return nil, nil
			}
			return seed, nil
		})
	r.env.OnActivity(x.RewardPersonEmail, mock.Anything, "p1").Return("jane@example.com", nil)
	r.env.OnActivity(h.FindRewardContact, mock.Anything, "jane@example.com").Return(activities.RewardContact{ContactID: contactID}, nil)
	r.env.OnActivity(h.UpsertContact, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.UpsertContactInput) (activities.UpsertContactResult, error) {
			r.writes++
			maps.Copy(r.hubspot, in.Properties)
			return activities.UpsertContactResult{ContactID: contactID}, nil
		})
	r.env.OnActivity(h.SendRewardEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ev hubspot.CustomEvent) error {
			r.events = append(r.events, ev)
			return nil
		})
	return r
}

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func change(reward, state, eventID string, at time.Duration, value string) RewardChange {
	return RewardChange{RewardID: reward, PersonID: "p1", State: state, EventID: eventID, At: t0.Add(at),
		FaceValue: value, FaceValueType: "USD", Source: RewardFromWebhook}
}

func TestRewardSyncLatestStateWinsAndCountsComeFromTheSet(t *testing.T) {
	r := newRewardEnv(t, nil, "101")
	deliveries := []RewardChange{
		change("r1", "EARNED", "e1", 0, "50"),
		change("r1", "SENT", "e3", 2*time.Minute, "50"),
		change("r1", "FULFILLED", "e2", time.Minute, "50"), // late: older than SENT
		change("r1", "SENT", "e3", 2*time.Minute, "50"),    // redelivered
		change("r2", "CANCELED", "e5", 4*time.Minute, "100"),
		change("r2", "EARNED", "e4", 3*time.Minute, "100"), // late, after the cancel
		change("r3", "EARNED", "e6", 5*time.Minute, "25.50"),
	}
	signal := func(ds []RewardChange) func() {
		return func() {
			for _, d := range ds {
				r.env.SignalWorkflow(RewardSignal, d)
			}
		}
	}
	r.env.RegisterDelayedCallback(signal(deliveries[:4]), time.Second)
	r.env.RegisterDelayedCallback(signal(deliveries[4:]), time.Minute)
	writesBefore := -1
	r.env.RegisterDelayedCallback(func() {
		writesBefore = r.writes
		signal(deliveries)()
	}, 2*time.Minute)
	r.env.ExecuteWorkflow(RewardSync, RewardSyncState{PersonID: "p1", Hold: 10 * time.Minute})
	require.NoError(t, r.env.GetWorkflowError())

	assert.Equal(t, map[string]string{
		contact.PropRewardState:       "EARNED",
		contact.PropRewardValue:       "25.50 USD",
		contact.PropRewardsEarned:     "2", // r1 and r3; r2 was canceled
		contact.PropRewardsValueTotal: "75.5 USD",
		contact.PropLastRewardAt:      "2026-11-26T10:05:00Z",
	}, r.hubspot)
	assert.Equal(t, writesBefore, r.writes, "every delivery again: no write")
	var st RewardSyncState
	require.NoError(t, r.env.GetWorkflowResult(&st))
	assert.Equal(t, "SENT", st.Rewards["r1"].State)
	assert.Equal(t, "CANCELED", st.Rewards["r2"].State)
}

func TestRewardSyncReportsAPersonHubSpotDoesNotKnow(t *testing.T) {
	r := newRewardEnv(t, nil, "")
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(RewardSignal, change("r1", "EARNED", "e1", 0, "50")) }, time.Second)
	r.env.ExecuteWorkflow(RewardSync, RewardSyncState{PersonID: "p1", Hold: time.Minute})
	require.NoError(t, r.env.GetWorkflowError(), "an unknown person is reported, not failed")
	var st RewardSyncState
	require.NoError(t, r.env.GetWorkflowResult(&st))
	assert.Equal(t, "has no HubSpot contact", st.Unknown)
	assert.Zero(t, r.writes)
	assert.Equal(t, "EARNED", st.Rewards["r1"].State, "the reward is still held for a later attempt")
}

func TestRewardSyncCountsRewardsReadFromExtoleAtStart(t *testing.T) {
	seed := []activities.RewardRecord{
		{RewardID: "r8", PersonID: "p1", State: "EARNED", FaceValue: "5", FaceValueType: "USD"},
		{RewardID: "r9", PersonID: "p1", State: "REDEEMED", FaceValue: "10", FaceValueType: "USD"},
	}
	r := newRewardEnv(t, seed, "101")
	r.env.RegisterDelayedCallback(func() {
		c := change("r7", "EARNED", "e7", 0, "20")
		c.At = r.env.Now().Add(time.Second)
		r.env.SignalWorkflow(RewardSignal, c)
	}, time.Second)
	r.env.ExecuteWorkflow(RewardSync, RewardSyncState{PersonID: "p1", Hold: time.Minute, EventName: "pe1_extole_reward"})
	require.NoError(t, r.env.GetWorkflowError())
	assert.Equal(t, "3", r.hubspot[contact.PropRewardsEarned])
	assert.Equal(t, "35 USD", r.hubspot[contact.PropRewardsValueTotal])
	require.Len(t, r.events, 1, "a custom event per webhook change; rewards read at start are not changes")
	assert.Equal(t, "r7", r.events[0].Properties["reward_id"])
	assert.Equal(t, "101", r.events[0].ObjectID)
	assert.Equal(t, rewardEventUUID("r7", "EARNED"), r.events[0].UUID)
}

func TestRewardSyncUpdateSaysWhatWasMissing(t *testing.T) {
	r := newRewardEnv(t, nil, "101")
	var acks []RewardAck
	submit := func(cs ...RewardChange) {
		r.env.UpdateWorkflow(RewardUpdate, fmt.Sprintf("u-%d", len(acks)), &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("rejected: %v", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				acks = append(acks, v.(RewardAck))
			},
		}, cs)
	}
	r.env.RegisterDelayedCallback(func() { submit(change("r1", "SENT", "e2", time.Minute, "50")) }, time.Second)
	r.env.RegisterDelayedCallback(func() {
		rec := change("r1", "SENT", "", 2*time.Minute, "50")
		rec.Source = RewardFromReconcile
		old := change("r2", "EARNED", "", 0, "10")
		r2 := change("r2", "FULFILLED", "", time.Minute, "10")
		submit(rec, r2, old)
	}, time.Minute)
	r.env.ExecuteWorkflow(RewardSync, RewardSyncState{PersonID: "p1", Hold: 5 * time.Minute})
	require.NoError(t, r.env.GetWorkflowError())
	assert.Equal(t, []RewardAck{{Accepted: 1}, {Accepted: 1, Duplicate: 1, Stale: 1}}, acks)
}

func TestRewardProperties(t *testing.T) {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name    string
		rewards map[string]RewardStatus
		want    map[string]string
	}{
		{"none", nil, map[string]string{contact.PropRewardsEarned: "0", contact.PropRewardsValueTotal: "0"}},
		{"revoked and canceled do not count, failed does", map[string]RewardStatus{
			"a": {State: "REVOKED", At: at(1), FaceValue: "10", FaceValueType: "USD"},
			"b": {State: "FAILED", At: at(2), FaceValue: "20", FaceValueType: "USD"},
			"c": {State: "CANCELED", At: at(0), FaceValue: "30", FaceValueType: "USD"},
		}, map[string]string{contact.PropRewardState: "FAILED", contact.PropRewardValue: "20 USD",
			contact.PropRewardsEarned: "1", contact.PropRewardsValueTotal: "20 USD", contact.PropLastRewardAt: "2026-11-26T10:02:00Z"}},
		{"value types summed apart", map[string]RewardStatus{
			"a": {State: "EARNED", At: at(1), FaceValue: "0.10", FaceValueType: "USD"},
			"b": {State: "SENT", At: at(1), FaceValue: "0.20", FaceValueType: "USD"},
			"c": {State: "EARNED", At: at(0), FaceValue: "500", FaceValueType: "POINTS"},
		}, map[string]string{contact.PropRewardState: "SENT", contact.PropRewardValue: "0.20 USD",
			contact.PropRewardsEarned: "3", contact.PropRewardsValueTotal: "500 POINTS + 0.3 USD", contact.PropLastRewardAt: "2026-11-26T10:01:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RewardProperties(tt.rewards))
		})
	}
}

func TestRewardSyncContinuesAsNewKeepingItsRewards(t *testing.T) {
	r := newRewardEnv(t, nil, "101")
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(RewardSignal, change("r1", "SENT", "e1", 0, "50")) }, time.Second)
	r.env.RegisterDelayedCallback(func() { r.env.SetContinueAsNewSuggested(true) }, time.Minute)
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(RewardSignal, change("r2", "EARNED", "e2", time.Minute, "5")) }, time.Minute)
	r.env.ExecuteWorkflow(RewardSync, RewardSyncState{PersonID: "p1", Hold: time.Hour})
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, r.env.GetWorkflowError(), &can)
	var next RewardSyncState
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	assert.Equal(t, "SENT", next.Rewards["r1"].State)
	assert.Equal(t, "EARNED", next.Rewards["r2"].State, "every change is carried into the next run")
	assert.True(t, next.Seeded, "the next run does not read Extole again")
	assert.Equal(t, "101", next.ContactID)
	assert.Contains(t, next.Seen, "e:e1")
}
