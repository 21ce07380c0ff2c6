package workflows

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
)

func TestPrivacyErasureStopsWorkThenErases(t *testing.T) {
	env := newTestEnv()
	p := &activities.Privacy{}
	env.RegisterActivity(p)
	var order []string
	env.OnActivity(p.StopContactWork, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.StopContactWorkInput) (int, error) {
		order = append(order, "stop")
		assert.Equal(t, "123", in.ContactID)
		assert.Equal(t, PrivacyWorkflowID("123"), in.Except, "the workflow does not stop itself")
		return 2, nil
	})
	env.OnActivity(p.EraseContact, mock.Anything, "123").Return(func(_ context.Context, _ string) (activities.EraseResult, error) {
		order = append(order, "erase")
		return activities.EraseResult{Requested: 1, Statuses: []string{"COMPLETED"}}, nil
	})
	env.SetStartWorkflowOptions(PrivacyStartOptions(PrivacyInput{ContactID: "123"}))
	env.ExecuteWorkflow(PrivacyErasure, PrivacyInput{ContactID: "123"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res PrivacyResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, PrivacyResult{StoppedWorkflows: 2, Erasures: 1, Statuses: []string{"COMPLETED"}}, res)
	assert.Equal(t, []string{"stop", "erase"}, order, "no pending signup may recreate the person after the erasure")
	b, _ := json.Marshal(PrivacyInput{ContactID: "123"})
	assert.JSONEq(t, `{"contact_id":"123"}`, string(b), "only the contact id enters history")
}
