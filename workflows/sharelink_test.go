package workflows

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
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

func TestShareLinkSyncCreatesMissingPropertiesOnce(t *testing.T) {
	env := newTestEnv()
	a := &activities.HubSpot{}
	env.RegisterActivity(a)
	calls := 0
	env.OnActivity(a.UpsertContact, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.UpsertContactInput) (activities.UpsertContactResult, error) {
			calls++
			if calls == 1 {
				return activities.UpsertContactResult{}, activities.TranslateHubSpotError(&hubspot.Error{
					Kind: hubspot.KindInvalid, Status: 400, Category: "VALIDATION_ERROR",
					Message: `Property "share_link" does not exist`,
					Errors:  []hubspot.ErrorDetail{{Message: `Property "share_link" does not exist`, Code: "PROPERTY_DOESNT_EXIST"}},
				})
			}
			return activities.UpsertContactResult{ContactID: "7", Created: true}, nil
		})
	ensured := 0
	env.OnActivity(a.EnsureProperties, mock.Anything).Return(
		func(context.Context) (hubspot.EnsureReport, error) { ensured++; return hubspot.EnsureReport{}, nil })
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(ShareLinkSignal, link("jane12", time.Now())) }, time.Second)
	env.ExecuteWorkflow(ShareLinkSync, ShareLinkState{Email: "jane@example.com", Hold: time.Minute})
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 2, calls)
	assert.Equal(t, 1, ensured)
	var res AppliedLink
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "7", res.ContactID)
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
