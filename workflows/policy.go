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

func withExtole(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, apiActivityOptions(ExtoleTaskQueue))
}

func withHubSpot(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, apiActivityOptions(HubSpotTaskQueue))
}

func withExtoleBackfill(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, apiActivityOptions(ExtoleBackfillTaskQueue))
}

func withHubSpotBackfill(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, apiActivityOptions(HubSpotBackfillTaskQueue))
}

func withHubSpotSearch(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, apiActivityOptions(HubSpotSearchTaskQueue))
}
