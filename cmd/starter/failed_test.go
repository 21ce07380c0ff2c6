package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/redrive"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFailedFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cmd     string
		args    []string
		want    failedFlags
		wantErr bool
	}{
		{"defaults", "list", nil, failedFlags{filter: redrive.Filter{Since: 24 * time.Hour}}, false},
		{"every list flag", "list", []string{"--since", "1h", "--type", "ShareLinkSync", "--query", `PartnerConversionId = "pc-1"`, "--json"},
			failedFlags{filter: redrive.Filter{Since: time.Hour, Type: "ShareLinkSync", Query: `PartnerConversionId = "pc-1"`}, json: true}, false},
		{"redrive dry run", "redrive", []string{"--since", "1h", "--dry-run"}, failedFlags{filter: redrive.Filter{Since: time.Hour}, dryRun: true}, false},
		{"dry run is redrive's only", "list", []string{"--dry-run"}, failedFlags{}, true},
		{"bad duration", "list", []string{"--since", "yesterday"}, failedFlags{}, true},
		{"stray argument", "redrive", []string{"now"}, failedFlags{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFailedFlags(tc.cmd, tc.args)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

var closed = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

func TestPrintRunsOneLineEach(t *testing.T) {
	runs := []redrive.Run{
		{WorkflowID: "extole-event/signed_up/pc-1", Type: "ReferralSignup", Status: "Failed", ClosedAt: closed,
			PartnerError: redrive.PartnerError{Type: activities.ErrTypeExtoleRejected, Code: "unexpected_request", Message: "Received unexpected request"}},
		{WorkflowID: "share-link/ab12", Type: "ShareLinkSync", Status: "TimedOut", ClosedAt: closed, NewerRun: "Completed",
			PartnerError: redrive.PartnerError{Message: "activity ScheduleToClose timeout"}},
	}
	var text bytes.Buffer
	require.NoError(t, printRuns(&text, runs, false))
	assert.Equal(t, ""+
		"2026-11-27T09:30:00Z  Failed    ReferralSignup  extole-event/signed_up/pc-1  ExtoleRejected unexpected_request: Received unexpected request\n"+
		"2026-11-27T09:30:00Z  TimedOut  ShareLinkSync   share-link/ab12              activity ScheduleToClose timeout (newer run Completed)\n"+
		"2 failed\n", text.String())

	var b bytes.Buffer
	require.NoError(t, printRuns(&b, runs, true))
	var got []map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &got))
	require.Len(t, got, 2)
	assert.Equal(t, map[string]any{"workflow_id": "extole-event/signed_up/pc-1", "run_id": "", "type": "ReferralSignup", "status": "Failed",
		"closed_at": "2026-11-27T09:30:00Z", "error_type": activities.ErrTypeExtoleRejected, "code": "unexpected_request", "message": "Received unexpected request"}, got[0])
}

func TestPrintOutcomesCountsEachAction(t *testing.T) {
	out := []redrive.Outcome{
		{Run: redrive.Run{WorkflowID: "extole-event/signed_up/pc-1", Type: "ReferralSignup"}, Action: redrive.Started, NewRunID: "r-2"},
		{Run: redrive.Run{WorkflowID: "extole-event/signed_up/pc-2", Type: "ReferralSignup"}, Action: redrive.Skipped, Reason: "a newer run is Completed"},
	}
	var b bytes.Buffer
	require.NoError(t, printOutcomes(&b, out, false))
	assert.Equal(t, ""+
		"started  ReferralSignup  extole-event/signed_up/pc-1  run r-2\n"+
		"skipped  ReferralSignup  extole-event/signed_up/pc-2  a newer run is Completed\n"+
		"1 started, 0 would start, 1 skipped, 0 errors\n", b.String())
}

func TestProgressBar(t *testing.T) {
	for _, tc := range []struct {
		done, total int
		want        string
	}{
		{0, 40, "\r[                              ] 0/40"},
		{20, 40, "\r[===============               ] 20/40"},
		{40, 40, "\r[==============================] 40/40\n"},
	} {
		assert.Equal(t, tc.want, progressBar(tc.done, tc.total))
	}
}
