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
	"go.temporal.io/sdk/temporal"
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
		return reconcileSchedule(ctx, c, in, args[1:])
	case "run":
		return reconcileRun(ctx, c, in, args[1:])
	case "status":
		return reconcileStatus(ctx, c, os.Stdout)
	default:
		fmt.Fprint(os.Stderr, reconcileUsage)
		return fmt.Errorf("unknown reconcile command %q", args[0])
	}
}

func reconcileSchedule(ctx context.Context, c client.Client, in workflows.ReconcileInput, args []string) error {
	fs := flag.NewFlagSet("reconcile schedule", flag.ExitOnError)
	cron := fs.String("cron", workflows.DefaultReconcileCron, "cron expression (UTC)")
	pause := fs.Bool("pause", false, "pause the schedule")
	unpause := fs.Bool("unpause", false, "unpause the schedule")
	trigger := fs.Bool("trigger", false, "start a run now (skipped if one is running)")
	del := fs.Bool("delete", false, "delete the schedule")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	h := c.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	switch {
	case *pause:
		return done("paused", h.Pause(ctx, client.SchedulePauseOptions{Note: "paused with starter reconcile schedule --pause"}))
	case *unpause:
		return done("unpaused", h.Unpause(ctx, client.ScheduleUnpauseOptions{}))
	case *trigger:
		return done("triggered", h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP}))
	case *del:
		return done("deleted", h.Delete(ctx))
	}
	opts := workflows.ReconcileScheduleOptions(*cron, in)
	_, err := c.ScheduleClient().Create(ctx, opts)
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(u client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := u.Description.Schedule
			s.Spec, s.Action = &opts.Spec, opts.Action
			if s.Policy == nil {
				s.Policy = &client.SchedulePolicies{}
			}
			s.Policy.Overlap = opts.Overlap
			return &client.ScheduleUpdate{Schedule: &s}, nil
		}})
		return done("updated schedule "+workflows.ReconcileScheduleID+" to "+*cron, err)
	}
	return done("created schedule "+workflows.ReconcileScheduleID+" at "+*cron, err)
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
	res, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'Reconcile'", PageSize: 1})
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
