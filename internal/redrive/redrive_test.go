package redrive

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

func TestVisibilityQuery(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		f    Filter
		want string
	}{
		{"all", Filter{}, `ExecutionStatus IN ("Failed", "TimedOut")`},
		{"since", Filter{Since: 24 * time.Hour}, `ExecutionStatus IN ("Failed", "TimedOut") AND CloseTime > "2026-11-26T10:00:00Z"`},
		{"type and query", Filter{Since: time.Hour, Type: "ReferralSignup", Query: `PartnerConversionId = "pc-1" OR PartnerConversionId = "pc-2"`},
			`ExecutionStatus IN ("Failed", "TimedOut") AND CloseTime > "2026-11-27T09:00:00Z" AND WorkflowType = "ReferralSignup" AND (PartnerConversionId = "pc-1" OR PartnerConversionId = "pc-2")`},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.f.VisibilityQuery(now)) })
	}
}

// codecDC stands for whatever codec the deployment configures: payloads in history are not plain JSON.
var codecDC = converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true}))

// encodedFailures is a failure converter that moves messages into encoded attributes, as a deployment
// with a payload codec does.
var encodedFailures = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: codecDC, EncodeCommonAttributes: true})

func TestPartnerErrorFromTheRunsFailure(t *testing.T) {
	extoleRejected := activities.TranslateExtoleError(&extole.Error{Kind: extole.KindInvalid, Status: 400,
		Code: "missing_event_name", Message: "Missing event name", UniqueID: "u-1"})
	hubspotRejected := activities.TranslateHubSpotError(&hubspot.Error{Kind: hubspot.KindInvalid, Status: 400,
		Category: "VALIDATION_ERROR", Message: "Invalid input.", CorrelationID: "c-1"})
	shareLinkRefused := temporal.NewApplicationErrorWithOptions("HubSpot refused share_link: too long (INVALID_STRING)",
		activities.ErrTypePropertiesRejected, temporal.ApplicationErrorOptions{NonRetryable: true, Cause: temporal.NewApplicationErrorWithOptions(
			"hubspot: 400 VALIDATION_ERROR: Property values were not valid", activities.ErrTypePropertiesRejected,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{[]activities.RejectedProperty{{Property: "share_link", Code: "INVALID_STRING", Reason: "too long"}}}})})
	for _, tc := range []struct {
		name    string
		failure *failurepb.Failure
		want    PartnerError
	}{
		{"Extole rejected the event", activityFailure(t, extoleRejected),
			PartnerError{Type: activities.ErrTypeExtoleRejected, Code: "missing_event_name", Message: "Missing event name"}},
		{"HubSpot rejected the write", activityFailure(t, hubspotRejected),
			PartnerError{Type: activities.ErrTypeHubSpotRejected, Code: "VALIDATION_ERROR", Message: "Invalid input."}},
		{"HubSpot refused the share link", encode(t, shareLinkRefused),
			PartnerError{Type: activities.ErrTypePropertiesRejected, Code: "INVALID_STRING", Message: "share_link: too long"}},
		{"retries ran out", timeoutFailure(t, activities.TranslateExtoleError(&extole.Error{Kind: extole.KindTransient, Status: 503,
			Code: "service_unavailable", Message: "try later"})),
			PartnerError{Type: activities.ErrTypeExtoleUnavailable, Code: "service_unavailable", Message: "try later"}},
		{"an email quoted back is masked", activityFailure(t, activities.TranslateHubSpotError(&hubspot.Error{Kind: hubspot.KindInvalid, Status: 400,
			Category: "VALIDATION_ERROR", Message: `Email address "Jane.Doe@Example.com" is invalid, not jane@x.io`})),
			PartnerError{Type: activities.ErrTypeHubSpotRejected, Code: "VALIDATION_ERROR", Message: `Email address "…@example.com" is invalid, not …@x.io`}},
		{"a workflow error of its own", encode(t, errors.New("boom")), PartnerError{Message: "boom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, partnerError(encodedFailures.FailureToError(tc.failure)))
		})
	}
}

func encode(t *testing.T, err error) *failurepb.Failure {
	t.Helper()
	f := encodedFailures.ErrorToFailure(err)
	require.NotContains(t, f.String(), "share_link", "the codec hides messages")
	return f
}

// activityFailure wraps an activity's error as the workflow's failure records it.
func activityFailure(t *testing.T, err error) *failurepb.Failure {
	return &failurepb.Failure{Message: "activity error", Cause: encode(t, err),
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{ActivityType: &commonpb.ActivityType{Name: "SendEvent"}}}}
}

func timeoutFailure(t *testing.T, last error) *failurepb.Failure {
	timeout := &failurepb.Failure{Message: "activity ScheduleToClose timeout", Cause: encode(t, last),
		FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: enums.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE}}}
	return &failurepb.Failure{Message: "activity error", Cause: timeout,
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{}}}
}

func payload(t *testing.T, dc converter.DataConverter, v any) *commonpb.Payload {
	t.Helper()
	p, err := dc.ToPayload(v)
	require.NoError(t, err)
	return p
}

func payloads(t *testing.T, dc converter.DataConverter, v ...any) *commonpb.Payloads {
	t.Helper()
	p, err := dc.ToPayloads(v...)
	require.NoError(t, err)
	return p
}

// The new run gets exactly what the failed one got, whatever data converter the client has: the
// arguments the client encodes decode to the original input, memo and summary.
func TestStartRequestKeepsTheOriginalStart(t *testing.T) {
	in := workflows.EventInput{EventName: "signed_up", Data: map[string]json.RawMessage{
		"email": json.RawMessage(`"jane@example.com"`), "partner_conversion_id": json.RawMessage(`"pc-1"`), "amount": json.RawMessage(`1500.00`)}}
	sa := payload(t, converter.GetDefaultDataConverter(), "pc-1")
	for _, tc := range []struct {
		name string
		dc   converter.DataConverter
	}{{"default converter", nil}, {"codec", codecDC}} {
		t.Run(tc.name, func(t *testing.T) {
			dc := tc.dc
			if dc == nil {
				dc = converter.GetDefaultDataConverter()
			}
			run := Run{WorkflowID: "extole-event/signed_up/pc-1", Type: "ReferralSignup",
				started: &historypb.WorkflowExecutionStartedEventAttributes{
					TaskQueue:        &taskqueuepb.TaskQueue{Name: workflows.TaskQueue},
					Input:            payloads(t, dc, in),
					Memo:             &commonpb.Memo{Fields: map[string]*commonpb.Payload{"origin": payload(t, dc, "hubspot")}},
					SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"PartnerConversionId": sa}},
					Priority:         &commonpb.Priority{PriorityKey: 1},
				},
				metadata: &sdkpb.UserMetadata{Summary: payload(t, dc, "signed_up → Extole for jane@… (pc-1)"), Details: payload(t, dc, "Data keys: amount")},
			}
			if tc.dc != nil {
				require.NotContains(t, string(run.started.GetInput().GetPayloads()[0].GetData()), "jane@example.com")
			}
			opts, args, err := (&Redriver{DataConverter: tc.dc}).startRequest(run)
			require.NoError(t, err)
			assert.Equal(t, run.WorkflowID, opts.ID)
			assert.Equal(t, workflows.TaskQueue, opts.TaskQueue)
			assert.Equal(t, enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY, opts.WorkflowIDReusePolicy)
			assert.Equal(t, enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL, opts.WorkflowIDConflictPolicy)
			assert.True(t, opts.WorkflowExecutionErrorWhenAlreadyStarted)
			assert.Equal(t, temporal.Priority{PriorityKey: 1}, opts.Priority)
			pcid, ok := opts.TypedSearchAttributes.GetKeyword(workflows.PartnerConversionID)
			assert.True(t, ok)
			assert.Equal(t, "pc-1", pcid)
			assert.Equal(t, 1, opts.TypedSearchAttributes.Size())
			assert.Equal(t, "signed_up → Extole for jane@… (pc-1)", opts.StaticSummary)
			assert.Equal(t, "Data keys: amount", opts.StaticDetails)

			// What the client will send, decoded as the worker decodes it.
			var got workflows.EventInput
			require.NoError(t, dc.FromPayloads(payloads(t, dc, args...), &got))
			assert.Equal(t, in.EventName, got.EventName)
			assert.Equal(t, len(in.Data), len(got.Data))
			for k, v := range in.Data {
				assert.JSONEq(t, string(v), string(got.Data[k]), k)
			}
			var origin string
			require.NoError(t, dc.FromPayload(payload(t, dc, opts.Memo["origin"]), &origin))
			assert.Equal(t, "hubspot", origin)
		})
	}
}

func TestShareLinkInputCarriesTheRunsLinks(t *testing.T) {
	dc := codecDC
	link := func(email, key, url string) workflows.ShareLink {
		return workflows.ShareLink{Email: email, Key: key, Properties: map[string]string{"share_link": url}, At: time.Unix(int64(len(key)), 0).UTC()}
	}
	byUpdate := link("jane@example.com", "k-update", "https://refer.example.com/a")
	bySignal := link("Jane@Example.com", "k-signal1", "https://refer.example.com/b")
	run := Run{Type: shareLinkSync, started: &historypb.WorkflowExecutionStartedEventAttributes{
		Input: payloads(t, dc, workflows.ShareLinkState{Email: "jane@example.com", Seen: []string{"k-old"}}),
	}, messages: []message{
		{workflows.ShareLinkUpdate, payloads(t, dc, byUpdate)},
		{workflows.ShareLinkReassertSignal, nil},
		{workflows.ShareLinkSignal, payloads(t, dc, link("joe@example.com", "k-other", "https://refer.example.com/joe"))},
		{workflows.ShareLinkSignal, payloads(t, dc, link("jane@example.com", "", "https://refer.example.com/nokey"))},
		{workflows.ShareLinkSignal, payloads(t, dc, bySignal)},
	}}
	args, err := (&Redriver{DataConverter: dc}).input(run)
	require.NoError(t, err)
	var st workflows.ShareLinkState
	require.NoError(t, dc.FromPayloads(payloads(t, dc, args...), &st))
	assert.Equal(t, "jane@example.com", st.Email)
	assert.Equal(t, []string{"k-old"}, st.Seen, "the rest of the state is kept")
	assert.Equal(t, []workflows.ShareLink{byUpdate, bySignal}, st.Pending, "links of another contact or without a key are left out")
}

// Nothing is started for a workflow ID whose latest run is not the failed one, and a dry run starts
// nothing at all (no client is needed for either).
func TestRedriveSkipsNewerRunsAndDryRunStartsNothing(t *testing.T) {
	started := &historypb.WorkflowExecutionStartedEventAttributes{TaskQueue: &taskqueuepb.TaskQueue{Name: workflows.TaskQueue},
		Input: payloads(t, converter.GetDefaultDataConverter(), workflows.EventInput{EventName: "x"})}
	for _, tc := range []struct {
		name       string
		newer      string
		dryRun     bool
		wantAction string
	}{
		{"newer run completed", "Completed", false, Skipped},
		{"newer run running", "Running", true, Skipped},
		{"dry run", "", true, WouldStart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls []int
			out, err := (&Redriver{}).Redrive(t.Context(), []Run{{WorkflowID: "w", Type: "ForwardEvent", NewerRun: tc.newer, started: started}},
				tc.dryRun, func(done, total int) { calls = append(calls, done, total) })
			require.NoError(t, err)
			require.Len(t, out, 1)
			assert.Equal(t, tc.wantAction, out[0].Action)
			assert.Equal(t, []int{1, 1}, calls)
		})
	}
}
