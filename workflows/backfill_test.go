package workflows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// fakeContacts pages contacts 1..n; ids divisible by 7 have no email.
func fakeContacts(n int) func(context.Context, activities.SearchUnlinkedInput) (activities.UnlinkedPage, error) {
	return func(_ context.Context, in activities.SearchUnlinkedInput) (activities.UnlinkedPage, error) {
		after := 0
		if in.AfterID != "" {
			after, _ = strconv.Atoi(in.AfterID)
		}
		var page activities.UnlinkedPage
		for id := after + 1; id <= n && len(page.Contacts) < in.Limit; id++ {
			c := activities.ContactRef{ID: strconv.Itoa(id)}
			if id%7 != 0 {
				c.Email = fmt.Sprintf("c%d@example.com", id)
			}
			page.Contacts = append(page.Contacts, c)
		}
		page.Remaining = n - after
		return page, nil
	}
}

// backfillEnv mocks the backfill's activities. The test environment runs activities concurrently, so
// the counters are guarded.
type backfillEnv struct {
	env                        *testsuite.TestWorkflowEnvironment
	mu                         sync.Mutex
	finds, creates, shareables int
	written                    map[string]string
}

func (b *backfillEnv) count(n *int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*n++
}

func newBackfillEnv(n int) *backfillEnv {
	b := &backfillEnv{env: newTestEnv(), written: map[string]string{}}
	h, e := &activities.HubSpot{}, &activities.Extole{}
	b.env.RegisterActivity(h)
	b.env.RegisterActivity(e)
	b.env.OnActivity(h.EnsureProperties, mock.Anything).Return(hubspot.EnsureReport{}, nil)
	b.env.OnActivity(h.SearchUnlinked, mock.Anything, mock.Anything).Return(fakeContacts(n))
	b.env.OnActivity(e.FindPerson, mock.Anything, mock.Anything).Return(
		func(_ context.Context, email string) (activities.PersonRef, error) {
			b.count(&b.finds)
			if email == "c5@example.com" {
				return activities.PersonRef{}, activities.TranslateExtoleError(&extole.Error{Kind: extole.KindInvalid, Status: 400, Code: "invalid_key_value", Message: "bad"})
			}
			return activities.PersonRef{}, nil
		})
	b.env.OnActivity(e.CreatePerson, mock.Anything, mock.Anything).Return(
		func(_ context.Context, email string) (activities.PersonRef, error) {
			b.count(&b.creates)
			return activities.PersonRef{ID: "p-" + email, Found: true}, nil
		})
	b.env.OnActivity(e.CreateShareable, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ShareableInput) (activities.ShareableRef, error) {
			b.count(&b.shareables)
			return activities.ShareableRef{Code: "code-" + in.PersonID, Link: "https://r.example.com/" + in.PersonID}, nil
		})
	b.env.OnActivity(h.WriteLinks, mock.Anything, mock.Anything).Return(
		func(_ context.Context, links []activities.LinkWrite) (activities.WriteLinksResult, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			for _, l := range links {
				b.written[l.Email] = l.ShareCode
			}
			return activities.WriteLinksResult{Written: len(links)}, nil
		})
	return b
}

func TestBackfillLinksPagesAndReports(t *testing.T) {
	b := newBackfillEnv(250)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend"})
	require.NoError(t, b.env.GetWorkflowError())
	var p BackfillProgress
	require.NoError(t, b.env.GetWorkflowResult(&p))
	noEmail := 250 / 7
	assert.True(t, p.Done)
	assert.Equal(t, 250, p.Scanned)
	assert.Equal(t, noEmail, p.Skipped)
	assert.Equal(t, map[string]int{SkipNoEmail: noEmail}, p.SkippedReasons)
	assert.Equal(t, 1, p.Failed, "c5 rejected by Extole")
	require.Len(t, p.Failures, 1)
	assert.Contains(t, p.Failures[0], "c5@…: ")
	assert.Contains(t, p.Failures[0], "invalid_key_value")
	assert.Equal(t, 250-noEmail-1, p.Linked)
	assert.Len(t, b.written, 250-noEmail-1)
	assert.Equal(t, "code-p-c1@example.com", b.written["c1@example.com"])
	assert.Equal(t, "250", p.Cursor)
}

func TestBackfillContinuesAsNewWithItsCursor(t *testing.T) {
	b := newBackfillEnv(250)
	b.env.SetContinueAsNewSuggested(true)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend"})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(b.env.GetWorkflowError(), &can), "%v", b.env.GetWorkflowError())
	// The next run starts from the state after the first page: cursor and counters, no contact list.
	var next BackfillInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	assert.Equal(t, "100", next.Progress.Cursor)
	assert.Equal(t, 100, next.Progress.Scanned)
	assert.Equal(t, 1, next.Progress.Generations)
	assert.True(t, next.Progress.PropertiesReady, "properties are not ensured again")
	assert.Equal(t, "refer-a-friend", next.Label)
}

func TestBackfillDryRunWritesNothing(t *testing.T) {
	b := newBackfillEnv(120)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{DryRun: true, Label: "refer-a-friend"})
	require.NoError(t, b.env.GetWorkflowError())
	var p BackfillProgress
	require.NoError(t, b.env.GetWorkflowResult(&p))
	assert.Equal(t, 120, p.Scanned)
	assert.Equal(t, 120-120/7, p.Eligible)
	assert.Zero(t, p.Linked)
	assert.Zero(t, b.finds+b.creates+b.shareables, "no Extole call")
	assert.Empty(t, b.written)
}

func TestBackfillPauseStopsNewWork(t *testing.T) {
	b := newBackfillEnv(250)
	var paused BackfillProgress
	// A pause and a resume in quick succession: the last one sent wins.
	b.env.RegisterDelayedCallback(func() {
		b.env.SignalWorkflow(BackfillPauseSignal, false)
		b.env.SignalWorkflow(BackfillPauseSignal, true)
	}, 0)
	b.env.RegisterDelayedCallback(func() {
		v, err := b.env.QueryWorkflow(BackfillQuery)
		require.NoError(t, err)
		require.NoError(t, v.Get(&paused))
		b.env.SignalWorkflow(BackfillPauseSignal, false)
	}, time.Hour)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend"})
	require.NoError(t, b.env.GetWorkflowError())
	assert.True(t, paused.Paused)
	assert.Zero(t, paused.Linked, "nothing happened during the pause")
	var p BackfillProgress
	require.NoError(t, b.env.GetWorkflowResult(&p))
	assert.True(t, p.Done)
	assert.False(t, p.Paused)
}
