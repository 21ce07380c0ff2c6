package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/codec"
	"github.com/hubspot-extole/bridge/internal/redrive"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// `starter failed list|redrive` against the real server, with payloads encrypted by the bridge's codec:
// events Extole rejected are listed with Extole's code, re-driven with their original input once the
// cause is fixed, each delivered exactly once; a second re-drive starts nothing. A share link HubSpot
// rejected is re-driven the same way.
func TestFailedWorkflowsAreListedAndRedrivenOnce(t *testing.T) {
	base, ns := namespaceClient(t)
	cdc, err := codec.Parse("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	require.NoError(t, err)
	opts := client.Options{Namespace: ns, Logger: quietLogger{}}
	cdc.Configure(&opts)
	c, err := client.NewClientFromExisting(base, opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	s := newStack(t, stackOptions{Client: c})
	r := &redrive.Redriver{Client: c, DataConverter: opts.DataConverter, FailureConverter: opts.FailureConverter}
	ctx := t.Context()

	// listed waits for visibility to show n runs of filter f.
	listed := func(f redrive.Filter, n int, newer string) []redrive.Run {
		t.Helper()
		var runs []redrive.Run
		eventually(t, 30*time.Second, fmt.Sprintf("%d failed %s runs listed", n, f.Type), func() bool {
			runs, err = r.List(ctx, f)
			require.NoError(t, err)
			return len(runs) == n && (n == 0 || runs[n-1].NewerRun == newer)
		})
		return runs
	}
	actions := func(out []redrive.Outcome) map[string]int {
		m := map[string]int{}
		for _, o := range out {
			m[o.Action]++
		}
		return m
	}

	t.Run("events Extole rejected", func(t *testing.T) {
		s.Extole.SetFaults(sandbox.Faults{ForceStatus: http.StatusBadRequest, ForceCount: 5, PathPrefix: "/v5/events"})
		var ids []string
		for i := range 5 {
			status, res, _ := s.post(eventsPath, signedUpBody(fmt.Sprintf("pc-redrive-%d", i)), nil)
			require.Equal(t, http.StatusAccepted, status, "%v", res)
			ids = append(ids, res["workflow_id"].(string))
		}
		for _, id := range ids {
			require.Error(t, s.waitResult(id, nil), id)
		}
		require.Empty(t, s.Extole.Events())
		// The history holds the contact's email only encrypted.
		hist := c.GetWorkflowHistory(ctx, ids[0], "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		ev, err := hist.Next()
		require.NoError(t, err)
		require.NotContains(t, ev.String(), "jane@example.com")

		s.Extole.SetFaults(sandbox.Faults{}) // the cause is fixed
		f := redrive.Filter{Since: time.Hour, Type: "ReferralSignup"}
		runs := listed(f, 5, "")
		var listedIDs []string
		for _, run := range runs {
			listedIDs = append(listedIDs, run.WorkflowID)
			assert.Equal(t, "Failed", run.Status)
			assert.Equal(t, redrive.PartnerError{Type: activities.ErrTypeExtoleRejected, Code: "unexpected_request", Message: "Received unexpected request"}, run.PartnerError)
		}
		assert.ElementsMatch(t, ids, listedIDs)
		js, err := json.Marshal(runs)
		require.NoError(t, err)
		assert.Equal(t, 5, bytes.Count(js, []byte(`"code":"unexpected_request"`)), "list --json: %s", js)

		out, err := r.Redrive(ctx, runs, true, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{redrive.WouldStart: 5}, actions(out), "dry run")
		assert.Empty(t, s.Extole.Events(), "a dry run starts nothing")

		out, err = r.Redrive(ctx, runs, false, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{redrive.Started: 5}, actions(out))
		for _, id := range ids {
			require.NoError(t, s.waitResult(id, nil), id)
		}
		got := map[string]int{}
		for _, e := range s.Extole.Events() {
			var pcid string
			require.NoError(t, json.Unmarshal(e.Data["partner_conversion_id"], &pcid))
			got[pcid]++
		}
		assert.Equal(t, map[string]int{"pc-redrive-0": 1, "pc-redrive-1": 1, "pc-redrive-2": 1, "pc-redrive-3": 1, "pc-redrive-4": 1}, got)
		// The new run is found and read as the first was.
		d := s.describe(ids[0])
		assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_COMPLETED, d.GetWorkflowExecutionInfo().GetStatus())
		assert.Contains(t, string(d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["PartnerConversionId"].GetData()), "pc-redrive-0")
		var summary string
		require.NoError(t, opts.DataConverter.FromPayload(d.GetExecutionConfig().GetUserMetadata().GetSummary(), &summary))
		assert.Contains(t, summary, "(pc-redrive-0)")

		// Again: every workflow has a newer completed run, nothing starts; a stale list changes nothing either.
		again, err := r.Redrive(ctx, listed(f, 5, "Completed"), false, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{redrive.Skipped: 5}, actions(again))
		stale, err := r.Redrive(ctx, runs, false, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{redrive.Skipped: 5}, actions(stale), "the server refuses a second start")
		assert.Len(t, s.Extole.Events(), 5)
	})

	t.Run("share link HubSpot rejected", func(t *testing.T) {
		const email = "redrive@example.com"
		s.HubSpot.SetFaults(sandbox.Faults{ForceStatus: http.StatusBadRequest, ForceCount: 1, PathPrefix: "/crm/v3/objects/contacts"})
		status, res, _ := s.post(shareLinksPath, extoleBody(email, "redo01"), bearer)
		require.Equal(t, http.StatusAccepted, status, "%v", res)
		id := workflows.ShareLinkWorkflowID(email)
		require.Error(t, s.waitResult(id, nil))
		s.HubSpot.SetFaults(sandbox.Faults{})

		f := redrive.Filter{Since: time.Hour, Type: "ShareLinkSync"}
		runs := listed(f, 1, "")
		assert.Equal(t, activities.ErrTypeHubSpotRejected, runs[0].PartnerError.Type)
		assert.Equal(t, "VALIDATION_ERROR", runs[0].Code)
		out, err := r.Redrive(ctx, runs, false, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{redrive.Started: 1}, actions(out))
		s.hubspotHas(email, map[string]string{"share_code": "redo01", "share_link": "https://refer.example.com/redo01"})

		again, err := r.Redrive(ctx, listed(f, 1, "Running"), false, nil)
		require.NoError(t, err)
		assert.Equal(t, map[string]int{redrive.Skipped: 1}, actions(again))
	})
}
