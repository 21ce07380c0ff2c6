package activities

import (
	"context"
	"time"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/metrics"
	"go.temporal.io/sdk/activity"
)

// HubSpot holds the HubSpot client. Its activities run on the HubSpot task queue, whose server-side
// rate limit keeps the whole deployment under the account's rolling 10-second limit.
type HubSpot struct {
	Client *hubspot.Client
}

// ErrTypePropertiesRejected marks a HubSpot validation error that names the properties it refused (one
// that does not exist, an invalid value or option). Its details are the []RejectedProperty, so the
// workflow can create missing bridge properties, or write the rest without the refused ones.
const ErrTypePropertiesRejected = "HubSpotPropertiesRejected"

// ErrTypePropertyMissing is what workflow histories recorded before ErrTypePropertiesRejected replaced it;
// the workflows still recognise it when they replay those histories.
const ErrTypePropertyMissing = "HubSpotPropertyMissing"

// CodePropertyMissing is HubSpot's error code for a property that does not exist.
const CodePropertyMissing = "PROPERTY_DOESNT_EXIST"

// RejectedProperty is one property HubSpot refused in a write, with HubSpot's code and reason.
type RejectedProperty struct {
	Property string `json:"property"`
	Code     string `json:"code"`
	Reason   string `json:"reason"`
}

// UpsertContactInput is one contact write, keyed by email.
type UpsertContactInput struct {
	Email      string            `json:"email"`
	Properties map[string]string `json:"properties"`
	// ReceivedAt is the share link's arrival at the webhook, for bridge_delivery_latency_seconds (zero:
	// not observed, e.g. a rewrite of the applied link).
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// UpsertContactResult is what the write did.
type UpsertContactResult struct {
	ContactID string `json:"contact_id"`
	Created   bool   `json:"created"`
}

// UpsertContact creates or updates the contact with this email in one batch-upsert call (idProperty
// email). HubSpot resolves create-versus-update atomically, so there is no search-then-create race and no
// 409; property writes are "set", so a repeated attempt writes the same values again.
func (a *HubSpot) UpsertContact(ctx context.Context, in UpsertContactInput) (UpsertContactResult, error) {
	res, err := a.Client.UpsertContactByEmail(ctx, in.Email, in.Properties)
	if err != nil {
		return UpsertContactResult{}, TranslateHubSpotError(err)
	}
	metrics.ObserveDelivery(metrics.KindShareLink, in.ReceivedAt)
	activity.GetLogger(ctx).Info("HubSpot contact written", "contact_id", res.ID, "created", res.New)
	return UpsertContactResult{ContactID: res.ID, Created: res.New}, nil
}

// EnsureProperties creates the bridge's property group and properties where missing. Idempotent.
// Kept only for workflow executions started before property setup moved to CreatePropertyGroup and
// CreateProperty (one request each): it makes up to 10 requests in one activity, past the rate limit.
func (a *HubSpot) EnsureProperties(ctx context.Context) (PropertiesReport, error) {
	rep, err := a.Client.EnsureContactProperties(ctx, contact.PropertyGroup, contact.PropertyGroupLabel, HubSpotPropertyDefs(contact.Properties))
	out := PropertiesReport{GroupCreated: rep.GroupCreated, Created: rep.Created, Existing: rep.Existing}
	if err != nil {
		return out, TranslateHubSpotError(err)
	}
	return out, nil
}

// PropertiesReport is what the property setup did. It is recorded in history (EnsureProperties' result,
// SetupHubSpot's), so its JSON field names are fixed here: they are those of the untagged struct first
// recorded.
type PropertiesReport struct {
	GroupCreated bool     `json:"GroupCreated"`
	Created      []string `json:"Created"`  // property names created
	Existing     []string `json:"Existing"` // property names that were already there
	// Labels is the referral graph's contact label pair: "created", "existing" or why not created.
	Labels string `json:"labels,omitempty"`
}

// TranslateHubSpotError is the single translation of HubSpot failures into Temporal's retry vocabulary.
func TranslateHubSpotError(err error) error {
	e, ok := hubspot.AsError(err)
	if !ok {
		return err
	}
	switch e.Kind {
	case hubspot.KindInvalid:
		if rejected := rejectedProperties(e); len(rejected) > 0 {
			return applicationError(ErrTypePropertiesRejected, false, 0, e, rejected)
		}
		return applicationError(ErrTypeHubSpotRejected, false, 0, e)
	case hubspot.KindNotFound:
		return applicationError(ErrTypeHubSpotNotFound, false, 0, e)
	case hubspot.KindRateLimited:
		return applicationError(ErrTypeHubSpotRateLimited, true, e.RetryAfter, e)
	case hubspot.KindAuth:
		return applicationError(ErrTypeHubSpotAuth, true, 0, e)
	default: // transient, and a 409 from a concurrent create: the next attempt updates instead
		return applicationError(ErrTypeHubSpotUnavailable, true, e.RetryAfter, e)
	}
}

// rejectedProperties lists the properties a validation error names, by HubSpot's codes.
func rejectedProperties(e *hubspot.Error) []RejectedProperty {
	var out []RejectedProperty
	for _, p := range e.PropertyErrors() {
		out = append(out, RejectedProperty{Property: p.Name, Code: p.Code, Reason: p.Message})
	}
	return out
}
