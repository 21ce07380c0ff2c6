package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/batchroute"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

type seedKind int

const (
	eligible seedKind = iota
	linked
	noEmail
)

// seed fills the simulated HubSpot with n contacts of the kinds kindOf says and counts them.
func seed(h *hubspotsim.HubSpot, n int, kindOf func(i int) seedKind) map[seedKind]int {
	count := map[seedKind]int{}
	h.Seed(n, func(i int) map[string]string {
		k := kindOf(i)
		count[k]++
		email := fmt.Sprintf("c%05d@example.com", i)
		switch k {
		case noEmail:
			return map[string]string{"firstname": "Anon" + strconv.Itoa(i)}
		case linked:
			code := fmt.Sprintf("old%05d", i)
			return map[string]string{"email": email, "share_code": code, "share_link": "https://refer.example.com/" + code}
		default:
			return map[string]string{"email": email, "firstname": "C", "lastname": strconv.Itoa(i)}
		}
	})
	return count
}

func (s *stack) startBackfill(in workflows.BackfillInput) client.WorkflowRun {
	s.T.Helper()
	run, err := s.Client.ExecuteWorkflow(context.Background(), workflows.BackfillStartOptions(in.DryRun), workflows.ShareLinkBackfill, in)
	require.NoError(s.T, err)
	return run
}

func (s *stack) backfillProgress(id string) workflows.BackfillProgress {
	s.T.Helper()
	var p workflows.BackfillProgress
	v, err := s.Client.QueryWorkflow(context.Background(), id, "", workflows.BackfillQuery)
	require.NoError(s.T, err)
	require.NoError(s.T, v.Get(&p))
	return p
}

// assertLinkedOnce checks the end state: one Extole person with one shareable per eligible contact,
// the shareable's code and link on the HubSpot contact, linked and email-less contacts untouched.
func (s *stack) assertLinkedOnce(want int, before map[string]string) {
	t := s.T
	t.Helper()
	persons := s.Extole.Persons()
	require.Len(t, persons, want, "one Extole person per eligible contact, none twice")
	codes := map[string]string{}
	for _, per := range persons {
		require.Len(t, per.Shareables, 1, "one shareable for %s", per.Email)
		codes[per.Email] = per.Shareables[0].Code
	}
	for _, c := range s.HubSpot.Contacts() {
		email := c.Properties["email"]
		switch {
		case email == "":
			assert.Empty(t, c.Properties["share_link"], "contacts without email are left alone")
		case before[c.ID] != "":
			assert.Equal(t, before[c.ID], c.Properties["share_link"], "already linked contacts untouched")
		default:
			require.NotEmpty(t, codes[email], email)
			require.Equal(t, codes[email], c.Properties["share_code"], email)
			require.Equal(t, "https://refer.example.com/"+codes[email], c.Properties["share_link"], email)
		}
	}
}

func linksBefore(h *hubspotsim.HubSpot) map[string]string {
	before := map[string]string{}
	for _, c := range h.Contacts() {
		if c.Properties["share_link"] != "" {
			before[c.ID] = c.Properties["share_link"]
		}
	}
	return before
}

// 25,000 contacts: most already linked (the keyset search never returns them), some without email.
func TestBackfillLinksEveryEligibleContactOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	const n = 25_000
	count := seed(s.HubSpot, n, func(i int) seedKind {
		switch {
		case i%50 == 0:
			return noEmail
		case i%12 == 1:
			return eligible
		default:
			return linked
		}
	})
	before := linksBefore(s.HubSpot)

	start := time.Now()
	run := s.startBackfill(workflows.BackfillInput{Label: "refer-a-friend"})
	var p workflows.BackfillProgress
	require.NoError(t, run.Get(context.Background(), &p))
	t.Logf("%d contacts, %d eligible: %s in %s", n, count[eligible], p.Summary(), time.Since(start).Round(time.Second))

	assert.True(t, p.Done)
	assert.Equal(t, count[eligible]+count[noEmail], p.Scanned, "every contact lacking a link visited once")
	assert.Equal(t, count[eligible], p.Linked)
	assert.Equal(t, map[string]int{workflows.SkipNoEmail: count[noEmail]}, p.SkippedReasons)
	assert.Equal(t, count[noEmail], p.Skipped)
	require.Zero(t, p.Failed, "%v", p.Failures)
	assert.Positive(t, p.Generations, "history stayed bounded by continue-as-new")
	s.assertLinkedOnce(count[eligible], before)

	// A second run finds nothing left to do and creates nothing in Extole.
	run = s.startBackfill(workflows.BackfillInput{Label: "refer-a-friend"})
	require.NoError(t, run.Get(context.Background(), &p))
	assert.Equal(t, count[noEmail], p.Scanned)
	assert.Zero(t, p.Linked)
	assert.Len(t, s.Extole.Persons(), count[eligible])
}

// A dry run over 25,000 contacts of which more than 10,000 lack a link: the keyset search goes past
// HubSpot's 10,000-result cap without skipping or repeating a contact, and nothing is written.
func TestBackfillDryRunCrossesSearchCap(t *testing.T) {
	s := newStack(t, stackOptions{})
	const n = 25_000
	count := seed(s.HubSpot, n, func(i int) seedKind {
		switch {
		case i%50 == 0:
			return noEmail
		case i%20 == 0:
			return linked
		default:
			return eligible
		}
	})
	require.Greater(t, count[eligible], hubspot.MaxSearchResults)
	run := s.startBackfill(workflows.BackfillInput{DryRun: true, Label: "refer-a-friend"})
	var p workflows.BackfillProgress
	require.NoError(t, run.Get(context.Background(), &p))
	t.Logf("dry run: %s", p.Summary())
	assert.True(t, p.Done)
	assert.Equal(t, count[eligible]+count[noEmail], p.Scanned)
	assert.Equal(t, count[eligible], p.Eligible)
	assert.Equal(t, count[noEmail], p.Skipped)
	assert.Zero(t, p.Linked)
	assert.Empty(t, s.Extole.Requests(), "a dry run asks Extole nothing")
	assert.Zero(t, s.HubSpot.Stats().Writes, "a dry run writes nothing")
}

func TestBackfillSurvivesWorkerRestart(t *testing.T) {
	s := newStack(t, stackOptions{})
	count := seed(s.HubSpot, 400, func(i int) seedKind {
		if i%40 == 0 {
			return noEmail
		}
		return eligible
	})
	s.Extole.SetFaults(sandbox.Faults{LatencyMS: 40})
	run := s.startBackfill(workflows.BackfillInput{Label: "refer-a-friend"})
	eventually(t, time.Minute, "some contacts linked", func() bool { return s.backfillProgress(run.GetID()).Linked >= 100 })
	s.RestartWorkers() // in-flight activities are abandoned and retried by the new workers
	s.Extole.SetFaults(sandbox.Faults{})

	var p workflows.BackfillProgress
	require.NoError(t, run.Get(context.Background(), &p))
	assert.Equal(t, count[eligible], p.Linked)
	require.Zero(t, p.Failed, "%v", p.Failures)
	s.assertLinkedOnce(count[eligible], map[string]string{})
}

func TestBackfillPauseAndResume(t *testing.T) {
	s := newStack(t, stackOptions{})
	count := seed(s.HubSpot, 300, func(int) seedKind { return eligible })
	s.Extole.SetFaults(sandbox.Faults{LatencyMS: 20})
	run := s.startBackfill(workflows.BackfillInput{Label: "refer-a-friend", Concurrency: 5})
	eventually(t, time.Minute, "backfill under way", func() bool { return len(s.Extole.Persons()) >= 20 })

	require.NoError(t, s.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.BackfillPauseSignal, true))
	eventually(t, 30*time.Second, "paused", func() bool { return s.backfillProgress(run.GetID()).Paused })
	time.Sleep(time.Second) // contacts in flight at the pause finish
	calls := len(s.Extole.Requests())
	time.Sleep(2 * time.Second)
	assert.Equal(t, calls, len(s.Extole.Requests()), "no Extole calls while paused")
	assert.Less(t, len(s.Extole.Persons()), count[eligible])

	require.NoError(t, s.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.BackfillPauseSignal, false))
	var p workflows.BackfillProgress
	require.NoError(t, run.Get(context.Background(), &p))
	assert.False(t, p.Paused)
	assert.Equal(t, count[eligible], p.Linked)
	s.recordHistory(run.GetID(), "share_link_backfill")
	s.assertLinkedOnce(count[eligible], map[string]string{})
}

func TestImportWritesLinksAndReportsBadRows(t *testing.T) {
	s := newStack(t, stackOptions{})
	ids := s.HubSpot.Seed(2, func(i int) map[string]string {
		return map[string]string{"email": fmt.Sprintf("imp%04d@example.com", i)}
	})
	var csv strings.Builder
	csv.WriteString("share_link,extra,email,share_code\n")
	const good = 250
	for i := range good {
		fmt.Fprintf(&csv, "refer.example.com/imp%04d,x,imp%04d@example.com,imp%04d\n", i, i, i)
		if i == 120 {
			csv.WriteString("https://refer.example.com/bad1,x,not-an-email,bad001\n")  // line 123
			csv.WriteString("https://refer.example.com/bad2,x,short@example.com,ab\n") // line 124
			csv.WriteString(",x,nolink@example.com,nolink01\n")                        // line 125
		}
	}
	path := filepath.Join(t.TempDir(), "extole-share-links.csv")
	require.NoError(t, os.WriteFile(path, []byte(csv.String()), 0o600))

	final, err := batchroute.Import(context.Background(), s.Client, path, nil)
	require.NoError(t, err)
	hash, err := batchroute.FileHash(path)
	require.NoError(t, err)
	s.recordHistory(workflows.ImportWorkflowID(hash), "share_link_import")
	assert.True(t, final.Finished)
	assert.Equal(t, good, final.Written)
	assert.Equal(t, 3, final.Skipped)
	assert.Zero(t, final.Failed)
	require.Len(t, final.Problems, 3)
	assert.Equal(t, 123, final.Problems[0].Line)
	assert.Contains(t, final.Problems[0].Reason, "not-an-email")
	assert.Equal(t, 124, final.Problems[1].Line)
	assert.Contains(t, final.Problems[1].Reason, "share_code")
	assert.Equal(t, 125, final.Problems[2].Line)
	assert.Contains(t, final.Problems[2].Reason, "share_link")

	assert.Len(t, s.HubSpot.Contacts(), good, "existing contacts updated, others created, none twice")
	c, ok := s.HubSpot.ContactByEmail("imp0000@example.com")
	require.True(t, ok)
	assert.Equal(t, ids[0], c.ID)
	assert.Equal(t, "https://refer.example.com/imp0000", c.Properties["share_link"], "scheme-less links stored with https://")
	assert.Equal(t, "imp0000", c.Properties["share_code"])
}

func TestExportWritesBatchEventFile(t *testing.T) {
	s := newStack(t, stackOptions{})
	count := seed(s.HubSpot, 450, func(i int) seedKind {
		switch {
		case i%10 == 0:
			return noEmail
		case i%3 == 0:
			return linked
		default:
			return eligible
		}
	})
	var out strings.Builder
	hs := hubspot.New(s.HubSpotURL, hubspotToken, nil)
	res, err := batchroute.Export(context.Background(), hs, &out, "hubspot_backfill", 50, nil)
	require.NoError(t, err)
	assert.Equal(t, count[eligible], res.Rows)
	assert.Equal(t, count[noEmail], res.NoEmail)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, count[eligible]+1)
	assert.Equal(t, "email,event_name,first_name,last_name,partner_event_id", lines[0])
	seen := map[string]bool{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		require.Len(t, f, 5)
		assert.Equal(t, "hubspot_backfill", f[1])
		assert.False(t, seen[f[0]], "each contact once")
		seen[f[0]] = true
	}
	assert.Zero(t, s.HubSpot.Stats().Writes, "export only reads")
}
