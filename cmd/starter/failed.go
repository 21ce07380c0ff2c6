package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hubspot-extole/bridge/internal/redrive"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

const failedUsage = `usage: starter failed <command> [flags]

  list    [--since 24h] [--type ReferralSignup|DealConverted|ForwardEvent|ShareLinkSync|…] [--query '<list filter>'] [--json]
          failed or timed-out workflows, one line each, with the partner's error code and message
  redrive [same filters] [--dry-run] [--json]
          start each again with its original input; skips those with a newer run
`

// failedFlags are the flags both commands share.
type failedFlags struct {
	filter redrive.Filter
	json   bool
	dryRun bool
}

func parseFailedFlags(cmd string, args []string) (failedFlags, error) {
	var f failedFlags
	fs := flag.NewFlagSet("failed "+cmd, flag.ContinueOnError)
	fs.DurationVar(&f.filter.Since, "since", 24*time.Hour, "closed at most this long ago (0 = any time)")
	fs.StringVar(&f.filter.Type, "type", "", "workflow type, e.g. ReferralSignup, ShareLinkSync")
	fs.StringVar(&f.filter.Query, "query", "", "an extra list filter, e.g. 'PartnerConversionId = \"pc-1\"'")
	fs.BoolVar(&f.json, "json", false, "print JSON")
	if cmd == "redrive" {
		fs.BoolVar(&f.dryRun, "dry-run", false, "report what would be started, start nothing")
	}
	if err := parseFlags(fs, args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

func failed(ctx context.Context, log *zap.Logger, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive") {
		fmt.Fprint(os.Stderr, failedUsage)
		return errors.New("expected list or redrive")
	}
	cmd := args[0]
	f, err := parseFailedFlags(cmd, args[1:])
	if err != nil {
		return err
	}
	// The client's own converters decode and re-encode the payloads (the codec included).
	opts, err := temporalx.ClientOptions(log)
	if err != nil {
		return err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("dial temporal: %w", err)
	}
	defer c.Close()
	r := &redrive.Redriver{Client: c, DataConverter: opts.DataConverter, FailureConverter: opts.FailureConverter}
	runs, err := r.List(ctx, f.filter)
	if err != nil {
		return err
	}
	if cmd == "list" {
		return printRuns(os.Stdout, runs, f.json)
	}
	var progress func(done, total int)
	if isTerminal(os.Stderr) && len(runs) >= progressFrom {
		progress = func(done, total int) { fmt.Fprint(os.Stderr, progressBar(done, total)) }
	}
	out, err := r.Redrive(ctx, runs, f.dryRun, progress)
	if perr := printOutcomes(os.Stdout, out, f.json); perr != nil {
		return perr
	}
	return err
}

// progressFrom is the number of runs from which redrive draws a progress bar.
const progressFrom = 10

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar redraws one line: "\r[=====     ] 12/40", with a newline once done.
func progressBar(done, total int) string {
	const width = 30
	n := done * width / max(total, 1)
	s := fmt.Sprintf("\r[%s%s] %d/%d", strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total)
	if done == total {
		s += "\n"
	}
	return s
}

func printRuns(w io.Writer, runs []redrive.Run, asJSON bool) error {
	if asJSON {
		return writeJSON(w, runs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ClosedAt.UTC().Format(time.RFC3339), r.Status, r.Type, r.WorkflowID, failureText(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d failed\n", len(runs))
	return err
}

// failureText is "ExtoleRejected unexpected_request: Received unexpected request", plus the newer run.
func failureText(r redrive.Run) string {
	s := r.PartnerError.Type
	switch {
	case r.Code != "":
		s += " " + r.Code + ": " + r.Message
	case r.Message != "":
		s += " " + r.Message
	}
	if r.NewerRun != "" {
		s += " (newer run " + r.NewerRun + ")"
	}
	return strings.TrimSpace(s)
}

func printOutcomes(w io.Writer, out []redrive.Outcome, asJSON bool) error {
	if asJSON {
		return writeJSON(w, out)
	}
	counts := map[string]int{}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, o := range out {
		counts[o.Action]++
		detail := o.Reason
		if o.NewRunID != "" {
			detail = "run " + o.NewRunID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Action, o.Type, o.WorkflowID, detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d started, %d would start, %d skipped, %d errors\n",
		counts[redrive.Started], counts[redrive.WouldStart], counts[redrive.Skipped], counts[redrive.Failed])
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
