package workflows

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Event names with a workflow of their own; any other name goes to ForwardEvent.
const (
	EventSignedUp  = "signed_up"
	EventConverted = "converted"
)

// EventInput is one HubSpot webhook body, exactly as HubSpot's "Send a webhook" action posts it to
// Extole's /v5/events. Data values stay raw JSON so they reach Extole unchanged.
type EventInput struct {
	EventName string                     `json:"event_name"`
	EventTime string                     `json:"event_time,omitempty"`
	Data      map[string]json.RawMessage `json:"data"`
	// ReceivedAt is when the webhook arrived, for bridge_delivery_latency_seconds; zero in runs started
	// before it was recorded.
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// EventResult is the outcome shown in the Web UI.
type EventResult struct {
	ExtoleEventID string `json:"extole_event_id"`
	// ReferralWorkflowID is the referral graph's workflow for a friend's event (RecordReferral).
	ReferralWorkflowID string `json:"referral_workflow_id,omitempty"`
}

// PartnerConversionID returns data.partner_conversion_id as text (HubSpot may render a record id as a
// JSON number).
func (in EventInput) PartnerConversionID() string { return in.dataText("partner_conversion_id") }

// PartnerUserID returns data.partner_user_id as text, or "" when absent.
func (in EventInput) PartnerUserID() string { return in.dataText("partner_user_id") }

// Email returns data.email, or "" when absent.
func (in EventInput) Email() string { return in.dataText("email") }

func (in EventInput) dataText(key string) string {
	raw, ok := in.Data[key]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String()
	}
	return ""
}

// ReferralSignup, DealConverted and ForwardEvent share one body: they are separate workflow types only so
// that an operator can filter the Web UI and visibility queries by the kind of event.

// ReferralSignup delivers a referred prospect's signup (a HubSpot form or a rep entering advocate_code)
// to Extole as signed_up.
func ReferralSignup(ctx workflow.Context, in EventInput) (EventResult, error) {
	return deliverFriendEvent(ctx, in)
}

// DealConverted delivers a won deal to Extole as converted, with its product and amount.
func DealConverted(ctx workflow.Context, in EventInput) (EventResult, error) {
	return deliverFriendEvent(ctx, in)
}

// deliverFriendEvent delivers a friend's event, then starts the referral graph's workflow for it
// (RecordReferral, in runs started after referralGraphChange).
func deliverFriendEvent(ctx workflow.Context, in EventInput) (EventResult, error) {
	res, err := deliverEvent(ctx, in)
	if err != nil {
		return res, err
	}
	res.ReferralWorkflowID, err = followReferral(ctx, in)
	return res, err
}

// ForwardEvent delivers any other HubSpot event to Extole under its own name.
func ForwardEvent(ctx workflow.Context, in EventInput) (EventResult, error) {
	return deliverEvent(ctx, in)
}

// EventWorkflow routes an event name to its workflow.
func EventWorkflow(eventName string) any {
	switch eventName {
	case EventSignedUp:
		return ReferralSignup
	case EventConverted:
		return DealConverted
	default:
		return ForwardEvent
	}
}

// deliverEvent is the one delivery path the three event workflows share: a single Extole call whose
// retries the activity options and the activity's error translation govern.
func deliverEvent(ctx workflow.Context, in EventInput) (EventResult, error) {
	logger := log.With(workflow.GetLogger(ctx), "partner_conversion_id", in.PartnerConversionID())
	var a *activities.Extole
	var res activities.SendEventResult
	ev := activities.SendEventInput{EventName: in.EventName, EventTime: in.EventTime, Data: in.Data,
		ReceivedAt: in.ReceivedAt, PartnerConversionID: in.PartnerConversionID()}
	if err := workflow.ExecuteActivity(withExtole(ctx), a.SendEvent, ev).Get(ctx, &res); err != nil {
		logger.Error("Extole did not take the event", "error", err)
		return EventResult{}, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("Delivered to Extole: event id `%s`", res.EventID))
	return EventResult{ExtoleEventID: res.EventID}, nil
}

// EventSummary is the one-line summary shown in the Web UI's workflow list.
func EventSummary(in EventInput) string {
	who := contact.MaskEmail(in.Email())
	if who == "" {
		who = "partner user " + in.PartnerUserID()
	}
	return fmt.Sprintf("%s → Extole for %s (%s)", in.EventName, who, in.PartnerConversionID())
}

// EventWorkflowID maps one conversion to its workflow ID. It is the first level of idempotency: every
// delivery of the same HubSpot event (retries, duplicates) lands on the same ID. event_name never contains
// "/" (the webhook rejects it), so the ID is unambiguous even when the conversion id does.
func EventWorkflowID(eventName, partnerConversionID string) string {
	return "extole-event/" + eventName + "/" + partnerConversionID
}

// EventStartOptions are the start options for one event. Idempotency: the ID comes from the conversion;
// a duplicate delivery while the first is running, or after it completed, is refused by the server with
// WorkflowExecutionAlreadyStarted (surfaced because WorkflowExecutionErrorWhenAlreadyStarted is set),
// which the webhook answers as a duplicate. Only a run that failed, timed out or was terminated may be
// re-driven by a new delivery (ALLOW_DUPLICATE_FAILED_ONLY).
//
// The conflict policy is FAIL, not USE_EXISTING: with USE_EXISTING the server returns the running
// execution without an error, so the webhook could not tell HubSpot it was a duplicate. Both resolve
// atomically on the server; only the reporting differs.
func EventStartOptions(in EventInput) client.StartWorkflowOptions {
	pcid := in.PartnerConversionID()
	attrs := []temporal.SearchAttributeUpdate{
		PartnerConversionID.ValueSet(pcid),
		ExtoleEventName.ValueSet(in.EventName),
	}
	if email := in.Email(); email != "" {
		attrs = append(attrs, ContactEmailHash.ValueSet(contact.HashEmail(email)))
	}
	keys := slices.Sorted(maps.Keys(in.Data)) //workflowcheck:ignore sorted, so deterministic
	return client.StartWorkflowOptions{
		ID:                                       EventWorkflowID(in.EventName, pcid),
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(attrs...),
		StaticSummary:                            EventSummary(in),
		StaticDetails:                            "Data keys forwarded to Extole: " + strings.Join(keys, ", "),
		Priority:                                 liveWorkflowPriority,
	}
}
