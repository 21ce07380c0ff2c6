package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

const eventsPath = "/webhooks/hubspot/events"

// signedUpBody is the body HubSpot's documented workflow webhook sends to Extole
// (docs/extole-api.md#events-api).
func signedUpBody(pcid string) string {
	return fmt.Sprintf(`{"event_name":"signed_up","data":{"email":"jane@example.com","advocate_code":"alex01",`+
		`"first_name":"Jane","last_name":"Doe","event_date":"2026-11-26T10:00:00Z","partner_conversion_id":%q,`+
		`"company":"Example Co","extole_app_type":"hubspot"}}`, pcid)
}

func TestSignedUpReachesExtoleWithEveryDataKey(t *testing.T) {
	s := newStack(t, stackOptions{})
	body := signedUpBody("pc-signup-1")
	status, res, _ := s.post(eventsPath, body, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	assert.Equal(t, "accepted", res["status"])
	wfID := workflows.EventWorkflowID("signed_up", "pc-signup-1")
	require.Equal(t, wfID, res["workflow_id"])
	assert.NotEmpty(t, res["run_id"])

	var out workflows.EventResult
	require.NoError(t, s.waitResult(wfID, &out))
	s.recordHistory(wfID, "referral_signup")

	events := s.Extole.Events()
	require.Len(t, events, 1)
	assert.Equal(t, "signed_up", events[0].EventName)
	assert.Equal(t, events[0].ID, out.ExtoleEventID, "workflow result carries Extole's id")
	var sent struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &sent))
	require.Equal(t, len(sent.Data), len(events[0].Data), "every data key arrives, nothing added")
	for k, v := range sent.Data {
		assert.JSONEq(t, string(v), string(events[0].Data[k]), "data.%s", k)
	}

	// Operators find the event in the Web UI by conversion id, event name or email hash, and see a summary.
	d := s.describe(wfID)
	assert.Equal(t, "ReferralSignup", d.GetWorkflowExecutionInfo().GetType().GetName())
	attrs := d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	for key, want := range map[string]string{
		"PartnerConversionId": "pc-signup-1",
		"ExtoleEventName":     "signed_up",
		"ContactEmailHash":    contact.HashEmail("jane@example.com"),
	} {
		require.Contains(t, attrs, key)
		assert.Contains(t, string(attrs[key].GetData()), want, key)
	}
	summary := d.GetExecutionConfig().GetUserMetadata().GetSummary()
	require.NotNil(t, summary)
	assert.Contains(t, string(summary.GetData()), "signed_up → Extole for …@example.com (pc-signup-1)")
}

func TestRoutingAddsAppTypeAndForwardsOtherEvents(t *testing.T) {
	s := newStack(t, stackOptions{})
	cases := []struct {
		body, wfType, history string
	}{
		{`{"event_name":"converted","data":{"email":"deal@example.com","partner_conversion_id":"deal-42","product":"Pro plan","amount":"1500.00"}}`, "DealConverted", "deal_converted"},
		{`{"event_name":"lead_created","data":{"partner_user_id":"u-7","partner_conversion_id":7001}}`, "ForwardEvent", "forward_event"},
	}
	for _, tc := range cases {
		status, res, _ := s.post(eventsPath, tc.body, nil)
		require.Equal(t, http.StatusAccepted, status, "%v", res)
		wfID := res["workflow_id"].(string)
		require.NoError(t, s.waitResult(wfID, nil))
		assert.Equal(t, tc.wfType, s.describe(wfID).GetWorkflowExecutionInfo().GetType().GetName())
		s.recordHistory(wfID, tc.history)
	}
	events := s.Extole.Events()
	require.Len(t, events, 2)
	assert.Equal(t, `"hubspot"`, string(events[0].Data["extole_app_type"]), "added when absent")
	assert.Equal(t, `"Pro plan"`, string(events[0].Data["product"]))
	assert.Equal(t, `"1500.00"`, string(events[0].Data["amount"]), "strings stay strings")
	assert.Equal(t, "lead_created", events[1].EventName)
	assert.Equal(t, `7001`, string(events[1].Data["partner_conversion_id"]), "numbers stay numbers")
}

func TestConcurrentDuplicatesDeliverExactlyOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	body := signedUpBody("pc-dup-1")
	const n = 10
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _, _ = s.post(eventsPath, body, nil)
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	assert.Equal(t, map[int]int{http.StatusAccepted: 1, http.StatusOK: n - 1}, count)

	wfID := workflows.EventWorkflowID("signed_up", "pc-dup-1")
	require.NoError(t, s.waitResult(wfID, nil))
	// A redelivery after completion is still a duplicate: HubSpot retries for up to three days.
	status, res, _ := s.post(eventsPath, body, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "duplicate", res["status"])
	assert.Equal(t, wfID, res["workflow_id"])
	assert.Len(t, s.Extole.Events(), 1)
	assert.Equal(t, 0, s.Extole.Duplicates(), "Extole never even saw a second submission")
}

func TestExtoleOutageIsRetriedAndDeliveredOnce(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.Extole.SetFaults(sandbox.Faults{ForceStatus: http.StatusServiceUnavailable, ForceCount: 3, PathPrefix: "/v5/events"})
	status, res, _ := s.post(eventsPath, signedUpBody("pc-outage-1"), nil)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	require.NoError(t, s.waitResult(res["workflow_id"].(string), nil))
	s.recordHistory(res["workflow_id"].(string), "referral_signup_retried")
	assert.Len(t, s.Extole.Events(), 1)
	var got []int
	for _, r := range s.Extole.Requests() {
		if r.Path == "/v5/events" {
			got = append(got, r.Status)
		}
	}
	assert.Equal(t, []int{503, 503, 503, 200}, got)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.Extole.SetFaults(sandbox.Faults{ForceStatus: http.StatusTooManyRequests, ForceCount: 1, RetryAfter: "3", PathPrefix: "/v5/events"})
	status, res, _ := s.post(eventsPath, signedUpBody("pc-429-1"), nil)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	require.NoError(t, s.waitResult(res["workflow_id"].(string), nil))
	var attempts []sandbox.RequestRecord
	for _, r := range s.Extole.Requests() {
		if r.Path == "/v5/events" {
			attempts = append(attempts, r)
		}
	}
	require.Len(t, attempts, 2)
	assert.Equal(t, 429, attempts[0].Status)
	assert.Equal(t, 200, attempts[1].Status)
	gap := attempts[1].At.Sub(attempts[0].At)
	// The retry policy alone would retry after 1 s; Retry-After asked for 3.
	assert.GreaterOrEqual(t, gap, 3*time.Second)
	assert.Less(t, gap, 10*time.Second)
}

func TestExtoleRejectionFailsWorkflowWithExtolesMessage(t *testing.T) {
	s := newStack(t, stackOptions{})
	// A top-level event_time Extole cannot parse: our webhook forwards it, Extole answers 400.
	body := `{"event_name":"signed_up","event_time":"yesterday","data":{"email":"bad@example.com","partner_conversion_id":"pc-400-1"}}`
	status, res, _ := s.post(eventsPath, body, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	wfID := res["workflow_id"].(string)
	err := s.waitResult(wfID, nil)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	assert.Equal(t, activities.ErrTypeExtoleRejected, appErr.Type())
	assert.Contains(t, appErr.Error(), "invalid_event_time_format")
	assert.Contains(t, appErr.Error(), "Invalid event time format")
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_FAILED, s.describe(wfID).GetWorkflowExecutionInfo().GetStatus())
	s.recordHistory(wfID, "referral_signup_rejected")
	assert.Len(t, s.Extole.Requests(), 1, "a permanent rejection is not retried")
	assert.Empty(t, s.Extole.Events())

	// A failed conversion may be re-driven by a new delivery (after the sender fixed it).
	fixed := bytes.Replace([]byte(body), []byte(`"yesterday"`), []byte(`"2026-11-26T10:00:00Z"`), 1)
	status, res, _ = s.post(eventsPath, string(fixed), nil)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	require.NoError(t, s.waitResult(wfID, nil))
	assert.Len(t, s.Extole.Events(), 1)
}
