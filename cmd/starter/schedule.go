package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// scheduleCommand is `starter <topic> schedule`: create or update the schedule that options builds from
// --cron (defaultCron when not given), or pause, unpause, trigger or delete it.
func scheduleCommand(ctx context.Context, c client.Client, topic, defaultCron string, options func(cron string) client.ScheduleOptions, args []string) error {
	fs := flag.NewFlagSet(topic+" schedule", flag.ExitOnError)
	cron := fs.String("cron", defaultCron, `cron expression (UTC), e.g. "0 3 * * *"`)
	pause := fs.Bool("pause", false, "pause the schedule")
	unpause := fs.Bool("unpause", false, "unpause the schedule")
	trigger := fs.Bool("trigger", false, "start a run now (skipped if one is running)")
	del := fs.Bool("delete", false, "delete the schedule")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := options(*cron)
	h := c.ScheduleClient().GetHandle(ctx, opts.ID)
	switch {
	case *pause:
		return done("paused", h.Pause(ctx, client.SchedulePauseOptions{Note: "paused with starter " + topic + " schedule --pause"}))
	case *unpause:
		return done("unpaused", h.Unpause(ctx, client.ScheduleUnpauseOptions{}))
	case *trigger:
		return done("triggered", h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP}))
	case *del:
		return done("deleted", h.Delete(ctx))
	case *cron == "":
		fs.Usage()
		return errors.New("give --cron or one of --pause, --unpause, --trigger, --delete")
	}
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
		return done(fmt.Sprintf("updated schedule %s to %s", opts.ID, *cron), err)
	}
	return done(fmt.Sprintf("created schedule %s at %s", opts.ID, *cron), err)
}

func done(what string, err error) error {
	if err == nil {
		fmt.Println(what)
	}
	return err
}
