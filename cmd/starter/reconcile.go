package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

const reconcileUsage = `usage: starter reconcile <command> [flags]

  schedule [--cron "30 3 * * *"]   create or update the nightly schedule (UTC); or --pause, --unpause, --trigger, --delete
  run [--lookback 72h]             reconcile now: rewards changed in the last --lookback, waits and prints the report
  status                           the latest run: state and report
`

// reconcile is `starter reconcile`: Extole's rewards → each person's RewardSync (workflows/reconcile.go).
func reconcile(ctx context.Context, cfg config.Config, log *zap.Logger, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, reconcileUsage)
		return errors.New("missing reconcile command")
	}
	c, _, err := temporalx.Dial(ctx, log)
	if err != nil {
		return err
	}
	defer c.Close()
	in := workflows.ReconcileInput{Lookback: cfg.ReconcileLookback, EventName: cfg.RewardEventName()}
	switch args[0] {
	case "schedule":
		return scheduleCommand(ctx, c, "reconcile", workflows.DefaultReconcileCron, func(cron string) client.ScheduleOptions {
			return workflows.ReconcileScheduleOptions(cron, in)
		}, args[1:])
	case "run":
		return reconcileRun(ctx, c, in, args[1:])
	case "status":
		return reconcileStatus(ctx, c, os.Stdout)
	default:
		fmt.Fprint(os.Stderr, reconcileUsage)
		return fmt.Errorf("unknown reconcile command %q", args[0])
	}
}

func reconcileRun(ctx context.Context, c client.Client, in workflows.ReconcileInput, args []string) error {
	fs := flag.NewFlagSet("reconcile run", flag.ExitOnError)
	fs.DurationVar(&in.Lookback, "lookback", in.Lookback, "reconcile the rewards changed in this window (RECONCILE_LOOKBACK)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if in.Lookback <= 0 {
		return errors.New("--lookback must be positive")
	}
	run, err := c.ExecuteWorkflow(ctx, workflows.ReconcileRunOptions(time.Now()), workflows.Reconcile, in)
	if err != nil {
		return err
	}
	fmt.Printf("started %s; waiting for it (Ctrl-C leaves it running)\n", run.GetID())
	var rep workflows.ReconcileReport
	if err := run.Get(ctx, &rep); err != nil {
		return err
	}
	printReconcileReport(os.Stdout, rep)
	return nil
}

func reconcileStatus(ctx context.Context, c client.Client, w io.Writer) error {
	res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: workflows.WorkflowTypeQuery(workflows.ReconcileType, false), PageSize: 1})
	if err != nil {
		return err
	}
	if len(res.GetExecutions()) == 0 {
		fmt.Fprintln(w, "no reconciliation has run yet")
		return nil
	}
	e := res.GetExecutions()[0]
	id, runID := e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId()
	fmt.Fprintf(w, "%s: %s\n", id, strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_")))
	if e.GetStatus() != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		return nil
	}
	var rep workflows.ReconcileReport
	if err := c.GetWorkflow(ctx, id, runID).Get(ctx, &rep); err != nil {
		return err
	}
	printReconcileReport(w, rep)
	return nil
}

func printReconcileReport(w io.Writer, rep workflows.ReconcileReport) {
	fmt.Fprintf(w, "rewards changed %s – %s: %d checked for %d persons, %d missing in HubSpot and fixed, %d already applied\n",
		rep.From.Format(time.RFC3339), rep.To.Format(time.RFC3339), rep.Checked, rep.Persons, rep.Missing, rep.Held)
}
