package activities

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/metrics"
	"go.temporal.io/sdk/activity"
)

// Extole holds the Extole client. Its activities run on the Extole task queue, whose server-side rate
// limit keeps the whole deployment under Extole's 100 requests per minute.
type Extole struct {
	Client *extole.Client
}

// SendEventInput is one event for Extole's Events API. It is recorded in history, so its JSON shape stays
// fixed whatever the client's wire type does.
type SendEventInput struct {
	EventName string                     `json:"event_name"`
	EventTime string                     `json:"event_time,omitempty"`
	Data      map[string]json.RawMessage `json:"data"`
	// ReceivedAt is the webhook's arrival, for bridge_delivery_latency_seconds (zero: not observed).
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// PartnerConversionID is data's, for the log lines (empty in runs recorded before it was added).
	PartnerConversionID string `json:"partner_conversion_id,omitempty"`
}

// SendEventResult is what SendEvent records in history.
type SendEventResult struct {
	EventID string `json:"event_id"`
}

// SendEvent delivers one event. Temporal may run it more than once (a crash after Extole answered but
// before the result was recorded); Extole's de-duplication on partner_conversion_id makes that harmless.
func (a *Extole) SendEvent(ctx context.Context, in SendEventInput) (SendEventResult, error) {
	id, err := a.Client.SendEvent(ctx, extole.Event{Name: in.EventName, EventTime: in.EventTime, Data: in.Data})
	if err != nil {
		return SendEventResult{}, TranslateExtoleError(err)
	}
	metrics.ObserveDelivery(metrics.KindEvent, in.ReceivedAt)
	activity.GetLogger(ctx).Info("Extole accepted event", "partner_conversion_id", in.PartnerConversionID, "event_name", in.EventName, "extole_event_id", id)
	return SendEventResult{EventID: id}, nil
}

// TranslateExtoleError is the single translation of Extole failures into Temporal's retry vocabulary.
func TranslateExtoleError(err error) error {
	e, ok := extole.AsError(err)
	if !ok {
		return err // context cancellation and the like: retryable, Temporal decides
	}
	switch e.Kind {
	case extole.KindInvalid:
		return applicationError(ErrTypeExtoleRejected, false, 0, e)
	case extole.KindNotFound:
		return applicationError(ErrTypeExtoleNotFound, false, 0, e)
	case extole.KindRateLimited:
		return applicationError(ErrTypeExtoleRateLimited, true, e.RetryAfter, e)
	case extole.KindAuth:
		return applicationError(ErrTypeExtoleAuth, true, 0, e)
	default:
		return applicationError(ErrTypeExtoleUnavailable, true, e.RetryAfter, e)
	}
}
