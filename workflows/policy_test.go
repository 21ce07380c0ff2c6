package workflows

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
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

// Workflows carry the priority of their kind too: their workflow tasks share TaskQueue.
func TestWorkflowPriorities(t *testing.T) {
	tests := []struct {
		name string
		opts client.StartWorkflowOptions
		want int
	}{
		{"event", EventStartOptions(EventInput{EventName: "converted", Data: map[string]json.RawMessage{"partner_conversion_id": json.RawMessage(`"pc-1"`)}}), livePriority},
		{"share link", ShareLinkStartOptions("jane@example.com"), livePriority},
		{"backfill", BackfillStartOptions(false), backfillPriority},
		{"import", ImportStartOptions("hash", "links.csv"), backfillPriority},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.opts.Priority.PriorityKey)
		})
	}
}
