package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/contact"
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
	scopesErr := checkScopes(ctx, c, os.Stdout)
	defs := activities.HubSpotPropertyDefs(slices.Concat(contact.Properties, contact.ReferralGraphProperties, contact.RewardProperties))
	rep, err := c.EnsureContactProperties(ctx, contact.PropertyGroup, contact.PropertyGroupLabel, defs)
	if rep.GroupCreated {
		fmt.Printf("created property group %q\n", contact.PropertyGroup)
	} else if err == nil {
		fmt.Printf("property group %q already there\n", contact.PropertyGroup)
	}
	if len(rep.Created) > 0 {
		fmt.Printf("created properties: %s\n", strings.Join(rep.Created, ", "))
	}
	if len(rep.Existing) > 0 {
		fmt.Printf("already there: %s\n", strings.Join(rep.Existing, ", "))
	}
	// The referral graph's contact labels; a hub without custom labels (below Professional) says why.
	if labels, lerr := activities.EnsureReferralLabels(ctx, c); lerr != nil {
		fmt.Printf("contact labels %q / %q not created: %v\n", activities.ReferralLabelPair.Label, activities.ReferralLabelPair.InverseLabel, lerr)
	} else {
		fmt.Printf("contact labels %q / %q: %s\n", activities.ReferralLabelPair.Label, activities.ReferralLabelPair.InverseLabel, labels)
	}
	return errors.Join(err, scopesErr)
}

// checkScopes reports the scopes the token lacks among hubspot.RequiredScopes, and fails when any is
// missing. A token whose scopes cannot be read (e.g. a kind of token HubSpot cannot introspect) is
// only warned about: the property setup that follows shows whether it works.
func checkScopes(ctx context.Context, c *hubspot.Client, w io.Writer) error {
	info, err := c.TokenInfo(ctx)
	if err != nil {
		fmt.Fprintf(w, "could not read the token's scopes (%v); it needs %s\n", err, strings.Join(hubspot.RequiredScopes, ", "))
		return nil
	}
	missing := info.Missing(hubspot.RequiredScopes)
	if len(missing) == 0 {
		fmt.Fprintf(w, "token scopes: all %d required scopes granted\n", len(hubspot.RequiredScopes))
		return nil
	}
	fmt.Fprintf(w, "token lacks scopes: %s (add them to the app, see docs/hubspot-app.md)\n", strings.Join(missing, ", "))
	return fmt.Errorf("the HubSpot token lacks scopes: %s", strings.Join(missing, ", "))
}
