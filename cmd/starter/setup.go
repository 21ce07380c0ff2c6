package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/hubspot"
)

// setup ensures the bridge's HubSpot contact properties exist and reports what it created. It calls
// HubSpot directly (no worker needed), with the same definitions the worker's setup uses.
func setup(ctx context.Context, cfg config.Config, args []string) error {
	if len(args) != 1 || args[0] != "hubspot" {
		return fmt.Errorf("usage: starter setup hubspot")
	}
	if cfg.HubSpotAccessToken == "" {
		return fmt.Errorf("HUBSPOT_ACCESS_TOKEN is not set")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c := hubspot.New(cfg.HubSpotBaseURL, cfg.HubSpotAccessToken.Reveal(), nil)
	rep, err := c.EnsureContactProperties(ctx, activities.PropertyGroup, activities.PropertyGroupLabel, activities.ContactProperties)
	if rep.GroupCreated {
		fmt.Printf("created property group %q\n", activities.PropertyGroup)
	} else if err == nil {
		fmt.Printf("property group %q already there\n", activities.PropertyGroup)
	}
	if len(rep.Created) > 0 {
		fmt.Printf("created properties: %s\n", strings.Join(rep.Created, ", "))
	}
	if len(rep.Existing) > 0 {
		fmt.Printf("already there: %s\n", strings.Join(rep.Existing, ", "))
	}
	return err
}
