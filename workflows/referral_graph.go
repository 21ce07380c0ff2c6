package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/extole"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// referralGraphChange versions the event workflows that, after delivering a friend's event, write the
// referral graph into HubSpot.
const referralGraphChange = "referral-graph"

// referralLabelsChange versions the setup that also creates the "Referred by" / "Referred" label pair.
const referralLabelsChange = "referral-graph-labels"

// SignalRecount asks an advocate's ReferralCounts workflow to recount.
const SignalRecount = "recount"

// referralCountsIdle is how long ReferralCounts waits for another recount before it completes; a later
// friend starts a new run.
const referralCountsIdle = 5 * time.Minute

// referralRetries are the waits before looking for the relationship again when the friend's event named
// an advocate code but Extole showed no relationship yet (when Extole attributes an event is undocumented).
var referralRetries = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}

// convertedEventValue filters an advocate's relationships to those caused by a converted event.
const convertedEventValue = "event_name:" + EventConverted

// ReferralOutcome is what the referral graph wrote for one friend's event, shown in the Web UI.
type ReferralOutcome struct {
	Referred      bool   `json:"referred"`
	AdvocateEmail string `json:"advocate_email,omitempty"`
	Code          string `json:"code,omitempty"`
	Associated    bool   `json:"associated,omitempty"`
	Note          string `json:"note,omitempty"` // why something was not written
}

// graphPriority runs the referral graph's API calls after live events and before any backfill: the
// graph follows an event that has already reached Extole, so it never delays one.
const graphPriority = 3

// ReferralCountsWorkflowID is the one writer of an advocate's counts: every friend's workflow asks it to
// recount instead of writing the counts itself, so a stale count can never overwrite a fresher one.
func ReferralCountsWorkflowID(advocatePersonID string) string {
	return "referral-counts/" + advocatePersonID
}

// ReferralWorkflowID is the referral graph's workflow of one delivered event, named after the event's
// workflow.
func ReferralWorkflowID(eventWorkflowID string) string {
	return "referral-graph/" + strings.TrimPrefix(eventWorkflowID, "extole-event/")
}

// followReferral starts RecordReferral for a delivered friend's event (in event workflows started after
// referralGraphChange) and returns its workflow ID. It only waits for the start: the graph's lookups
// and writes never hold up the event's workflow, and they outlive it (ParentClosePolicy ABANDON).
func followReferral(ctx workflow.Context, in EventInput) (string, error) {
	if workflow.GetVersion(ctx, referralGraphChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return "", nil
	}
	return StartReferralGraph(ctx, in)
}

// StartReferralGraph starts RecordReferral as an abandoned child for a friend's event that has reached
// Extole; any workflow delivering one may call it (ReferralSignup and DealConverted do, which covers
// DealWon's conversions).
func StartReferralGraph(ctx workflow.Context, in EventInput) (string, error) {
	// From the event, not the caller's own ID, so the command is the same when a history is replayed.
	id := ReferralWorkflowID(EventWorkflowID(in.EventName, in.PartnerConversionID()))
	var attrs []temporal.SearchAttributeUpdate
	if email := in.Email(); email != "" {
		attrs = append(attrs, ContactEmailHash.ValueSet(contact.HashEmail(email)))
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            id,
		TypedSearchAttributes: temporal.NewSearchAttributes(attrs...),
		StaticSummary:         "referral graph → HubSpot for " + EventSummary(in),
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		Priority:              temporal.Priority{PriorityKey: graphPriority},
	})
	err := workflow.ExecuteChildWorkflow(cctx, RecordReferral, in).GetChildWorkflowExecution().Get(ctx, nil)
	var dup *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &dup) {
		err = nil // already following this event
	}
	return id, err
}

// RecordReferral writes the referral graph for a friend's event that has reached Extole: who referred
// the friend (extole_referred_by_email, extole_referred_by_code and a "Referred by" association to the
// advocate's contact), and a recount of the advocate's extole_referrals_count and
// extole_converted_referrals_count by the advocate's one ReferralCounts workflow. Every write sets what
// Extole's relationships say, so running it again for the same referral changes nothing. A friend
// without a relationship (an organic signup) writes nothing.
func RecordReferral(ctx workflow.Context, in EventInput) (ReferralOutcome, error) {
	out, err := recordReferral(ctx, in)
	if err == nil {
		workflow.SetCurrentDetails(ctx, "Referral graph: "+out.summary())
	}
	return out, err
}

func (o ReferralOutcome) summary() string {
	if !o.Referred {
		return o.Note
	}
	s := fmt.Sprintf("referred by %s (code `%s`)", contact.MaskEmail(o.AdvocateEmail), o.Code)
	if o.Note != "" {
		s += "; " + o.Note
	}
	return s
}

func recordReferral(ctx workflow.Context, in EventInput) (ReferralOutcome, error) {
	var ex *activities.Extole
	var hs *activities.HubSpot
	email := contact.NormalizeEmail(in.Email())
	if email == "" {
		return ReferralOutcome{Note: "the event has no email: no referral written"}, nil
	}
	ectx := onQueue(ctx, ExtoleTaskQueue, graphPriority)
	var person activities.PersonRef
	if err := workflow.ExecuteActivity(ectx, ex.FindPerson, email).Get(ctx, &person); err != nil {
		return ReferralOutcome{}, err
	}
	if !person.Found {
		return ReferralOutcome{Note: "Extole has no person for the friend: no referral written"}, nil
	}
	var ref activities.Referrer
	for attempt := 0; ; attempt++ {
		if err := workflow.ExecuteActivity(ectx, ex.FriendReferrer, person.ID).Get(ctx, &ref); err != nil {
			return ReferralOutcome{}, err
		}
		if ref.Found || !in.carriesCode() || attempt == len(referralRetries) {
			break
		}
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("Referral graph: waiting %s for Extole to relate the friend to its advocate", referralRetries[attempt]))
		if err := workflow.Sleep(ctx, referralRetries[attempt]); err != nil {
			return ReferralOutcome{}, err
		}
	}
	if !ref.Found {
		return ReferralOutcome{Note: "no referral relationship in Extole (organic): nothing written"}, nil
	}
	if ref.AdvocateEmail == "" {
		if err := workflow.ExecuteActivity(ectx, ex.AdvocateEmail, ref.AdvocatePersonID).Get(ctx, &ref.AdvocateEmail); err != nil {
			return ReferralOutcome{}, err
		}
	}
	out := ReferralOutcome{Referred: true, AdvocateEmail: contact.NormalizeEmail(ref.AdvocateEmail), Code: ref.Code}
	if out.AdvocateEmail == "" {
		out.Note = "the advocate has no email in Extole: nothing written"
		return out, nil
	}

	hctx := onQueue(ctx, HubSpotTaskQueue, graphPriority)
	props := map[string]string{contact.PropReferredByEmail: out.AdvocateEmail}
	if ref.Code != "" {
		props[contact.PropReferredByCode] = ref.Code
	}
	friend, err := updateContact(hctx, activities.UpdateContactInput{Email: email, Properties: props})
	if err != nil {
		return out, err
	}
	if err := recountAdvocate(ctx, activities.Advocate{PersonID: ref.AdvocatePersonID, Email: out.AdvocateEmail}); err != nil {
		return out, err
	}
	if !friend.Found {
		out.Note = "the friend has no HubSpot contact"
		return out, nil
	}
	var adv activities.FoundContact
	if err := workflow.ExecuteActivity(hctx, hs.ContactIDByEmail, out.AdvocateEmail).Get(ctx, &adv); err != nil {
		return out, err
	}
	if !adv.Found {
		out.Note = "the advocate has no HubSpot contact: no association"
		return out, nil
	}
	labels, _, err := referralLabels(hctx)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		// Custom labels need a Professional or Enterprise hub; the properties are written without them.
		out.Note = "no association: " + appErr.Message()
		return out, nil
	}
	if err != nil {
		return out, err
	}
	assoc := activities.AssociateReferralInput{FriendContactID: friend.ContactID, AdvocateContactID: adv.ContactID, TypeID: labels.ReferredBy}
	if err := workflow.ExecuteActivity(hctx, hs.AssociateReferral, assoc).Get(ctx, nil); err != nil {
		return out, err
	}
	out.Associated = true
	return out, nil
}

// carriesCode reports whether the event named the advocate's code, i.e. is meant to be a referral.
func (in EventInput) carriesCode() bool {
	return in.dataText("advocate_code") != "" || in.dataText("share_code") != ""
}

// updateContact sets properties on an existing contact; a missing bridge property is created (once) and
// the write tried again.
func updateContact(ctx workflow.Context, in activities.UpdateContactInput) (activities.UpdatedContact, error) {
	var hs *activities.HubSpot
	var res activities.UpdatedContact
	err := workflow.ExecuteActivity(ctx, hs.UpdateContact, in).Get(ctx, &res)
	if err != nil && propertyMissing(err) {
		if err := ensureBridgeProperties(ctx); err != nil {
			return res, err
		}
		err = workflow.ExecuteActivity(ctx, hs.UpdateContact, in).Get(ctx, &res)
	}
	return res, err
}

// referralLabels returns the label pair's type ids, found by label or else created; created says
// whether this call created them. Setup creates the pair, so a friend's run normally only reads it.
func referralLabels(ctx workflow.Context) (labels activities.ReferralLabels, created bool, err error) {
	var hs *activities.HubSpot
	if err := workflow.ExecuteActivity(ctx, hs.FindReferralLabels).Get(ctx, &labels); err != nil || labels.Found {
		return labels, false, err
	}
	if err := workflow.ExecuteActivity(ctx, hs.CreateReferralLabels).Get(ctx, &labels); err != nil || labels.Found {
		return labels, labels.Found, err
	}
	// A concurrent creator won: read its pair.
	if err := workflow.ExecuteActivity(ctx, hs.FindReferralLabels).Get(ctx, &labels); err != nil || labels.Found {
		return labels, false, err
	}
	return labels, false, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("HubSpot has no %q / %q contact labels after creating them", activities.ReferralLabelPair.Label, activities.ReferralLabelPair.InverseLabel),
		activities.ErrTypeHubSpotRejected, nil)
}

// setupReferralLabels is SetupHubSpot's label step, in runs started after referralLabelsChange. An
// account that refuses custom labels (they need a Professional or Enterprise hub) is reported, not failed:
// the properties still work without them.
func setupReferralLabels(ctx workflow.Context, rep *activities.PropertiesReport) error {
	if workflow.GetVersion(ctx, referralLabelsChange, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	_, created, err := referralLabels(ctx)
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && appErr.NonRetryable():
		rep.Labels = "not created: " + appErr.Message()
		return nil
	case err != nil:
		return err
	case created:
		rep.Labels = "created"
	default:
		rep.Labels = "existing"
	}
	return nil
}

// recountAdvocate asks the advocate's ReferralCounts workflow to recount, starting it if needed.
func recountAdvocate(ctx workflow.Context, adv activities.Advocate) error {
	var t *activities.Temporal
	ctx = workflow.WithActivityOptions(ctx, apiActivityOptions(TaskQueue))
	in := activities.SignalWithStartInput{
		WorkflowID: ReferralCountsWorkflowID(adv.PersonID), WorkflowType: "ReferralCounts", TaskQueue: TaskQueue,
		Signal: SignalRecount, Input: adv, Summary: "referral counts of advocate " + contact.MaskEmail(adv.Email),
	}
	return workflow.ExecuteActivity(ctx, t.RecountAdvocate, in).Get(ctx, nil)
}

// ReferralCountsResult is the last count written.
type ReferralCountsResult struct {
	Referrals int    `json:"referrals"`
	Converted int    `json:"converted"`
	Note      string `json:"note,omitempty"`
}

// ReferralCounts is an advocate's one writer of extole_referrals_count and
// extole_converted_referrals_count. Each recount reads the advocate's relationships from Extole and sets
// both counts: the number of distinct friends, and of those whose relationship came from a converted
// event. Recount requests that arrive while it counts are served by one more recount, so bursts of
// friends cost one count each, and the last count written always follows the last request. It completes
// after referralCountsIdle without a request.
func ReferralCounts(ctx workflow.Context, adv activities.Advocate) (ReferralCountsResult, error) {
	recount := workflow.GetSignalChannel(ctx, SignalRecount)
	ectx, hctx := onQueue(ctx, ExtoleTaskQueue, graphPriority), onQueue(ctx, HubSpotTaskQueue, graphPriority)
	var res ReferralCountsResult
	written := false
	for {
		for recount.ReceiveAsync(nil) {
		}
		n, err := countRelationships(ectx, adv.PersonID, extole.RelationshipQuery{Role: extole.RoleAdvocate})
		if err != nil {
			return res, err
		}
		c, err := countRelationships(ectx, adv.PersonID, extole.RelationshipQuery{Role: extole.RoleAdvocate, DataValues: []string{convertedEventValue}})
		if err != nil {
			return res, err
		}
		if !written || n != res.Referrals || c != res.Converted {
			props := map[string]string{contact.PropReferralsCount: strconv.Itoa(n), contact.PropConvertedReferralsCount: strconv.Itoa(c)}
			upd, err := updateContact(hctx, activities.UpdateContactInput{Email: adv.Email, Properties: props})
			if err != nil {
				return res, err
			}
			res, written = ReferralCountsResult{Referrals: n, Converted: c}, true
			if !upd.Found {
				res.Note = "the advocate has no HubSpot contact"
			}
			workflow.SetCurrentDetails(ctx, fmt.Sprintf("%d referrals, %d converted", n, c))
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// The new run recounts first, so a request drained here is still served.
			for recount.ReceiveAsync(nil) {
			}
			return res, workflow.NewContinueAsNewError(ctx, ReferralCounts, adv)
		}
		if ok, _ := recount.ReceiveWithTimeout(ctx, referralCountsIdle, nil); !ok && !recount.ReceiveAsync(nil) {
			return res, nil
		}
	}
}

// countRelationships counts an advocate's distinct friends matching q, page by page.
func countRelationships(ctx workflow.Context, personID string, q extole.RelationshipQuery) (int, error) {
	var ex *activities.Extole
	total := 0
	for {
		var page activities.RelationshipCount
		in := activities.CountRelationshipsInput{PersonID: personID, Query: q}
		if err := workflow.ExecuteActivity(ctx, ex.CountRelationships, in).Get(ctx, &page); err != nil {
			return total, err
		}
		total += page.Count
		if !page.More {
			return total, nil
		}
		q.Offset += extole.RelationshipPageSize
	}
}
