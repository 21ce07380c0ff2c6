package workflows

import (
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// The CLI finds runs by workflow type: the names in its queries must be the ones Register registers
// (Temporal names a workflow after its function).
func TestWorkflowTypeNamesAreTheRegisteredOnes(t *testing.T) {
	tests := []struct {
		name string
		fn   any
	}{
		{ShareLinkBackfillType, ShareLinkBackfill},
		{ReconcileType, Reconcile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full := runtime.FuncForPC(reflect.ValueOf(tt.fn).Pointer()).Name()
			assert.Equal(t, tt.name, full[strings.LastIndexByte(full, '.')+1:])
		})
	}
}

func TestWorkflowTypeQuery(t *testing.T) {
	assert.Equal(t, "WorkflowType = 'ShareLinkBackfill'", WorkflowTypeQuery(ShareLinkBackfillType, false))
	assert.Equal(t, "WorkflowType = 'Reconcile' AND ExecutionStatus = 'Running'", WorkflowTypeQuery(ReconcileType, true))
}

// The nightly backfill starts the same workflow, under the same ID, as a manual run, and skips a run
// while one is in progress.
func TestBackfillScheduleOptions(t *testing.T) {
	in := BackfillInput{Label: "refer-a-friend", Route: BackfillRouteEvents}
	o := BackfillScheduleOptions("0 3 * * *", in)
	assert.Equal(t, BackfillScheduleID, o.ID)
	assert.Equal(t, []string{"0 3 * * *"}, o.Spec.CronExpressions)
	assert.Equal(t, enums.SCHEDULE_OVERLAP_POLICY_SKIP, o.Overlap)
	a := o.Action.(*client.ScheduleWorkflowAction)
	assert.Equal(t, BackfillStartOptions(false).ID, a.ID)
	assert.Equal(t, []any{in}, a.Args)
	assert.Equal(t, BackfillWorkflowPriority, a.Priority)
}
