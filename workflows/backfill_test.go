package workflows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// fakeContactsLacking pages contacts 1..n, without those linked reports as linked since; ids divisible
// by 7 have no email; ids ending in 3 already have the share_link Extole's shareable has (set by the
// webhook) but no share_code; ids ending in 9 have a share_link of another shareable.
func fakeContactsLacking(n int, linked func(id int) bool) func(context.Context, activities.SearchUnlinkedInput) (activities.UnlinkedPage, error) {
	return func(_ context.Context, in activities.SearchUnlinkedInput) (activities.UnlinkedPage, error) {
		after := 0
		if in.AfterID != "" {
			after, _ = strconv.Atoi(in.AfterID)
		}
		var page activities.UnlinkedPage
		for id := after + 1; id <= n && len(page.Contacts) < in.Limit; id++ {
			if linked(id) {
				continue
			}
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
	events                     int          // event route: SendBackfillEvent calls
	linked                     map[int]bool // event route: contacts whose link came back through the webhook
	signalled                  []string     // workflow IDs
	signals                    map[string]int
	order                      []string // "search <after>" and "write <first email>", in call order
}

func (b *backfillEnv) log(entry string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.order = append(b.order, entry)
}

func (b *backfillEnv) count(n *int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*n++
}

func newBackfillEnv(n int) *backfillEnv {
	b := &backfillEnv{env: newTestEnv(), written: map[string]activities.LinkWrite{}, signals: map[string]int{}, linked: map[int]bool{}}
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
	search := fakeContactsLacking(n, func(id int) bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.linked[id]
	})
	b.env.OnActivity(h.SearchUnlinked, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.SearchUnlinkedInput) (activities.UnlinkedPage, error) {
			b.log("search " + in.AfterID)
			return search(ctx, in)
		})
	// The event route: Extole's extension sends every link back through the webhook, but for ids
	// divisible by 13; c5 is refused.
	b.env.OnActivity(e.SendBackfillEvent, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.BackfillEventInput) (activities.SendEventResult, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.events++
			if in.Contact.Email == "c5@example.com" {
				return activities.SendEventResult{}, activities.TranslateExtoleError(&extole.Error{Kind: extole.KindInvalid, Status: 400, Code: "invalid_email", Message: "bad"})
			}
			if id, _ := strconv.Atoi(in.Contact.ID); id%13 != 0 {
				b.linked[id] = true
			}
			return activities.SendEventResult{EventID: "e-" + in.Contact.ID}, nil
		})
	b.env.OnActivity(e.FindPerson, mock.Anything, mock.Anything).Return(
		func(_ context.Context, email string) (activities.PersonRef, error) {
			b.count(&b.finds)
			return activities.PersonRef{ID: "p-" + email, Found: true}, nil
		})
	b.env.OnActivity(e.CreatePerson, mock.Anything, mock.Anything).Return(
		func(_ context.Context, email string) (activities.PersonRef, error) {
			b.count(&b.creates)
			switch {
			case email == "c5@example.com":
				return activities.PersonRef{}, activities.TranslateExtoleError(&extole.Error{Kind: extole.KindInvalid, Status: 400, Code: "invalid_key_value", Message: "bad"})
			case strings.HasSuffix(email, "1@example.com"): // Extole knows these already
				return activities.PersonRef{Exists: true}, nil
			}
			return activities.PersonRef{ID: "p-" + email, Found: true}, nil
		})
	b.env.OnActivity(e.CreateShareable, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.ShareableInput) (activities.ShareableRef, error) {
			b.count(&b.shareables)
			return activities.ShareableRef{Code: "code-" + in.PersonID, Link: "https://r.example.com/" + in.PersonID}, nil
		})
	b.env.OnActivity(h.WriteLinks, mock.Anything, mock.Anything).Return(
		func(_ context.Context, links []activities.LinkWrite) (activities.WriteLinksResult, error) {
			b.log("write " + links[0].Email)
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
	assert.Contains(t, p.Failures[0], "contact 5 (…@example.com): ", "the record id an operator can open")
	assert.Contains(t, p.Failures[0], "invalid_key_value")
	assert.Equal(t, 250-noEmail-otherLink-1, p.Linked)
	assert.Len(t, b.written, 250-noEmail-otherLink-1)
	assert.NotContains(t, b.written, "c9@example.com", "another shareable's link is left as it is")
	assert.Equal(t, "code-p-c1@example.com", b.written["c1@example.com"].ShareCode)
	assert.Equal(t, "250", p.Cursor)
}

// The next page is searched and started before the previous page's batch write, so the Extole budget
// does not idle at each page boundary; the cursor only moves past a page once it is written.
func TestBackfillPipelinesPages(t *testing.T) {
	b := newBackfillEnv(300)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend"})
	require.NoError(t, b.env.GetWorkflowError())
	pos := map[string]int{}
	for i, e := range b.order {
		pos[e] = i
	}
	require.Contains(t, pos, "search 100", b.order)
	require.Contains(t, pos, "write c1@example.com", b.order)
	assert.Less(t, pos["search 100"], pos["write c1@example.com"], "page 2 is searched before page 1 is written: %v", b.order)
	assert.Less(t, pos["search 200"], pos["write c101@example.com"], "%v", b.order)
	var p BackfillProgress
	require.NoError(t, b.env.GetWorkflowResult(&p))
	assert.Equal(t, "300", p.Cursor)
}

// A contact Extole does not know costs two calls (create person, create shareable); one it knows costs a
// third, the lookup after identity_key_value_already_taken.
func TestBackfillCreatesPersonFirst(t *testing.T) {
	b := newBackfillEnv(40)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend"})
	require.NoError(t, b.env.GetWorkflowError())
	withEmail, known := 0, 0
	for id := 1; id <= 40; id++ {
		if id%7 == 0 {
			continue
		}
		withEmail++
		if id%10 == 1 {
			known++
		}
	}
	assert.Equal(t, withEmail, b.creates, "every contact: create first")
	assert.Equal(t, known, b.finds, "a lookup only for the emails Extole already knows")
	assert.Equal(t, withEmail-1, b.shareables, "every contact but c5, which Extole refused")
}

// The event route makes one Extole call per contact, waits for the links to come back and reports the
// ones that did not; a re-run sends nothing for the contacts that got theirs.
func TestBackfillEventRoute(t *testing.T) {
	const n = 60
	b := newBackfillEnv(n)
	b.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend", Route: BackfillRouteEvents})
	require.NoError(t, b.env.GetWorkflowError())
	var p BackfillProgress
	require.NoError(t, b.env.GetWorkflowResult(&p))
	withEmail := n - n/7
	neverBack := 4 // 13, 26, 39, 52
	assert.Equal(t, withEmail, b.events, "one Extole call per contact")
	assert.Zero(t, b.finds+b.creates+b.shareables)
	assert.Empty(t, b.written, "the webhook writes the links, not the backfill")
	assert.Equal(t, n, p.Total)
	assert.Equal(t, withEmail-1, p.Sent)
	assert.Equal(t, 1, p.Failed)
	assert.Equal(t, withEmail-1-neverBack, p.Received)
	assert.Len(t, p.NotReceived, neverBack+1, "and c5, whose event failed")
	assert.Contains(t, p.NotReceived, "contact 5 (…@example.com)")
	assert.True(t, p.Done)
	assert.Contains(t, p.Summary(), "links received 47 of 51 sent")
	assert.Contains(t, p.Summary(), "4 links did not come back")

	again := newBackfillEnv(n)
	again.linked = b.linked
	again.env.ExecuteWorkflow(ShareLinkBackfill, BackfillInput{Label: "refer-a-friend", Route: BackfillRouteEvents})
	require.NoError(t, again.env.GetWorkflowError())
	assert.Equal(t, withEmail-(withEmail-1-neverBack), again.events, "a re-run sends only the contacts still lacking a link")
}

func TestBackfillProgressMeasure(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name     string
		p        BackfillProgress
		rate     float64
		eta      time.Duration
		done     int
		summary  string
		inWindow int
	}{
		{
			name:    "scanning is not progress",
			p:       BackfillProgress{Total: 1000, Scanned: 300, Window: []RateSample{{At: ago(30 * time.Second)}}},
			summary: "linked 0 of 1000 eligible (scanned 300), skipped 0, failed 0 — 1000 left, none done in the last minute",
			// first sample of a run: no rate, no ETA
			inWindow: 2,
		},
		{
			name: "the rate is the last minute's, not the average since the start",
			p: BackfillProgress{Total: 1000, Linked: 190, Skipped: 10, Window: []RateSample{
				{At: ago(10 * time.Minute)}, {At: ago(time.Minute), Done: 100}, {At: ago(30 * time.Second), Done: 150}}},
			rate: 90, eta: 800 * time.Minute / 90, done: 190, inWindow: 3,
			summary: "linked 190 of 1000 eligible (scanned 0), skipped 10, failed 0 — 90/min over the last minute, 800 left, ETA 8m53s",
		},
		{
			name: "a page slower than a minute still yields a rate",
			p:    BackfillProgress{Total: 400, Linked: 100, Window: []RateSample{{At: ago(150 * time.Second)}}},
			rate: 40, eta: 450 * time.Second, done: 100, inWindow: 2,
		},
		{
			name: "event route: events sent",
			p:    BackfillProgress{Route: BackfillRouteEvents, Phase: PhaseSending, Total: 200, Sent: 50, Window: []RateSample{{At: ago(30 * time.Second)}}},
			rate: 100, eta: 90 * time.Second, done: 50, inWindow: 2,
		},
		{
			name: "event route: waiting counts the links received",
			p:    BackfillProgress{Route: BackfillRouteEvents, Phase: PhaseWaiting, Total: 200, Sent: 200, Received: 150, Window: []RateSample{{At: ago(30 * time.Second), Done: 200}}},
			done: 150, inWindow: 2,
			summary: "sent 200 of 200 eligible, links received 150 of 200 sent, skipped 0, failed 0 — waiting for the links",
		},
		{
			name: "dry run counts the eligible",
			p:    BackfillProgress{DryRun: true, Total: 100, Eligible: 60, Window: []RateSample{{At: ago(time.Minute)}}},
			rate: 60, eta: 40 * time.Second, done: 60, inWindow: 2,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			p.measure(now)
			assert.InDelta(t, tc.rate, p.RatePerMinute, 0.001)
			assert.InDelta(t, float64(tc.eta), float64(p.ETA), float64(time.Millisecond))
			assert.Equal(t, tc.done, p.DoneCount())
			assert.Len(t, p.Window, tc.inWindow, "only the last minute and its baseline are kept")
			if tc.summary != "" {
				assert.Equal(t, tc.summary, p.Summary())
			}
		})
	}
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
