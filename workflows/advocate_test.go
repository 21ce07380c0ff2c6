package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func TestAdvocateConversionID(t *testing.T) {
	long := "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij" // 50 characters, the longest share code
	tests := []struct {
		name      string
		a, b      [2]string // contact id, code
		wantEqual bool
	}{
		{"same change redelivered", [2]string{"123", "alex01"}, [2]string{"123", "alex01"}, true},
		{"surrounding spaces do not make a new code", [2]string{"123", "alex01"}, [2]string{"123", " alex01 "}, true},
		{"a new code is a new signup", [2]string{"123", "alex01"}, [2]string{"123", "sam02"}, false},
		{"another contact", [2]string{"123", "alex01"}, [2]string{"124", "alex01"}, false},
		{"long codes stay distinct", [2]string{"123456789012", long}, [2]string{"123456789012", long + "x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := AdvocateConversionID(tt.a[0], tt.a[1]), AdvocateConversionID(tt.b[0], tt.b[1])
			assert.Equal(t, tt.wantEqual, a == b)
			assert.LessOrEqual(t, len(a), 38, "Extole's partner_conversion_id limit")
		})
	}
	assert.Equal(t, "extole-event/signed_up/"+AdvocateConversionID("123", "alex01"), AdvocateStartOptions(AdvocateInput{ContactID: "123", Code: "alex01"}).ID)
}

func TestAdvocateSignup(t *testing.T) {
	tests := []struct {
		name        string
		email       string
		wantErrType string
	}{
		{"sends signed_up with the code and the contact", "jane@example.com", ""},
		{"a contact without email fails clearly", "", ErrTypeContactNoEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv()
			hs, ex := &activities.HubSpot{}, &activities.Extole{}
			env.RegisterActivity(hs)
			env.RegisterActivity(ex)
			env.OnActivity(hs.GetContact, mock.Anything, "123").Return(activities.Contact{ID: "123", Properties: map[string]string{
				"email": tt.email, "firstname": "Jane", "lastname": "Doe", "company": "Example Co"}}, nil)
			var sent []activities.SendEventInput
			env.OnActivity(ex.SendEvent, mock.Anything, mock.Anything).Return(func(_ context.Context, ev activities.SendEventInput) (activities.SendEventResult, error) {
				sent = append(sent, ev)
				return activities.SendEventResult{EventID: "e-1"}, nil
			})
			env.ExecuteWorkflow(AdvocateSignup, AdvocateInput{ContactID: "123", Code: "alex01", OccurredAt: 1})
			require.True(t, env.IsWorkflowCompleted())
			if tt.wantErrType != "" {
				var ae *temporal.ApplicationError
				require.True(t, errors.As(env.GetWorkflowError(), &ae))
				assert.Equal(t, tt.wantErrType, ae.Type())
				assert.Empty(t, sent)
				return
			}
			require.NoError(t, env.GetWorkflowError())
			require.Len(t, sent, 1)
			assert.Equal(t, "signed_up", sent[0].EventName)
			for k, v := range map[string]string{"email": tt.email, "advocate_code": "alex01", "first_name": "Jane",
				"last_name": "Doe", "company": "Example Co", "partner_conversion_id": AdvocateConversionID("123", "alex01")} {
				var s string
				require.NoError(t, json.Unmarshal(sent[0].Data[k], &s), k)
				assert.Equal(t, v, s, k)
			}
			v, err := env.QueryWorkflow(activities.QueryContactEmail)
			require.NoError(t, err)
			var email string
			require.NoError(t, v.Get(&email))
			assert.Equal(t, tt.email, email, "answered to a privacy deletion's erasure")
		})
	}
}
