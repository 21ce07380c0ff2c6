package workflows

import (
	"cmp"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// Names of the RewardSync message handlers. The webhook submits by signal (the server holds it durably
// without a worker); the reconciliation by update, whose answer says what was missing.
const (
	RewardSignal = "reward"
	RewardUpdate = "submit-rewards"
	RewardQuery  = "state"
)

// Where a reward change came from.
const (
	RewardFromWebhook   = "webhook"
	RewardFromReconcile = "reconcile"
	RewardFromSeed      = "seed" // the person's rewards read from Extole when a run starts without state
)

// DefaultRewardHold is how long a person's RewardSync stays open after its last write: it outlasts
// Extole's retries of a reward webhook (1 s, 1 h, 3 h, 12 h, 12 h — 28 h), as DefaultShareLinkHold does.
const DefaultRewardHold = 30 * time.Hour

// keepRewardEvents bounds the remembered event ids (carried across continue-as-new).
const keepRewardEvents = 500

// rewardPageSize is the page size of the seed's GET /v2/rewards.
const rewardPageSize = 100

// RewardChange is one reward state Extole reported, in the one form every webhook body and the rewards
// API are parsed to.
type RewardChange struct {
	RewardID      string    `json:"reward_id"`
	PersonID      string    `json:"person_id"`
	State         string    `json:"state"`              // EARNED, FULFILLED, FULFILL_FAILED, SENT, REDEEMED, CANCELED, REVOKED, FAILED, …
	EventID       string    `json:"event_id,omitempty"` // Extole's webhook event id; "" from the rewards API
	At            time.Time `json:"at"`                 // event_time, else when the bridge observed the state
	FaceValue     string    `json:"face_value,omitempty"`
	FaceValueType string    `json:"face_value_type,omitempty"`
	PartnerUserID string    `json:"partner_user_id,omitempty"`
	Email         string    `json:"email,omitempty"`
	Source        string    `json:"source"`
}

// key identifies a delivery for de-duplication: Extole's event id, else the content.
func (c RewardChange) key() string {
	if c.EventID != "" {
		return "e:" + c.EventID
	}
	return "r:" + c.RewardID + "/" + c.State + "/" + c.At.UTC().Format(time.RFC3339Nano)
}

// RewardStatus is a reward's latest known state.
type RewardStatus struct {
	State         string    `json:"state"`
	At            time.Time `json:"at"`
	FaceValue     string    `json:"face_value,omitempty"`
	FaceValueType string    `json:"face_value_type,omitempty"`
}

// RewardSyncState is RewardSync's input and continue-as-new state: one Extole person's rewards.
type RewardSyncState struct {
	PersonID  string                  `json:"person_id"`
	EventName string                  `json:"event_name,omitempty"` // HubSpot custom event name; "" = off
	Hold      time.Duration           `json:"hold,omitempty"`       // 0 = DefaultRewardHold
	Rewards   map[string]RewardStatus `json:"rewards,omitempty"`    // reward_id → latest state
	Seen      []string                `json:"seen,omitempty"`
	Seeded    bool                    `json:"seeded,omitempty"`
	Dirty     bool                    `json:"dirty,omitempty"` // rewards changed since the last write
	Live      bool                    `json:"live,omitempty"`  // a webhook change is among them (live priority)
	Changes   []RewardChange          `json:"changes,omitempty"`
	Email     string                  `json:"email,omitempty"`
	EmailHint string                  `json:"email_hint,omitempty"` // an email a reward carried, if Extole's person has none
	ContactID string                  `json:"contact_id,omitempty"`
	Written   map[string]string       `json:"written,omitempty"` // the reward properties HubSpot holds
	Unknown   string                  `json:"unknown,omitempty"` // why the person could not be written, if so
	HoldFrom  time.Time               `json:"hold_from,omitzero"`
}

// RewardAck answers a submission: how many changes were new, already held, or older than what is held.
type RewardAck struct {
	Accepted  int `json:"accepted"`
	Duplicate int `json:"duplicate"`
	Stale     int `json:"stale"`
}

// RewardWorkflowID is one workflow per Extole person, the one writer of that contact's reward properties.
func RewardWorkflowID(personID string) string {
	return "extole-rewards/" + personID
}

// RewardStartOptions start or join (USE_EXISTING) the person's workflow; a closed run does not block new
// changes (ALLOW_DUPLICATE).
func RewardStartOptions(personID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       RewardWorkflowID(personID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            "Extole rewards of person " + personID + " → HubSpot",
		Priority:                 liveWorkflowPriority,
	}
}

// RewardSync keeps a HubSpot contact's reward properties equal to what Extole reported for the person:
//   - every delivery is de-duplicated on Extole's event_id (the last keepRewardEvents), and per reward the
//     change with the latest event time wins, whatever order they arrive in;
//   - counts and totals are recomputed from the set of rewards (each reward_id's latest state), never
//     incremented; a run that starts without state first reads the person's rewards from Extole;
//   - a person without a HubSpot contact (or without an email in Extole) is reported in the workflow's
//     details and log, not failed; the next change tries again;
//   - it stays open DefaultRewardHold after its last write, continuing as new when history grows.
func RewardSync(ctx workflow.Context, st RewardSyncState) (RewardSyncState, error) {
	r := &rewardRun{st: st}
	if r.st.Hold <= 0 {
		r.st.Hold = DefaultRewardHold
	}
	if r.st.Rewards == nil {
		r.st.Rewards = map[string]RewardStatus{}
	}
	if r.st.HoldFrom.IsZero() {
		r.st.HoldFrom = workflow.Now(ctx)
	}
	if err := workflow.SetQueryHandler(ctx, RewardQuery, func() (RewardSyncState, error) { return r.st, nil }); err != nil {
		return r.st, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, RewardUpdate,
		func(_ workflow.Context, cs []RewardChange) (RewardAck, error) { return r.acceptAll(cs), nil },
		workflow.UpdateHandlerOptions{Validator: r.validate},
	); err != nil {
		return r.st, err
	}
	r.signals = workflow.GetSignalChannel(ctx, RewardSignal)

	for {
		r.drain()
		if info := workflow.GetInfo(ctx); info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= maxShareLinkHistory {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return r.st, err
			}
			r.drain()
			return RewardSyncState{}, workflow.NewContinueAsNewError(ctx, RewardSync, r.st)
		}
		if !r.st.Seeded {
			if err := r.seed(ctx); err != nil {
				return r.st, err
			}
			continue
		}
		if r.st.Dirty {
			if err := r.apply(ctx); err != nil {
				return r.st, err
			}
			continue
		}
		done, err := r.idle(ctx)
		if done || err != nil {
			return r.st, err
		}
	}
}

type rewardRun struct {
	st       RewardSyncState
	signals  workflow.ReceiveChannel
	accepted int
	ensured  bool
}

func (r *rewardRun) validate(cs []RewardChange) error {
	if len(cs) == 0 {
		return errors.New("no reward changes")
	}
	for _, c := range cs {
		if err := r.validOne(c); err != nil {
			return err
		}
	}
	return nil
}

func (r *rewardRun) validOne(c RewardChange) error {
	switch {
	case c.PersonID != r.st.PersonID:
		return fmt.Errorf("reward %s of person %s sent to the workflow of person %s", c.RewardID, c.PersonID, r.st.PersonID)
	case c.RewardID == "" || c.State == "":
		return errors.New("reward change without reward_id or state")
	}
	return nil
}

// drain accepts the changes that arrived by signal; every exit drains, as unread signals would be lost.
func (r *rewardRun) drain() {
	var c RewardChange
	for r.signals.ReceiveAsync(&c) {
		if r.validOne(c) == nil {
			r.acceptAll([]RewardChange{c})
		}
		c = RewardChange{}
	}
}

func (r *rewardRun) acceptAll(cs []RewardChange) RewardAck {
	var ack RewardAck
	for _, c := range cs {
		switch r.accept(c) {
		case changeNew:
			ack.Accepted++
		case changeHeld:
			ack.Duplicate++
		default:
			ack.Stale++
		}
	}
	return ack
}

// What accept did with a change.
const (
	changeNew   = iota // a state the workflow did not hold: it will be written
	changeHeld         // this delivery, or this reward's state, was held already
	changeStale        // older than the reward's held state
)

// accept merges one change into the reward set. Deterministic: it only touches workflow state.
func (r *rewardRun) accept(c RewardChange) int {
	r.accepted++
	if c.Email != "" && r.st.EmailHint == "" {
		r.st.EmailHint = c.Email
	}
	k := c.key()
	if slices.Contains(r.st.Seen, k) {
		return changeHeld
	}
	r.st.Seen = append(r.st.Seen, k)
	if len(r.st.Seen) > keepRewardEvents {
		r.st.Seen = r.st.Seen[len(r.st.Seen)-keepRewardEvents:]
	}
	cur, known := r.st.Rewards[c.RewardID]
	if known && cur.State == c.State {
		return changeHeld
	}
	if known && newer(cur, c) {
		return changeStale
	}
	r.st.Rewards[c.RewardID] = RewardStatus{State: c.State, At: c.At, FaceValue: cmp.Or(c.FaceValue, cur.FaceValue),
		FaceValueType: cmp.Or(c.FaceValueType, cur.FaceValueType)}
	r.st.Dirty = true
	if c.Source == RewardFromWebhook {
		r.st.Live = true
	}
	if c.Source != RewardFromSeed {
		r.st.Changes = append(r.st.Changes, c) // each becomes a custom event, when those are on
	}
	return changeNew
}

// newer reports whether the held status wins over c: a later time, or at the same time a later state.
func newer(held RewardStatus, c RewardChange) bool {
	if !held.At.Equal(c.At) {
		return held.At.After(c.At)
	}
	return rewardStateRank(held.State) >= rewardStateRank(c.State)
}

// rewardStateRank orders states that share one event time: a reward moves forward through them, and a
// final one (canceled, revoked, failed) ends it.
func rewardStateRank(s string) int {
	switch s {
	case "EARNED":
		return 1
	case "FULFILLED", "FULFILL_FAILED":
		return 2
	case "SENT":
		return 3
	case "REDEEMED":
		return 4
	default:
		return 5
	}
}

// seed reads the person's rewards from Extole, so counts cover every reward, not only those delivered to
// this run. They are stamped with the time they were read: a webhook with a later event time wins, an
// older redelivery does not.
func (r *rewardRun) seed(ctx workflow.Context) error {
	var a *activities.Extole
	ctx = r.extoleCtx(ctx)
	for offset := 0; ; offset += rewardPageSize {
		var rows []activities.RewardRecord
		in := activities.ListRewardsInput{PersonID: r.st.PersonID, Limit: rewardPageSize, Offset: offset}
		if err := workflow.ExecuteActivity(ctx, a.ListRewards, in).Get(ctx, &rows); err != nil {
			return err
		}
		now := workflow.Now(ctx)
		for _, row := range rows {
			// A reward a message already brought keeps that state: it carries Extole's own event time.
			if _, known := r.st.Rewards[row.RewardID]; known || row.PersonID != r.st.PersonID {
				continue
			}
			r.accept(RewardChangeFromRecord(row, now, RewardFromSeed))
		}
		if len(rows) < rewardPageSize {
			break
		}
	}
	r.st.Seeded = true
	return nil
}

// RewardChangeFromRecord turns a rewards-API row into a change observed at at.
func RewardChangeFromRecord(row activities.RewardRecord, at time.Time, source string) RewardChange {
	return RewardChange{RewardID: row.RewardID, PersonID: row.PersonID, State: row.State, At: at,
		FaceValue: row.FaceValue, FaceValueType: row.FaceValueType, PartnerUserID: row.PartnerUserID,
		Email: row.Email, Source: source}
}

func (r *rewardRun) extoleCtx(ctx workflow.Context) workflow.Context {
	if r.st.Live {
		return withExtole(ctx)
	}
	return withExtoleBackfill(ctx)
}

// hubspotCtx is the live queue priority when a webhook brought the change, the backfill's otherwise
// (reconciliation and seeding use what live traffic leaves).
func (r *rewardRun) hubspotCtx(ctx workflow.Context) workflow.Context {
	if r.st.Live {
		return withHubSpot(ctx)
	}
	return withHubSpotBackfill(ctx)
}

// apply writes the properties derived from the reward set, when they differ from what HubSpot holds.
func (r *rewardRun) apply(ctx workflow.Context) error {
	logger := workflow.GetLogger(ctx)
	if r.st.ContactID == "" {
		ok, err := r.resolve(ctx)
		if err != nil {
			return err
		}
		if !ok {
			r.st.Dirty, r.st.Live, r.st.Changes = false, false, nil
			logger.Warn("reward for a person HubSpot does not know; reported, not written",
				"person_id", r.st.PersonID, "email", contact.MaskEmail(r.st.Email), "reason", r.st.Unknown)
			workflow.SetCurrentDetails(ctx, fmt.Sprintf("not written: Extole person %s (%s) %s; %d rewards held",
				r.st.PersonID, contact.MaskEmail(r.st.Email), r.st.Unknown, len(r.st.Rewards)))
			return nil
		}
	}
	props := RewardProperties(r.st.Rewards)
	diff := map[string]string{}
	//workflowcheck:ignore builds a map: the order does not matter
	for k, v := range props {
		if r.st.Written[k] != v {
			diff[k] = v
		}
	}
	if len(diff) > 0 {
		if err := r.write(ctx, diff); err != nil {
			return err
		}
		if r.st.Written == nil {
			r.st.Written = map[string]string{}
		}
		maps.Copy(r.st.Written, diff) //workflowcheck:ignore copies into a map: the order does not matter
		r.st.HoldFrom = workflow.Now(ctx)
	}
	r.sendEvents(ctx)
	r.st.Dirty, r.st.Live, r.st.Changes = false, false, nil
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("HubSpot contact %s: %s %s, %s rewards earned (%s)", r.st.ContactID,
		props[contact.PropRewardState], props[contact.PropRewardValue], props[contact.PropRewardsEarned], props[contact.PropRewardsValueTotal]))
	return nil
}

// resolve finds the contact: the Extole person's email (else an email a reward carried), then the
// HubSpot contact with that email. ok=false: reported in st.Unknown.
func (r *rewardRun) resolve(ctx workflow.Context) (bool, error) {
	if r.st.Email == "" {
		var email string
		var a *activities.Extole
		if err := workflow.ExecuteActivity(r.extoleCtx(ctx), a.RewardPersonEmail, r.st.PersonID).Get(ctx, &email); err != nil {
			return false, err
		}
		email = cmp.Or(email, r.st.EmailHint)
		if email == "" {
			r.st.Unknown = "has no email in Extole"
			return false, nil
		}
		r.st.Email = email
	}
	var h *activities.HubSpot
	var found activities.RewardContact
	if err := workflow.ExecuteActivity(r.hubspotCtx(ctx), h.FindRewardContact, r.st.Email).Get(ctx, &found); err != nil {
		return false, err
	}
	if found.ContactID == "" {
		r.st.Unknown = "has no HubSpot contact"
		return false, nil
	}
	r.st.Unknown = ""
	r.st.ContactID = found.ContactID
	r.st.Written = found.Properties
	return true, workflow.UpsertTypedSearchAttributes(ctx, HubSpotContactID.ValueSet(found.ContactID),
		ContactEmailHash.ValueSet(contact.HashEmail(r.st.Email)))
}

// write sets the properties; a missing reward property makes it create the bridge's properties once.
func (r *rewardRun) write(ctx workflow.Context, props map[string]string) error {
	var a *activities.HubSpot
	ctx = r.hubspotCtx(ctx)
	for {
		var res activities.UpsertContactResult
		err := workflow.ExecuteActivity(ctx, a.UpsertContact, activities.UpsertContactInput{Email: r.st.Email, Properties: props}).Get(ctx, &res)
		if err == nil {
			r.st.ContactID = res.ContactID
			return nil
		}
		if r.ensured || !propertyMissing(err) {
			return err
		}
		r.ensured = true
		if err := ensureBridgeProperties(ctx); err != nil {
			return err
		}
	}
}

// sendEvents sends each state change as a HubSpot custom event when configured. A refusal (no Enterprise
// tier, an undefined event) is reported, not fatal: the properties are written already.
func (r *rewardRun) sendEvents(ctx workflow.Context) {
	if r.st.EventName == "" {
		return
	}
	var a *activities.HubSpot
	for _, c := range r.st.Changes {
		ev := hubspot.CustomEvent{Name: r.st.EventName, ObjectID: r.st.ContactID, OccurredAt: c.At.UTC().Format(time.RFC3339Nano),
			UUID: rewardEventUUID(c.RewardID, c.State),
			Properties: map[string]string{"reward_id": c.RewardID, "reward_state": c.State,
				"face_value": c.FaceValue, "face_value_type": c.FaceValueType}}
		if err := workflow.ExecuteActivity(r.hubspotCtx(ctx), a.SendRewardEvent, ev).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("HubSpot refused the reward's custom event", "reward_id", c.RewardID, "error", err)
			workflow.SetCurrentDetails(ctx, "HubSpot refused custom event for reward "+c.RewardID+": "+err.Error())
		}
	}
}

// rewardEventUUID is a name-based UUID (version 5 layout) of reward and state, so a resend is the same
// occurrence and HubSpot keeps the first.
func rewardEventUUID(rewardID, state string) string {
	h := sha1.Sum([]byte("extole-reward/" + rewardID + "/" + state))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// idle waits for changes until the hold ends. done: it ended with nothing left to do.
func (r *rewardRun) idle(ctx workflow.Context) (bool, error) {
	if wait := r.st.HoldFrom.Add(r.st.Hold).Sub(workflow.Now(ctx)); wait > 0 {
		accepted := r.accepted
		ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool {
			return r.st.Dirty || r.signals.Len() > 0 || r.accepted != accepted
		})
		if ok || err != nil {
			return false, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return false, err
	}
	r.drain()
	return !r.st.Dirty, nil
}

// notEarned are the final states in which a reward no longer counts as earned.
var notEarned = []string{"CANCELED", "CANCELLED", "REVOKED"}

// RewardProperties derives the contact's reward properties from the reward set: the most recently changed
// reward's state and value, and the count and value total of the rewards still earned (per value type).
func RewardProperties(rewards map[string]RewardStatus) map[string]string {
	ids := slices.Sorted(maps.Keys(rewards)) //workflowcheck:ignore sorted, so deterministic
	var latestID string
	totals := map[string]*big.Rat{}
	earned := 0
	for _, id := range ids {
		s := rewards[id]
		if latestID == "" {
			latestID = id
		} else if l := rewards[latestID]; s.At.After(l.At) || (s.At.Equal(l.At) && rewardStateRank(s.State) > rewardStateRank(l.State)) {
			latestID = id
		}
		if slices.Contains(notEarned, s.State) {
			continue
		}
		earned++
		if v, ok := new(big.Rat).SetString(s.FaceValue); ok {
			t := totals[s.FaceValueType]
			if t == nil {
				t = new(big.Rat)
				totals[s.FaceValueType] = t
			}
			t.Add(t, v)
		}
	}
	props := map[string]string{contact.PropRewardsEarned: strconv.Itoa(earned)}
	var parts []string
	//workflowcheck:ignore sorted, so deterministic
	for _, typ := range slices.Sorted(maps.Keys(totals)) {
		parts = append(parts, strings.TrimSpace(decimalText(totals[typ])+" "+typ))
	}
	props[contact.PropRewardsValueTotal] = cmp.Or(strings.Join(parts, " + "), "0")
	if latestID != "" {
		l := rewards[latestID]
		props[contact.PropRewardState] = l.State
		props[contact.PropRewardValue] = strings.TrimSpace(l.FaceValue + " " + l.FaceValueType)
		props[contact.PropLastRewardAt] = l.At.UTC().Format(time.RFC3339)
	}
	return props
}

// decimalText prints a sum without trailing zeros: 150, 12.5.
func decimalText(v *big.Rat) string {
	s := v.FloatString(4)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// ErrRewardPersonMismatch is returned by SubmitRewards for changes of several persons.
var ErrRewardPersonMismatch = errors.New("reward changes of more than one person")

// SubmitRewards hands one person's changes to its RewardSync by update-with-start and returns what was
// new to it. The reconciliation's activity and tests use it; the webhook signals instead.
func SubmitRewards(ctx context.Context, c client.Client, changes []RewardChange, eventName string) (RewardAck, error) {
	if len(changes) == 0 {
		return RewardAck{}, nil
	}
	person := changes[0].PersonID
	for _, ch := range changes {
		if ch.PersonID != person {
			return RewardAck{}, ErrRewardPersonMismatch
		}
	}
	opts := RewardStartOptions(person)
	op := c.NewWithStartWorkflowOperation(opts, RewardSync, RewardSyncState{PersonID: person, EventName: eventName})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: RewardUpdate, Args: []any{changes},
			WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	var ack RewardAck
	if err == nil {
		err = h.Get(ctx, &ack)
	}
	return ack, err
}
