package hubspot

import (
	"context"
	"net/http"
	"strings"
)

// CustomEvent is one custom event occurrence for POST /events/v3/send (docs/extole-rewards.md#hubspot-custom-events).
// Name is the event's fully qualified name (pe<HubID>_<name>, shown on the event definition). UUID makes
// the send idempotent: HubSpot accepts the first occurrence with a UUID and rejects the others for a year.
type CustomEvent struct {
	Name       string            `json:"eventName"`
	Email      string            `json:"email,omitempty"`
	ObjectID   string            `json:"objectId,omitempty"`
	OccurredAt string            `json:"occurredAt,omitempty"`
	UUID       string            `json:"uuid,omitempty"`
	Properties map[string]string `json:"properties"`
}

// SendCustomEvent records one occurrence on a contact's timeline (HubSpot Enterprise). HubSpot answers
// 204; a repeated UUID comes back as a validation error, which the caller may treat as done.
func (c *Client) SendCustomEvent(ctx context.Context, ev CustomEvent) error {
	if strings.TrimSpace(ev.Name) == "" {
		return invalidInput("SendCustomEvent: empty event name")
	}
	if ev.Properties == nil {
		ev.Properties = map[string]string{}
	}
	_, err := c.do(ctx, http.MethodPost, "/events/v3/send", nil, ev, nil)
	return err
}
