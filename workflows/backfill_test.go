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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// fakeContacts pages contacts 1..n; ids divisible by 7 have no email; ids ending in 3 already have the
// share_link Extole's shareable has (set by the webhook) but no share_code; ids ending in 9 have a
// share_link of another shareable.
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
			switch id % 10 {
			case 3:
				c.ShareLink = fmt.Sprintf("r.example.com/p-c%d@example.com", id) // scheme-less, as Extole may send it
			case 9:
				c.ShareLink = fmt.Sprintf("https://other.example.com/c%d", id)
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
	written                    map[string]activities.LinkWrite
	signalled                  []string // workflow IDs
	signals                    map[string]int
}

func (b *backfillEnv) count(n *int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*n++
}

func newBackfillEnv(n int) *backfillEnv {
	b := &backfillEnv{env: newTestEnv(), written: map[string]activities.LinkWrite{}, signals: map[string]int{}}
	h, e, tc := &activities.HubSpot{}, &activities.Extole{}, &activities.Temporal{}
	b.env.RegisterActivity(h)
	b.env.RegisterActivity(e)
	b.env.RegisterActivity(tc)
	b.env.OnActivity(tc.SignalWorkflows, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SignalWorkflowsInput) (int, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.signalled = append(b.signalled, in.WorkflowIDs...)
			b.signals[in.Signal]++
			return len(in.WorkflowIDs), nil
		})
	mockPropertyActivities(b.env, &propertyCalls{})
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
				b.written[l.Email] = l
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
	noEmail, otherLink := 0, 0
	for id := 1; id <= 250; id++ {
		switch {
		case id%7 == 0:
			noEmail++
		case id%10 == 9:
			otherLink++
		}
	}
	assert.True(t, p.Done)
	assert.Equal(t, 250, p.Scanned)
	assert.Equal(t, noEmail+otherLink, p.Skipped)
	assert.Equal(t, map[string]int{SkipNoEmail: noEmail, SkipOtherLink: otherLink}, p.SkippedReasons)
	assert.Equal(t, 1, p.Failed, "c5 rejected by Extole")
	require.Len(t, p.Failures, 1)
	assert.Contains(t, p.Failures[0], "c5@…: ")
	assert.Contains(t, p.Failures[0], "invalid_key_value")
	assert.Equal(t, 250-noEmail-otherLink-1, p.Linked)
	assert.Len(t, b.written, 250-noEmail-otherLink-1)
	assert.NotContains(t, b.written, "c9@example.com", "another shareable's link is left as it is")
	assert.Equal(t, "code-p-c1@example.com", b.written["c1@example.com"].ShareCode)
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

// A contact that got its share_link from the webhook keeps it: the backfill writes only the share_code it
// lacks (when it belongs to that link), and every written contact's ShareLinkSync is told to re-assert
// its link.
func TestBackfillWritesOnlyWhatContactsLackAndReasserts(t *testing.T) {
	b := newBackfillEnv(30)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend"})
	require.NoError(t, b.env.GetWorkflowError())

	tests := []struct {
		email     string
		wantWrite activities.LinkWrite
	}{
		{"c1@example.com", activities.LinkWrite{Email: "c1@example.com", ShareLink: "https://r.example.com/p-c1@example.com", ShareCode: "code-p-c1@example.com"}},
		{"c13@example.com", activities.LinkWrite{Email: "c13@example.com", ShareCode: "code-p-c13@example.com"}},
		{"c23@example.com", activities.LinkWrite{Email: "c23@example.com", ShareCode: "code-p-c23@example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			assert.Equal(t, tc.wantWrite, b.written[tc.email])
			assert.Contains(t, b.signalled, ShareLinkWorkflowID(tc.email))
		})
	}
	assert.Len(t, b.signalled, len(b.written), "every written contact, and only those, is signalled")
	assert.Equal(t, map[string]int{ShareLinkReassertSignal: 1}, b.signals, "one signal activity per page")
}

// The import reads the chunk's contacts first and writes only what each lacks: a link a contact already
// has (the webhook's) is never overwritten, and the written contacts' ShareLinkSync re-asserts its link.
func TestImportWritesOnlyWhatContactsLackAndReasserts(t *testing.T) {
	b := newBackfillEnv(0)
	var h *activities.HubSpot
	var readCalls int
	b.env.OnActivity(h.ReadLinks, mock.Anything, mock.Anything).Return(
		func(_ context.Context, emails []string) ([]activities.LinkWrite, error) {
			b.count(&readCalls)
			return []activities.LinkWrite{
				{Email: "Full@x.io", ShareLink: "https://webhook.example.com/full", ShareCode: "full"},
				{Email: "half@x.io", ShareLink: "https://r.example.com/h1"},
				{Email: "other@x.io", ShareLink: "https://webhook.example.com/other"},
			}, nil
		})
	chunk := ImportChunk{Index: 0, Links: []activities.LinkWrite{
		{Email: "full@x.io", ShareLink: "https://r.example.com/f1", ShareCode: "f1"},
		{Email: "half@x.io", ShareLink: "https://r.example.com/h1", ShareCode: "h1"},
		{Email: "new@x.io", ShareLink: "https://r.example.com/n1", ShareCode: "n1"},
		{Email: "other@x.io", ShareLink: "https://r.example.com/o1", ShareCode: "o1"},
	}}
	var got ImportChunkResult
	b.env.RegisterDelayedCallback(func() {
		b.env.UpdateWorkflow(ImportChunkUpdate, "chunk-0", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { t.Errorf("chunk rejected: %v", err) },
			OnComplete: func(r any, err error) {
				require.NoError(t, err)
				got = r.(ImportChunkResult)
				b.env.SignalWorkflow(ImportFinish, nil)
			},
		}, chunk)
	}, time.Second)
	b.env.ExecuteWorkflow(ShareLinkImport, ImportProgress{File: "links.csv"})
	require.NoError(t, b.env.GetWorkflowError())
	var p ImportProgress
	require.NoError(t, b.env.GetWorkflowResult(&p))

	assert.Equal(t, 1, readCalls, "one batch read per chunk")
	assert.Equal(t, map[string]activities.LinkWrite{
		"half@x.io": {Email: "half@x.io", ShareCode: "h1"},
		"new@x.io":  {Email: "new@x.io", ShareLink: "https://r.example.com/n1", ShareCode: "n1"},
	}, b.written)
	assert.Equal(t, ImportChunkResult{Written: 2, Kept: 2}, got)
	assert.Equal(t, 2, p.Kept)
	assert.Equal(t, 2, p.Written)
	assert.ElementsMatch(t, []string{ShareLinkWorkflowID("half@x.io"), ShareLinkWorkflowID("new@x.io")}, b.signalled)
	assert.Equal(t, map[string]int{ShareLinkReassertSignal: 1}, b.signals)
}
