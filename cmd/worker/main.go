// Command worker runs the bridge's Temporal workers: the workflows, and the HubSpot and Extole
// activities on their rate-limited task queues. Configuration comes from the environment (README.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/logging"
	"github.com/hubspot-extole/bridge/internal/metrics"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/workflows"
	"go.uber.org/zap"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing useful to do with a failed flush at exit
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.MetricsAddr != "" {
		// A taken port costs the metrics, not the deliveries: the worker runs on without them.
		if addr, err := metrics.Serve(ctx, cfg.MetricsAddr); err != nil {
			log.Error("metrics listener not started", zap.Error(err))
		} else {
			log.Info("metrics at http://" + addr + "/metrics")
		}
	}

	c, namespace, err := temporalx.Dial(ctx, log)
	if err != nil {
		return err
	}
	defer c.Close()
	added, err := temporalx.EnsureSearchAttributes(ctx, c, namespace)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		log.Info("registered search attributes", zap.Strings("names", added), zap.String("namespace", namespace))
	}
	// Create the bridge's HubSpot properties where missing, through Temporal so it is rate limited and
	// retried; the worker does not wait for it.
	if run, err := c.ExecuteWorkflow(ctx, workflows.SetupHubSpotStartOptions(), workflows.SetupHubSpot); err != nil {
		log.Warn("could not start the HubSpot property setup", zap.Error(err))
	} else {
		log.Info("HubSpot property setup started", zap.String("workflow_id", run.GetID()), zap.String("run_id", run.GetRunID()))
	}
	log.Info("worker starting", zap.String("namespace", namespace), zap.Int("extole_per_minute", cfg.ExtoleRatePerMin))
	return temporalx.Run(ctx, temporalx.NewWorkers(c, temporalx.NewActivities(cfg), temporalx.LimitsFrom(cfg)))
}
