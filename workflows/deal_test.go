package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// dealWorld is what the mocked HubSpot holds for deal 7: its stage over successive reads, its contacts
// (by id, with or without email) and line items.
type dealWorld struct {
	stages    []string // stage returned by successive GetDeal calls; the last repeats
	contacts  []activities.Association
	emails    map[string]string
	items     []activities.LineItem
	contactAt time.Duration // contacts appear only after this much workflow time (0 = from the start)
	readDelay time.Duration // each GetDeal takes this long
}

type dealRunResult struct {
	res       DealResult
	err       error
	sent      []EventInput // the conversions started
	pipelines int
}

func runDeal(t *testing.T, w dealWorld, in DealInput, signals map[time.Duration]any) dealRunResult {
	t.Helper()
	env := newTestEnv()
	hs := &activities.HubSpot{}
	env.RegisterActivity(hs)
	var out dealRunResult
	start := env.Now()
	reads := 0
	env.OnActivity(hs.GetDeal, mock.Anything, "7").After(w.readDelay).Return(func(context.Context, string) (activities.Deal, error) {
		st := w.stages[min(reads, len(w.stages)-1)]
		reads++
		return activities.Deal{ID: "7", Properties: map[string]string{"dealstage": st, "pipeline": "default", "amount": "1500.00",
			"dealname": "Big deal", "deal_currency_code": "EUR"}}, nil
	})
	env.OnActivity(hs.GetDealPipeline, mock.Anything, "default").Return(func(context.Context, string) (activities.Pipeline, error) {
		out.pipelines++
		return activities.Pipeline{ID: "default", Stages: []activities.Stage{{ID: "contractsent"}, {ID: "closedwon", Won: true}, {ID: "closedlost"}}}, nil
	})
	env.OnActivity(hs.Associations, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.AssociationsInput) ([]activities.Association, error) {
		if in.ToType == "line_items" {
			var as []activities.Association
			for _, li := range w.items {
				as = append(as, activities.Association{ID: li.ID})
			}
			return as, nil
		}
		if env.Now().Sub(start) < w.contactAt {
			return nil, nil
		}
		return w.contacts, nil
	})
	env.OnActivity(hs.GetContact, mock.Anything, mock.Anything).Return(func(_ context.Context, id string) (activities.Contact, error) {
		return activities.Contact{ID: id, Properties: map[string]string{"email": w.emails[id], "firstname": "Jane"}}, nil
	})
	env.OnActivity(hs.ReadLineItems, mock.Anything, mock.Anything).Return(w.items, nil)
	// The conversion itself is DealConverted's, tested with it: here only what it is started with.
	env.OnWorkflow(DealConverted, mock.Anything, mock.Anything).Return(func(_ workflow.Context, ev EventInput) (EventResult, error) {
		out.sent = append(out.sent, ev)
		return EventResult{ExtoleEventID: "e-1"}, nil
	})
	for at, sig := range signals {
		name := SignalDealStage
		if _, ok := sig.(DealAssociationChange); ok {
			name = SignalDealAssociation
		}
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(name, sig) }, at)
	}
	env.ExecuteWorkflow(DealWon, in)
	require.True(t, env.IsWorkflowCompleted())
	out.err = env.GetWorkflowError()
	if out.err == nil {
		require.NoError(t, env.GetWorkflowResult(&out.res))
	}
	return out
}

func TestDealWon(t *testing.T) {
	jane := []activities.Association{{ID: "101"}, {ID: "102", Labels: []string{"Primary"}}}
	emails := map[string]string{"101": "other@example.com", "102": "jane@example.com"}
	twoItems := []activities.LineItem{{ID: "1", Properties: map[string]string{"name": "Pro plan", "quantity": "1"}},
		{ID: "2", Properties: map[string]string{"name": "Seats", "quantity": "5"}}}
	day := 24 * time.Hour
	tests := []struct {
		name        string
		world       dealWorld
		in          DealInput
		signals     map[time.Duration]any
		wantOutcome string
		wantSent    int
		wantErrType string
		wantReason  string
	}{
		{name: "won by pipeline metadata, primary contact, two line items",
			world: dealWorld{stages: []string{"closedwon"}, contacts: jane, emails: emails, items: twoItems},
			in:    DealInput{DealID: "7"}, wantOutcome: DealConvertedOutcome, wantSent: 1},
		{name: "not a won stage",
			world: dealWorld{stages: []string{"contractsent"}, contacts: jane, emails: emails},
			in:    DealInput{DealID: "7"}, wantOutcome: DealNotWon},
		{name: "a win arriving while deciding is decided again, not dropped",
			world:       dealWorld{stages: []string{"contractsent", "closedwon"}, contacts: jane, emails: emails, readDelay: time.Minute},
			in:          DealInput{DealID: "7"},
			signals:     map[time.Duration]any{30 * time.Second: DealStageChange{Stage: "closedwon", OccurredAt: 9}},
			wantOutcome: DealConvertedOutcome, wantSent: 1},
		{name: "HUBSPOT_WON_STAGES overrides the metadata",
			world: dealWorld{stages: []string{"contractsent"}, contacts: jane, emails: emails},
			in:    DealInput{DealID: "7", WonStages: []string{"contractsent"}}, wantOutcome: DealConvertedOutcome, wantSent: 1},
		{name: "held and still won",
			world: dealWorld{stages: []string{"closedwon"}, contacts: jane, emails: emails},
			in:    DealInput{DealID: "7", Hold: 30 * day}, wantOutcome: DealConvertedOutcome, wantSent: 1},
		{name: "moved to lost during the hold",
			world:       dealWorld{stages: []string{"closedwon"}, contacts: jane, emails: emails},
			in:          DealInput{DealID: "7", Hold: 30 * day},
			signals:     map[time.Duration]any{2 * day: DealStageChange{Stage: "closedlost", OccurredAt: 5}},
			wantOutcome: DealCancelled, wantReason: `moved to stage "closedlost"`},
		{name: "a duplicate of the win during the hold does not cancel",
			world:       dealWorld{stages: []string{"closedwon"}, contacts: jane, emails: emails},
			in:          DealInput{DealID: "7", Hold: 30 * day},
			signals:     map[time.Duration]any{2 * day: DealStageChange{Stage: "closedwon", OccurredAt: 5}},
			wantOutcome: DealConvertedOutcome, wantSent: 1},
		{name: "not won any more when the hold ends",
			world: dealWorld{stages: []string{"closedwon", "contractsent"}, contacts: jane, emails: emails},
			in:    DealInput{DealID: "7", Hold: day}, wantOutcome: DealCancelled, wantReason: "after the 24h0m0s hold"},
		{name: "no contact, then one is associated",
			world:       dealWorld{stages: []string{"closedwon"}, contacts: jane, emails: emails, contactAt: time.Hour},
			in:          DealInput{DealID: "7"},
			signals:     map[time.Duration]any{2 * time.Hour: DealAssociationChange{ContactID: "102"}},
			wantOutcome: DealConvertedOutcome, wantSent: 1},
		{name: "no contact with an email in time",
			world: dealWorld{stages: []string{"closedwon"}, contacts: []activities.Association{{ID: "103"}}, emails: emails},
			in:    DealInput{DealID: "7", ContactWait: day}, wantErrType: ErrTypeDealNoContact},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runDeal(t, tt.world, tt.in, tt.signals)
			if tt.wantErrType != "" {
				var ae *temporal.ApplicationError
				require.True(t, errors.As(got.err, &ae), "%v", got.err)
				assert.Equal(t, tt.wantErrType, ae.Type())
				assert.Contains(t, ae.Error(), "deal 7")
				assert.Empty(t, got.sent)
				return
			}
			require.NoError(t, got.err)
			assert.Equal(t, tt.wantOutcome, got.res.Outcome)
			assert.Contains(t, got.res.Reason, tt.wantReason)
			require.Len(t, got.sent, tt.wantSent)
			assert.LessOrEqual(t, got.pipelines, 1, "the pipeline is read once per run")
		})
	}
}

func TestDealWonEvent(t *testing.T) {
	got := runDeal(t, dealWorld{stages: []string{"closedwon"},
		contacts: []activities.Association{{ID: "101"}, {ID: "102", Labels: []string{"Primary"}}},
		emails:   map[string]string{"101": "other@example.com", "102": "jane@example.com"},
		items: []activities.LineItem{{ID: "1", Properties: map[string]string{"name": "Pro plan", "quantity": "1"}},
			{ID: "2", Properties: map[string]string{"name": "Seats", "quantity": "5"}}},
	}, DealInput{DealID: "7"}, nil)
	require.NoError(t, got.err)
	require.Len(t, got.sent, 1)
	ev := got.sent[0]
	assert.Equal(t, "converted", ev.EventName)
	want := map[string]string{"partner_conversion_id": "deal-7", "email": "jane@example.com", "amount": "1500.00",
		"product": "Pro plan, Seats × 5", "deal_id": "7", "pipeline": "default", "currency": "EUR", "extole_app_type": "hubspot"}
	for k, v := range want {
		var s string
		require.NoError(t, json.Unmarshal(ev.Data[k], &s), k)
		assert.Equal(t, v, s, k)
	}
	assert.Equal(t, "extole-event/converted/deal-7", got.res.ConversionID)

	// Without line items the product is the deal's name.
	got = runDeal(t, dealWorld{stages: []string{"closedwon"}, contacts: []activities.Association{{ID: "102"}},
		emails: map[string]string{"102": "jane@example.com"}}, DealInput{DealID: "7"}, nil)
	require.Len(t, got.sent, 1)
	assert.JSONEq(t, `"Big deal"`, string(got.sent[0].Data["product"]))
}

func TestDealStartOptionsAllowANewRunAfterAnyClose(t *testing.T) {
	o := DealStartOptions("7")
	assert.Equal(t, "hubspot-deal/7", o.ID)
	assert.Equal(t, "deal-7", DealConversionID("7"))
}
