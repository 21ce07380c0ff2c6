package hubspotsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Custom events (docs/extole-rewards.md#hubspot-custom-events): POST /events/v3/send records one
// occurrence on a contact (objectId or email) and answers 204 without a body; a UUID seen before, an
// unknown contact or a missing eventName is a 400 VALIDATION_ERROR. Occurrences are listed under
// GET /_sandbox/custom-events.

// CustomEvent is an occurrence the fake accepted.
type CustomEvent struct {
	EventName  string            `json:"eventName"`
	ObjectID   string            `json:"objectId"`
	OccurredAt string            `json:"occurredAt,omitempty"`
	UUID       string            `json:"uuid,omitempty"`
	Properties map[string]string `json:"properties"`
	ReceivedAt time.Time         `json:"received_at"`
}

// eventStore holds the accepted occurrences; reset with the rest of the account.
type eventStore struct {
	list  []CustomEvent
	uuids map[string]bool
}

func newEventStore() eventStore { return eventStore{uuids: map[string]bool{}} }

func eventRoute(p string) (map[string]hsHandler, []string, bool) {
	if strings.TrimSuffix(p, "/") != "/events/v3/send" {
		return nil, nil, false
	}
	return map[string]hsHandler{http.MethodPost: (*HubSpot).sendCustomEvent}, nil, true
}

// CustomEvents returns the accepted occurrences in arrival order.
func (h *HubSpot) CustomEvents() []CustomEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]CustomEvent{}, h.events.list...)
}

func (h *HubSpot) sendCustomEvent(c *hsCall, _ []string) {
	var in struct {
		EventName  string            `json:"eventName"`
		ObjectID   string            `json:"objectId"`
		Email      string            `json:"email"`
		OccurredAt string            `json:"occurredAt"`
		UUID       string            `json:"uuid"`
		Properties map[string]string `json:"properties"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&in); err != nil {
		h.validationError(c, "Invalid input JSON: "+err.Error())
		return
	}
	if strings.TrimSpace(in.EventName) == "" {
		h.validationError(c, "eventName is required")
		return
	}
	contact := h.eventContactLocked(in.ObjectID, in.Email)
	if contact == nil {
		h.validationError(c, "no contact with objectId "+in.ObjectID+" or the given email")
		return
	}
	if in.UUID != "" && h.events.uuids[in.UUID] {
		h.validationError(c, "an event with uuid "+in.UUID+" was already sent")
		return
	}
	if in.UUID != "" {
		h.events.uuids[in.UUID] = true
	}
	h.events.list = append(h.events.list, CustomEvent{EventName: in.EventName, ObjectID: strconv.FormatInt(contact.id, 10),
		OccurredAt: in.OccurredAt, UUID: in.UUID, Properties: in.Properties, ReceivedAt: c.at})
	c.w.WriteHeader(http.StatusNoContent)
}

func (h *HubSpot) eventContactLocked(objectID, email string) *hsContact {
	if id, err := strconv.ParseInt(objectID, 10, 64); err == nil {
		if ct := h.byID[id]; ct != nil {
			return ct
		}
	}
	if email != "" {
		return h.byEmail[strings.ToLower(strings.TrimSpace(email))]
	}
	return nil
}
