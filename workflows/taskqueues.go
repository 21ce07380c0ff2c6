package workflows

// Task queues. Workflows run on TaskQueue; each external API gets one activity task queue so that the
// server-side TaskQueueActivitiesPerSecond limit holds that API's rate limit for the whole deployment,
// however many workers run. Live and backfill activities share it, told apart by task-queue priority
// (policy.go), so a backfill uses every call live traffic leaves and never delays a live event.
const (
	TaskQueue              = "hubspot-extole"
	ExtoleTaskQueue        = "extole-api"
	HubSpotTaskQueue       = "hubspot-api"
	HubSpotSearchTaskQueue = "hubspot-search" // HubSpot's search endpoints have their own per-second limit
)

// Retired backfill queues: activities scheduled on them before the shared queues existed are still
// served (internal/temporalx), until a release at least 7 days (the activities' ScheduleToClose) after
// the one that stopped using them removes these.
const (
	ExtoleBackfillTaskQueue  = "extole-api-backfill"
	HubSpotBackfillTaskQueue = "hubspot-api-backfill"
)
