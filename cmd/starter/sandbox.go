package main

import (
	"context"
	"flag"
	"time"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// runSandbox serves the simulated Extole and HubSpot APIs that `make run` points the bridge at when no
// real credentials are configured. They accept the tokens in EXTOLE_ACCESS_TOKEN / HUBSPOT_ACCESS_TOKEN
// and show what they received under /_sandbox/.
func runSandbox(ctx context.Context, cfg config.Config, log *zap.Logger, args []string) error {
	fs := flag.NewFlagSet("sandbox", flag.ExitOnError)
	extoleAddr := fs.String("extole-addr", "127.0.0.1:8091", "listen address of the simulated Extole API")
	hubspotAddr := fs.String("hubspot-addr", "127.0.0.1:8092", "listen address of the simulated HubSpot API")
	hubspotRate := fs.Int("hubspot-rate-per-10s", 100, "simulated HubSpot's rolling 10-second limit (Free/Starter: 100)")
	extoleRate := fs.Int("extole-rate-per-minute", 100, "simulated Extole's per-minute limit")
	linkWebhook := fs.String("share-link-webhook", "", `URL the simulated "Create Share Link on any Event" extension posts links to; "" = off`)
	linkEvent := fs.String("share-link-event", cfg.BackfillEventName, "event name that triggers the extension (BACKFILL_EVENT_NAME)")
	linkToken := fs.String("share-link-token", "", "bearer token the extension sends; \"\" = EXTOLE_WEBHOOK_TOKEN")
	// App webhooks: signed with HUBSPOT_CLIENT_SECRET, HubSpot's 10 retries over 24 h scaled down.
	appURL := fs.String("app-webhook-url", "", `URL the simulated HubSpot app posts its webhook events to (deal, contact changes); "" = off`)
	appWindow := fs.Duration("app-webhook-window", 200*time.Millisecond, "how long app-webhook events gather into one batch (at most 100)")
	appBackoff := fs.Duration("app-webhook-retry", time.Second, "first retry of a failed app-webhook batch; doubled per retry, 1 min at most, 10 retries")
	rewardURL := fs.String("reward-webhook-url", "", `URL the simulated Extole posts reward webhooks to (signed with EXTOLE_WEBHOOK_SIGNING_KEY, bearer EXTOLE_WEBHOOK_TOKEN); "" = off`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *linkToken == "" {
		*linkToken = cfg.ExtoleWebhookToken.Reveal()
	}
	ext := extolesim.New(extolesim.Options{Token: cfg.ExtoleAccessToken.Reveal(), RateLimitPerMinute: *extoleRate,
		ShareLinkExtension: extolesim.ShareLinkExtension{TriggerEvent: *linkEvent, WebhookURL: *linkWebhook,
			WebhookToken: *linkToken, Label: cfg.ExtoleShareLabel}})
	hs := hubspotsim.New(hubspotsim.Options{Token: cfg.HubSpotAccessToken.Reveal(), RatePer10s: *hubspotRate,
		AppWebhooks: hubspotsim.AppWebhookOptions{TargetURL: *appURL, ClientSecret: cfg.HubSpotClientSecret.Reveal(),
			Window: *appWindow, Backoff: *appBackoff}})
	defer hs.Close()
	ext.SetRewardWebhook(extolesim.RewardWebhook{URL: *rewardURL, Token: cfg.ExtoleWebhookToken.Reveal(), SigningKey: cfg.ExtoleSigningKey.Reveal()})
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serveHTTP(ctx, log, "sandbox Extole", *extoleAddr, ext) })
	g.Go(func() error { return serveHTTP(ctx, log, "sandbox HubSpot", *hubspotAddr, hs) })
	return g.Wait()
}
