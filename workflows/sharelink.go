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

// Names of the ShareLinkSync message handlers. The webhook submits a link with the update (so it can
// answer "accepted" or "duplicate"); when no worker answers in time it falls back to the signal, which
// the server records durably without a worker.
const (
	ShareLinkUpdate = "submit-share-link"
	ShareLinkSignal = "share-link"
	ShareLinkQuery  = "state"
	// ShareLinkReassertSignal (no payload) asks the workflow to write its applied link again: the backfill
	// and import send it after their batch wrote the contact, so a link from the webhook always wins.
	ShareLinkReassertSignal = "reassert"
)

// Outcomes of submitting a link.
const (
	LinkAccepted   = "accepted"
	LinkDuplicate  = "duplicate"  // this exact link was already submitted to this contact's workflow
	LinkSuperseded = "superseded" // an Extole event newer than this one already set the contact's link
)

// DefaultShareLinkHold is how long a contact's ShareLinkSync stays open after its last write, absorbing
// redeliveries (which then start nothing) and keeping later-wins ordering for links that arrive out of
// order. Extole retries a webhook that got no 2xx five times, after 1 s, 1 h, 3 h, 12 h and 12 h — 28 h in
// all (https://github.com/extole/product-docs, webhooks/index.mdx) — so the hold outlasts the last retry.
const DefaultShareLinkHold = 30 * time.Hour

// firstFormShareLinkHold is the hold of executions recorded before shareLinkChange.
const firstFormShareLinkHold = 24 * time.Hour

// maxShareLinkHistory is a hard cap on a run's history, should the server never suggest continue-as-new:
// above its default suggestion (4,096 events), far below its limits.
const maxShareLinkHistory = 8000

// keepSeenKeys bounds the remembered link keys (carried across continue-as-new).
const keepSeenKeys = 50

// ShareLink is one share link Extole reported for a contact.
type ShareLink struct {
	Email      string            `json:"email"`
	Properties map[string]string `json:"properties"` // share_link, share_code and whatever else Extole sent
	At         time.Time         `json:"at"`         // the Extole event's time when it sent one, else arrival at the webhook
	Key        string            `json:"key"`        // identity of this delivery's content: same link again = same key
	// ReceivedAt is when the webhook arrived, for bridge_delivery_latency_seconds (zero: not observed).
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// ShareLinkState is the workflow's input and its continue-as-new state: never a list of contacts, only
// this one contact's pending links and what was applied last.
type ShareLinkState struct {
	Email   string        `json:"email"`
	Hold    time.Duration `json:"hold,omitempty"` // 0 = DefaultShareLinkHold
	Pending []ShareLink   `json:"pending,omitempty"`
	Applied *AppliedLink  `json:"applied,omitempty"`
	Seen    []string      `json:"seen,omitempty"`
	// Superseded are share_link values replaced by a newer link in this workflow: they never win again.
	Superseded []string `json:"superseded,omitempty"`
	// HoldFrom is when the hold began: the last write, else the first run's start. Carried across
	// continue-as-new, so neither duplicates nor a new run restart it.
	HoldFrom time.Time `json:"hold_from,omitzero"`
	Reassert bool      `json:"reassert,omitempty"` // a reassert signal is waiting to be handled
}

// AppliedLink is the link the contact carries now.
type AppliedLink struct {
	Key       string    `json:"key"`
	At        time.Time `json:"at"`
	ShareCode string    `json:"share_code,omitempty"`
	ShareLink string    `json:"share_link"`
	ContactID string    `json:"contact_id"`
	Created   bool      `json:"created"`
	// Dropped are the properties HubSpot refused, left out so the link itself could be written.
	Dropped []activities.RejectedProperty `json:"dropped,omitempty"`
}

// ShareLinkAck answers a submission.
type ShareLinkAck struct {
	Status string `json:"status"`
}

// ShareLinkWorkflowID is one workflow per contact: every link for a contact goes through the same
// workflow, which writes one at a time, so two links never interleave their writes.
func ShareLinkWorkflowID(email string) string {
	return "share-link/" + contact.HashEmail(email)
}

// ShareLinkStartOptions start (or join, USE_EXISTING) the contact's workflow. A closed run does not
// block a new link (ALLOW_DUPLICATE): the new run writes it.
func ShareLinkStartOptions(email string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       ShareLinkWorkflowID(email),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(ContactEmailHash.ValueSet(contact.HashEmail(email))),
		StaticSummary:            "share link for " + contact.MaskEmail(email) + " → HubSpot",
		Priority:                 liveWorkflowPriority,
	}
}

// shareLinkChange versions ShareLinkSync's second form: rejected properties dropped and reported, property
// setup through ensureBridgeProperties, superseded links remembered, the hold counted from the last write,
// continue-as-new checked on every loop. Executions recorded before keep replaying the first form.
const shareLinkChange = "share-link-drop-rejected-bounded-hold"

// ShareLinkSync keeps a HubSpot contact's share_link and share_code equal to the latest link Extole
// created for it. Links arrive by update or signal; the latest by event time wins, older ones are
// skipped, repeated ones are acknowledged without a write.
//
// Ordering guarantee (per contact, within the workflow's lifetime: from the first link until the hold,
// DefaultShareLinkHold, has passed without a write; continue-as-new carries the state):
//   - Links are ordered by the event time Extole sends (timestamp or event_time, clamped to the arrival
//     time), else by arrival at the webhook. Extole's ids are not time-ordered, so they order nothing.
//   - A link already seen (same content key, kept for the last keepSeenKeys links) is a duplicate and
//     writes nothing; one older than the applied link, or whose share_link was applied and then replaced
//     (kept for the last keepSeenKeys such links), is superseded and never written.
//   - Not guaranteed: a link without event time whose first delivery never reached the bridge (answered
//     5xx, nothing recorded) is ordered by its late arrival, and so does overwrite a newer link that
//     arrived meanwhile; so does any link arriving after the workflow closed.
func ShareLinkSync(ctx workflow.Context, st ShareLinkState) (AppliedLink, error) {
	r := &shareLinkRun{st: st}
	r.version = workflow.GetVersion(ctx, shareLinkChange, workflow.DefaultVersion, 1)
	if r.st.Hold <= 0 {
		r.st.Hold = DefaultShareLinkHold
		if r.version == workflow.DefaultVersion {
			r.st.Hold = firstFormShareLinkHold
		}
	}
	if r.version > workflow.DefaultVersion && r.st.HoldFrom.IsZero() {
		r.st.HoldFrom = workflow.Now(ctx)
	}
	if err := workflow.SetQueryHandler(ctx, ShareLinkQuery, func() (ShareLinkState, error) { return r.st, nil }); err != nil {
		return AppliedLink{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ShareLinkUpdate,
		func(_ workflow.Context, l ShareLink) (ShareLinkAck, error) {
			return ShareLinkAck{Status: r.accept(l)}, nil
		},
		workflow.UpdateHandlerOptions{Validator: r.validate},
	); err != nil {
		return AppliedLink{}, err
	}
	r.signals = workflow.GetSignalChannel(ctx, ShareLinkSignal)
	r.reasserts = workflow.GetSignalChannel(ctx, ShareLinkReassertSignal)

	for {
		r.drain()
		// Checked on every loop, not only after a write: a stream of duplicates grows the history too.
		if r.version > workflow.DefaultVersion && r.continueAsNewDue(ctx) {
			return r.continueAsNew(ctx)
		}
		if len(r.st.Pending) == 0 && !r.st.Reassert {
			done, err := r.idle(ctx)
			if done || err != nil {
				return r.result(), err
			}
			continue
		}
		if len(r.st.Pending) > 0 {
			if err := r.applyLatest(ctx); err != nil {
				return r.result(), err
			}
		}
		if r.st.Reassert {
			r.reassert(ctx)
		}
		if r.version == workflow.DefaultVersion && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return r.continueAsNew(ctx)
		}
	}
}

type shareLinkRun struct {
	st        ShareLinkState
	version   workflow.Version
	ensured   bool // the bridge's HubSpot properties were created during this run
	accepted  int  // links handled by accept, whatever the outcome
	signals   workflow.ReceiveChannel
	reasserts workflow.ReceiveChannel
}

// idle waits for work until the hold ends. done: it ended with nothing left to do.
func (r *shareLinkRun) idle(ctx workflow.Context) (done bool, err error) {
	wait := r.st.Hold
	if r.version > workflow.DefaultVersion {
		// The hold runs from the last write: what arrives meanwhile (duplicates, superseded links)
		// does not extend it.
		wait = r.st.HoldFrom.Add(r.st.Hold).Sub(workflow.Now(ctx))
	}
	if wait > 0 {
		accepted := r.accepted
		ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool {
			// Any link handled, even a duplicate, wakes the loop so that it checks continue-as-new.
			return len(r.st.Pending) > 0 || r.signals.Len() > 0 || r.reasserts.Len() > 0 ||
				(r.version > workflow.DefaultVersion && r.accepted != accepted)
		})
		if ok || err != nil {
			return false, err
		}
	}
	// Idle for the whole hold: finish, but only once no message handler is mid-flight and nothing
	// arrived in the same task, so no accepted link is ever dropped.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return false, err
	}
	r.drain()
	return len(r.st.Pending) == 0 && !r.st.Reassert, nil
}

func (r *shareLinkRun) continueAsNewDue(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= maxShareLinkHistory
}

// continueAsNew hands the state (pending links and reassert included) to a fresh run.
func (r *shareLinkRun) continueAsNew(ctx workflow.Context) (AppliedLink, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return r.result(), err
	}
	r.drain()
	return AppliedLink{}, workflow.NewContinueAsNewError(ctx, ShareLinkSync, r.st)
}

// drain accepts the links that arrived by signal (the webhook's fallback when no worker answered the
// update in time) and notes reassert requests. Signals left unread when the workflow closes would be
// lost, so every exit drains.
func (r *shareLinkRun) drain() {
	var l ShareLink
	for r.signals.ReceiveAsync(&l) {
		if r.validate(l) == nil {
			r.accept(l)
		}
		l = ShareLink{}
	}
	for r.reasserts.ReceiveAsync(nil) {
		r.st.Reassert = true
	}
}

func (r *shareLinkRun) validate(l ShareLink) error {
	switch {
	case contact.NormalizeEmail(l.Email) != contact.NormalizeEmail(r.st.Email):
		return fmt.Errorf("link for %s sent to the workflow of another contact", contact.MaskEmail(l.Email))
	case l.Key == "" || l.Properties[contact.PropShareLink] == "":
		return errors.New("link without key or share_link")
	}
	return nil
}

// accept records a link and says what will happen to it. Deterministic: it only touches workflow state.
func (r *shareLinkRun) accept(l ShareLink) string {
	r.accepted++
	if slices.Contains(r.st.Seen, l.Key) {
		return LinkDuplicate
	}
	r.st.Seen = keepLast(append(r.st.Seen, l.Key))
	if r.version > workflow.DefaultVersion && slices.Contains(r.st.Superseded, l.Properties[contact.PropShareLink]) {
		return LinkSuperseded
	}
	if r.st.Applied != nil && l.At.Before(r.st.Applied.At) {
		r.supersede(l.Properties[contact.PropShareLink])
		return LinkSuperseded
	}
	r.st.Pending = append(r.st.Pending, l)
	return LinkAccepted
}

// supersede remembers a share_link that lost to a newer link, unless it is the one the contact carries.
func (r *shareLinkRun) supersede(shareLink string) {
	if r.version == workflow.DefaultVersion || (r.st.Applied != nil && r.st.Applied.ShareLink == shareLink) ||
		slices.Contains(r.st.Superseded, shareLink) {
		return
	}
	r.st.Superseded = keepLast(append(r.st.Superseded, shareLink))
}

func keepLast(s []string) []string {
	if len(s) > keepSeenKeys {
		return s[len(s)-keepSeenKeys:]
	}
	return s
}

// applyLatest writes the newest pending link and drops the others: the contact ends up with the latest
// link whatever order the deliveries came in, with one write instead of several.
func (r *shareLinkRun) applyLatest(ctx workflow.Context) error {
	logger := workflow.GetLogger(ctx)
	latest := r.st.Pending[0]
	for _, l := range r.st.Pending[1:] {
		if !l.At.Before(latest.At) { // ties: the later arrival wins
			latest = l
		}
	}
	for _, l := range r.st.Pending {
		if l.Properties[contact.PropShareLink] != latest.Properties[contact.PropShareLink] {
			r.supersede(l.Properties[contact.PropShareLink])
		}
	}
	r.st.Pending = nil
	if r.st.Applied != nil && latest.At.Before(r.st.Applied.At) {
		r.supersede(latest.Properties[contact.PropShareLink])
		logger.Info("skipping a link older than the one applied", "key", latest.Key)
		return nil
	}

	res, dropped, err := r.write(ctx, latest.Email, latest.Properties, latest.ReceivedAt)
	if err != nil {
		r.drain()
		if len(r.st.Pending) > 0 {
			// More links arrived while this one was being written: rather than fail and lose them, report
			// this one and go on with them (the contact then gets the newest of those).
			logger.Error("HubSpot rejected a share link; going on with the links that arrived meanwhile", "error", err)
			workflow.SetCurrentDetails(ctx, "HubSpot rejected link "+latest.Properties[contact.PropShareCode]+": "+err.Error())
			return nil
		}
		return err
	}
	previous := r.st.Applied
	r.st.Applied = &AppliedLink{
		Key: latest.Key, At: latest.At, ContactID: res.ContactID, Created: res.Created,
		ShareCode: latest.Properties[contact.PropShareCode], ShareLink: latest.Properties[contact.PropShareLink], Dropped: dropped,
	}
	if r.version > workflow.DefaultVersion {
		r.st.HoldFrom = workflow.Now(ctx)
		r.st.Reassert = false // this write put the newest link back anyway
		if previous != nil {
			r.supersede(previous.ShareLink)
		}
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, HubSpotContactID.ValueSet(res.ContactID)); err != nil {
		return err
	}
	code := r.st.Applied.ShareCode
	if code == "" {
		code = r.st.Applied.ShareLink
	}
	details := fmt.Sprintf("share link %s → HubSpot contact %s", code, res.ContactID)
	if len(dropped) > 0 {
		names := make([]string, 0, len(dropped))
		reasons := make([]string, 0, len(dropped))
		for _, d := range dropped {
			names = append(names, d.Property+" ("+d.Code+")")
			reasons = append(reasons, d.Property+": "+d.Reason)
		}
		// Names and codes only: HubSpot's reasons quote the refused values, which stay out of logs.
		logger.Warn("HubSpot refused properties; the link was written without them", "dropped", strings.Join(names, ", "))
		details += "; HubSpot refused, not written: " + strings.Join(reasons, "; ")
	}
	workflow.SetCurrentDetails(ctx, details)
	return nil
}

// reassert writes the applied link again because another writer (the backfill, the import) just wrote
// the contact. A failure is reported, not fatal: the link was written before, and later links still come.
func (r *shareLinkRun) reassert(ctx workflow.Context) {
	r.st.Reassert = false
	if r.st.Applied == nil {
		return
	}
	props := map[string]string{contact.PropShareLink: r.st.Applied.ShareLink}
	if r.st.Applied.ShareCode != "" {
		props[contact.PropShareCode] = r.st.Applied.ShareCode
	}
	if _, _, err := r.write(ctx, r.st.Email, props, time.Time{}); err != nil {
		workflow.GetLogger(ctx).Error("could not write the applied share link again", "error", err)
		workflow.SetCurrentDetails(ctx, "HubSpot rejected rewriting link "+r.st.Applied.ShareCode+": "+err.Error())
	}
}

// write upserts the contact. Properties HubSpot refuses are dropped and reported, so the link itself is
// written whatever else the body carried; when a bridge property is missing the bridge's properties are
// created (once per run) and the write tried again. Only a refused share_link fails it, with HubSpot's
// reason.
func (r *shareLinkRun) write(ctx workflow.Context, email string, props map[string]string, receivedAt time.Time) (activities.UpsertContactResult, []activities.RejectedProperty, error) {
	var a *activities.HubSpot
	ctx = withHubSpot(ctx)
	if r.version == workflow.DefaultVersion {
		res, err := r.writeFirstForm(ctx, email, props)
		return res, nil, err
	}
	props = maps.Clone(props)
	var dropped []activities.RejectedProperty
	for {
		var res activities.UpsertContactResult
		err := workflow.ExecuteActivity(ctx, a.UpsertContact, activities.UpsertContactInput{Email: email, Properties: props, ReceivedAt: receivedAt}).Get(ctx, &res)
		rejected, ok := rejectedProperties(err)
		if !ok {
			return res, dropped, err
		}
		create, before := false, len(dropped)
		for _, p := range rejected {
			_, sent := props[p.Property]
			switch {
			case !sent: // e.g. the email the write is keyed by: nothing to leave out
			case p.Code == activities.CodePropertyMissing && isBridgeProperty(p.Property) && !r.ensured:
				create = true
			case p.Property == contact.PropShareLink:
				return res, dropped, temporal.NewNonRetryableApplicationError(
					fmt.Sprintf("HubSpot refused share_link: %s (%s)", p.Reason, p.Code), activities.ErrTypePropertiesRejected, err)
			default:
				delete(props, p.Property)
				dropped = append(dropped, p)
			}
		}
		switch {
		case create:
			r.ensured = true
			if err := ensureBridgeProperties(ctx); err != nil {
				return res, dropped, err
			}
		case len(dropped) == before:
			return res, dropped, err // nothing left to leave out: HubSpot's error stands
		}
	}
}

// writeFirstForm is the write of executions recorded before shareLinkChange: on a missing property it
// runs EnsureProperties once and tries again.
func (r *shareLinkRun) writeFirstForm(ctx workflow.Context, email string, props map[string]string) (activities.UpsertContactResult, error) {
	var a *activities.HubSpot
	in := activities.UpsertContactInput{Email: email, Properties: props}
	var res activities.UpsertContactResult
	err := workflow.ExecuteActivity(ctx, a.UpsertContact, in).Get(ctx, &res)
	if err != nil && !r.ensured && propertyMissing(err) {
		r.ensured = true
		if err := workflow.ExecuteActivity(ctx, a.EnsureProperties).Get(ctx, nil); err != nil {
			return res, err
		}
		err = workflow.ExecuteActivity(ctx, a.UpsertContact, in).Get(ctx, &res)
	}
	return res, err
}

// rejectedProperties returns the properties of an activities.ErrTypePropertiesRejected failure.
func rejectedProperties(err error) ([]activities.RejectedProperty, bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrTypePropertiesRejected {
		return nil, false
	}
	var rejected []activities.RejectedProperty
	if appErr.Details(&rejected) != nil {
		return nil, false
	}
	return rejected, true
}

// propertyMissing recognises a write refused over a property that does not exist, in either form.
func propertyMissing(err error) bool {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypePropertyMissing {
		return true
	}
	rejected, _ := rejectedProperties(err)
	return slices.ContainsFunc(rejected, func(p activities.RejectedProperty) bool { return p.Code == activities.CodePropertyMissing })
}

func isBridgeProperty(name string) bool {
	return slices.ContainsFunc(contact.Properties, func(d contact.Property) bool { return d.Name == name })
}

func (r *shareLinkRun) result() AppliedLink {
	if r.st.Applied == nil {
		return AppliedLink{}
	}
	return *r.st.Applied
}
