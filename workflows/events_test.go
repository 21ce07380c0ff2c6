package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func funcName(f any) string {
	return runtime.FuncForPC(reflect.ValueOf(f).Pointer()).Name()
}

func TestEventRouting(t *testing.T) {
	for name, want := range map[string]any{
		"signed_up":    ReferralSignup,
		"converted":    DealConverted,
		"lead_created": ForwardEvent,
		"Signed_Up":    ForwardEvent, // Extole event names are case-sensitive
	} {
		assert.Equal(t, funcName(want), funcName(EventWorkflow(name)), name)
	}
}

func input() EventInput {
	return EventInput{EventName: "signed_up", Data: map[string]json.RawMessage{
		"email": json.RawMessage(`"jane@example.com"`), "partner_conversion_id": json.RawMessage(`"pc-1"`),
	}}
}

// The retry decisions are made by the activity's error types and the one retry policy; these tests pin
// how the workflow reacts to each class.
func TestDeliverEventRetryClassification(t *testing.T) {
	extoleErr := func(k extole.Kind, status int, code string) error {
		return &extole.Error{Kind: k, Status: status, Code: code, Message: "m"}
	}
	tests := []struct {
		name      string
		failures  []error // returned by successive attempts before success
		wantCalls int
		wantErr   string // application error type when the workflow fails
	}{
		{"success", nil, 1, ""},
		{"5xx retried", []error{extoleErr(extole.KindTransient, 503, "x"), extoleErr(extole.KindTransient, 502, "x")}, 3, ""},
		{"429 retried", []error{extoleErr(extole.KindRateLimited, 429, "too_many_requests")}, 2, ""},
		{"auth retried until fixed", []error{extoleErr(extole.KindAuth, 403, "access_denied"), extoleErr(extole.KindAuth, 401, "x")}, 3, ""},
		{"400 permanent", []error{extoleErr(extole.KindInvalid, 400, "invalid_event_time_format")}, 1, activities.ErrTypeExtoleRejected},
		{"402 permanent", []error{extoleErr(extole.KindInvalid, 402, "payment_required")}, 1, activities.ErrTypeExtoleRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			a := &activities.Extole{}
			env.RegisterActivity(a)
			calls := 0
			env.OnActivity(a.SendEvent, mock.Anything, mock.Anything).Return(
				func(ctx context.Context, ev activities.SendEventInput) (activities.SendEventResult, error) {
					calls++
					assert.Equal(t, "signed_up", ev.EventName)
					if calls <= len(tt.failures) {
						// Through the real translation, as the activity does it.
						return activities.SendEventResult{}, activities.TranslateExtoleError(tt.failures[calls-1])
					}
					return activities.SendEventResult{EventID: "e-1"}, nil
				})
			env.ExecuteWorkflow(ReferralSignup, input())
			require.True(t, env.IsWorkflowCompleted())
			assert.Equal(t, tt.wantCalls, calls)
			if tt.wantErr == "" {
				require.NoError(t, env.GetWorkflowError())
				var res EventResult
				require.NoError(t, env.GetWorkflowResult(&res))
				assert.Equal(t, "e-1", res.ExtoleEventID)
				return
			}
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(env.GetWorkflowError(), &appErr))
			assert.Equal(t, tt.wantErr, appErr.Type())
		})
	}
}

func TestRetryPolicyCapsBackoff(t *testing.T) {
	p := apiRetryPolicy()
	assert.Equal(t, 5*time.Minute, p.MaximumInterval, "a fixed token drains the backlog within minutes")
	assert.Zero(t, p.MaximumAttempts)
	o := apiActivityOptions(ExtoleTaskQueue)
	assert.Equal(t, ExtoleTaskQueue, o.TaskQueue)
	assert.NotZero(t, o.StartToCloseTimeout)
	assert.NotZero(t, o.ScheduleToCloseTimeout)
}

func TestEventStartOptions(t *testing.T) {
	in := input()
	o := EventStartOptions(in)
	assert.Equal(t, "extole-event/signed_up/pc-1", o.ID)
	assert.True(t, o.WorkflowExecutionErrorWhenAlreadyStarted)
	assert.Equal(t, "signed_up → Extole for …@example.com (pc-1)", o.StaticSummary)
	v, ok := o.TypedSearchAttributes.GetKeyword(PartnerConversionID)
	assert.True(t, ok)
	assert.Equal(t, "pc-1", v)

	in.Data = map[string]json.RawMessage{"partner_user_id": json.RawMessage(`"u-1"`), "partner_conversion_id": json.RawMessage(`77`)}
	o = EventStartOptions(in)
	assert.Equal(t, "extole-event/signed_up/77", o.ID)
	assert.Equal(t, "signed_up → Extole for partner user u-1 (77)", o.StaticSummary)
	_, ok = o.TypedSearchAttributes.GetKeyword(ContactEmailHash)
	assert.False(t, ok, "no email, no hash")
}
