package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Backfill identifiers and message names.
const (
	BackfillWorkflowID = "backfill/share-links"
	BackfillScheduleID = "backfill-share-links"
	BackfillQuery      = "progress"
	// BackfillPauseSignal carries true to pause and false to resume. One channel, so a pause and a
	// resume sent in quick succession apply in the order they were sent.
	BackfillPauseSignal = "pause"
)

// Backfill defaults.
const (
	DefaultBackfillPageSize    = 100 // one HubSpot batch write per page
	DefaultBackfillConcurrency = 100 // contacts in flight per page; the task-queue limits pace them
	keepFailureSamples         = 20
)

// Skip reasons reported in BackfillProgress.SkippedReasons.
const (
	SkipNoEmail = "no email"
	// SkipOtherLink: the contact has a share_link or share_code of another shareable than Extole's for
	// the label; it is left as it is.
	SkipOtherLink = "has another link"
)

// BackfillInput starts a run, and carries its state across continue-as-new: a cursor and counters,
// never a list of contacts, so history stays bounded for any number of contacts.
type BackfillInput struct {
	DryRun      bool             `json:"dry_run,omitempty"`
	Label       string           `json:"label"` // Extole program label (EXTOLE_SHARE_LABEL)
	PageSize    int              `json:"page_size,omitempty"`
	Concurrency int              `json:"concurrency,omitempty"`
	Progress    BackfillProgress `json:"progress"`
}

// BackfillProgress is what the progress query, the Web UI details and `starter backfill status` show.
type BackfillProgress struct {
	DryRun          bool           `json:"dry_run,omitempty"`
	StartedAt       time.Time      `json:"started_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	Scanned         int            `json:"scanned"`            // contacts lacking a link that were visited
	Linked          int            `json:"linked"`             // contacts that got share_link and share_code
	Eligible        int            `json:"eligible,omitempty"` // dry run: contacts that would be linked
	Skipped         int            `json:"skipped"`
	SkippedReasons  map[string]int `json:"skipped_reasons,omitempty"`
	Failed          int            `json:"failed"`
	Failures        []string       `json:"failures,omitempty"` // the latest few, "email: reason"
	Cursor          string         `json:"cursor"`             // hs_object_id of the last contact visited
	Remaining       int            `json:"remaining"`          // HubSpot's count of contacts still lacking a link past the cursor
	RatePerMinute   float64        `json:"rate_per_minute"`    // contacts visited per minute, since the start
	ETA             time.Duration  `json:"eta"`                // Remaining at RatePerMinute
	Paused          bool           `json:"paused,omitempty"`
	Done            bool           `json:"done,omitempty"`
	Generations     int            `json:"generations"` // continue-as-new count
	PropertiesReady bool           `json:"properties_ready,omitempty"`
}

// Summary is a one-line rendering for the Web UI and the terminal.
func (p BackfillProgress) Summary() string {
	var b strings.Builder
	if p.DryRun {
		fmt.Fprintf(&b, "dry run: scanned %d, would link %d", p.Scanned, p.Eligible)
	} else {
		fmt.Fprintf(&b, "scanned %d, linked %d", p.Scanned, p.Linked)
	}
	fmt.Fprintf(&b, ", skipped %d, failed %d", p.Skipped, p.Failed)
	for _, reason := range slices.Sorted(maps.Keys(p.SkippedReasons)) {
		fmt.Fprintf(&b, " (%s: %d)", reason, p.SkippedReasons[reason])
	}
	switch {
	case p.Done:
		b.WriteString(" — done")
	case p.Paused:
		b.WriteString(" — paused")
	default:
		fmt.Fprintf(&b, " — %.0f/min, %d remaining, ETA %s", p.RatePerMinute, p.Remaining, p.ETA.Round(time.Second))
	}
	return b.String()
}

// BackfillStartOptions refuse a second run while one is running (the CLI prints the running one) and
// allow a new run after the last finished.
func BackfillStartOptions(dryRun bool) client.StartWorkflowOptions {
	summary := "share-link backfill: every HubSpot contact without a link gets one from Extole"
	if dryRun {
		summary = "share-link backfill (dry run): count contacts without a link"
	}
	return client.StartWorkflowOptions{
		ID:                                       BackfillWorkflowID,
		TaskQueue:                                TaskQueue,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            summary,
	}
}

// ShareLinkBackfill gives every HubSpot contact lacking share_link or share_code a share link and code
// from Extole. Per page of contacts (keyset by hs_object_id): get-or-create each contact's Extole person
// and shareable for the program label, then write the links back in one HubSpot batch. Every step is
// idempotent, so a page re-run after a crash creates no second person or shareable.
func ShareLinkBackfill(ctx workflow.Context, in BackfillInput) (BackfillProgress, error) {
	b := &backfillRun{in: in}
	p := &b.in.Progress
	if p.StartedAt.IsZero() {
		p.StartedAt = workflow.Now(ctx)
		p.DryRun = in.DryRun
	}
	if b.in.PageSize <= 0 || b.in.PageSize > 100 {
		b.in.PageSize = DefaultBackfillPageSize
	}
	if b.in.Concurrency <= 0 {
		b.in.Concurrency = DefaultBackfillConcurrency
	}
	if err := workflow.SetQueryHandler(ctx, BackfillQuery, func() (BackfillProgress, error) { return *p, nil }); err != nil {
		return *p, err
	}
	b.pause = workflow.GetSignalChannel(ctx, BackfillPauseSignal)
	b.report(ctx)

	if !b.in.DryRun && !p.PropertiesReady {
		// The write-back needs share_link and share_code to exist: create them once per run (the
		// worker's start-up setup normally has), before Extole is asked for anything.
		if err := ensurePropertiesVersioned(withHubSpotBackfill(ctx)); err != nil {
			return *p, err
		}
		p.PropertiesReady = true
	}

	for {
		if err := b.waitWhilePaused(ctx); err != nil {
			return *p, err
		}
		page, err := b.search(ctx)
		if err != nil {
			return *p, err
		}
		if len(page.Contacts) == 0 {
			p.Done, p.Remaining, p.ETA = true, 0, 0
			b.report(ctx)
			return *p, nil
		}
		if err := b.processPage(ctx, page.Contacts); err != nil {
			return *p, err
		}
		p.Cursor = page.Contacts[len(page.Contacts)-1].ID
		p.Remaining = max(page.Remaining-len(page.Contacts), 0)
		b.report(ctx)

		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			b.drainSignals() // a signal not received before continue-as-new would be lost
			p.Generations++
			return *p, workflow.NewContinueAsNewError(ctx, ShareLinkBackfill, b.in)
		}
	}
}

type backfillRun struct {
	in    BackfillInput
	pause workflow.ReceiveChannel
}

// drainSignals applies pause/resume signals in arrival order; the last one wins.
func (b *backfillRun) drainSignals() {
	var paused bool
	for b.pause.ReceiveAsync(&paused) {
		b.in.Progress.Paused = paused
	}
}

// waitWhilePaused blocks while the backfill is paused. It is checked before every page and before each
// contact, so a pause takes effect within the contacts already in flight.
func (b *backfillRun) waitWhilePaused(ctx workflow.Context) error {
	b.drainSignals()
	for b.in.Progress.Paused {
		b.report(ctx)
		if err := workflow.Await(ctx, func() bool { return b.pause.Len() > 0 }); err != nil {
			return err
		}
		b.drainSignals()
		b.report(ctx)
	}
	return nil
}

func (b *backfillRun) search(ctx workflow.Context) (activities.UnlinkedPage, error) {
	var h *activities.HubSpot
	var page activities.UnlinkedPage
	err := workflow.ExecuteActivity(withHubSpotSearch(ctx), h.SearchUnlinked,
		activities.SearchUnlinkedInput{AfterID: b.in.Progress.Cursor, Limit: b.in.PageSize}).Get(ctx, &page)
	return page, err
}

// processPage links one page: contacts in parallel (bounded), then one batch write.
func (b *backfillRun) processPage(ctx workflow.Context, contacts []activities.ContactRef) error {
	p := &b.in.Progress
	links := make([]*activities.LinkWrite, len(contacts))
	errs := make([]error, len(contacts))
	inFlight := 0
	for i, c := range contacts {
		p.Scanned++
		if c.Email == "" {
			b.skip(SkipNoEmail)
			continue
		}
		if b.in.DryRun {
			p.Eligible++
			continue
		}
		if err := workflow.Await(ctx, func() bool { return inFlight < b.in.Concurrency }); err != nil {
			return err
		}
		if err := b.waitWhilePaused(ctx); err != nil {
			return err
		}
		inFlight++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { inFlight-- }()
			links[i], errs[i] = linkInExtole(ctx, c.Email, b.in.Label)
		})
	}
	if err := workflow.Await(ctx, func() bool { return inFlight == 0 }); err != nil {
		return err
	}

	singleWriter := workflow.GetVersion(ctx, singleWriterChange, workflow.DefaultVersion, 1) >= 1
	var writes []activities.LinkWrite
	for i, l := range links {
		switch {
		case errs[i] != nil:
			b.fail(contacts[i].Email, failureReason(errs[i]))
		case l != nil && singleWriter:
			// The search returned what the contact has: only what it lacks is written.
			if w, ok := onlyMissing(*l, activities.LinkWrite{ShareLink: contacts[i].ShareLink, ShareCode: contacts[i].ShareCode}); ok {
				writes = append(writes, w)
			} else {
				b.skip(SkipOtherLink)
			}
		case l != nil:
			writes = append(writes, *l)
		}
	}
	if len(writes) == 0 {
		return nil
	}
	var h *activities.HubSpot
	var res activities.WriteLinksResult
	if err := workflow.ExecuteActivity(withHubSpotBackfill(ctx), h.WriteLinks, writes).Get(ctx, &res); err != nil {
		return err
	}
	p.Linked += res.Written
	for _, f := range res.Failed {
		b.fail(f.Email, f.Reason)
	}
	if singleWriter {
		return reassertWritten(ctx, writes, res.Failed)
	}
	return nil
}

// linkInExtole gets or creates the advocate's person and shareable, as Extole's own Salesforce backfill
// does (reference extole.md §3.1). Each call is its own activity on the backfill's Extole task queue.
func linkInExtole(ctx workflow.Context, email, label string) (*activities.LinkWrite, error) {
	var a *activities.Extole
	ctx = withExtoleBackfill(ctx)
	var person activities.PersonRef
	if err := workflow.ExecuteActivity(ctx, a.FindPerson, email).Get(ctx, &person); err != nil {
		return nil, err
	}
	if !person.Found {
		if err := workflow.ExecuteActivity(ctx, a.CreatePerson, email).Get(ctx, &person); err != nil {
			return nil, err
		}
		if person.Exists { // created meanwhile (a repeated attempt, or Extole itself): look it up
			if err := workflow.ExecuteActivity(ctx, a.FindPerson, email).Get(ctx, &person); err != nil {
				return nil, err
			}
			if !person.Found {
				return nil, fmt.Errorf("extole reported %s taken but finds no person", MaskEmail(email))
			}
		}
	}
	in := activities.ShareableInput{PersonID: person.ID, Label: label}
	var s activities.ShareableRef
	if err := workflow.ExecuteActivity(ctx, a.CreateShareable, in).Get(ctx, &s); err != nil {
		return nil, err
	}
	if s.Taken {
		if err := workflow.ExecuteActivity(ctx, a.FindShareable, in).Get(ctx, &s); err != nil {
			return nil, err
		}
	}
	return &activities.LinkWrite{Email: email, ShareLink: s.Link, ShareCode: s.Code}, nil
}

func (b *backfillRun) skip(reason string) {
	p := &b.in.Progress
	p.Skipped++
	if p.SkippedReasons == nil {
		p.SkippedReasons = map[string]int{}
	}
	p.SkippedReasons[reason]++
}

func (b *backfillRun) fail(email, reason string) {
	p := &b.in.Progress
	p.Failed++
	p.Failures = append(p.Failures, MaskEmail(email)+": "+reason)
	if len(p.Failures) > keepFailureSamples {
		p.Failures = p.Failures[len(p.Failures)-keepFailureSamples:]
	}
}

// report refreshes the derived figures and the details shown in the Web UI.
func (b *backfillRun) report(ctx workflow.Context) {
	p := &b.in.Progress
	p.UpdatedAt = workflow.Now(ctx)
	if minutes := p.UpdatedAt.Sub(p.StartedAt).Minutes(); minutes > 0 {
		p.RatePerMinute = float64(p.Scanned) / minutes
	}
	if p.RatePerMinute > 0 {
		p.ETA = time.Duration(float64(p.Remaining) / p.RatePerMinute * float64(time.Minute))
	}
	workflow.SetCurrentDetails(ctx, p.Summary())
}

// failureReason is the API's own message without Temporal's activity-error wrapping.
func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Error()
	}
	return err.Error()
}

// singleWriterChange versions the backfill and import change that stopped them overwriting a link the
// contact's ShareLinkSync had written.
const singleWriterChange = "backfill-single-writer"

// One writer wins, and it is the webhook's. The backfill and the import write only the properties a
// contact lacks, so a link already there is never overwritten; and after each batch write they signal
// the written contacts' ShareLinkSync workflows to re-assert their link. That covers the race left: if
// ShareLinkSync wrote after the contact was read but before the batch landed, it is still open (it holds
// 24 h after a write) and rewrites its link on the signal; if it writes after the batch, it wins anyway.

// onlyMissing drops from l what the contact already has; false when nothing is left to write. A contact
// holding one half of a link keeps it and gets the other half only from the same shareable: a code next
// to another shareable's link (or the reverse) would not match what the advocate shares.
func onlyMissing(l, current activities.LinkWrite) (activities.LinkWrite, bool) {
	switch {
	case current.ShareLink != "" && current.ShareCode != "":
		return l, false
	case current.ShareLink != "":
		if !sameLink(current.ShareLink, l.ShareLink) {
			return l, false
		}
		l.ShareLink = ""
	case current.ShareCode != "":
		if current.ShareCode != l.ShareCode {
			return l, false
		}
		l.ShareCode = ""
	}
	return l, l.ShareLink != "" || l.ShareCode != ""
}

// sameLink compares links as the webhook stores them (scheme added, trailing slash ignored).
func sameLink(a, b string) bool {
	na, errA := contact.NormalizeShareLink(a)
	nb, errB := contact.NormalizeShareLink(b)
	return errA == nil && errB == nil && strings.TrimSuffix(na, "/") == strings.TrimSuffix(nb, "/")
}

// missingLinks reads the contacts' current values (one batch read on the backfill's HubSpot queue) and
// keeps of each link only what its contact lacks. A contact that does not exist yet lacks everything.
func missingLinks(ctx workflow.Context, links []activities.LinkWrite) ([]activities.LinkWrite, error) {
	emails := make([]string, len(links))
	for i, l := range links {
		emails[i] = l.Email
	}
	var h *activities.HubSpot
	var current []activities.LinkWrite
	if err := workflow.ExecuteActivity(withHubSpotBackfill(ctx), h.ReadLinks, emails).Get(ctx, &current); err != nil {
		return nil, err
	}
	have := make(map[string]activities.LinkWrite, len(current))
	for _, c := range current {
		have[NormalizeEmail(c.Email)] = c
	}
	var out []activities.LinkWrite
	for _, l := range links {
		if w, ok := onlyMissing(l, have[NormalizeEmail(l.Email)]); ok {
			out = append(out, w)
		}
	}
	return out, nil
}

// reassertWritten signals the ShareLinkSync workflows of the contacts a batch wrote.
func reassertWritten(ctx workflow.Context, writes []activities.LinkWrite, failed []activities.WriteFailure) error {
	refused := make(map[string]bool, len(failed))
	for _, f := range failed {
		refused[NormalizeEmail(f.Email)] = true
	}
	var ids []string
	for _, w := range writes {
		if !refused[NormalizeEmail(w.Email)] {
			ids = append(ids, ShareLinkWorkflowID(w.Email))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var t *activities.Temporal
	ctx = workflow.WithActivityOptions(ctx, apiActivityOptions(TaskQueue))
	in := activities.SignalWorkflowsInput{WorkflowIDs: ids, Signal: ShareLinkReassertSignal}
	return workflow.ExecuteActivity(ctx, t.SignalWorkflows, in).Get(ctx, nil)
}
