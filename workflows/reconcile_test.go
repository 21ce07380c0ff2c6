package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func TestReconcileContinuesFromTheLastRunAndCountsWhatWasMissing(t *testing.T) {
	tests := []struct {
		name     string
		last     *ReconcileReport
		wantFrom string
	}{
		{"first run looks back", nil, "2026-11-24T03:30:01Z"},
		{"next run continues from the last, with an hour of overlap", &ReconcileReport{To: time.Date(2026, 11, 26, 3, 30, 1, 0, time.UTC)}, "2026-11-26T02:30:01Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			env.SetStartTime(time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC))
			if tt.last != nil {
				env.SetLastCompletionResult(*tt.last)
			}
			x, sub := &activities.Extole{}, &RewardActivities{}
			env.RegisterActivity(x)
			env.RegisterActivity(sub)
			var intervals []string
			// Two pages: 100 rewards of 50 persons, then 3 more of one of them.
			env.OnActivity(x.ListRewards, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.ListRewardsInput) ([]activities.RewardRecord, error) {
					intervals = append(intervals, in.TimeInterval)
					n := 3
					if in.Offset == 0 {
						n = reconcilePageSize
					}
					rows := make([]activities.RewardRecord, n)
					for i := range rows {
						rows[i] = activities.RewardRecord{RewardID: fmt.Sprintf("r%d-%d", in.Offset, i), PersonID: fmt.Sprintf("p%d", i/2), State: "SENT"}
					}
					return rows, nil
				})
			// Each person's workflow held all but one of its rewards.
			env.OnActivity(sub.SubmitRewardChanges, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in SubmitRewardsInput) (RewardAck, error) {
					for _, c := range in.Changes {
						if c.Source != RewardFromReconcile || c.PersonID != in.Changes[0].PersonID {
							return RewardAck{}, fmt.Errorf("bad change %+v", c)
						}
					}
					return RewardAck{Accepted: 1, Duplicate: len(in.Changes) - 1}, nil
				})
			env.ExecuteWorkflow(Reconcile, ReconcileInput{Lookback: 72 * time.Hour})
			require.NoError(t, env.GetWorkflowError())
			var rep ReconcileReport
			require.NoError(t, env.GetWorkflowResult(&rep))
			assert.Equal(t, ReconcileReport{From: rep.From, To: time.Date(2026, 11, 27, 3, 30, 1, 0, time.UTC),
				Checked: 103, Missing: 52, Held: 51, Persons: 52}, rep)
			assert.Equal(t, tt.wantFrom, rep.From.Format(time.RFC3339))
			require.Len(t, intervals, 2)
			assert.Equal(t, tt.wantFrom+"/2026-11-27T03:30:01Z", intervals[0])
		})
	}
}

func TestRewardLookupReportsARewardExtoleDoesNotKnow(t *testing.T) {
	env := newTestEnv()
	x, sub := &activities.Extole{}, &RewardActivities{}
	env.RegisterActivity(x)
	env.RegisterActivity(sub)
	env.OnActivity(x.GetReward, mock.Anything, "nope").Return(activities.RewardRecord{},
		temporal.NewNonRetryableApplicationError("reward_not_found", activities.ErrTypeExtoleRejected, nil))
	env.ExecuteWorkflow(RewardLookup, RewardLookupInput{RewardID: "nope"})
	require.NoError(t, env.GetWorkflowError(), "reported, not failed")
	env.AssertNotCalled(t, "SubmitRewardChanges", mock.Anything, mock.Anything)
}
