package workflows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Client side of the backfill and the import: what the CLI sends, built next to the workflows that
// receive it.

// BackfillScheduleOptions are the nightly backfill's schedule. Overlapping runs are skipped: a run that
// outlasts the interval is never doubled.
func BackfillScheduleOptions(cron string, in BackfillInput) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:      BackfillScheduleID,
		Spec:    client.ScheduleSpec{CronExpressions: []string{cron}},
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Action: &client.ScheduleWorkflowAction{
			ID:            BackfillWorkflowID,
			Workflow:      ShareLinkBackfill,
			Args:          []any{in},
			TaskQueue:     TaskQueue,
			StaticSummary: "scheduled share-link backfill",
			Priority:      BackfillWorkflowPriority,
		},
		Note: "share-link backfill (starter backfill schedule)",
	}
}

// RunningBackfill finds a running backfill, whether started by hand or by the schedule (whose runs get
// the schedule time appended to their IDs, so the ID alone cannot tell); "" when none runs.
func RunningBackfill(ctx context.Context, c client.Client) (string, error) {
	res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query:    WorkflowTypeQuery(ShareLinkBackfillType, true),
		PageSize: 1,
	})
	if err != nil || len(res.GetExecutions()) == 0 {
		return "", err
	}
	return res.GetExecutions()[0].GetExecution().GetWorkflowId(), nil
}

// TriggerScheduledBackfill starts a run through the backfill's schedule, if there is one (false: there is
// none). The schedule's overlap policy (skip) then covers manual and scheduled runs alike, which a
// workflow ID cannot.
func TriggerScheduledBackfill(ctx context.Context, c client.Client) (bool, error) {
	h := c.ScheduleClient().GetHandle(ctx, BackfillScheduleID)
	if _, err := h.Describe(ctx); err != nil {
		return false, nil
	}
	return true, h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP})
}

// Registered workflow type names, for visibility queries.
const (
	ShareLinkBackfillType = "ShareLinkBackfill"
	ReconcileType         = "Reconcile"
)

// WorkflowTypeQuery lists the executions of a workflow type, only running ones if running.
func WorkflowTypeQuery(workflowType string, running bool) string {
	q := fmt.Sprintf("WorkflowType = '%s'", workflowType)
	if running {
		q += " AND ExecutionStatus = 'Running'"
	}
	return q
}

// ErrTypeImportContinuingAsNew is the chunk validator's refusal while the import continues as new: the
// client sends the chunk again.
const ErrTypeImportContinuingAsNew = "ImportContinuingAsNew"

// ErrContinuingAsNew is the validator's answer while the import continues as new.
var ErrContinuingAsNew = temporal.NewApplicationError("import is continuing as new; send the chunk again in a moment", ErrTypeImportContinuingAsNew)

// StartImport starts the import of a file, or joins the running import of the same content, and returns
// its ID and the next chunk it expects (chunks before it were written by an earlier attempt).
func StartImport(ctx context.Context, c client.Client, fileHash, file string) (id string, next int, err error) {
	run, err := c.ExecuteWorkflow(ctx, ImportStartOptions(fileHash, file), ShareLinkImport, ImportProgress{File: file})
	if err != nil {
		return "", 0, err
	}
	v, err := c.QueryWorkflow(ctx, run.GetID(), "", ImportQuery)
	if err != nil {
		return "", 0, fmt.Errorf("query import progress (is a worker running?): %w", err)
	}
	var p ImportProgress
	if err := v.Get(&p); err != nil {
		return "", 0, err
	}
	return run.GetID(), p.NextChunk, nil
}

// importChunkAttempts bounds how often one chunk is sent while the import continues as new (once a
// second: a continue-as-new takes moments).
const importChunkAttempts = 31

// SendImportChunk submits one chunk and waits until it is written. A chunk refused while the workflow
// continues as new is sent again under a new update ID (a repeated ID would be answered with the stored
// rejection). A chunk that failed to write is an error.
func SendImportChunk(ctx context.Context, c client.Client, id string, chunk ImportChunk) error {
	for attempt := 0; ; attempt++ {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID:   id,
			UpdateID:     fmt.Sprintf("chunk-%d-%d", chunk.Index, attempt),
			UpdateName:   ImportChunkUpdate,
			Args:         []any{chunk},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			var res ImportChunkResult
			err = h.Get(ctx, &res)
		}
		var appErr *temporal.ApplicationError
		if err == nil || attempt == importChunkAttempts-1 || !errors.As(err, &appErr) || appErr.Type() != ErrTypeImportContinuingAsNew {
			if err != nil {
				return fmt.Errorf("chunk %d: %w", chunk.Index, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// FinishImport tells the import the file is complete and returns its final report.
func FinishImport(ctx context.Context, c client.Client, id string) (ImportProgress, error) {
	var final ImportProgress
	if err := c.SignalWorkflow(ctx, id, "", ImportFinish, nil); err != nil {
		return final, err
	}
	err := c.GetWorkflow(ctx, id, "").Get(ctx, &final)
	return final, err
}
