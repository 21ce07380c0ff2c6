package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

const backfillUsage = `usage: starter backfill <command> [flags]

  run [--dry-run] [--wait] [--route api|events]
                                    start a backfill now (refuses a second concurrent run); --wait
                                    shows progress and, on the event route, waits for the links
  status                            progress of the current or last run
  pause | resume                    pause or resume the running backfill
  schedule --cron "0 3 * * *"       create or update the nightly schedule (overlapping runs are skipped)
  schedule --pause|--unpause|--trigger|--delete
  export --out FILE.csv             write contacts without a link as an Extole batch-event CSV
  import --file FILE.csv            write Extole's share-link export into HubSpot (resumable)
`

func backfill(ctx context.Context, cfg config.Config, log *zap.Logger, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, backfillUsage)
		return errors.New("missing backfill command")
	}
	cmd, args := args[0], args[1:]
	if cmd == "export" { // talks to HubSpot only
		return backfillExport(ctx, cfg, args)
	}
	c, _, err := temporalx.Dial(ctx, log)
	if err != nil {
		return err
	}
	defer c.Close()
	switch cmd {
	case "run":
		return backfillRun(ctx, c, cfg, args)
	case "status":
		return backfillStatus(ctx, c)
	case "pause", "resume":
		id, err := workflows.RunningBackfill(ctx, c)
		if err != nil {
			return err
		}
		if id == "" {
			return errors.New("no backfill is running")
		}
		if err := c.SignalWorkflow(ctx, id, "", workflows.BackfillPauseSignal, cmd == "pause"); err != nil {
			return err
		}
		fmt.Printf("%s signalled to %s\n", cmd, id)
		return nil
	case "schedule":
		return scheduleCommand(ctx, c, "backfill", "", func(cron string) client.ScheduleOptions {
			return workflows.BackfillScheduleOptions(cron, backfillInput(cfg, false, cfg.BackfillRoute, 0))
		}, args)
	case "import":
		return backfillImport(ctx, c, args)
	default:
		fmt.Fprint(os.Stderr, backfillUsage)
		return fmt.Errorf("unknown backfill command %q", cmd)
	}
}

func backfillRun(ctx context.Context, c client.Client, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("backfill run", flag.ExitOnError)
	dryRun := fs.Bool("dry-run", false, "scan and report without writing to Extole or HubSpot")
	wait := fs.Bool("wait", false, "show live progress until the run ends (the event route's links included)")
	route := fs.String("route", cfg.BackfillRoute, "api (person and shareable per contact) or events (one event per contact; BACKFILL_ROUTE)")
	linkWait := fs.Duration("link-wait", workflows.DefaultBackfillLinkWait, "event route: how long the run waits for the links to come back")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *route != workflows.BackfillRouteAPI && *route != workflows.BackfillRouteEvents {
		return fmt.Errorf("--route must be api or events, got %q", *route)
	}
	if id, err := workflows.RunningBackfill(ctx, c); err != nil {
		return err
	} else if id != "" {
		fmt.Printf("a backfill is already running: %s (see `starter backfill status`)\n", id)
		return nil
	}
	if !*dryRun {
		if triggered, err := workflows.TriggerScheduledBackfill(ctx, c); err != nil {
			return err
		} else if triggered {
			fmt.Printf("triggered through schedule %s (skipped if a scheduled run is in progress)\n", workflows.BackfillScheduleID)
			if !*wait {
				return nil
			}
			// The schedule starts the run within moments.
			id, err := pollUntil(ctx, 30, time.Second, func() (string, error) { return workflows.RunningBackfill(ctx, c) })
			switch {
			case ctx.Err() != nil:
				fmt.Println("stopped waiting; the triggered run goes on (starter backfill status)")
				return nil
			case err != nil:
				return err
			case id == "":
				return errors.New("the triggered run did not appear; see `starter backfill status`")
			}
			return watchBackfill(ctx, c, id)
		}
	}
	run, err := c.ExecuteWorkflow(ctx, workflows.BackfillStartOptions(*dryRun), workflows.ShareLinkBackfill,
		backfillInput(cfg, *dryRun, *route, *linkWait))
	var dup *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &dup) {
		fmt.Printf("a backfill is already running: %s (run %s)\n", workflows.BackfillWorkflowID, dup.RunId)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("started %s (run %s)\n", run.GetID(), run.GetRunID())
	if !*wait {
		return nil
	}
	return watchBackfill(ctx, c, run.GetID())
}

// backfillInput is a run's input from the settings.
func backfillInput(cfg config.Config, dryRun bool, route string, linkWait time.Duration) workflows.BackfillInput {
	return workflows.BackfillInput{DryRun: dryRun, Label: cfg.ExtoleShareLabel, Route: route,
		EventName: cfg.BackfillEventName, LinkWait: linkWait}
}

// pollUntil calls find up to tries times, every interval, until it returns an ID or an error. It returns
// ctx's error as soon as ctx is done, so Ctrl-C is never held up by the wait.
func pollUntil(ctx context.Context, tries int, every time.Duration, find func() (string, error)) (string, error) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for range tries {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if id, err := find(); err != nil || id != "" {
			return id, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-tick.C:
		}
	}
	return "", nil
}

// watchBackfill draws a progress bar from the progress query until the run (across continue-as-new)
// closes, then prints its final report.
func watchBackfill(ctx context.Context, c client.Client, id string) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		d, err := c.DescribeWorkflow(ctx, id, "")
		if err != nil {
			return err
		}
		if d.Status != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
			fmt.Println()
			return printFinal(ctx, c, id)
		}
		var p workflows.BackfillProgress
		if v, err := c.QueryWorkflow(ctx, id, "", workflows.BackfillQuery); err == nil && v.Get(&p) == nil {
			fmt.Printf("\r\033[K%s %s", bar(p.DoneCount(), p.Total), p.Summary())
		}
		select {
		case <-ctx.Done():
			fmt.Println("\nstopped watching; the backfill goes on (starter backfill status)")
			return nil
		case <-tick.C:
		}
	}
}

func bar(done, total int) string {
	const width = 30
	if total <= 0 {
		return "[" + strings.Repeat(".", width) + "]   ?%"
	}
	n := min(done*width/total, width)
	return fmt.Sprintf("[%s%s] %3d%%", strings.Repeat("#", n), strings.Repeat(".", width-n), done*100/total)
}

func printFinal(ctx context.Context, c client.Client, id string) error {
	var p workflows.BackfillProgress
	err := c.GetWorkflow(ctx, id, "").Get(ctx, &p)
	if err != nil {
		return fmt.Errorf("backfill %s ended: %w", id, err)
	}
	printProgress(p)
	return nil
}

func printProgress(p workflows.BackfillProgress) {
	fmt.Println(p.Summary())
	fmt.Printf("started %s, updated %s, cursor hs_object_id > %q\n", p.StartedAt.Format(time.RFC3339), p.UpdatedAt.Format(time.RFC3339), p.Cursor)
	for _, f := range p.Failures {
		fmt.Println("  failed:", f)
	}
	for _, e := range p.NotReceived {
		fmt.Println("  no link back yet:", e)
	}
}

func backfillStatus(ctx context.Context, c client.Client) error {
	res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query:    workflows.WorkflowTypeQuery(workflows.ShareLinkBackfillType, false),
		PageSize: 1,
	})
	if err != nil {
		return err
	}
	if len(res.GetExecutions()) == 0 {
		fmt.Println("no backfill has run yet")
		return nil
	}
	e := res.GetExecutions()[0]
	id := e.GetExecution().GetWorkflowId()
	fmt.Printf("%s: %s\n", id, strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_")))
	if e.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return printFinal(ctx, c, id)
	}
	v, err := c.QueryWorkflow(ctx, id, "", workflows.BackfillQuery)
	if err != nil {
		return fmt.Errorf("query progress (is a worker running?): %w", err)
	}
	var p workflows.BackfillProgress
	if err := v.Get(&p); err != nil {
		return err
	}
	printProgress(p)
	return nil
}
