package temporalx

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// Activities are the activity structs a worker hosts, each holding its API client.
type Activities struct {
	Extole  *activities.Extole
	HubSpot *activities.HubSpot
}

// NewActivities builds the activity structs and their API clients from the configuration.
func NewActivities(cfg config.Config) Activities {
	return Activities{
		Extole:  &activities.Extole{Client: extole.New(cfg.ExtoleBaseURL, cfg.ExtoleAccessToken.Reveal(), nil)},
		HubSpot: &activities.HubSpot{Client: hubspot.New(cfg.HubSpotBaseURL, cfg.HubSpotAccessToken.Reveal(), nil)},
	}
}

// LimitsFrom reads the rate limits from the configuration.
func LimitsFrom(cfg config.Config) Limits {
	return Limits{
		ExtolePerMinute:      cfg.ExtoleRatePerMin,
		HubSpotPer10s:        cfg.HubSpotRatePer10s,
		HubSpotSearchPerSec:  cfg.HubSpotSearchPerSec,
		BackfillSharePercent: cfg.BackfillSharePercent,
	}
}

// Limits are the external APIs' rate limits, enforced by the Temporal server per task queue.
type Limits struct {
	ExtolePerMinute      int
	HubSpotPer10s        int
	HubSpotSearchPerSec  int // only the backfill searches
	BackfillSharePercent int // the backfill's part of the Extole and HubSpot budgets; live traffic keeps the rest
}

// rateHeadroom keeps the dispatch rate under the API's limit. The server's limiter (matching
// ratelimit_manager.go) lets each task-queue partition burst ceil(its share of the rate) on top of the
// steady rate, and HTTP latency jitters when a dispatched call reaches the API; at 80% of the limit the
// worst case over any window stays under it, so a correctly configured deployment sees no 429
// (internal/e2e TestConfiguredRateLimitAvoids429 proves it against the simulated HubSpot).
const rateHeadroom = 0.8

// NewWorkers builds the bridge's workers: one for workflows and one per API task queue, each with
// TaskQueueActivitiesPerSecond set, which the server enforces across every worker process polling that
// queue. Live and backfill queues split each API's budget, so together they never exceed it and the
// backfill cannot starve live webhooks.
func NewWorkers(c client.Client, acts Activities, lim Limits) []worker.Worker {
	share := float64(lim.BackfillSharePercent) / 100 // validated 1..99 by config
	extolePerSec := float64(lim.ExtolePerMinute) / 60 * rateHeadroom
	hubspotPerSec := float64(lim.HubSpotPer10s) / 10 * rateHeadroom
	searchPerSec := float64(lim.HubSpotSearchPerSec) * rateHeadroom

	wf := worker.New(c, workflows.TaskQueue, worker.Options{})
	workflows.Register(wf)
	wf.RegisterActivity(&activities.Temporal{Client: c}) // the backfill's signals to ShareLinkSync

	apiWorker := func(queue string, perSec float64, act any) worker.Worker {
		w := worker.New(c, queue, worker.Options{
			TaskQueueActivitiesPerSecond:       perSec,
			MaxConcurrentActivityExecutionSize: 50,
			MaxConcurrentActivityTaskPollers:   8,
		})
		w.RegisterActivity(act)
		return w
	}
	return []worker.Worker{
		wf,
		apiWorker(workflows.ExtoleTaskQueue, extolePerSec*(1-share), acts.Extole),
		apiWorker(workflows.ExtoleBackfillTaskQueue, extolePerSec*share, acts.Extole),
		apiWorker(workflows.HubSpotTaskQueue, hubspotPerSec*(1-share), acts.HubSpot),
		apiWorker(workflows.HubSpotBackfillTaskQueue, hubspotPerSec*share, acts.HubSpot),
		apiWorker(workflows.HubSpotSearchTaskQueue, searchPerSec, acts.HubSpot),
	}
}

// Run runs the workers until ctx is done or one of them stops on a fatal error, then stops the others
// gracefully (in-flight activities get WorkerStopTimeout to finish; unfinished ones are retried by
// another worker). A fatal error (e.g. the namespace was deleted; the SDK declares it after retrying for
// two minutes) is returned, so the process exits non-zero and its supervisor restarts it instead of
// keeping a process up that polls nothing.
func Run(ctx context.Context, ws []worker.Worker) error {
	interrupt := make(chan any)
	var once sync.Once
	stopAll := func() { once.Do(func() { close(interrupt) }) }
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			stopAll()
		case <-finished:
		}
	}()

	errs := make(chan error, len(ws))
	for _, w := range ws {
		go func() {
			err := w.Run(interrupt)
			if err != nil {
				stopAll()
			}
			errs <- err
		}()
	}
	var fatal error // the first: the workers of one namespace all fail with the same error
	for range ws {
		if err := <-errs; err != nil && fatal == nil {
			fatal = err
		}
	}
	if fatal != nil {
		return fmt.Errorf("temporal worker stopped: %w", fatal)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}
