package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"
)

// Live and backfill calls to one API share its task queue (so either can use the whole budget) and
// differ in priority (so live calls are dispatched first).
func TestActivityQueuesAndPriorities(t *testing.T) {
	tests := []struct {
		name         string
		with         func(workflow.Context) workflow.Context
		wantQueue    string
		wantPriority int
	}{
		{"live Extole event", withExtole, ExtoleTaskQueue, livePriority},
		{"live HubSpot link", withHubSpot, HubSpotTaskQueue, livePriority},
		{"backfill Extole", withExtoleBackfill, ExtoleTaskQueue, backfillPriority},
		{"backfill and import HubSpot", withHubSpotBackfill, HubSpotTaskQueue, backfillPriority},
		{"backfill search", withHubSpotSearch, HubSpotSearchTaskQueue, backfillPriority},
	}
	require.Less(t, livePriority, backfillPriority, "a lower key is dispatched first")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			env.ExecuteWorkflow(func(ctx workflow.Context) (workflow.ActivityOptions, error) {
				return workflow.GetActivityOptions(tc.with(ctx)), nil
			})
			require.NoError(t, env.GetWorkflowError())
			var ao workflow.ActivityOptions
			require.NoError(t, env.GetWorkflowResult(&ao))
			assert.Equal(t, tc.wantQueue, ao.TaskQueue)
			assert.Equal(t, tc.wantPriority, ao.Priority.PriorityKey)
		})
	}
}
