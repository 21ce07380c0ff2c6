package workflows

import (
	"github.com/hubspot-extole/bridge/activities"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// SetupHubSpotWorkflowID is fixed: concurrent worker starts join one setup run instead of racing.
const SetupHubSpotWorkflowID = "setup/hubspot-properties"

// SetupHubSpot creates the bridge's contact properties where missing. The worker starts it at start-up;
// running it through Temporal gives it the HubSpot rate limit and retries (a token fixed later still
// completes it) instead of failing the worker's start.
func SetupHubSpot(ctx workflow.Context) (activities.PropertiesReport, error) {
	if workflow.GetVersion(ctx, propertySetupChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		var a *activities.HubSpot
		var rep activities.PropertiesReport
		err := workflow.ExecuteActivity(withHubSpot(ctx), a.EnsureProperties).Get(ctx, &rep)
		return rep, err
	}
	rep, err := createBridgeProperties(withHubSpot(ctx))
	if err != nil {
		return rep, err
	}
	return rep, setupReferralLabels(withHubSpot(ctx), &rep)
}

// SetupHubSpotStartOptions joins a running setup, or starts a new one after a finished one.
func SetupHubSpotStartOptions() client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       SetupHubSpotWorkflowID,
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            "ensure HubSpot contact properties share_link, share_code, advocate_code, extole_app_type",
	}
}
