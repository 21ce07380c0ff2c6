package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Task queues. Workflows run on TaskQueue; each external API gets its own activity task queue so that the
// server-side TaskQueueActivitiesPerSecond limit holds that API's rate limit for the whole deployment,
// however many workers run (reference temporal.md §5 pitfall 9).
const (
	TaskQueue        = "hubspot-extole"
	ExtoleTaskQueue  = "extole-api"
	HubSpotTaskQueue = "hubspot-api"
)

// EventWorkflowID maps one conversion to its workflow ID. It is the first level of idempotency: every
// delivery of the same HubSpot event (retries, duplicates) lands on the same ID. event_name never contains
// "/" (the webhook rejects it), so the ID is unambiguous even when the conversion id does.
func EventWorkflowID(eventName, partnerConversionID string) string {
	return "extole-event/" + eventName + "/" + partnerConversionID
}

// HashEmail is the stable, non-reversible form of an address used in search attributes, which Temporal
// stores unencrypted in its visibility store. Find a contact's workflows with
// ContactEmailHash = "<sha256 hex of the trimmed, lower-cased address>".
func HashEmail(email string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail is the one definition of "the same address" (HubSpot treats emails case-insensitively).
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// MaskEmail shortens an address for one-line summaries shown in the Web UI: "jane@example.com" → "jane@…".
func MaskEmail(email string) string {
	if i := strings.IndexByte(email, '@'); i >= 0 {
		return email[:i+1] + "…"
	}
	return email
}
