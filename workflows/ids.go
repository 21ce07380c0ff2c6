package workflows

import "github.com/hubspot-extole/bridge/internal/contact"

// Task queues. Workflows run on TaskQueue; each external API gets its own activity task queue so that the
// server-side TaskQueueActivitiesPerSecond limit holds that API's rate limit for the whole deployment,
// however many workers run (reference temporal.md §5 pitfall 9).
//
// The backfill has task queues of its own with a separate share of each API's budget, so however large
// a backfill is, live webhook traffic keeps the rest of the budget and never waits behind it.
const (
	TaskQueue                = "hubspot-extole"
	ExtoleTaskQueue          = "extole-api"
	HubSpotTaskQueue         = "hubspot-api"
	ExtoleBackfillTaskQueue  = "extole-api-backfill"
	HubSpotBackfillTaskQueue = "hubspot-api-backfill"
	HubSpotSearchTaskQueue   = "hubspot-search" // HubSpot's search endpoints have their own per-second limit
)

// EventWorkflowID maps one conversion to its workflow ID. It is the first level of idempotency: every
// delivery of the same HubSpot event (retries, duplicates) lands on the same ID. event_name never contains
// "/" (the webhook rejects it), so the ID is unambiguous even when the conversion id does.
func EventWorkflowID(eventName, partnerConversionID string) string {
	return "extole-event/" + eventName + "/" + partnerConversionID
}

// HashEmail, NormalizeEmail and MaskEmail are the contact package's rules, re-exported for the
// workflow code that names them often.
var (
	HashEmail      = contact.HashEmail
	NormalizeEmail = contact.NormalizeEmail
	MaskEmail      = contact.MaskEmail
)
