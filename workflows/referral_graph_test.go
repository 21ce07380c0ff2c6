package workflows

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// graphCalls records what the referral graph wrote.
type graphCalls struct {
	updates    []activities.UpdateContactInput
	recounts   []activities.Advocate
	associated []activities.AssociateReferralInput
	referrers  int
	created    int
}

type graphWorld struct {
	person     activities.PersonRef
	referrers  []activities.Referrer // successive answers; the last repeats
	personMail string                // GET /v5/persons/{id}
	friend     activities.UpdatedContact
	advocate   activities.FoundContact
	labels     []activities.ReferralLabels // successive answers of FindReferralLabels
}

func mockGraph(env *testsuite.TestWorkflowEnvironment, w graphWorld, c *graphCalls) {
	var ex *activities.Extole
	var hs *activities.HubSpot
	var tc *activities.Temporal
	env.RegisterActivity(&activities.Extole{})
	env.RegisterActivity(&activities.HubSpot{})
	env.RegisterActivity(&activities.Temporal{})
	env.OnActivity(ex.FindPerson, mock.Anything, mock.Anything).Return(w.person, nil).Maybe()
	env.OnActivity(ex.FriendReferrer, mock.Anything, mock.Anything).Return(func(context.Context, string) (activities.Referrer, error) {
		r := w.referrers[min(c.referrers, len(w.referrers)-1)]
		c.referrers++
		return r, nil
	}).Maybe()
	env.OnActivity(ex.AdvocateEmail, mock.Anything, mock.Anything).Return(w.personMail, nil).Maybe()
	env.OnActivity(hs.UpdateContact, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.UpdateContactInput) (activities.UpdatedContact, error) {
		c.updates = append(c.updates, in)
		return w.friend, nil
	}).Maybe()
	env.OnActivity(tc.RecountAdvocate, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SignalWithStartInput) error {
		c.recounts = append(c.recounts, in.Input)
		return nil
	}).Maybe()
	env.OnActivity(hs.ContactIDByEmail, mock.Anything, mock.Anything).Return(w.advocate, nil).Maybe()
	finds := 0
	env.OnActivity(hs.FindReferralLabels, mock.Anything).Return(func(context.Context) (activities.ReferralLabels, error) {
		l := w.labels[min(finds, len(w.labels)-1)]
		finds++
		return l, nil
	}).Maybe()
	env.OnActivity(hs.CreateReferralLabels, mock.Anything).Return(func(context.Context) (activities.ReferralLabels, error) {
		c.created++
		return activities.ReferralLabels{Found: true, ReferredBy: 144, Referred: 145}, nil
	}).Maybe()
	env.OnActivity(hs.AssociateReferral, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AssociateReferralInput) error {
		c.associated = append(c.associated, in)
		return nil
	}).Maybe()
}

func friendEvent(data map[string]string) EventInput {
	in := EventInput{EventName: EventSignedUp, Data: map[string]json.RawMessage{}}
	for k, v := range data {
		in.Data[k], _ = json.Marshal(v)
	}
	return in
}

func TestRecordReferral(t *testing.T) {
	labels := activities.ReferralLabels{Found: true, ReferredBy: 144, Referred: 145}
	referred := activities.Referrer{Found: true, AdvocatePersonID: "p-alex", AdvocateEmail: "Alex@Example.com", Code: "alex01"}
	base := graphWorld{
		person:    activities.PersonRef{ID: "p-jane", Found: true},
		referrers: []activities.Referrer{referred},
		friend:    activities.UpdatedContact{Found: true, ContactID: "11"},
		advocate:  activities.FoundContact{Found: true, ContactID: "22"},
		labels:    []activities.ReferralLabels{labels},
	}
	with := func(f func(*graphWorld)) graphWorld { w := base; f(&w); return w }
	withCode := map[string]string{"email": "jane@example.com", "advocate_code": "alex01", "partner_conversion_id": "pc-1"}
	noCode := map[string]string{"email": "jane@example.com", "partner_conversion_id": "pc-1"}
	friendProps := map[string]string{contact.PropReferredByEmail: "alex@example.com", contact.PropReferredByCode: "alex01"}
	assoc := []activities.AssociateReferralInput{{FriendContactID: "11", AdvocateContactID: "22", TypeID: 144}}
	recount := []activities.Advocate{{PersonID: "p-alex", Email: "alex@example.com"}}

	tests := []struct {
		name          string
		world         graphWorld
		data          map[string]string
		wantFriend    map[string]string // nil: no write
		wantRecounts  []activities.Advocate
		wantAssoc     []activities.AssociateReferralInput
		wantReferrers int
		wantCreated   int
		wantOutcome   ReferralOutcome
	}{
		{name: "referred friend", world: base, data: withCode, wantFriend: friendProps, wantRecounts: recount, wantAssoc: assoc, wantReferrers: 1,
			wantOutcome: ReferralOutcome{Referred: true, AdvocateEmail: "alex@example.com", Code: "alex01", Associated: true}},
		{name: "organic signup writes nothing", world: with(func(w *graphWorld) { w.referrers = []activities.Referrer{{}} }), data: noCode, wantReferrers: 1,
			wantOutcome: ReferralOutcome{Note: "no referral relationship in Extole (organic): nothing written"}},
		{name: "code without relationship: looked for again, then organic", world: with(func(w *graphWorld) { w.referrers = []activities.Referrer{{}} }),
			data: withCode, wantReferrers: 1 + len(referralRetries),
			wantOutcome: ReferralOutcome{Note: "no referral relationship in Extole (organic): nothing written"}},
		{name: "relationship appears on a later look", world: with(func(w *graphWorld) { w.referrers = []activities.Referrer{{}, referred} }),
			data: withCode, wantFriend: friendProps, wantRecounts: recount, wantAssoc: assoc, wantReferrers: 2,
			wantOutcome: ReferralOutcome{Referred: true, AdvocateEmail: "alex@example.com", Code: "alex01", Associated: true}},
		{name: "advocate email read from the person", world: with(func(w *graphWorld) {
			r := referred
			r.AdvocateEmail = ""
			w.referrers, w.personMail = []activities.Referrer{r}, "alex@example.com"
		}), data: withCode, wantFriend: friendProps, wantRecounts: recount, wantAssoc: assoc, wantReferrers: 1,
			wantOutcome: ReferralOutcome{Referred: true, AdvocateEmail: "alex@example.com", Code: "alex01", Associated: true}},
		{name: "no Extole person", world: with(func(w *graphWorld) { w.person = activities.PersonRef{} }), data: withCode,
			wantOutcome: ReferralOutcome{Note: "Extole has no person for the friend: no referral written"}},
		{name: "friend without HubSpot contact: counts only", world: with(func(w *graphWorld) { w.friend = activities.UpdatedContact{} }),
			data: withCode, wantFriend: friendProps, wantRecounts: recount, wantReferrers: 1,
			wantOutcome: ReferralOutcome{Referred: true, AdvocateEmail: "alex@example.com", Code: "alex01", Note: "the friend has no HubSpot contact"}},
		{name: "labels missing: created once", world: with(func(w *graphWorld) { w.labels = []activities.ReferralLabels{{}} }),
			data: withCode, wantFriend: friendProps, wantRecounts: recount, wantAssoc: assoc, wantReferrers: 1, wantCreated: 1,
			wantOutcome: ReferralOutcome{Referred: true, AdvocateEmail: "alex@example.com", Code: "alex01", Associated: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newQuietTestEnv()
			var c graphCalls
			mockGraph(env, tc.world, &c)
			env.ExecuteWorkflow(RecordReferral, friendEvent(tc.data))
			require.NoError(t, env.GetWorkflowError())
			var out ReferralOutcome
			require.NoError(t, env.GetWorkflowResult(&out))
			assert.Equal(t, tc.wantOutcome, out)
			if tc.wantFriend == nil {
				assert.Empty(t, c.updates, "nothing written onto the friend")
			} else {
				require.Len(t, c.updates, 1)
				assert.Equal(t, activities.UpdateContactInput{Email: "jane@example.com", Properties: tc.wantFriend}, c.updates[0])
			}
			assert.Equal(t, tc.wantRecounts, c.recounts, "the advocate's counts are recounted by its own workflow")
			assert.Equal(t, tc.wantAssoc, c.associated)
			assert.Equal(t, tc.wantReferrers, c.referrers)
			assert.Equal(t, tc.wantCreated, c.created)
		})
	}
}

func TestFriendEventsStartTheReferralGraph(t *testing.T) {
	tests := []struct {
		workflow any
		event    string
		wantID   string
	}{
		{ReferralSignup, EventSignedUp, "referral-graph/signed_up/pc-1"},
		{DealConverted, EventConverted, "referral-graph/converted/pc-1"},
		{ForwardEvent, "lead_created", ""},
	}
	for _, tc := range tests {
		t.Run(tc.event, func(t *testing.T) {
			env := newQuietTestEnv()
			var ex *activities.Extole
			env.RegisterActivity(&activities.Extole{})
			env.OnActivity(ex.SendEvent, mock.Anything, mock.Anything).Return(activities.SendEventResult{EventID: "e-1"}, nil)
			env.OnWorkflow(RecordReferral, mock.Anything, mock.Anything).Return(ReferralOutcome{}, nil).Maybe()
			var started []string
			env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, args converter.EncodedValues) {
				var in EventInput
				require.NoError(t, args.Get(&in))
				started = append(started, info.WorkflowExecution.ID+" "+in.Email())
			})
			env.SetStartWorkflowOptions(EventStartOptions(EventInput{EventName: tc.event, Data: input().Data}))
			in := input()
			in.EventName = tc.event
			env.ExecuteWorkflow(tc.workflow, in)
			require.NoError(t, env.GetWorkflowError())
			var res EventResult
			require.NoError(t, env.GetWorkflowResult(&res))
			assert.Equal(t, tc.wantID, res.ReferralWorkflowID)
			if tc.wantID == "" {
				assert.Empty(t, started)
			} else {
				assert.Equal(t, []string{tc.wantID + " jane@example.com"}, started)
			}
		})
	}
}

func TestReferralCountsRecomputesAndSets(t *testing.T) {
	env := newQuietTestEnv()
	var ex *activities.Extole
	var hs *activities.HubSpot
	env.RegisterActivity(&activities.Extole{})
	env.RegisterActivity(&activities.HubSpot{})
	friends, converted := 103, 2
	env.OnActivity(ex.CountRelationships, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CountRelationshipsInput) (activities.RelationshipCount, error) {
			assert.Equal(t, "p-alex", in.PersonID)
			n := friends
			if len(in.Query.DataValues) > 0 {
				assert.Equal(t, []string{"event_name:converted"}, in.Query.DataValues)
				n = converted
			}
			// Pages of 100: the offset says which.
			left := n - in.Query.Offset
			return activities.RelationshipCount{Count: min(left, 100), More: left >= 100}, nil
		})
	var writes []map[string]string
	env.OnActivity(hs.UpdateContact, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.UpdateContactInput) (activities.UpdatedContact, error) {
		assert.Equal(t, "alex@example.com", in.Email)
		writes = append(writes, in.Properties)
		return activities.UpdatedContact{Found: true, ContactID: "22"}, nil
	})
	// A request with nothing new writes nothing; a conversion since the last count writes the new counts.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalRecount, nil) }, time.Minute)
	env.RegisterDelayedCallback(func() { converted = 3; env.SignalWorkflow(SignalRecount, nil) }, 2*time.Minute)
	env.ExecuteWorkflow(ReferralCounts, activities.Advocate{PersonID: "p-alex", Email: "alex@example.com"})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []map[string]string{
		{contact.PropReferralsCount: "103", contact.PropConvertedReferralsCount: "2"},
		{contact.PropReferralsCount: "103", contact.PropConvertedReferralsCount: "3"},
	}, writes)
	var res ReferralCountsResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, ReferralCountsResult{Referrals: 103, Converted: 3}, res)
}

func TestSetupHubSpotReferralLabels(t *testing.T) {
	refused := temporal.NewNonRetryableApplicationError("HubSpot 400 VALIDATION_ERROR", activities.ErrTypeHubSpotRejected, nil)
	tests := []struct {
		name        string
		find        activities.ReferralLabels
		createErr   error
		wantLabels  string
		wantCreates int
	}{
		{"missing: created", activities.ReferralLabels{}, nil, "created", 1},
		{"there already: not created again", activities.ReferralLabels{Found: true, ReferredBy: 144, Referred: 145}, nil, "existing", 0},
		{"refused (no custom labels on this hub): reported", activities.ReferralLabels{}, refused, "not created: HubSpot 400 VALIDATION_ERROR", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			env.RegisterActivity(&activities.HubSpot{})
			var hs *activities.HubSpot
			env.OnActivity(hs.CreatePropertyGroup, mock.Anything).Return(activities.CreatedResult{}, nil)
			env.OnActivity(hs.CreateProperty, mock.Anything, mock.Anything).Return(activities.CreatedResult{}, nil)
			env.OnActivity(hs.FindReferralLabels, mock.Anything).Return(tc.find, nil)
			creates := 0
			env.OnActivity(hs.CreateReferralLabels, mock.Anything).Return(func(context.Context) (activities.ReferralLabels, error) {
				creates++
				return activities.ReferralLabels{Found: true, ReferredBy: 144, Referred: 145}, tc.createErr
			}).Maybe()
			env.ExecuteWorkflow(SetupHubSpot)
			require.NoError(t, env.GetWorkflowError())
			var rep activities.PropertiesReport
			require.NoError(t, env.GetWorkflowResult(&rep))
			assert.Contains(t, rep.Labels, tc.wantLabels)
			assert.Equal(t, tc.wantCreates, creates)
		})
	}
}
