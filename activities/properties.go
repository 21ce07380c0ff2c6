package activities

import (
	"context"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
)

// Property setup is one HubSpot request per activity, like every other rate-limited activity: the
// task-queue limit counts activities, so this keeps it a limit on calls. Creating is the existence
// check (409 = already there), so no read precedes the create.

// CreatedResult says whether the call created the item (false: it already existed).
type CreatedResult struct {
	Created bool `json:"created"`
}

// CreatePropertyGroup creates the bridge's property group, contact.PropertyGroup.
func (a *HubSpot) CreatePropertyGroup(ctx context.Context) (CreatedResult, error) {
	created, err := a.Client.CreatePropertyGroup(ctx, contact.PropertyGroup, contact.PropertyGroupLabel)
	if err != nil {
		return CreatedResult{}, TranslateHubSpotError(err)
	}
	return CreatedResult{Created: created}, nil
}

// CreateProperty creates one of the bridge's contact properties in contact.PropertyGroup (which must exist).
func (a *HubSpot) CreateProperty(ctx context.Context, def contact.Property) (CreatedResult, error) {
	created, err := a.Client.CreateContactProperty(ctx, contact.PropertyGroup, hubspot.PropertyDef(def))
	if err != nil {
		return CreatedResult{}, TranslateHubSpotError(err)
	}
	return CreatedResult{Created: created}, nil
}

// HubSpotPropertyDefs are the client's definitions of the bridge's properties.
func HubSpotPropertyDefs(ps []contact.Property) []hubspot.PropertyDef {
	out := make([]hubspot.PropertyDef, len(ps))
	for i, p := range ps {
		out[i] = hubspot.PropertyDef(p)
	}
	return out
}
