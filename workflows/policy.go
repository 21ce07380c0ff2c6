package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// apiRetryPolicy is the one retry policy for calls to HubSpot and Extole. The activities decide per
// error whether a retry can help (non-retryable application errors for rejected input) and how long to
// wait (NextRetryDelay from Retry-After or the API's rate-limit window); this policy supplies the
// backoff for everything else. MaximumInterval caps the wait for failures only an operator can fix (a
// revoked token): once it is fixed, every waiting workflow retries within five minutes and the backlog
// drains, nothing lost.
func apiRetryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    5 * time.Minute,
		MaximumAttempts:    0, // bounded by ScheduleToCloseTimeout instead
	}
}

// Task-queue priority keys (lower runs first). Live traffic and backfill share one task queue per API,
// so either can use the whole budget when the other is idle, while the server's priority matcher always
// dispatches a waiting live task before any queued backfill task (needs matching.useNewMatcher on
// Server 1.29; on by default on newer servers and Temporal Cloud).
const (
	livePriority     = 1
	backfillPriority = 5
)

// Workflows carry the same priorities, for their workflow tasks: live event and link workflows and the
// backfill's share TaskQueue, and a live event's tasks go first there too.
var (
	liveWorkflowPriority = temporal.Priority{PriorityKey: livePriority}
	// BackfillWorkflowPriority is the backfill's and the import's, also for the schedule's action.
	BackfillWorkflowPriority = temporal.Priority{PriorityKey: backfillPriority}
)

// apiActivityOptions returns the options for one external API's activities. StartToClose bounds one HTTP
// call (the clients time out at 30 s); ScheduleToClose bounds the whole effort including time spent
// waiting in the rate-limited task queue: after a week of failures the workflow fails and shows why.
func apiActivityOptions(taskQueue string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		TaskQueue:              taskQueue,
		StartToCloseTimeout:    45 * time.Second,
		ScheduleToCloseTimeout: 7 * 24 * time.Hour,
		RetryPolicy:            apiRetryPolicy(),
	}
}

// onQueue sets the API task queue and the priority of the activities scheduled with ctx.
func onQueue(ctx workflow.Context, taskQueue string, priority int) workflow.Context {
	ao := apiActivityOptions(taskQueue)
	ao.Priority = temporal.Priority{PriorityKey: priority}
	return workflow.WithActivityOptions(ctx, ao)
}

func withExtole(ctx workflow.Context) workflow.Context {
	return onQueue(ctx, ExtoleTaskQueue, livePriority)
}

func withHubSpot(ctx workflow.Context) workflow.Context {
	return onQueue(ctx, HubSpotTaskQueue, livePriority)
}

// withExtoleBackfill and withHubSpotBackfill used to name queues of their own. Running executions move to
// the shared queues with their next activity, without workflow.GetVersion: the SDK's replay check
// compares an activity's ID and type, not its task queue or priority (go.temporal.io/sdk
// internal/internal_task_handlers.go, isCommandMatchEvent), and every recorded history replays.
func withExtoleBackfill(ctx workflow.Context) workflow.Context {
	return onQueue(ctx, ExtoleTaskQueue, backfillPriority)
}

func withHubSpotBackfill(ctx workflow.Context) workflow.Context {
	return onQueue(ctx, HubSpotTaskQueue, backfillPriority)
}

func withHubSpotSearch(ctx workflow.Context) workflow.Context {
	return onQueue(ctx, HubSpotSearchTaskQueue, backfillPriority)
}
