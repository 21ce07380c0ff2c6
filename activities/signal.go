package activities

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Temporal holds the client the workflows' own activities use to message other workflows.
type Temporal struct {
	Client client.Client
}

// SignalWorkflowsInput names the workflows to signal (their current runs) and the signal, sent without
// a payload.
type SignalWorkflowsInput struct {
	WorkflowIDs []string `json:"workflow_ids"`
	Signal      string   `json:"signal"`
}

// SignalWorkflows signals each workflow and returns how many were running. A workflow that does not exist
// or has closed (NotFound) is skipped: there is nothing to tell it. Any other failure fails the activity,
// and the retry signals all of them again, which the receivers tolerate (a signal asks for an idempotent
// action).
func (a *Temporal) SignalWorkflows(ctx context.Context, in SignalWorkflowsInput) (int, error) {
	signalled := 0
	for _, id := range in.WorkflowIDs {
		err := a.Client.SignalWorkflow(ctx, id, "", in.Signal, nil)
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound):
		case err != nil:
			return signalled, err
		default:
			signalled++
		}
	}
	return signalled, nil
}
