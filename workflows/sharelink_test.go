package workflows

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

func link(code string, at time.Time) ShareLink {
	return ShareLink{
		Email:      "jane@example.com",
		Properties: map[string]string{"share_code": code, "share_link": "https://refer.example.com/" + code},
		At:         at,
		Key:        "key-" + code,
	}
}

var deliveries atomic.Int64

type updateResult struct {
	ack ShareLinkAck
	err error
}

// sendLink submits a link through the update, as the webhook does, and records the answer.
func sendLink(env *testsuite.TestWorkflowEnvironment, l ShareLink, into *[]updateResult) {
	// A fresh update ID per delivery, as the webhook sends (a repeated ID would be answered by Temporal's
	// own update de-duplication instead of the workflow).
	env.UpdateWorkflow(ShareLinkUpdate, fmt.Sprintf("delivery-%d", deliveries.Add(1)), &testsuite.TestUpdateCallback{
		OnReject: func(err error) { *into = append(*into, updateResult{err: err}) },
		OnAccept: func() {},
		OnComplete: func(v any, err error) {
			ack, _ := v.(ShareLinkAck)
			*into = append(*into, updateResult{ack: ack, err: err})
		},
	}, l)
}

func TestShareLinkSyncLatestWinsAndDuplicatesWriteNothing(t *testing.T) {
	env := newTestEnv()
	a := &activities.HubSpot{}
	env.RegisterActivity(a)
	var written []string
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.UpsertContactInput) (activities.UpsertContactResult, error) {
			written = append(written, in.Properties["share_code"])
			return activities.UpsertContactResult{ContactID: "101"}, nil
		})
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var answers []updateResult
	// Two links arrive together, the newer Extole event first: only the newer one is written.
	env.RegisterDelayedCallback(func() {
		sendLink(env, link("newer1", t0.Add(5*time.Second)), &answers)
		sendLink(env, link("older1", t0), &answers)
	}, time.Second)
	// The same link again: acknowledged as a duplicate, no write.
	env.RegisterDelayedCallback(func() { sendLink(env, link("newer1", t0.Add(5*time.Second)), &answers) }, time.Minute)
	// An even older event after the newer one was applied: superseded, no write.
	env.RegisterDelayedCallback(func() { sendLink(env, link("oldest", t0.Add(-time.Hour)), &answers) }, 2*time.Minute)
	// A genuinely newer link later on: written.
	env.RegisterDelayedCallback(func() { sendLink(env, link("newest", t0.Add(time.Hour)), &answers) }, 3*time.Minute)

	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: 10 * time.Minute})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res AppliedLink
	require.NoError(t, env.GetWorkflowResult(&res))

	assert.Equal(t, []string{"newer1", "newest"}, written, "one write per distinct newest link, never an older one")
	require.Len(t, answers, 5)
	statuses := []string{}
	for _, a := range answers {
		require.NoError(t, a.err)
		statuses = append(statuses, a.ack.Status)
	}
	assert.Equal(t, []string{LinkAccepted, LinkAccepted, LinkDuplicate, LinkSuperseded, LinkAccepted}, statuses)
	assert.Equal(t, "newest", res.ShareCode)
	assert.Equal(t, "101", res.ContactID)
}

func TestShareLinkSyncRejectsAnotherContactsLink(t *testing.T) {
	env := newTestEnv()
	env.RegisterActivity(&activities.HubSpot{})
	var answers []updateResult
	env.RegisterDelayedCallback(func() {
		l := link("x0001", time.Now())
		l.Email = "someone.else@example.com"
		sendLink(env, l, &answers)
	}, time.Second)
	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: time.Minute})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, answers, 1)
	assert.Error(t, answers[0].err, "the validator refuses it")
}

// validationError is HubSpot's 400 for a write naming properties it refused, as the client parses it.
func validationError(details ...hubspot.ErrorDetail) error {
	return activities.TranslateHubSpotError(&hubspot.Error{
		Kind: hubspot.KindInvalid, Status: 400, Category: "VALIDATION_ERROR", Message: "Property values were not valid", Errors: details,
	})
}

// mockPropertySetup answers the one-call property setup activities and counts the creates.
func mockPropertySetup(env *testsuite.TestWorkflowEnvironment, a *activities.HubSpot) *atomic.Int64 {
	var creates atomic.Int64
	env.OnActivity(a.CreatePropertyGroup, mock.Anything).Return(activities.CreatedResult{Created: true}, nil)
	env.OnActivity(a.CreateProperty, mock.Anything, mock.Anything).Return(
		func(context.Context, contact.Property) (activities.CreatedResult, error) {
			creates.Add(1)
			return activities.CreatedResult{Created: true}, nil
		})
	return &creates
}

func TestShareLinkSyncCreatesMissingPropertiesOnce(t *testing.T) {
	env := newTestEnv()
	a := &activities.HubSpot{}
	env.RegisterActivity(a)
	calls := 0
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.UpsertContactInput) (activities.UpsertContactResult, error) {
			calls++
			if calls == 1 {
				return activities.UpsertContactResult{}, validationError(
					hubspot.ErrorDetail{Message: `Property "share_link" does not exist`, Code: "PROPERTY_DOESNT_EXIST", In: "share_link"})
			}
			return activities.UpsertContactResult{ContactID: "7", Created: true}, nil
		})
	creates := mockPropertySetup(env, a)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(ShareLinkSignal, link("jane12", time.Now())) }, time.Second)
	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: time.Minute})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 2, calls)
	assert.EqualValues(t, len(allPropertyNames()), creates.Load(), "each property created once, one call each")
	var res AppliedLink
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "7", res.ContactID)
	assert.Empty(t, res.Dropped)
}

// Defect 6: a property HubSpot refuses (unknown, or an invalid value) is dropped and reported; the link
// itself is always written.
func TestShareLinkSyncDropsRejectedPropertiesButWritesTheLink(t *testing.T) {
	tests := []struct {
		name     string
		rejected []hubspot.ErrorDetail // what HubSpot refuses in the first write
		wantSent []string              // properties of the final write
		wantDrop []string
	}{
		{
			name: "unknown property and invalid option",
			rejected: []hubspot.ErrorDetail{
				{Message: `Property "favorite_food" does not exist`, Code: "PROPERTY_DOESNT_EXIST", In: "favorite_food"},
				{Message: "x was not one of the allowed options: [lead, customer]", Code: "INVALID_OPTION", In: "lifecyclestage"},
			},
			wantSent: []string{"company", "share_code", "share_link"},
			wantDrop: []string{"favorite_food", "lifecyclestage"},
		},
		{
			name:     "named only in the error's context",
			rejected: []hubspot.ErrorDetail{{Message: "bad", Code: "INVALID_OPTION", Context: map[string][]string{"propertyName": {"lifecyclestage"}}}},
			wantSent: []string{"company", "favorite_food", "share_code", "share_link"},
			wantDrop: []string{"lifecyclestage"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			a := &activities.HubSpot{}
			env.RegisterActivity(a)
			var sent [][]string
			env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.UpsertContactInput) (activities.UpsertContactResult, error) {
					sent = append(sent, slices.Sorted(maps.Keys(in.Properties)))
					if len(sent) == 1 {
						return activities.UpsertContactResult{}, validationError(tt.rejected...)
					}
					return activities.UpsertContactResult{ContactID: "9"}, nil
				})
			l := link("jane12", time.Now())
			l.Properties["company"] = "Example Co"
			l.Properties["favorite_food"] = "pie"
			l.Properties["lifecyclestage"] = "x"
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(ShareLinkSignal, l) }, time.Second)
			env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: time.Minute})
			require.NoError(t, env.GetWorkflowError(), "the link is not lost over another property")
			require.Len(t, sent, 2)
			assert.Equal(t, tt.wantSent, sent[1])
			var res AppliedLink
			require.NoError(t, env.GetWorkflowResult(&res))
			assert.Equal(t, "jane12", res.ShareCode)
			var dropped []string
			for _, d := range res.Dropped {
				dropped = append(dropped, d.Property)
				assert.NotEmpty(t, d.Code)
				assert.NotEmpty(t, d.Reason, "HubSpot's reason is reported")
			}
			assert.Equal(t, tt.wantDrop, dropped)
		})
	}
}

// A refused share_link cannot be dropped: the workflow fails with HubSpot's message instead of writing
// the contact without its link.
func TestShareLinkSyncFailsWhenTheLinkItselfIsRefused(t *testing.T) {
	env := newTestEnv()
	a := &activities.HubSpot{}
	env.RegisterActivity(a)
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(activities.UpsertContactResult{},
		validationError(hubspot.ErrorDetail{Message: "share_link is not a valid URL", Code: "INVALID_URL", In: "share_link"}))
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(ShareLinkSignal, link("jane12", time.Now())) }, time.Second)
	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: time.Minute})
	require.Error(t, env.GetWorkflowError())
	assert.Contains(t, env.GetWorkflowError().Error(), "share_link is not a valid URL")
}

// Defect 9: a link whose share_link was already superseded never wins again, even when it comes back
// under another key and, ordered by arrival, later than the link that replaced it.
func TestShareLinkSyncSupersededLinkNeverWinsAgain(t *testing.T) {
	env := newTestEnv()
	a := &activities.HubSpot{}
	env.RegisterActivity(a)
	var written []string
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.UpsertContactInput) (activities.UpsertContactResult, error) {
			written = append(written, in.Properties["share_code"])
			return activities.UpsertContactResult{ContactID: "101"}, nil
		})
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var answers []updateResult
	env.RegisterDelayedCallback(func() { sendLink(env, link("first1", t0), &answers) }, time.Second)
	env.RegisterDelayedCallback(func() { sendLink(env, link("second", t0.Add(time.Minute)), &answers) }, time.Minute)
	// Extole redelivers the first link hours later, with another property (so another key) and, without an
	// event time, an arrival time later than the second link's.
	env.RegisterDelayedCallback(func() {
		again := link("first1", t0.Add(time.Hour))
		again.Key = "key-first1-redelivered"
		again.Properties["extole_app_type"] = "hubspot"
		sendLink(env, again, &answers)
	}, time.Hour)
	// An old link that never arrived before is superseded by time; its share_link then stays superseded.
	env.RegisterDelayedCallback(func() { sendLink(env, link("older0", t0.Add(-time.Hour)), &answers) }, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		again := link("older0", t0.Add(3*time.Hour))
		again.Key = "key-older0-redelivered"
		sendLink(env, again, &answers)
	}, 3*time.Hour)
	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: 10 * time.Hour})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []string{"first1", "second"}, written)
	statuses := []string{}
	for _, a := range answers {
		require.NoError(t, a.err)
		statuses = append(statuses, a.ack.Status)
	}
	assert.Equal(t, []string{LinkAccepted, LinkAccepted, LinkSuperseded, LinkSuperseded, LinkSuperseded}, statuses)
	var res AppliedLink
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "second", res.ShareCode)
}

// Defect 11: duplicates neither restart the hold nor escape continue-as-new.
func TestShareLinkSyncHoldRunsFromTheLastWrite(t *testing.T) {
	env := newTestEnv()
	a := &activities.HubSpot{}
	env.RegisterActivity(a)
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(activities.UpsertContactResult{ContactID: "1"}, nil)
	start := env.Now()
	l := link("jane12", start)
	var answers []updateResult
	env.RegisterDelayedCallback(func() { sendLink(env, l, &answers) }, time.Second)
	// Redeliveries recorded by signal (the webhook's fallback when no worker answers in time).
	for _, at := range []time.Duration{4 * time.Minute, 8 * time.Minute, 9 * time.Minute} {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(ShareLinkSignal, l) }, at)
	}
	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: 10 * time.Minute})
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, answers, 1)
	ran := env.Now().Sub(start)
	assert.GreaterOrEqual(t, ran, 10*time.Minute)
	assert.Less(t, ran, 11*time.Minute, "the hold ends 10 minutes after the write, duplicates or not")
}

func TestShareLinkSyncContinuesAsNewWithoutWriting(t *testing.T) {
	tests := []struct {
		name  string
		limit func(env *testsuite.TestWorkflowEnvironment)
	}{
		{"server suggests it", func(env *testsuite.TestWorkflowEnvironment) { env.SetContinueAsNewSuggested(true) }},
		{"hard cap on history length", func(env *testsuite.TestWorkflowEnvironment) { env.SetCurrentHistoryLength(maxShareLinkHistory) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			a := &activities.HubSpot{}
			env.RegisterActivity(a)
			writes := 0
			env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(
				func(context.Context, activities.UpsertContactInput) (activities.UpsertContactResult, error) {
					writes++
					return activities.UpsertContactResult{ContactID: "1"}, nil
				})
			t0 := env.Now()
			applied := &AppliedLink{Key: "key-jane12", At: t0, ShareCode: "jane12", ShareLink: "https://refer.example.com/jane12", ContactID: "1"}
			var answers []updateResult
			// Only a duplicate and a superseded link arrive: no write, yet the history is bounded.
			env.RegisterDelayedCallback(func() { sendLink(env, link("older0", t0.Add(-time.Hour)), &answers) }, 30*time.Second)
			env.RegisterDelayedCallback(func() {
				tt.limit(env)
				sendLink(env, link("jane12", t0), &answers)
			}, time.Minute)
			env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: time.Hour,
				Applied: applied, Seen: []string{"key-jane12"}, HoldFrom: t0})
			require.NotEmpty(t, answers)
			assert.Equal(t, LinkSuperseded, answers[0].ack.Status)
			var can *workflow.ContinueAsNewError
			require.True(t, errors.As(env.GetWorkflowError(), &can), "%v", env.GetWorkflowError())
			assert.Zero(t, writes)
			var next ShareLinkState
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			assert.True(t, t0.Equal(next.HoldFrom), "the next run does not restart the hold: %v", next.HoldFrom)
			assert.Equal(t, applied.ShareLink, next.Applied.ShareLink)
			assert.Contains(t, next.Superseded, "https://refer.example.com/older0")
		})
	}
}

// Defect 8: the backfill signals reassert after its batch wrote the contact; the applied link is written
// again, so a webhook link that landed just before the backfill's write wins.
func TestShareLinkSyncReassertRewritesTheAppliedLink(t *testing.T) {
	tests := []struct {
		name    string
		applied *AppliedLink
		want    []map[string]string
	}{
		{
			name:    "applied link written again",
			applied: &AppliedLink{Key: "k", ShareCode: "jane12", ShareLink: "https://refer.example.com/jane12", ContactID: "1"},
			want:    []map[string]string{{"share_code": "jane12", "share_link": "https://refer.example.com/jane12"}},
		},
		{name: "nothing applied: nothing to write"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			a := &activities.HubSpot{}
			env.RegisterActivity(a)
			var written []map[string]string
			env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.UpsertContactInput) (activities.UpsertContactResult, error) {
					written = append(written, in.Properties)
					return activities.UpsertContactResult{ContactID: "1"}, nil
				})
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(ShareLinkReassertSignal, nil) }, time.Minute)
			env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: 10 * time.Minute, Applied: tt.applied})
			require.NoError(t, env.GetWorkflowError())
			assert.Equal(t, tt.want, written)
		})
	}
}

func TestShareLinkSyncFailsWithHubSpotsMessage(t *testing.T) {
	env := newTestEnv()
	a := &activities.HubSpot{}
	env.RegisterActivity(a)
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(activities.UpsertContactResult{},
		activities.TranslateHubSpotError(&hubspot.Error{Kind: hubspot.KindInvalid, Status: 400, Category: "VALIDATION_ERROR", Message: "INVALID_EMAIL"}))
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(ShareLinkSignal, link("jane12", time.Now())) }, time.Second)
	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: time.Minute})
	require.Error(t, env.GetWorkflowError())
	assert.Contains(t, env.GetWorkflowError().Error(), "INVALID_EMAIL")
}
