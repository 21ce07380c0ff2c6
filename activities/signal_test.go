package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/mocks"
)

func TestSignalWorkflows(t *testing.T) {
	tests := []struct {
		name    string
		errs    map[string]error // per workflow ID; absent = signalled
		want    int
		wantErr bool
	}{
		{name: "all running", want: 3},
		{name: "closed or unknown workflows are skipped", errs: map[string]error{"b": serviceerror.NewNotFound("workflow execution already completed")}, want: 2},
		{name: "a server failure is retried", errs: map[string]error{"b": serviceerror.NewUnavailable("down")}, want: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &mocks.Client{}
			for _, id := range []string{"a", "b", "c"} {
				c.On("SignalWorkflow", mock.Anything, id, "", "reassert", nil).Return(tc.errs[id]).Maybe()
			}
			a := &Temporal{Client: c}
			n, err := a.SignalWorkflows(context.Background(), SignalWorkflowsInput{WorkflowIDs: []string{"a", "b", "c"}, Signal: "reassert"})
			assert.Equal(t, tc.want, n)
			assert.Equal(t, tc.wantErr, err != nil, "error %v", err)
		})
	}
}
