package workflows

import (
	"fmt"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// PrivacyInput is one contact.privacyDeletion: the contact id only, never an email.
type PrivacyInput struct {
	ContactID string `json:"contact_id"`
}

// PrivacyResult is shown in the Web UI.
type PrivacyResult struct {
	StoppedWorkflows int      `json:"stopped_workflows"`
	Erasures         int      `json:"erasures"`
	Statuses         []string `json:"statuses"`
}

// PrivacyWorkflowID: one erasure per contact; HubSpot's redeliveries are duplicates.
func PrivacyWorkflowID(contactID string) string { return "hubspot-privacy/" + contactID }

// PrivacyStartOptions: a duplicate delivery is refused; only a failed run can be re-driven.
func PrivacyStartOptions(in PrivacyInput) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                                       PrivacyWorkflowID(in.ContactID),
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            "HubSpot privacy deletion of contact " + in.ContactID + " → Extole erasure",
		Priority:                                 liveWorkflowPriority,
	}
}

// PrivacyErasure stops the bridge's pending work for the contact, then asks Extole to erase the person,
// in that order so that no pending signup or conversion recreates them afterwards. The email is looked
// up inside the erasure activity: this history holds only the contact id.
func PrivacyErasure(ctx workflow.Context, in PrivacyInput) (PrivacyResult, error) {
	var a *activities.Privacy
	var res PrivacyResult
	stop := activities.StopContactWorkInput{ContactID: in.ContactID, Except: workflow.GetInfo(ctx).WorkflowExecution.ID}
	// Temporal's own API, not a rate-limited one: on the workflow task queue.
	sctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: TaskQueue, StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: 7 * 24 * time.Hour, RetryPolicy: apiRetryPolicy(),
	})
	if err := workflow.ExecuteActivity(sctx, a.StopContactWork, stop).Get(ctx, &res.StoppedWorkflows); err != nil {
		return res, err
	}
	var er activities.EraseResult
	if err := workflow.ExecuteActivity(withExtole(ctx), a.EraseContact, in.ContactID).Get(ctx, &er); err != nil {
		return res, err
	}
	res.Erasures, res.Statuses = er.Requested, er.Statuses
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("Stopped %d pending workflow(s); Extole erasure requested (%v)", res.StoppedWorkflows, er.Statuses))
	return res, nil
}
