// Package redrive finds the bridge's failed and timed-out workflows and starts them again with their
// original input (`starter failed list|redrive`). Payloads are decoded and re-encoded only through the
// client's own converters, so whatever codec the deployment uses, the new run gets what the failed one got.
package redrive

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// Filter selects failed runs.
type Filter struct {
	Since time.Duration // closed at most this long ago; 0 = any time
	Type  string        // workflow type, e.g. ReferralSignup; "" = all
	Query string        // an extra visibility list filter, ANDed
}

// VisibilityQuery is the list filter for f at now.
func (f Filter) VisibilityQuery(now time.Time) string {
	parts := []string{`ExecutionStatus IN ("Failed", "TimedOut")`}
	if f.Since > 0 {
		parts = append(parts, "CloseTime > "+strconv.Quote(now.Add(-f.Since).UTC().Format(time.RFC3339)))
	}
	if f.Type != "" {
		parts = append(parts, "WorkflowType = "+strconv.Quote(f.Type))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		parts = append(parts, "("+q+")")
	}
	return strings.Join(parts, " AND ")
}

// Run is the latest failed or timed-out run of one workflow ID.
type Run struct {
	WorkflowID string    `json:"workflow_id"`
	RunID      string    `json:"run_id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"` // Failed or TimedOut
	ClosedAt   time.Time `json:"closed_at"`
	PartnerError
	// NewerRun is the status of a newer run of the same workflow ID (Running, Completed, …), "" when
	// this failed run is the latest.
	NewerRun string `json:"newer_run,omitempty"`

	started  *historypb.WorkflowExecutionStartedEventAttributes
	metadata *sdkpb.UserMetadata
	messages []message // updates and signals the run received, in history order
}

// message is one update or signal a run received.
type message struct {
	name  string
	input *commonpb.Payloads
}

// Redriver lists and re-drives failed runs. DataConverter and FailureConverter must be the ones the
// client was built with (nil = the SDK's defaults, as for a client).
type Redriver struct {
	Client           client.Client
	DataConverter    converter.DataConverter
	FailureConverter converter.FailureConverter
}

func (r *Redriver) dc() converter.DataConverter {
	if r.DataConverter == nil {
		return converter.GetDefaultDataConverter()
	}
	return r.DataConverter
}

func (r *Redriver) fc() converter.FailureConverter {
	if r.FailureConverter == nil {
		return temporal.GetDefaultFailureConverter()
	}
	return r.FailureConverter
}

// List returns the latest failed or timed-out run of each workflow ID f selects, oldest first, with
// the partner's error and whether a newer run exists.
func (r *Redriver) List(ctx context.Context, f Filter) ([]Run, error) {
	latest := map[string]Run{}
	req := &workflowservice.ListWorkflowExecutionsRequest{Query: f.VisibilityQuery(time.Now())}
	for {
		res, err := r.Client.ListWorkflow(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("list failed workflows: %w", err)
		}
		for _, e := range res.GetExecutions() {
			run := Run{
				WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(),
				Type: e.GetType().GetName(), Status: e.GetStatus().String(), ClosedAt: e.GetCloseTime().AsTime(),
			}
			if prev, ok := latest[run.WorkflowID]; !ok || run.ClosedAt.After(prev.ClosedAt) {
				latest[run.WorkflowID] = run
			}
		}
		if req.NextPageToken = res.GetNextPageToken(); len(req.NextPageToken) == 0 {
			break
		}
	}
	runs := make([]Run, 0, len(latest))
	for _, run := range latest {
		runs = append(runs, run)
	}
	slices.SortFunc(runs, func(a, b Run) int {
		return cmp.Or(a.ClosedAt.Compare(b.ClosedAt), strings.Compare(a.WorkflowID, b.WorkflowID))
	})
	for i := range runs {
		if err := r.load(ctx, &runs[i]); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// load reads a run's history (input, messages, failure) and the workflow ID's current run.
func (r *Redriver) load(ctx context.Context, run *Run) error {
	var closeFailure, lastActivityFailure *failurepb.Failure
	it := r.Client.GetWorkflowHistory(ctx, run.WorkflowID, run.RunID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return fmt.Errorf("history of %s: %w", run.WorkflowID, err)
		}
		switch ev.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			run.started, run.metadata = ev.GetWorkflowExecutionStartedEventAttributes(), ev.GetUserMetadata()
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			a := ev.GetWorkflowExecutionSignaledEventAttributes()
			run.messages = append(run.messages, message{name: a.GetSignalName(), input: a.GetInput()})
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			in := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput()
			run.messages = append(run.messages, message{name: in.GetName(), input: in.GetArgs()})
		case enums.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			lastActivityFailure = ev.GetActivityTaskFailedEventAttributes().GetFailure()
		case enums.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			lastActivityFailure = ev.GetActivityTaskTimedOutEventAttributes().GetFailure()
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			closeFailure = ev.GetWorkflowExecutionFailedEventAttributes().GetFailure()
		}
	}
	if run.started == nil {
		return fmt.Errorf("history of %s run %s has no start event", run.WorkflowID, run.RunID)
	}
	// A timed-out run has no failure of its own: the last activity failure says what kept it from finishing.
	if f := cmp.Or(closeFailure, lastActivityFailure); f != nil {
		run.PartnerError = partnerError(r.fc().FailureToError(f))
	} else {
		run.Message = "the workflow timed out" // before any activity failed: e.g. no worker polled its task queue
	}

	d, err := r.Client.DescribeWorkflow(ctx, run.WorkflowID, "")
	if err != nil {
		return fmt.Errorf("describe %s: %w", run.WorkflowID, err)
	}
	if cur := d.RawResponse.GetWorkflowExecutionInfo(); cur.GetExecution().GetRunId() != run.RunID {
		run.NewerRun = cur.GetStatus().String()
	}
	return nil
}

// Actions a re-drive reports.
const (
	Started    = "started"
	WouldStart = "would start" // --dry-run
	Skipped    = "skipped"
	Failed     = "error"
)

// Outcome is what Redrive did with one run.
type Outcome struct {
	Run
	Action   string `json:"action"`
	NewRunID string `json:"new_run_id,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Redrive starts each run again under its workflow ID, type, task queue, search attributes, memo,
// summary and priority, with its original input. A workflow ID with a newer run is skipped, and the start
// itself only succeeds while the failed run is the ID's latest (ALLOW_DUPLICATE_FAILED_ONLY, conflict
// FAIL): running it twice, or alongside a sender's redelivery, starts each workflow at most once.
// progress, when set, is called after each run.
func (r *Redriver) Redrive(ctx context.Context, runs []Run, dryRun bool, progress func(done, total int)) ([]Outcome, error) {
	out := make([]Outcome, 0, len(runs))
	var errs []error
	for i, run := range runs {
		o := r.redriveOne(ctx, run, dryRun)
		if o.Action == Failed {
			errs = append(errs, fmt.Errorf("%s: %s", run.WorkflowID, o.Reason))
		}
		out = append(out, o)
		if progress != nil {
			progress(i+1, len(runs))
		}
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, errors.Join(errs...)
}

func (r *Redriver) redriveOne(ctx context.Context, run Run, dryRun bool) Outcome {
	o := Outcome{Run: run}
	if run.NewerRun != "" {
		o.Action, o.Reason = Skipped, "a newer run is "+run.NewerRun
		return o
	}
	opts, args, err := r.startRequest(run)
	if err != nil {
		o.Action, o.Reason = Failed, err.Error()
		return o
	}
	if dryRun {
		o.Action = WouldStart
		return o
	}
	wr, err := r.Client.ExecuteWorkflow(ctx, opts, run.Type, args...)
	switch {
	case temporal.IsWorkflowExecutionAlreadyStartedError(err):
		o.Action, o.Reason = Skipped, "a newer run started meanwhile"
	case err != nil:
		o.Action, o.Reason = Failed, err.Error()
	default:
		o.Action, o.NewRunID = Started, wr.GetRunID()
	}
	return o
}
