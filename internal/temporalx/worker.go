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
		ExtolePerMinute:     cfg.ExtoleRatePerMin,
		HubSpotPer10s:       cfg.HubSpotRatePer10s,
		HubSpotSearchPerSec: cfg.HubSpotSearchPerSec,
	}
}

// Limits are the external APIs' rate limits, enforced by the Temporal server per task queue.
type Limits struct {
	ExtolePerMinute     int
	HubSpotPer10s       int
	HubSpotSearchPerSec int // only the backfill searches
	// Headroom is the part of each limit dispatched; 0 = rateHeadroom. Only BenchmarkHeadroom varies it.
	Headroom float64
}

func (l Limits) headroom() float64 {
	if l.Headroom == 0 {
		return rateHeadroom
	}
	return l.Headroom
}

// ExtolePerSec is the rate the server dispatches Extole calls at on the shared queue, live and backfill
// together.
func (l Limits) ExtolePerSec() float64 {
	return l.queueRates()[workflows.ExtoleTaskQueue]
}

// SearchPerSec is the rate HubSpot searches are dispatched at; the CSV export, which runs outside the
// workers, paces itself the same.
func (l Limits) SearchPerSec() float64 {
	return l.queueRates()[workflows.HubSpotSearchTaskQueue]
}

// queueRates is each API task queue's dispatch rate per second: rateHeadroom of the API's limit, split
// between the shared queue and the retired backfill queue (legacyShare).
func (l Limits) queueRates() map[string]float64 {
	extole := float64(l.ExtolePerMinute) / 60 * l.headroom()
	hubspot := float64(l.HubSpotPer10s) / 10 * l.headroom()
	return map[string]float64{
		workflows.ExtoleTaskQueue:          extole * (1 - legacyShare),
		workflows.ExtoleBackfillTaskQueue:  extole * legacyShare,
		workflows.HubSpotTaskQueue:         hubspot * (1 - legacyShare),
		workflows.HubSpotBackfillTaskQueue: hubspot * legacyShare,
		workflows.HubSpotSearchTaskQueue:   float64(l.HubSpotSearchPerSec) * l.headroom(),
	}
}

// rateHeadroom keeps the dispatch rate under the API's limit: the server's limiter lets each task-queue
// partition burst about a second of its rate on top of the steady rate, and HTTP latency jitters between
// dispatch and the API's clock. Chosen by measurement: internal/e2e BenchmarkHeadroom, 60 s per setting
// from idle into a flood at 1.25 × the rate, against the simulated Extole at 600/min (10/s) and HubSpot
// at 100/10 s (10/s), 2-core machine (calls/s are on the shared queue, i.e. also less legacyShare):
//
//	setting  Extole calls/s  429s  HubSpot calls/s  429s
//	80%      7.58            0     7.55             0
//	85%      8.03            0     8.10             0
//	90%      8.58            0     8.62             0
//	95%      9.03            0     8.98             0
//
// 95% is the highest setting tried with no 429, and held for 10 minutes with one partition per queue
// (HEADROOM_DURATION=10m HEADROOM_SETTINGS=95): Extole 9.04 calls/s, HubSpot 9.04 calls/s, 0 × 429 each.
// A 429 that still happens (another client on the same token) waits out Retry-After and retries.
const rateHeadroom = 0.95

// legacyShare is the part of each API's budget that serves the retired per-backfill queues
// (workflows.ExtoleBackfillTaskQueue, HubSpotBackfillTaskQueue): activities a backfill scheduled there
// before the upgrade finish at this pace, while every new activity uses the shared queue. Remove both,
// and this share, in a release at least 7 days (the activities' ScheduleToClose) after this one.
const legacyShare = 0.05

// NewWorkers builds the bridge's workers: one for workflows and one per API task queue, each with
// TaskQueueActivitiesPerSecond set, which the server enforces across every worker process polling that
// queue. Live and backfill activities share each API's queue; the server dispatches live ones first
// (task-queue priority, workflows/policy.go), so the backfill gets whatever live traffic leaves.
func NewWorkers(c client.Client, acts Activities, lim Limits) []worker.Worker {
	rates := lim.queueRates()
	wf := worker.New(c, workflows.TaskQueue, worker.Options{})
	workflows.Register(wf)
	wf.RegisterActivity(&activities.Temporal{Client: c}) // the backfill's signals to ShareLinkSync
	// Privacy deletions: stopping a contact's workflows runs here, the Extole erasure on Extole's queue.
	privacy := &activities.Privacy{Temporal: c, Extole: acts.Extole.Client}
	wf.RegisterActivity(privacy)
	wf.RegisterActivity(&workflows.RewardActivities{Client: c}) // reconciliation → each person's RewardSync

	apiWorker := func(queue string, regs ...any) worker.Worker {
		w := worker.New(c, queue, worker.Options{
			TaskQueueActivitiesPerSecond:       rates[queue],
			MaxConcurrentActivityExecutionSize: 50,
			MaxConcurrentActivityTaskPollers:   8,
		})
		for _, act := range regs {
			w.RegisterActivity(act)
		}
		return w
	}
	return []worker.Worker{
		wf,
		apiWorker(workflows.ExtoleTaskQueue, acts.Extole, privacy),
		apiWorker(workflows.ExtoleBackfillTaskQueue, acts.Extole),
		apiWorker(workflows.HubSpotTaskQueue, acts.HubSpot),
		apiWorker(workflows.HubSpotBackfillTaskQueue, acts.HubSpot),
		apiWorker(workflows.HubSpotSearchTaskQueue, acts.HubSpot),
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
