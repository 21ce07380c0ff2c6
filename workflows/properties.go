package workflows

import (
	"slices"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"go.temporal.io/sdk/workflow"
)

// propertySetupChange versions the workflows that created the properties with the one multi-call
// EnsureProperties activity (executions started before keep replaying it).
const propertySetupChange = "property-setup-one-call-per-activity"

// ensureBridgeProperties creates the bridge's property group and contact properties where missing, one
// HubSpot request per activity so the HubSpot task queue's rate limit holds for them too. ctx must carry
// the activity options of the HubSpot queue to use: withHubSpot for live traffic, withHubSpotBackfill
// for the backfill and the import.
func ensureBridgeProperties(ctx workflow.Context) error {
	_, err := createBridgeProperties(ctx)
	return err
}

// createBridgeProperties is ensureBridgeProperties with the report SetupHubSpot returns. The group goes
// first (HubSpot refuses a property in a group that does not exist), then the properties in parallel.
func createBridgeProperties(ctx workflow.Context) (activities.PropertiesReport, error) {
	var a *activities.HubSpot
	var rep activities.PropertiesReport
	var group activities.CreatedResult
	if err := workflow.ExecuteActivity(ctx, a.CreatePropertyGroup).Get(ctx, &group); err != nil {
		return rep, err
	}
	rep.GroupCreated = group.Created
	defs := bridgePropertyDefs(ctx)
	futures := make([]workflow.Future, len(defs))
	for i, def := range defs {
		futures[i] = workflow.ExecuteActivity(ctx, a.CreateProperty, def)
	}
	for i, f := range futures {
		var res activities.CreatedResult
		if err := f.Get(ctx, &res); err != nil {
			return rep, err
		}
		name := defs[i].Name
		if res.Created {
			rep.Created = append(rep.Created, name)
		} else {
			rep.Existing = append(rep.Existing, name)
		}
	}
	return rep, nil
}

// referralGraphProperties versions the property setup that also creates the referral graph's
// properties (executions started before keep creating only the ones they recorded).
const referralGraphProperties = "referral-graph-properties"

// rewardProperties versions the property setup that also creates the reward properties.
const rewardProperties = "reward-properties"

// bridgePropertyDefs are the properties createBridgeProperties creates, one CreateProperty activity
// each; each feature's additions come behind their own version, so recorded setups still replay.
func bridgePropertyDefs(ctx workflow.Context) []contact.Property {
	defs := contact.Properties
	if workflow.GetVersion(ctx, referralGraphProperties, workflow.DefaultVersion, 1) >= 1 {
		defs = slices.Concat(defs, contact.ReferralGraphProperties)
	}
	if workflow.GetVersion(ctx, rewardProperties, workflow.DefaultVersion, 1) >= 1 {
		defs = slices.Concat(defs, contact.RewardProperties)
	}
	return defs
}

// ensurePropertiesVersioned is ensureBridgeProperties for workflows that ran the multi-call
// EnsureProperties activity before propertySetupChange.
func ensurePropertiesVersioned(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, propertySetupChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		var a *activities.HubSpot
		return workflow.ExecuteActivity(ctx, a.EnsureProperties).Get(ctx, nil)
	}
	return ensureBridgeProperties(ctx)
}
