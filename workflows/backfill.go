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
	"github.com/hubspot-extole/bridge/internal/hubspot"
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
	DefaultBackfillPageSize    = hubspot.MaxBatchSize // one HubSpot batch write per page
	DefaultBackfillConcurrency = 100                  // contacts in flight per page; the task-queue limits pace them
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
	DryRun      bool   `json:"dry_run,omitempty"`
	Label       string `json:"label"` // Extole program label (EXTOLE_SHARE_LABEL)
	PageSize    int    `json:"page_size,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
	// Route is BackfillRouteAPI ("" too) or BackfillRouteEvents (BACKFILL_ROUTE).
	Route     string `json:"route,omitempty"`
	EventName string `json:"event_name,omitempty"` // the event route's event (BACKFILL_EVENT_NAME)
	// LinkWait bounds how long the event route waits for the links to come back through the webhook;
	// LinkPoll is how often it counts them. Zero = the defaults.
	LinkWait time.Duration    `json:"link_wait,omitempty"`
	LinkPoll time.Duration    `json:"link_poll,omitempty"`
	Progress BackfillProgress `json:"progress"`
}

// Backfill routes (BACKFILL_ROUTE).
const (
	BackfillRouteAPI    = "api"    // get-or-create person and shareable, write the link back: 2 Extole calls a contact
	BackfillRouteEvents = "events" // one event a contact; Extole's extension sends the link to our webhook
)

// Event-route defaults.
const (
	DefaultBackfillEventName = "hubspot_backfill"
	DefaultBackfillLinkWait  = 10 * time.Minute // Extole's first webhook retry comes after 1 s, the next after 1 h
	DefaultBackfillLinkPoll  = 10 * time.Second
)

// Event-route phases.
const (
	PhaseSending = "sending"
	PhaseWaiting = "waiting for links"
)

// rateWindow is the span the rate is measured over: the recent pace, not the average since the start.
const rateWindow = time.Minute

// BackfillProgress is what the progress query, the Web UI details and `starter backfill status` show.
type BackfillProgress struct {
	DryRun         bool           `json:"dry_run,omitempty"`
	Route          string         `json:"route,omitempty"`
	Phase          string         `json:"phase,omitempty"` // event route: PhaseSending, then PhaseWaiting
	StartedAt      time.Time      `json:"started_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	Total          int            `json:"total"`                  // HubSpot's count of contacts lacking a link at the start (grows if more appear)
	Scanned        int            `json:"scanned"`                // contacts lacking a link that were visited
	Linked         int            `json:"linked"`                 // API route: contacts that got share_link and share_code
	Sent           int            `json:"sent,omitempty"`         // event route: events Extole accepted
	Received       int            `json:"received,omitempty"`     // event route: sent contacts that now have their link
	NotReceived    []string       `json:"not_received,omitempty"` // masked samples still lacking a link (their event failed, or the link did not come back)
	Eligible       int            `json:"eligible,omitempty"`     // dry run: contacts that would be linked
	Skipped        int            `json:"skipped"`
	SkippedReasons map[string]int `json:"skipped_reasons,omitempty"`
	Failed         int            `json:"failed"`
	Failures       []string       `json:"failures,omitempty"` // the latest few, "email: reason"
	Cursor         string         `json:"cursor"`             // hs_object_id of the last contact visited
	Remaining      int            `json:"remaining"`          // HubSpot's count of contacts still lacking a link past the cursor
	RatePerMinute  float64        `json:"rate_per_minute"`    // contacts done per minute over the last minute
	ETA            time.Duration  `json:"eta"`                // the eligible contacts left at RatePerMinute; 0 = unknown
	Window         []RateSample   `json:"window,omitempty"`   // samples of the last minute the rate is measured on
	Paused         bool           `json:"paused,omitempty"`
	Done           bool           `json:"done,omitempty"`
	Generations    int            `json:"generations"` // continue-as-new count
	// PropertiesReady: share_link and share_code exist in HubSpot.
	PropertiesReady bool `json:"properties_ready,omitempty"`
}

// RateSample is the done count at a moment.
type RateSample struct {
	At   time.Time `json:"at"`
	Done int       `json:"done"`
}

// DoneCount is what the bar counts: contacts linked (API route), events sent and then links received
// (event route), contacts found eligible (dry run). Scanning alone is not progress.
func (p BackfillProgress) DoneCount() int {
	if p.Route == BackfillRouteEvents && !p.DryRun && (p.Phase == PhaseWaiting || p.Done) {
		return p.Received
	}
	return p.paceCount()
}

// paceCount is what the rate counts: the route's own work, linking or sending.
func (p BackfillProgress) paceCount() int {
	switch {
	case p.DryRun:
		return p.Eligible
	case p.Route == BackfillRouteEvents:
		return p.Sent
	}
	return p.Linked
}

// handled counts the eligible contacts dealt with: linked or sent, skipped, or failed.
func (p BackfillProgress) handled() int { return p.paceCount() + p.Skipped + p.Failed }

// Left is the eligible contacts not yet handled.
func (p BackfillProgress) Left() int { return max(p.Total-p.handled(), 0) }

// measure records a sample at now and derives the rate over the last minute and the ETA of the
// contacts left. The sample just before the window is kept as its baseline, so a page that took longer
// than a minute still yields a rate; samples less than a second apart are merged to bound the state.
func (p *BackfillProgress) measure(now time.Time) {
	sample := RateSample{At: now, Done: p.paceCount()}
	if n := len(p.Window); n > 1 && now.Sub(p.Window[n-2].At) < time.Second {
		p.Window[n-1] = sample
	} else {
		p.Window = append(p.Window, sample)
	}
	first := 0
	for first < len(p.Window)-1 && !p.Window[first+1].At.After(now.Add(-rateWindow)) {
		first++
	}
	p.Window = p.Window[first:]
	p.RatePerMinute, p.ETA = 0, 0
	if span := now.Sub(p.Window[0].At); span > 0 {
		p.RatePerMinute = float64(sample.Done-p.Window[0].Done) / span.Minutes()
	}
	if p.RatePerMinute > 0 {
		p.ETA = time.Duration(float64(p.Left()) / p.RatePerMinute * float64(time.Minute))
	}
}

// Summary is a one-line rendering for the Web UI and the terminal.
func (p BackfillProgress) Summary() string {
	var b strings.Builder
	switch {
	case p.DryRun:
		fmt.Fprintf(&b, "dry run: would link %d of %d eligible (scanned %d)", p.Eligible, p.Total, p.Scanned)
	case p.Route == BackfillRouteEvents:
		fmt.Fprintf(&b, "sent %d of %d eligible, links received %d of %d sent", p.Sent, p.Total, p.Received, p.Sent)
	default:
		fmt.Fprintf(&b, "linked %d of %d eligible (scanned %d)", p.Linked, p.Total, p.Scanned)
	}
	fmt.Fprintf(&b, ", skipped %d, failed %d", p.Skipped, p.Failed)
	//workflowcheck:ignore the keys are sorted before use
	for _, reason := range slices.Sorted(maps.Keys(p.SkippedReasons)) {
		fmt.Fprintf(&b, " (%s: %d)", reason, p.SkippedReasons[reason])
	}
	switch {
	case p.Done && p.Received < p.Sent:
		fmt.Fprintf(&b, " — done; %d links did not come back", p.Sent-p.Received)
	case p.Done:
		b.WriteString(" — done")
	case p.Paused:
		b.WriteString(" — paused")
	case p.Phase == PhaseWaiting:
		b.WriteString(" — waiting for the links")
	case p.ETA > 0:
		fmt.Fprintf(&b, " — %.0f/min over the last minute, %d left, ETA %s", p.RatePerMinute, p.Left(), p.ETA.Round(time.Second))
	default:
		fmt.Fprintf(&b, " — %d left, none done in the last minute", p.Left())
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
		Priority:                                 BackfillWorkflowPriority,
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
	if b.in.PageSize <= 0 || b.in.PageSize > hubspot.MaxBatchSize {
		b.in.PageSize = DefaultBackfillPageSize
	}
	if b.in.Concurrency <= 0 {
		b.in.Concurrency = DefaultBackfillConcurrency
	}
	if b.in.Route == "" {
		b.in.Route = BackfillRouteAPI
	}
	if b.in.EventName == "" {
		b.in.EventName = DefaultBackfillEventName
	}
	if b.in.LinkWait <= 0 {
		b.in.LinkWait = DefaultBackfillLinkWait
	}
	if b.in.LinkPoll <= 0 {
		b.in.LinkPoll = DefaultBackfillLinkPoll
	}
	if p.Route == "" {
		p.Route = b.in.Route
		if p.Route == BackfillRouteEvents {
			p.Phase = PhaseSending
		}
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

	if workflow.GetVersion(ctx, pipelinedPagesChange, workflow.DefaultVersion, 1) >= 1 {
		return b.pipelined(ctx)
	}
	for {
		if err := b.waitWhilePaused(ctx); err != nil {
			return *p, err
		}
		page, err := b.search(ctx, p.Cursor)
		if err != nil {
			return *p, err
		}
		if p.Cursor == "" && p.Total == 0 {
			p.Total = page.Remaining // HubSpot's count of every contact lacking a link
		}
		if len(page.Contacts) == 0 {
			err := b.end(ctx) // before *p is read: it sets Done
			return *p, err
		}
		if err := b.processPage(ctx, page.Contacts); err != nil {
			return *p, err
		}
		p.Cursor = page.Contacts[len(page.Contacts)-1].ID
		p.Remaining = max(page.Remaining-len(page.Contacts), 0)
		p.Total = max(p.Total, p.handled()+p.Remaining) // contacts that appeared meanwhile are eligible too
		b.report(ctx)

		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			b.drainSignals() // a signal not received before continue-as-new would be lost
			p.Generations++
			return *p, workflow.NewContinueAsNewError(ctx, ShareLinkBackfill, b.in)
		}
	}
}

type backfillRun struct {
	in       BackfillInput
	pause    workflow.ReceiveChannel
	inFlight int // contacts being linked or sent, across pages
}

// pipelinedPagesChange versions the loop that searches and starts the next page while the previous
// page's last contacts and its batch write finish: the Extole budget no longer idles at each page
// boundary (a search, a batch write and a signal, about a second every 100 contacts).
const pipelinedPagesChange = "backfill-pipelined-pages"

// pipelined is the page loop with one page in flight behind the one being started. The cursor, carried
// across continue-as-new, only moves past a page once its batch write is done.
func (b *backfillRun) pipelined(ctx workflow.Context) (BackfillProgress, error) {
	p := &b.in.Progress
	next := p.Cursor // where the next search starts: past the last page started
	var prev *pageWork
	for {
		if err := b.waitWhilePaused(ctx); err != nil {
			return *p, err
		}
		page, err := b.search(ctx, next)
		if err != nil {
			return *p, err
		}
		if next == "" && p.Total == 0 {
			p.Total = page.Remaining // HubSpot's count of every contact lacking a link
		}
		if len(page.Contacts) == 0 {
			if prev != nil {
				if err := b.complete(ctx, prev); err != nil {
					return *p, err
				}
			}
			err := b.end(ctx) // before *p is read: it sets Done
			return *p, err
		}
		w, err := b.start(ctx, page.Contacts) // returns once the previous page's contacts are done
		if err != nil {
			return *p, err
		}
		w.remaining = page.Remaining
		next = w.cursor
		if prev != nil {
			if err := b.complete(ctx, prev); err != nil { // its write overlaps this page's Extole calls
				return *p, err
			}
		}
		prev = w

		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := b.complete(ctx, prev); err != nil {
				return *p, err
			}
			b.drainSignals() // a signal not received before continue-as-new would be lost
			p.Generations++
			return *p, workflow.NewContinueAsNewError(ctx, ShareLinkBackfill, b.in)
		}
	}
}

// end finishes a run that has visited every contact: the event route waits for the links to come back.
func (b *backfillRun) end(ctx workflow.Context) error {
	p := &b.in.Progress
	if p.Route == BackfillRouteEvents && !p.DryRun && p.Sent > 0 {
		if err := b.awaitLinks(ctx); err != nil {
			return err
		}
	}
	p.Done, p.Remaining = true, 0
	b.report(ctx)
	p.ETA, p.RatePerMinute = 0, 0
	return nil
}

// complete finishes a started page and moves the cursor past it.
func (b *backfillRun) complete(ctx workflow.Context, w *pageWork) error {
	if err := b.finish(ctx, w); err != nil {
		return err
	}
	p := &b.in.Progress
	p.Cursor = w.cursor
	p.Remaining = max(w.remaining-len(w.contacts), 0)
	p.Total = max(p.Total, p.handled()+p.Remaining) // contacts that appeared meanwhile are eligible too
	b.report(ctx)
	return nil
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

func (b *backfillRun) search(ctx workflow.Context, after string) (activities.UnlinkedPage, error) {
	var h *activities.HubSpot
	var page activities.UnlinkedPage
	err := workflow.ExecuteActivity(withHubSpotSearch(ctx), h.SearchUnlinked,
		activities.SearchUnlinkedInput{AfterID: after, Limit: b.in.PageSize}).Get(ctx, &page)
	return page, err
}

// awaitLinks polls HubSpot until every contact the event route sent has its link (written by
// ShareLinkSync when Extole's extension calls our webhook), or LinkWait has passed.
func (b *backfillRun) awaitLinks(ctx workflow.Context) error {
	p := &b.in.Progress
	p.Phase = PhaseWaiting
	deadline := workflow.Now(ctx).Add(b.in.LinkWait)
	for {
		missing, samples, err := b.stillLacking(ctx)
		if err != nil {
			return err
		}
		// Contacts whose event failed were never sent; they are still lacking too.
		notBack := max(missing-p.Failed, 0)
		p.Received = max(p.Sent-notBack, 0)
		p.NotReceived = nil
		if notBack > 0 {
			p.NotReceived = samples
		}
		b.report(ctx)
		if notBack == 0 || !workflow.Now(ctx).Before(deadline) {
			return nil
		}
		if err := workflow.Sleep(ctx, b.in.LinkPoll); err != nil {
			return err
		}
	}
}

// stillLacking counts the visited contacts with an email that still lack a link, with a few masked
// samples. The search returns only contacts lacking a link, so when the links are back it is one call.
func (b *backfillRun) stillLacking(ctx workflow.Context) (int, []string, error) {
	var n int
	var samples []string
	after := ""
	for {
		page, err := b.search(ctx, after)
		if err != nil {
			return 0, nil, err
		}
		for _, c := range page.Contacts {
			if idAfter(c.ID, b.in.Progress.Cursor) {
				return n, samples, nil
			}
			if c.Email != "" {
				n++
				if len(samples) < keepFailureSamples {
					samples = append(samples, contactLabel(c))
				}
			}
		}
		if len(page.Contacts) < b.in.PageSize {
			return n, samples, nil
		}
		after = page.Contacts[len(page.Contacts)-1].ID
	}
}

// idAfter compares hs_object_ids, which are decimal numbers without leading zeros.
func idAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// pageWork is one page of contacts being linked (or sent), and what came back for each.
type pageWork struct {
	contacts  []activities.ContactRef
	links     []*activities.LinkWrite
	errs      []error
	pending   int    // contacts of this page still in flight
	cursor    string // the page's last hs_object_id
	remaining int    // HubSpot's count of contacts lacking a link from the page on
}

// processPage links one page: contacts in parallel (bounded), then one batch write.
func (b *backfillRun) processPage(ctx workflow.Context, contacts []activities.ContactRef) error {
	w, err := b.start(ctx, contacts)
	if err != nil {
		return err
	}
	return b.finish(ctx, w)
}

// start sets the page's contacts going, at most Concurrency in flight across pages, and returns once the
// last one has started.
func (b *backfillRun) start(ctx workflow.Context, contacts []activities.ContactRef) (*pageWork, error) {
	p := &b.in.Progress
	w := &pageWork{contacts: contacts, links: make([]*activities.LinkWrite, len(contacts)),
		errs: make([]error, len(contacts)), cursor: contacts[len(contacts)-1].ID}
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
		if err := workflow.Await(ctx, func() bool { return b.inFlight < b.in.Concurrency }); err != nil {
			return nil, err
		}
		if err := b.waitWhilePaused(ctx); err != nil {
			return nil, err
		}
		b.inFlight++
		w.pending++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { b.inFlight--; w.pending-- }()
			if b.in.Route == BackfillRouteEvents {
				w.errs[i] = b.sendEvent(ctx, c)
				return
			}
			w.links[i], w.errs[i] = linkInExtole(ctx, c.Email, b.in.Label)
		})
	}
	return w, nil
}

// finish waits for the page's contacts, reports their failures and writes their links in one batch.
func (b *backfillRun) finish(ctx workflow.Context, w *pageWork) error {
	p := &b.in.Progress
	if err := workflow.Await(ctx, func() bool { return w.pending == 0 }); err != nil {
		return err
	}
	contacts, links, errs := w.contacts, w.links, w.errs
	if b.in.Route == BackfillRouteEvents {
		for i, err := range errs {
			if err != nil {
				b.fail(contacts[i], failureReason(err))
			}
		}
		return nil
	}

	singleWriter := workflow.GetVersion(ctx, singleWriterChange, workflow.DefaultVersion, 1) >= 1
	var writes []activities.LinkWrite
	for i, l := range links {
		switch {
		case errs[i] != nil:
			b.fail(contacts[i], failureReason(errs[i]))
		case l != nil && singleWriter:
			// The search returned what the contact has: only what it lacks is written.
			if lw, ok := onlyMissing(*l, activities.LinkWrite{ShareLink: contacts[i].ShareLink, ShareCode: contacts[i].ShareCode}); ok {
				writes = append(writes, lw)
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
	byEmail := make(map[string]activities.ContactRef, len(contacts))
	for _, c := range contacts {
		byEmail[contact.NormalizeEmail(c.Email)] = c
	}
	for _, f := range res.Failed {
		c, ok := byEmail[contact.NormalizeEmail(f.Email)]
		if !ok {
			c = activities.ContactRef{Email: f.Email}
		}
		b.fail(c, f.Reason)
	}
	if singleWriter {
		return reassertWritten(ctx, writes, res.Failed)
	}
	return nil
}

// sendEvent sends the contact's backfill event: the event route's one Extole call per contact.
func (b *backfillRun) sendEvent(ctx workflow.Context, c activities.ContactRef) error {
	var a *activities.Extole
	in := activities.BackfillEventInput{EventName: b.in.EventName, Contact: c}
	if err := workflow.ExecuteActivity(withExtoleBackfill(ctx), a.SendBackfillEvent, in).Get(ctx, nil); err != nil {
		return err
	}
	b.in.Progress.Sent++
	b.report(ctx)
	return nil
}

// createFirstChange versions linkInExtole's create-first order: a contact Extole does not know yet costs 2
// calls (create person, create shareable) instead of 3; the lookup runs only when the create answers
// identity_key_value_already_taken.
const createFirstChange = "backfill-create-person-first"

// linkInExtole gets or creates the advocate's person and shareable, as Extole's own Salesforce backfill does
// (docs/extole-api.md#persons-and-shareables). Each call is its own activity on the backfill's Extole task
// queue.
func linkInExtole(ctx workflow.Context, email, label string) (*activities.LinkWrite, error) {
	var a *activities.Extole
	ctx = withExtoleBackfill(ctx)
	var person activities.PersonRef
	if workflow.GetVersion(ctx, createFirstChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		if err := workflow.ExecuteActivity(ctx, a.FindPerson, email).Get(ctx, &person); err != nil {
			return nil, err
		}
	}
	if !person.Found {
		if err := workflow.ExecuteActivity(ctx, a.CreatePerson, email).Get(ctx, &person); err != nil {
			return nil, err
		}
		if person.Exists { // Extole knows the email already (an earlier run, or Extole itself): look it up
			if err := workflow.ExecuteActivity(ctx, a.FindPerson, email).Get(ctx, &person); err != nil {
				return nil, err
			}
			if !person.Found {
				return nil, fmt.Errorf("extole reported %s taken but finds no person", contact.MaskEmail(email))
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

func (b *backfillRun) fail(c activities.ContactRef, reason string) {
	p := &b.in.Progress
	p.Failed++
	p.Failures = append(p.Failures, contactLabel(c)+": "+reason)
	if len(p.Failures) > keepFailureSamples {
		p.Failures = p.Failures[len(p.Failures)-keepFailureSamples:]
	}
}

// contactLabel names a contact in progress reports by the HubSpot record id an operator can open, not
// by its address (masked to the domain).
func contactLabel(c activities.ContactRef) string {
	if c.ID == "" {
		return contact.MaskEmail(c.Email)
	}
	return "contact " + c.ID + " (" + contact.MaskEmail(c.Email) + ")"
}

// report refreshes the derived figures and the details shown in the Web UI.
func (b *backfillRun) report(ctx workflow.Context) {
	p := &b.in.Progress
	p.UpdatedAt = workflow.Now(ctx)
	p.measure(p.UpdatedAt)
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
		have[contact.NormalizeEmail(c.Email)] = c
	}
	var out []activities.LinkWrite
	for _, l := range links {
		if w, ok := onlyMissing(l, have[contact.NormalizeEmail(l.Email)]); ok {
			out = append(out, w)
		}
	}
	return out, nil
}

// reassertWritten signals the ShareLinkSync workflows of the contacts a batch wrote.
func reassertWritten(ctx workflow.Context, writes []activities.LinkWrite, failed []activities.WriteFailure) error {
	refused := make(map[string]bool, len(failed))
	for _, f := range failed {
		refused[contact.NormalizeEmail(f.Email)] = true
	}
	var ids []string
	for _, w := range writes {
		if !refused[contact.NormalizeEmail(w.Email)] {
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
