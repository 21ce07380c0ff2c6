package activities

import (
	"context"
	"strings"

	"github.com/hubspot-extole/bridge/internal/hubspot"
	"go.temporal.io/sdk/activity"
)

// HubSpot holds the HubSpot client. Its activities run on the HubSpot task queue, whose server-side
// rate limit keeps the whole deployment under the account's rolling 10-second limit.
type HubSpot struct {
	Client *hubspot.Client
}

// PropertyGroup and ContactProperties are the custom contact properties the bridge writes. Setup creates
// them (starter setup hubspot, and the worker at start); a write that finds one missing creates them too.
const (
	PropertyGroup      = "extole"
	PropertyGroupLabel = "Extole referrals"
)

// ContactProperties are text properties in PropertyGroup.
var ContactProperties = []hubspot.PropertyDef{
	{Name: "share_link", Label: "Extole share link", Description: "The advocate's personal Extole referral link."},
	{Name: "share_code", Label: "Extole share code", Description: "The advocate's Extole share code (the slug of the share link)."},
	{Name: "advocate_code", Label: "Advocate code", Description: "The share code of the advocate who referred this contact."},
	{Name: "extole_app_type", Label: "Extole app type", Description: "The integration that wrote the Extole data."},
}

// ErrTypePropertyMissing marks a HubSpot validation error caused by a property that does not exist, so the
// workflow can create the bridge's properties and try once more.
const ErrTypePropertyMissing = "HubSpotPropertyMissing"

// UpsertContactInput is one contact write, keyed by email.
type UpsertContactInput struct {
	Email      string            `json:"email"`
	Properties map[string]string `json:"properties"`
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
	activity.GetLogger(ctx).Info("HubSpot contact written", "contact_id", res.ID, "created", res.New)
	return UpsertContactResult{ContactID: res.ID, Created: res.New}, nil
}

// EnsureProperties creates the bridge's property group and properties where missing. Idempotent.
func (a *HubSpot) EnsureProperties(ctx context.Context) (hubspot.EnsureReport, error) {
	rep, err := a.Client.EnsureContactProperties(ctx, PropertyGroup, PropertyGroupLabel, ContactProperties)
	if err != nil {
		return rep, TranslateHubSpotError(err)
	}
	return rep, nil
}

// TranslateHubSpotError is the single translation of HubSpot failures into Temporal's retry vocabulary.
func TranslateHubSpotError(err error) error {
	e, ok := hubspot.AsError(err)
	if !ok {
		return err
	}
	switch e.Kind {
	case hubspot.KindInvalid:
		if propertyMissing(e) {
			return applicationError("", ErrTypePropertyMissing, false, 0, e)
		}
		return applicationError("HubSpot", ErrTypeRejected, false, 0, e)
	case hubspot.KindNotFound:
		return applicationError("HubSpot", ErrTypeNotFound, false, 0, e)
	case hubspot.KindRateLimited:
		return applicationError("HubSpot", ErrTypeRateLimited, true, e.RetryAfter, e)
	case hubspot.KindAuth:
		return applicationError("HubSpot", ErrTypeAuth, true, 0, e)
	default: // transient, and a 409 from a concurrent create: the next attempt updates instead
		return applicationError("HubSpot", ErrTypeUnavailable, true, e.RetryAfter, e)
	}
}

// propertyMissing recognises HubSpot's PROPERTY_DOESNT_EXIST validation error (reference hubspot.md §1.5).
func propertyMissing(e *hubspot.Error) bool {
	if strings.Contains(e.Message, "PROPERTY_DOESNT_EXIST") {
		return true
	}
	for _, d := range e.Errors {
		if d.Code == "PROPERTY_DOESNT_EXIST" || strings.Contains(d.Message, "does not exist") {
			return true
		}
	}
	return false
}
