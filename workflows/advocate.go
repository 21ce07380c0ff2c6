package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ErrTypeContactNoEmail fails a signup whose contact has no email: Extole identifies people by it.
const ErrTypeContactNoEmail = "ContactHasNoEmail"

// AdvocateInput is one contact.propertyChange that set advocate_code.
type AdvocateInput struct {
	ContactID  string `json:"contact_id"`
	Code       string `json:"advocate_code"`
	OccurredAt int64  `json:"occurred_at"`
}

// AdvocateConversionID is the signup's partner_conversion_id: contact-<id>-<first 10 hex digits of the
// code's SHA-256>. It depends only on the contact and the code, so HubSpot's retries and duplicate
// deliveries of the change (and a re-entry of the same code) are one signup, while a different code is a
// new one. occurredAt would also be stable across retries, but two deliveries of one change are not
// documented to share it, and the same code entered twice is the same referral. The hash keeps it within
// Extole's 38 characters (a 50-character code would not fit).
func AdvocateConversionID(contactID, code string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(code)))
	return "contact-" + contactID + "-" + hex.EncodeToString(sum[:])[:10]
}

// AdvocateStartOptions: the signup's ID is the event workflows' (extole-event/signed_up/<pcid>), so a
// duplicate delivery is refused by the server as for a workflow webhook, and only a failed run is re-driven.
func AdvocateStartOptions(in AdvocateInput) client.StartWorkflowOptions {
	pcid := AdvocateConversionID(in.ContactID, in.Code)
	return client.StartWorkflowOptions{
		ID:                                       EventWorkflowID(EventSignedUp, pcid),
		TaskQueue:                                TaskQueue,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			PartnerConversionID.ValueSet(pcid), ExtoleEventName.ValueSet(EventSignedUp), HubSpotContactID.ValueSet(in.ContactID)),
		StaticSummary: fmt.Sprintf("signed_up → Extole for HubSpot contact %s (%s)", in.ContactID, pcid),
		Priority:      liveWorkflowPriority,
	}
}

// AdvocateSignup reads the contact whose advocate_code was set and sends Extole signed_up with the code.
func AdvocateSignup(ctx workflow.Context, in AdvocateInput) (EventResult, error) {
	var email string // answered to a privacy deletion's erasure
	if err := workflow.SetQueryHandler(ctx, activities.QueryContactEmail, func() (string, error) { return email, nil }); err != nil {
		return EventResult{}, err
	}
	var a *activities.HubSpot
	var c activities.Contact
	if err := workflow.ExecuteActivity(withHubSpot(ctx), a.GetContact, in.ContactID).Get(ctx, &c); err != nil {
		return EventResult{}, err
	}
	email = strings.TrimSpace(c.Properties["email"])
	if email == "" {
		return EventResult{}, temporal.NewNonRetryableApplicationError(
			"HubSpot contact "+in.ContactID+" has no email: Extole needs one for signed_up; add it and set advocate_code again",
			ErrTypeContactNoEmail, nil)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, ContactEmailHash.ValueSet(contact.HashEmail(email))); err != nil {
		return EventResult{}, err
	}
	data := eventData(
		"partner_conversion_id", AdvocateConversionID(in.ContactID, in.Code), "email", email,
		"advocate_code", strings.TrimSpace(in.Code), "first_name", c.Properties["firstname"],
		"last_name", c.Properties["lastname"], "company", c.Properties["company"], "extole_app_type", "hubspot")
	return deliverFriendEvent(ctx, EventInput{EventName: EventSignedUp, Data: data})
}

// eventData builds an event's data from key, value pairs, leaving empty values out (they would clear
// Extole's). Pairs rather than a map literal, so the workflow never iterates a map.
func eventData(kv ...string) map[string]json.RawMessage {
	data := make(map[string]json.RawMessage, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			data[kv[i]], _ = json.Marshal(kv[i+1])
		}
	}
	return data
}
