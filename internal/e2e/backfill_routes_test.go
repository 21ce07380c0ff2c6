package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// extoleCalls counts the API requests the simulated Extole answered.
func (s *stack) extoleCalls() int { return len(s.Extole.Requests()) }

// seedNew fills HubSpot with n contacts Extole does not know, and a few without email.
func seedNew(s *stack, n int) int {
	count := seed(s.HubSpot, n, func(i int) seedKind {
		if i%20 == 0 {
			return noEmail
		}
		return eligible
	})
	return count[eligible]
}

// The API route creates the person first: a contact Extole does not know costs 2 calls, not 3.
func TestBackfillAPIRouteCallsPerContact(t *testing.T) {
	s := newStack(t, stackOptions{})
	want := seedNew(s, 30)
	var p workflows.BackfillProgress
	require.NoError(t, s.startBackfill(workflows.BackfillInput{Label: "refer-a-friend"}).Get(context.Background(), &p))
	s.recordHistory(workflows.BackfillWorkflowID, "share_link_backfill_pipelined")

	assert.Equal(t, want, p.Linked, p.Summary())
	assert.Equal(t, 30, p.Total, "eligible: every contact lacking a link at the start")
	s.assertLinkedOnce(want, nil)
	perContact := float64(s.extoleCalls()) / float64(want)
	t.Logf("API route: %d contacts, %d Extole calls, %.2f per contact", want, s.extoleCalls(), perContact)
	assert.LessOrEqual(t, perContact, 2.0)
}

// The event route sends one event per contact; the simulated extension creates each link and posts it
// to the webhook, ShareLinkSync writes it to HubSpot, and the run counts the links that came back. A
// re-run sends nothing: every contact has its link.
func TestBackfillEventRoute(t *testing.T) {
	const event = "hubspot_backfill"
	s := newStack(t, stackOptions{ShareLinkEvent: event})
	want := seedNew(s, 80)
	in := workflows.BackfillInput{Label: "refer-a-friend", Route: workflows.BackfillRouteEvents, EventName: event,
		LinkPoll: 200 * time.Millisecond, LinkWait: time.Minute}
	var p workflows.BackfillProgress
	require.NoError(t, s.startBackfill(in).Get(context.Background(), &p))

	assert.Equal(t, want, p.Sent, p.Summary())
	assert.Equal(t, want, p.Received, p.Summary())
	assert.Empty(t, p.NotReceived)
	calls := s.extoleCalls()
	t.Logf("event route: %d contacts, %d Extole calls, %.2f per contact", want, calls, float64(calls)/float64(want))
	assert.LessOrEqual(t, float64(calls)/float64(want), 1.05)

	for _, e := range s.Extole.Events() {
		assert.Equal(t, event, e.EventName)
		assert.True(t, strings.HasPrefix(string(e.Data["partner_event_id"]), `"hubspot-share-link-`), "%s", e.Data["partner_event_id"])
	}
	s.assertLinkedOnce(want, nil) // each link is the extension's shareable, written through ShareLinkSync

	var again workflows.BackfillProgress
	require.NoError(t, s.startBackfill(in).Get(context.Background(), &again))
	assert.Equal(t, calls, s.extoleCalls(), "a re-run sends nothing to Extole")
	assert.Zero(t, again.Sent, again.Summary())
}

// A contact whose link does not come back is reported, not waited for forever.
func TestBackfillEventRouteReportsMissingLinks(t *testing.T) {
	s := newStack(t, stackOptions{}) // no extension: no link comes back
	want := seedNew(s, 10)
	in := workflows.BackfillInput{Label: "refer-a-friend", Route: workflows.BackfillRouteEvents,
		LinkPoll: 100 * time.Millisecond, LinkWait: time.Second}
	var p workflows.BackfillProgress
	require.NoError(t, s.startBackfill(in).Get(context.Background(), &p))
	s.recordHistory(workflows.BackfillWorkflowID, "share_link_backfill_events")
	assert.Equal(t, want, p.Sent)
	assert.Zero(t, p.Received)
	assert.Len(t, p.NotReceived, want)
	assert.Contains(t, p.Summary(), fmt.Sprintf("%d links did not come back", want))
}
