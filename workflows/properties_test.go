package workflows

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// propertyCalls records the property-setup activities a workflow ran and on which task queue.
type propertyCalls struct {
	mu     sync.Mutex
	queues []string
	calls  []string // "group" or the property's name
}

func (p *propertyCalls) record(ctx context.Context, call string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queues = append(p.queues, activity.GetInfo(ctx).TaskQueue)
	p.calls = append(p.calls, call)
}

// mockPropertyActivities answers the one-call property activities: the group and share_link exist
// already (409), everything else is created.
func mockPropertyActivities(env *testsuite.TestWorkflowEnvironment, p *propertyCalls) {
	var h *activities.HubSpot
	env.OnActivity(h.CreatePropertyGroup, mock.Anything).Return(
		func(ctx context.Context) (activities.CreatedResult, error) {
			p.record(ctx, "group")
			return activities.CreatedResult{}, nil
		})
	env.OnActivity(h.CreateProperty, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, def contact.Property) (activities.CreatedResult, error) {
			p.mu.Lock()
			groupFirst := slices.Contains(p.calls, "group")
			p.mu.Unlock()
			if !groupFirst {
				return activities.CreatedResult{}, assert.AnError // HubSpot refuses a property in a missing group
			}
			p.record(ctx, def.Name)
			return activities.CreatedResult{Created: def.Name != "share_link"}, nil
		})
	env.OnActivity(h.FindReferralLabels, mock.Anything).Return(activities.ReferralLabels{Found: true, ReferredBy: 144, Referred: 145}, nil).Maybe()
}

func TestEnsureBridgePropertiesOneActivityPerCall(t *testing.T) {
	tests := []struct {
		name      string
		workflow  any
		args      []any
		wantQueue string
	}{
		{name: "setup on the live queue", workflow: SetupHubSpot, wantQueue: HubSpotTaskQueue},
		{name: "helper on the shared queue at backfill priority", workflow: func(ctx workflow.Context) error {
			return ensureBridgeProperties(withHubSpotBackfill(ctx))
		}, wantQueue: HubSpotTaskQueue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			env.RegisterActivity(&activities.HubSpot{})
			var p propertyCalls
			mockPropertyActivities(env, &p)
			env.ExecuteWorkflow(tc.workflow, tc.args...)
			require.NoError(t, env.GetWorkflowError())

			want := append([]string{"group"}, allPropertyNames()...)
			assert.Equal(t, "group", p.calls[0], "the group is created before its properties")
			assert.ElementsMatch(t, want, p.calls, "one activity per HubSpot call")
			for _, q := range p.queues {
				assert.Equal(t, tc.wantQueue, q)
			}
		})
	}
}

func TestSetupHubSpotReportsCreatedAndExisting(t *testing.T) {
	env := newTestEnv()
	env.RegisterActivity(&activities.HubSpot{})
	mockPropertyActivities(env, &propertyCalls{})
	env.ExecuteWorkflow(SetupHubSpot)
	require.NoError(t, env.GetWorkflowError())
	var rep activities.PropertiesReport
	require.NoError(t, env.GetWorkflowResult(&rep))
	assert.Equal(t, activities.PropertiesReport{
		Created:  slices.DeleteFunc(allPropertyNames(), func(n string) bool { return n == "share_link" }),
		Existing: []string{"share_link"},
		Labels:   "existing",
	}, rep)
}

// allPropertyNames are the names of every property a setup started today creates.
func allPropertyNames() []string {
	var names []string
	for _, d := range slices.Concat(contact.Properties, contact.ReferralGraphProperties, contact.RewardProperties) {
		names = append(names, d.Name)
	}
	return names
}
