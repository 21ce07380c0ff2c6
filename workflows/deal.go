package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Signals of the DealWon workflow, sent by the app-webhook endpoint.
const (
	SignalDealStage       = "dealstage"
	SignalDealAssociation = "association"
)

// DefaultDealContactWait is how long a won deal without a contact with an email waits for one.
const DefaultDealContactWait = 72 * time.Hour

// ErrTypeDealNoContact fails a won deal that got no contact with an email in time.
const ErrTypeDealNoContact = "DealHasNoContact"

// DealInput starts the workflow of one deal. The settings come from the webhook server's configuration
// when the run starts.
type DealInput struct {
	DealID      string        `json:"deal_id"`
	WonStages   []string      `json:"won_stages,omitempty"` // HUBSPOT_WON_STAGES; empty = the pipeline's metadata
	Hold        time.Duration `json:"hold,omitempty"`       // DEAL_HOLD_PERIOD
	ContactWait time.Duration `json:"contact_wait,omitempty"`
}

// DealStageChange is one deal.propertyChange on dealstage.
type DealStageChange struct {
	Stage      string `json:"stage"`
	OccurredAt int64  `json:"occurred_at"` // ms since the epoch, HubSpot's occurredAt
}

// DealAssociationChange is one deal.associationChange that added a contact.
type DealAssociationChange struct {
	ContactID  string `json:"contact_id"`
	OccurredAt int64  `json:"occurred_at"`
}

// Outcomes of DealWon.
const (
	DealConvertedOutcome = "converted"
	DealAlreadyConverted = "already_converted"
	DealNotWon           = "not_won"
	DealCancelled        = "cancelled"
)

// DealResult is shown in the Web UI.
type DealResult struct {
	Outcome      string `json:"outcome"`
	Stage        string `json:"stage,omitempty"`
	Reason       string `json:"reason,omitempty"`
	ConversionID string `json:"conversion_workflow_id,omitempty"`
}

// DealWorkflowID is the one workflow of a deal's stage changes: every delivery of every change lands on
// it (signal-with-start), so duplicates and flips are handled in one place.
func DealWorkflowID(dealID string) string { return "hubspot-deal/" + dealID }

// DealConversionID is the deal's partner_conversion_id in Extole.
func DealConversionID(dealID string) string { return "deal-" + dealID }

// DealStartOptions are the start options of a deal's workflow. Any closed run may be followed by a new one
// (a lost deal can be won later): exactly one conversion per deal is held by the conversion's own
// workflow ID, extole-event/converted/deal-<id>, which only a failed conversion can reuse.
func DealStartOptions(dealID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                    DealWorkflowID(dealID),
		TaskQueue:             TaskQueue,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         "HubSpot deal " + dealID + " → Extole converted when won",
		Priority:              liveWorkflowPriority,
	}
}

// DealWon turns a HubSpot deal reaching a won stage into exactly one Extole converted. Signals carry
// the deal's stage changes (in any order, duplicated); the deal itself is always re-read, so what is sent
// is what HubSpot holds. With a hold period the conversion waits on a durable timer, re-reads the deal and
// sends only if it is still won; a move out of the won stage during the hold cancels it, with the reason.
// A run ends after deciding; the next change starts a new run.
func DealWon(ctx workflow.Context, in DealInput) (DealResult, error) {
	d := &dealRun{in: in, pipelines: map[string]activities.Pipeline{}}
	d.stages = workflow.GetSignalChannel(ctx, SignalDealStage)
	d.assocs = workflow.GetSignalChannel(ctx, SignalDealAssociation)
	if err := workflow.SetQueryHandler(ctx, activities.QueryContactEmail, func() (string, error) { return d.email, nil }); err != nil {
		return DealResult{}, err
	}
	for {
		res, err := d.run(ctx)
		// A change that arrived while deciding "not won" or "cancelled" may be a (new) win: decide again.
		// After a conversion nothing can change the outcome, so what is left is dropped.
		if err != nil || res.Outcome == DealConvertedOutcome || res.Outcome == DealAlreadyConverted || d.stages.Len() == 0 {
			for d.stages.ReceiveAsync(nil) || d.assocs.ReceiveAsync(nil) {
			}
			return res, err
		}
	}
}

type dealRun struct {
	in             DealInput
	stages, assocs workflow.ReceiveChannel
	pipelines      map[string]activities.Pipeline // read once per run
	wonAt          int64                          // occurredAt of the latest change this run started from
	email          string                         // the deal's contact's, answered to a privacy deletion's erasure
}

func (d *dealRun) run(ctx workflow.Context) (DealResult, error) {
	var ch DealStageChange
	for d.stages.ReceiveAsync(&ch) {
		d.wonAt = max(d.wonAt, ch.OccurredAt)
	}
	deal, won, err := d.read(ctx)
	if err != nil || !won {
		return DealResult{Outcome: DealNotWon, Stage: deal.Properties["dealstage"]}, err
	}
	// The contact first: a deal without one says so at once, and a deal in its hold is already known
	// as the contact's pending work to a privacy deletion.
	contact, waited, err := d.contact(ctx)
	if err != nil {
		return DealResult{}, err
	}
	if waited { // the deal may have moved while we waited for its contact
		if deal, won, err = d.read(ctx); err != nil || !won {
			return DealResult{Outcome: DealNotWon, Stage: deal.Properties["dealstage"]}, err
		}
	}
	if d.in.Hold > 0 {
		if reason, err := d.hold(ctx); err != nil || reason != "" {
			return DealResult{Outcome: DealCancelled, Reason: reason}, err
		}
		if deal, won, err = d.read(ctx); err != nil {
			return DealResult{}, err
		} else if !won {
			reason := fmt.Sprintf("after the %s hold the deal is in stage %q, not won", d.in.Hold, deal.Properties["dealstage"])
			workflow.SetCurrentDetails(ctx, "Cancelled: "+reason)
			return DealResult{Outcome: DealCancelled, Stage: deal.Properties["dealstage"], Reason: reason}, nil
		}
	}
	products, err := d.products(ctx, deal)
	if err != nil {
		return DealResult{}, err
	}
	return d.convert(ctx, deal, contact, products)
}

// read reads the deal and says whether its stage is won.
func (d *dealRun) read(ctx workflow.Context) (activities.Deal, bool, error) {
	var a *activities.HubSpot
	var deal activities.Deal
	if err := workflow.ExecuteActivity(withHubSpot(ctx), a.GetDeal, d.in.DealID).Get(ctx, &deal); err != nil {
		return deal, false, err
	}
	won, err := d.isWon(ctx, deal.Properties["pipeline"], deal.Properties["dealstage"])
	return deal, won, err
}

// isWon recognises a won stage by HUBSPOT_WON_STAGES when set, else by the pipeline's stage metadata.
func (d *dealRun) isWon(ctx workflow.Context, pipelineID, stage string) (bool, error) {
	if stage == "" {
		return false, nil
	}
	if len(d.in.WonStages) > 0 {
		return slices.Contains(d.in.WonStages, stage), nil
	}
	if pipelineID == "" {
		pipelineID = "default" // HubSpot's default pipeline when a deal names none
	}
	p, ok := d.pipelines[pipelineID]
	if !ok {
		var a *activities.HubSpot
		if err := workflow.ExecuteActivity(withHubSpot(ctx), a.GetDealPipeline, pipelineID).Get(ctx, &p); err != nil {
			return false, err
		}
		d.pipelines[pipelineID] = p
	}
	return slices.ContainsFunc(p.Stages, func(s activities.Stage) bool { return s.ID == stage && s.Won }), nil
}

// hold waits out the hold period on a durable timer. A change to a stage that is not won, newer than the
// win, cancels at once; the returned reason says why ("" = held to the end).
func (d *dealRun) hold(ctx workflow.Context) (string, error) {
	until := workflow.Now(ctx).Add(d.in.Hold)
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("Won: holding the conversion until %s (DEAL_HOLD_PERIOD %s)", until.UTC().Format(time.RFC3339), d.in.Hold))
	tctx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(tctx, d.in.Hold)
	done, reason := false, ""
	var err error
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(timer, func(f workflow.Future) { done, err = true, f.Get(ctx, nil) })
	sel.AddReceive(d.stages, func(c workflow.ReceiveChannel, _ bool) {
		var ch DealStageChange
		c.Receive(ctx, &ch)
		if ch.OccurredAt < d.wonAt {
			return // older than the win: HubSpot does not deliver in order
		}
		// The pipeline is the deal's: read it from the deal rather than trusting the event alone.
		var a *activities.HubSpot
		var deal activities.Deal
		if err = workflow.ExecuteActivity(withHubSpot(ctx), a.GetDeal, d.in.DealID).Get(ctx, &deal); err != nil {
			return
		}
		var won bool
		if won, err = d.isWon(ctx, deal.Properties["pipeline"], ch.Stage); err != nil || won {
			return
		}
		done = true
		reason = fmt.Sprintf("moved to stage %q at %s, during the %s hold", ch.Stage,
			time.UnixMilli(ch.OccurredAt).UTC().Format(time.RFC3339), d.in.Hold)
		workflow.SetCurrentDetails(ctx, "Cancelled: "+reason)
	})
	for !done && err == nil {
		sel.Select(ctx)
	}
	return reason, err
}

// contact returns the deal's first associated contact with an email, labelled "Primary" ones first. With
// none it waits for an association change up to ContactWait, then fails with a message for the Web UI.
func (d *dealRun) contact(ctx workflow.Context) (activities.Contact, bool, error) {
	wait := d.in.ContactWait
	if wait <= 0 {
		wait = DefaultDealContactWait
	}
	deadline := workflow.Now(ctx).Add(wait)
	waited := false
	for {
		c, ok, err := d.findContact(ctx)
		if err != nil {
			return c, waited, err
		}
		if ok {
			d.email = strings.TrimSpace(c.Properties["email"])
			return c, waited, workflow.UpsertTypedSearchAttributes(ctx, HubSpotContactID.ValueSet(c.ID))
		}
		left := deadline.Sub(workflow.Now(ctx))
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("Won, but no associated contact has an email: waiting until %s for one to be associated",
			deadline.UTC().Format(time.RFC3339)))
		got, _ := d.assocs.ReceiveWithTimeout(ctx, left, &DealAssociationChange{})
		if !got {
			return c, waited, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"deal %s is won but no associated contact had an email within %s: associate a contact with an email and move the deal to a won stage again",
				d.in.DealID, wait), ErrTypeDealNoContact, nil)
		}
		waited = true
	}
}

func (d *dealRun) findContact(ctx workflow.Context) (activities.Contact, bool, error) {
	var a *activities.HubSpot
	var assoc []activities.Association
	in := activities.AssociationsInput{FromType: "deals", ID: d.in.DealID, ToType: "contacts"}
	if err := workflow.ExecuteActivity(withHubSpot(ctx), a.Associations, in).Get(ctx, &assoc); err != nil {
		return activities.Contact{}, false, err
	}
	slices.SortStableFunc(assoc, func(x, y activities.Association) int { return primaryRank(x) - primaryRank(y) })
	for _, as := range assoc {
		var c activities.Contact
		err := workflow.ExecuteActivity(withHubSpot(ctx), a.GetContact, as.ID).Get(ctx, &c)
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) && ae.Type() == activities.ErrTypeHubSpotNotFound {
			continue // deleted since the association was listed
		}
		if err != nil {
			return c, false, err
		}
		if strings.TrimSpace(c.Properties["email"]) != "" {
			return c, true, nil
		}
	}
	return activities.Contact{}, false, nil
}

func primaryRank(a activities.Association) int {
	if slices.ContainsFunc(a.Labels, func(l string) bool { return strings.EqualFold(l, "Primary") }) {
		return 0
	}
	return 1
}

// products reads the deal's line items: the product names joined, or "" without line items.
func (d *dealRun) products(ctx workflow.Context, deal activities.Deal) (string, error) {
	var a *activities.HubSpot
	var assoc []activities.Association
	in := activities.AssociationsInput{FromType: "deals", ID: d.in.DealID, ToType: "line_items"}
	if err := workflow.ExecuteActivity(withHubSpot(ctx), a.Associations, in).Get(ctx, &assoc); err != nil {
		return "", err
	}
	var names []string
	for chunk := range slices.Chunk(assoc, hubspot.MaxBatchSize) {
		ids := make([]string, len(chunk))
		for i, as := range chunk {
			ids[i] = as.ID
		}
		var items []activities.LineItem
		if err := workflow.ExecuteActivity(withHubSpot(ctx), a.ReadLineItems, ids).Get(ctx, &items); err != nil {
			return "", err
		}
		for _, li := range items {
			if n := strings.TrimSpace(li.Properties["name"]); n != "" {
				if q := li.Properties["quantity"]; q != "" && q != "1" {
					n += " × " + q
				}
				names = append(names, n)
			}
		}
	}
	return strings.Join(names, ", "), nil
}

// convert sends converted through the conversion's own workflow (DealConverted, the workflow-webhook
// path's), whose ID admits one conversion per deal however many runs of this workflow try.
func (d *dealRun) convert(ctx workflow.Context, deal activities.Deal, c activities.Contact, products string) (DealResult, error) {
	p := deal.Properties
	email := d.email
	if products == "" {
		products = p["dealname"]
	}
	pcid := DealConversionID(d.in.DealID)
	data := eventData(
		"partner_conversion_id", pcid, "email", email, "amount", p["amount"], "product", products,
		"deal_id", d.in.DealID, "pipeline", p["pipeline"], "currency", p["deal_currency_code"],
		"first_name", c.Properties["firstname"], "last_name", c.Properties["lastname"], "extole_app_type", "hubspot")
	ev := EventInput{EventName: EventConverted, Data: data}
	opts := EventStartOptions(ev)
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            opts.ID,
		WorkflowIDReusePolicy: opts.WorkflowIDReusePolicy,
		TypedSearchAttributes: opts.TypedSearchAttributes,
		StaticSummary:         opts.StaticSummary,
		Priority:              opts.Priority,
		// The conversion is held once started: a privacy deletion stopping this run does not undo it.
		ParentClosePolicy: enums.PARENT_CLOSE_POLICY_ABANDON,
	})
	res := DealResult{Outcome: DealConvertedOutcome, Stage: p["dealstage"], ConversionID: opts.ID}
	err := workflow.ExecuteChildWorkflow(cctx, DealConverted, ev).Get(ctx, nil)
	var dup *temporal.ChildWorkflowExecutionAlreadyStartedError
	switch {
	case errors.As(err, &dup):
		res.Outcome = DealAlreadyConverted
		workflow.SetCurrentDetails(ctx, "Already converted: "+opts.ID)
		return res, nil
	case err != nil:
		return res, err
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("Converted: %s for %s, amount %s", pcid, contact.MaskEmail(email), p["amount"]))
	return res, nil
}
