package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hubspot-extole/bridge/activities"
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
)

// Outcomes of submitting a link.
const (
	LinkAccepted   = "accepted"
	LinkDuplicate  = "duplicate"  // this exact link was already submitted to this contact's workflow
	LinkSuperseded = "superseded" // an Extole event newer than this one already set the contact's link
)

// DefaultShareLinkHold is how long a contact's ShareLinkSync stays open after its last write, absorbing
// redeliveries (which then start nothing) and keeping later-wins ordering for links that arrive out of
// order. Extole redelivers a failed webhook after 1 s, 1 h, 3 h and 12 h.
const DefaultShareLinkHold = 24 * time.Hour

// keepSeenKeys bounds the remembered link keys (carried across continue-as-new).
const keepSeenKeys = 50

// ShareLink is one share link Extole reported for a contact.
type ShareLink struct {
	Email      string            `json:"email"`
	Properties map[string]string `json:"properties"` // share_link, share_code and whatever else Extole sent
	At         time.Time         `json:"at"`         // the Extole event's time when it sent one, else arrival at the webhook
	Key        string            `json:"key"`        // identity of this delivery's content: same link again = same key
}

// ShareLinkState is the workflow's input and its continue-as-new state: never a list of contacts, only
// this one contact's pending links and what was applied last.
type ShareLinkState struct {
	Email   string        `json:"email"`
	Hold    time.Duration `json:"hold,omitempty"` // 0 = DefaultShareLinkHold
	Pending []ShareLink   `json:"pending,omitempty"`
	Applied *AppliedLink  `json:"applied,omitempty"`
	Seen    []string      `json:"seen,omitempty"`
}

// AppliedLink is the link the contact carries now.
type AppliedLink struct {
	Key       string    `json:"key"`
	At        time.Time `json:"at"`
	ShareCode string    `json:"share_code,omitempty"`
	ShareLink string    `json:"share_link"`
	ContactID string    `json:"contact_id"`
	Created   bool      `json:"created"`
}

// ShareLinkAck answers a submission.
type ShareLinkAck struct {
	Status string `json:"status"`
}

// ShareLinkWorkflowID is one workflow per contact: every link for a contact goes through the same
// workflow, which writes one at a time, so two links never interleave their writes.
func ShareLinkWorkflowID(email string) string {
	return "share-link/" + HashEmail(email)
}

// ShareLinkStartOptions start (or join, USE_EXISTING) the contact's workflow. A closed run does not
// block a new link (ALLOW_DUPLICATE): the new run writes it.
func ShareLinkStartOptions(email string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       ShareLinkWorkflowID(email),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(ContactEmailHash.ValueSet(HashEmail(email))),
		StaticSummary:            "share link for " + MaskEmail(email) + " → HubSpot",
	}
}

// ShareLinkSync keeps a HubSpot contact's share_link and share_code equal to the latest link Extole
// created for it. Links arrive by update or signal; the latest by event time wins, older ones are
// skipped, repeated ones are acknowledged without a write.
func ShareLinkSync(ctx workflow.Context, st ShareLinkState) (AppliedLink, error) {
	r := &shareLinkRun{st: st}
	if r.st.Hold <= 0 {
		r.st.Hold = DefaultShareLinkHold
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

	for {
		r.drain()
		if len(r.st.Pending) == 0 {
			ok, err := workflow.AwaitWithTimeout(ctx, r.st.Hold, func() bool { return len(r.st.Pending) > 0 || r.signals.Len() > 0 })
			if err != nil {
				return r.result(), err
			}
			if ok {
				continue
			}
			// Idle for the whole hold: finish, but only once no message handler is mid-flight and nothing
			// arrived in the same task, so no accepted link is ever dropped.
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return r.result(), err
			}
			r.drain()
			if len(r.st.Pending) == 0 {
				return r.result(), nil
			}
			continue
		}
		if err := r.applyLatest(ctx); err != nil {
			return r.result(), err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return r.result(), err
			}
			r.drain()
			return AppliedLink{}, workflow.NewContinueAsNewError(ctx, ShareLinkSync, r.st)
		}
	}
}

type shareLinkRun struct {
	st      ShareLinkState
	ensured bool // the bridge's HubSpot properties were created during this run
	signals workflow.ReceiveChannel
}

// drain accepts the links that arrived by signal (the webhook's fallback when no worker answered the
// update in time). Signals left unread when the workflow closes would be lost, so every exit drains.
func (r *shareLinkRun) drain() {
	var l ShareLink
	for r.signals.ReceiveAsync(&l) {
		if r.validate(l) == nil {
			r.accept(l)
		}
		l = ShareLink{}
	}
}

func (r *shareLinkRun) validate(l ShareLink) error {
	switch {
	case NormalizeEmail(l.Email) != NormalizeEmail(r.st.Email):
		return fmt.Errorf("link for %s sent to the workflow of another contact", MaskEmail(l.Email))
	case l.Key == "" || l.Properties["share_link"] == "":
		return errors.New("link without key or share_link")
	}
	return nil
}

// accept records a link and says what will happen to it. Deterministic: it only touches workflow state.
func (r *shareLinkRun) accept(l ShareLink) string {
	if slices.Contains(r.st.Seen, l.Key) {
		return LinkDuplicate
	}
	r.st.Seen = append(r.st.Seen, l.Key)
	if len(r.st.Seen) > keepSeenKeys {
		r.st.Seen = r.st.Seen[len(r.st.Seen)-keepSeenKeys:]
	}
	if r.st.Applied != nil && l.At.Before(r.st.Applied.At) {
		return LinkSuperseded
	}
	r.st.Pending = append(r.st.Pending, l)
	return LinkAccepted
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
	r.st.Pending = nil
	if r.st.Applied != nil && latest.At.Before(r.st.Applied.At) {
		logger.Info("skipping a link older than the one applied", "key", latest.Key)
		return nil
	}

	res, err := r.write(ctx, latest)
	if err != nil {
		r.drain()
		if len(r.st.Pending) > 0 {
			// More links arrived while this one was being written: rather than fail and lose them, report
			// this one and go on with them (the contact then gets the newest of those).
			logger.Error("HubSpot rejected a share link; going on with the links that arrived meanwhile", "error", err)
			workflow.SetCurrentDetails(ctx, "HubSpot rejected link "+latest.Properties["share_code"]+": "+err.Error())
			return nil
		}
		return err
	}
	r.st.Applied = &AppliedLink{
		Key: latest.Key, At: latest.At, ContactID: res.ContactID, Created: res.Created,
		ShareCode: latest.Properties["share_code"], ShareLink: latest.Properties["share_link"],
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, HubSpotContactID.ValueSet(res.ContactID)); err != nil {
		return err
	}
	code := r.st.Applied.ShareCode
	if code == "" {
		code = r.st.Applied.ShareLink
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("share link %s → HubSpot contact %s", code, res.ContactID))
	return nil
}

// write upserts the contact; when HubSpot says one of the properties does not exist it creates the
// bridge's properties once and tries again (HubSpot's message stays visible if that does not help).
func (r *shareLinkRun) write(ctx workflow.Context, l ShareLink) (activities.UpsertContactResult, error) {
	var a *activities.HubSpot
	ctx = withHubSpot(ctx)
	in := activities.UpsertContactInput{Email: l.Email, Properties: l.Properties}
	var res activities.UpsertContactResult
	err := workflow.ExecuteActivity(ctx, a.UpsertContact, in).Get(ctx, &res)
	var appErr *temporal.ApplicationError
	if err != nil && !r.ensured && errors.As(err, &appErr) && appErr.Type() == activities.ErrTypePropertyMissing {
		r.ensured = true
		if err := workflow.ExecuteActivity(ctx, a.EnsureProperties).Get(ctx, nil); err != nil {
			return res, err
		}
		err = workflow.ExecuteActivity(ctx, a.UpsertContact, in).Get(ctx, &res)
	}
	return res, err
}

func (r *shareLinkRun) result() AppliedLink {
	if r.st.Applied == nil {
		return AppliedLink{}
	}
	return *r.st.Applied
}
