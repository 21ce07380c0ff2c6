package main

import (
	"context"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/internal/webhook"
	"go.uber.org/zap"
)

func serve(ctx context.Context, cfg config.Config, log *zap.Logger) error {
	if err := cfg.RequireWebhookAuth(); err != nil {
		return err
	}
	c, err := temporalx.DialLazy(log)
	if err != nil {
		return err
	}
	defer c.Close()
	if cfg.Sandbox {
		// config.Load allowed it only because both APIs are the simulated ones on loopback.
		log.Warn("SANDBOX=true: webhooks without configured credentials are accepted; never run like this in production",
			zap.String("addr", cfg.HTTPAddr))
	}
	return serveHTTP(ctx, log, "webhook server", cfg.HTTPAddr, webhook.NewRouter(webhook.DepsFrom(cfg, c, log)))
}
