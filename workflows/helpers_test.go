package workflows

import (
	"io"
	"log/slog"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// newTestEnv returns a workflow test environment whose SDK logging stays quiet unless something fails
// loudly (the suite logs every timer and activity at debug level otherwise).
func newTestEnv() *testsuite.TestWorkflowEnvironment {
	env := newQuietTestEnv()
	// Friend events start the referral graph's child workflow; its own tests use newQuietTestEnv.
	env.OnWorkflow(RecordReferral, mock.Anything, mock.Anything).Return(ReferralOutcome{}, nil).Maybe()
	return env
}

// newQuietTestEnv is newTestEnv without the referral graph's child mocked.
func newQuietTestEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	return s.NewTestWorkflowEnvironment()
}
