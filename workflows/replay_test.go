package workflows

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
)

// TestReplayHistories replays histories recorded from real runs against the current workflow code. A
// change that would break running workflows fails here; put such a change behind workflow.GetVersion.
// The histories are recorded by the integration tests: UPDATE_REPLAY_HISTORIES=1 go test ./internal/e2e/
func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata/")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			Register(r)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
