package activities

import (
	"context"

	"github.com/hubspot-extole/bridge/internal/hubspot"
)

// Property setup is one HubSpot request per activity, like every other rate-limited activity: the
// task-queue limit counts activities, so this keeps it a limit on calls. Creating is the existence
// check (409 = already there), so no read precedes the create.

// CreatedResult says whether the call created the item (false: it already existed).
type CreatedResult struct {
	Created bool `json:"created"`
}

// CreatePropertyGroup creates the bridge's property group, PropertyGroup.
func (a *HubSpot) CreatePropertyGroup(ctx context.Context) (CreatedResult, error) {
	created, err := a.Client.CreatePropertyGroup(ctx, PropertyGroup, PropertyGroupLabel)
	if err != nil {
		return CreatedResult{}, TranslateHubSpotError(err)
	}
	return CreatedResult{Created: created}, nil
}

// CreateProperty creates one of the bridge's contact properties in PropertyGroup (which must exist).
func (a *HubSpot) CreateProperty(ctx context.Context, def hubspot.PropertyDef) (CreatedResult, error) {
	created, err := a.Client.CreateContactProperty(ctx, PropertyGroup, def)
	if err != nil {
		return CreatedResult{}, TranslateHubSpotError(err)
	}
	return CreatedResult{Created: created}, nil
}
