package workflows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ReconcileScheduleID is the nightly reconciliation's schedule; its runs are ReconcileWorkflowID-<time>.
const (
	ReconcileScheduleID = "reconcile-rewards"
	ReconcileWorkflowID = "reconcile-rewards"
	// DefaultReconcileCron runs it nightly, after the day's webhooks and their first retries.
	DefaultReconcileCron = "30 3 * * *"
)

// reconcileOverlap re-reads the end of the previous window: a reward that changed just before it ended
// may not have been listed yet, and the two clocks differ.
const reconcileOverlap = time.Hour

// reconcilePageSize is the page size of GET /v2/rewards (Extole's maximum is 1000; 100 keeps one
// activity's result small).
const reconcilePageSize = 100

// ReconcileInput configures a reconciliation run.
type ReconcileInput struct {
	// Lookback is the window of a run that has no previous run to continue from (and of `reconcile run`).
	Lookback  time.Duration `json:"lookback"`
	EventName string        `json:"event_name,omitempty"` // HubSpot custom events, as RewardSyncState
	// From/To/Offset and the counts carry a run across continue-as-new; zero on a fresh start.
	From   time.Time       `json:"from,omitzero"`
	To     time.Time       `json:"to,omitzero"`
	Offset int             `json:"offset,omitempty"`
	Report ReconcileReport `json:"report,omitzero"`
}

// ReconcileReport is what a run found; the next scheduled run continues from To.
type ReconcileReport struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Checked int       `json:"checked"` // rewards Extole listed for the window
	Missing int       `json:"missing"` // states the person's RewardSync did not hold: handed to it, written by it
	Held    int       `json:"held"`    // already applied (or older than what was applied)
	Persons int       `json:"persons"`
}

// Reconcile pages Extole's rewards changed in the window since the last run and feeds each person's into
// their RewardSync, which ignores what it already applied; the window's end is the next run's start
// (the schedule hands it over as the last completion result). Extole calls use the backfill's priority.
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileReport, error) {
	if in.To.IsZero() {
		// Whole seconds (the interval's text), rounded up so that nothing changed just now is left out.
		in.To = workflow.Now(ctx).UTC().Truncate(time.Second).Add(time.Second)
		in.From = in.To.Add(-in.Lookback)
		var last ReconcileReport
		if workflow.HasLastCompletionResult(ctx) && workflow.GetLastCompletionResult(ctx, &last) == nil && !last.To.IsZero() {
			in.From = last.To.Add(-reconcileOverlap)
		}
		in.Report = ReconcileReport{From: in.From, To: in.To}
	}
	var x *activities.Extole
	var t *RewardActivities
	extoleCtx := withExtoleBackfill(ctx)
	submitCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: time.Hour, RetryPolicy: apiRetryPolicy(),
		Priority: BackfillWorkflowPriority,
	})
	interval := in.From.Format(time.RFC3339) + "/" + in.To.Format(time.RFC3339)
	for {
		var rows []activities.RewardRecord
		page := activities.ListRewardsInput{TimeInterval: interval, Limit: reconcilePageSize, Offset: in.Offset}
		if err := workflow.ExecuteActivity(extoleCtx, x.ListRewards, page).Get(ctx, &rows); err != nil {
			return in.Report, err
		}
		now := workflow.Now(ctx)
		byPerson := map[string][]RewardChange{}
		for _, row := range rows {
			if row.PersonID == "" || row.RewardID == "" {
				continue
			}
			byPerson[row.PersonID] = append(byPerson[row.PersonID], RewardChangeFromRecord(row, now, RewardFromReconcile))
		}
		persons := slices.Sorted(maps.Keys(byPerson)) //workflowcheck:ignore sorted, so deterministic
		futures := make([]workflow.Future, len(persons))
		for i, p := range persons {
			futures[i] = workflow.ExecuteActivity(submitCtx, t.SubmitRewardChanges, SubmitRewardsInput{Changes: byPerson[p], EventName: in.EventName})
		}
		for _, f := range futures {
			var ack RewardAck
			if err := f.Get(ctx, &ack); err != nil {
				return in.Report, err
			}
			in.Report.Missing += ack.Accepted
			in.Report.Held += ack.Duplicate + ack.Stale
		}
		in.Report.Checked += len(rows)
		in.Report.Persons += len(persons)
		in.Offset += len(rows)
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("rewards %s: %d checked, %d missing (fixed), %d already applied",
			interval, in.Report.Checked, in.Report.Missing, in.Report.Held))
		if len(rows) < reconcilePageSize {
			return in.Report, nil
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return in.Report, workflow.NewContinueAsNewError(ctx, Reconcile, in)
		}
	}
}

// ReconcileScheduleOptions is the nightly schedule: one run at a time (a run still going skips the next),
// at the backfill's priority.
func ReconcileScheduleOptions(cron string, in ReconcileInput) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:      ReconcileScheduleID,
		Spec:    client.ScheduleSpec{CronExpressions: []string{cron}},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID:        ReconcileWorkflowID,
			Workflow:  Reconcile,
			Args:      []any{in},
			TaskQueue: TaskQueue,
			Priority:  BackfillWorkflowPriority,
		},
		Note: "nightly: Extole rewards changed since the last run → each person's RewardSync",
	}
}

// ReconcileRunOptions start a one-off reconciliation (`starter reconcile run`).
func ReconcileRunOptions(at time.Time) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:        ReconcileWorkflowID + "-manual-" + at.UTC().Format("20060102T150405Z"),
		TaskQueue: TaskQueue,
		Priority:  BackfillWorkflowPriority,
	}
}

// RewardLookupInput is a reward webhook whose body named only the reward.
type RewardLookupInput struct {
	RewardID  string `json:"reward_id"`
	EventName string `json:"event_name,omitempty"`
}

// RewardLookupStartOptions: one lookup per reward at a time; a later delivery after it closed reads again.
func RewardLookupStartOptions(rewardID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       "extole-reward-lookup/" + rewardID,
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		Priority:                 liveWorkflowPriority,
	}
}

// RewardLookup reads a reward Extole's webhook named only by id ({"reward_id","data"} body) and hands its
// current state to the person's RewardSync. An id Extole does not know is reported, not retried.
func RewardLookup(ctx workflow.Context, in RewardLookupInput) (RewardAck, error) {
	var x *activities.Extole
	var t *RewardActivities
	var row activities.RewardRecord
	err := workflow.ExecuteActivity(withExtole(ctx), x.GetReward, in.RewardID).Get(ctx, &row)
	var appErr *temporal.ApplicationError
	if err != nil && (!errors.As(err, &appErr) || !appErr.NonRetryable()) {
		return RewardAck{}, err
	}
	if err != nil || row.PersonID == "" {
		workflow.GetLogger(ctx).Warn("reward webhook for a reward Extole does not list; reported, not applied", "reward_id", in.RewardID, "error", err)
		workflow.SetCurrentDetails(ctx, "Extole does not know reward "+in.RewardID)
		return RewardAck{}, nil
	}
	ch := RewardChangeFromRecord(row, workflow.Now(ctx), RewardFromWebhook)
	submitCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: 7 * 24 * time.Hour, RetryPolicy: apiRetryPolicy(),
	})
	var ack RewardAck
	err = workflow.ExecuteActivity(submitCtx, t.SubmitRewardChanges, SubmitRewardsInput{Changes: []RewardChange{ch}, EventName: in.EventName}).Get(ctx, &ack)
	return ack, err
}

// RewardActivities hands reward changes to RewardSync workflows; it runs on the workflow task queue
// (it calls only Temporal).
type RewardActivities struct {
	Client client.Client
}

// SubmitRewardsInput is one person's changes.
type SubmitRewardsInput struct {
	Changes   []RewardChange `json:"changes"`
	EventName string         `json:"event_name,omitempty"`
}

// SubmitRewardChanges is SubmitRewards as an activity.
func (a *RewardActivities) SubmitRewardChanges(ctx context.Context, in SubmitRewardsInput) (RewardAck, error) {
	ack, err := SubmitRewards(ctx, a.Client, in.Changes, in.EventName)
	if errors.Is(err, ErrRewardPersonMismatch) {
		return ack, temporal.NewNonRetryableApplicationError(err.Error(), "RewardPersonMismatch", err)
	}
	return ack, err
}
