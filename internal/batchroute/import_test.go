package batchroute

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// fakeImport is the ShareLinkImport workflow as the CLI sees it through the client: it reports
// NextChunk, takes chunk updates (refusing the update IDs in continuing while it continues as new, and
// failing those in failing) and answers the finish signal.
type fakeImport struct {
	client.Client
	next       int
	continuing map[string]bool
	failing    map[string]bool
	updateIDs  []string
	chunks     []workflows.ImportChunk
	finished   bool
}

func (f *fakeImport) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	return fakeRun{id: o.ID}, nil
}

func (f *fakeImport) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	return fakeValue{workflows.ImportProgress{NextChunk: f.next}}, nil
}

func (f *fakeImport) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.updateIDs = append(f.updateIDs, o.UpdateID)
	switch {
	case f.continuing[o.UpdateID]:
		return nil, fmt.Errorf("update rejected: %w", workflows.ErrContinuingAsNew)
	case f.failing[o.UpdateID]:
		return nil, errors.New("update rejected: expected chunk 3, got 0")
	}
	f.chunks = append(f.chunks, o.Args[0].(workflows.ImportChunk))
	return fakeUpdate{}, nil
}

func (f *fakeImport) SignalWorkflow(_ context.Context, _, _, name string, _ any) error {
	f.finished = name == workflows.ImportFinish
	return nil
}

func (f *fakeImport) GetWorkflow(_ context.Context, id, _ string) client.WorkflowRun {
	return fakeRun{id: id, result: workflows.ImportProgress{File: "links.csv", Finished: f.finished}}
}

type fakeRun struct {
	client.WorkflowRun
	id     string
	result workflows.ImportProgress
}

func (r fakeRun) GetID() string { return r.id }

func (r fakeRun) Get(_ context.Context, v any) error {
	*v.(*workflows.ImportProgress) = r.result
	return nil
}

type fakeValue struct{ p workflows.ImportProgress }

func (v fakeValue) HasValue() bool { return true }

func (v fakeValue) Get(ptr any) error {
	*ptr.(*workflows.ImportProgress) = v.p
	return nil
}

type fakeUpdate struct{ client.WorkflowUpdateHandle }

func (fakeUpdate) Get(context.Context, any) error { return nil }

// writeLinks writes Extole's share-link export with n good rows; row bad (1-based, 0 = none) has a
// malformed email.
func writeLinks(t *testing.T, n, bad int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("email,share_code,share_link\n")
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("c%d@example.com", i)
		if i == bad {
			email = "not-an-email"
		}
		fmt.Fprintf(&b, "%s,code%d,https://r.example.com/c%d\n", email, i, i)
	}
	p := filepath.Join(t.TempDir(), "links.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
	return p
}

func TestImport(t *testing.T) {
	tests := []struct {
		name          string
		fake          *fakeImport
		wantUpdateIDs []string
		wantIndexes   []int
		wantErr       string
	}{
		{
			name:          "every chunk in order, then finish",
			fake:          &fakeImport{},
			wantUpdateIDs: []string{"chunk-0-0", "chunk-1-0", "chunk-2-0"},
			wantIndexes:   []int{0, 1, 2},
		},
		{
			name:          "a resumed import sends only the chunks not yet written",
			fake:          &fakeImport{next: 2},
			wantUpdateIDs: []string{"chunk-2-0"},
			wantIndexes:   []int{2},
		},
		{
			name:          "a chunk refused while continuing as new is sent again under a new update ID",
			fake:          &fakeImport{continuing: map[string]bool{"chunk-1-0": true}},
			wantUpdateIDs: []string{"chunk-0-0", "chunk-1-0", "chunk-1-1", "chunk-2-0"},
			wantIndexes:   []int{0, 1, 2},
		},
		{
			name:          "any other refusal stops the import",
			fake:          &fakeImport{failing: map[string]bool{"chunk-0-0": true}},
			wantUpdateIDs: []string{"chunk-0-0"},
			wantErr:       "chunk 0: update rejected: expected chunk 3, got 0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var progress []int
			final, err := Import(context.Background(), tt.fake, writeLinks(t, 250, 150), func(c int) { progress = append(progress, c) })
			assert.Equal(t, tt.wantUpdateIDs, tt.fake.updateIDs)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				assert.False(t, tt.fake.finished, "a failed import is not finished")
				return
			}
			require.NoError(t, err)
			assert.True(t, final.Finished)
			assert.Equal(t, tt.wantIndexes, progress)

			// Chunking does not depend on where the import resumed: ChunkSize rows each, bad rows included.
			sizes := map[int]int{0: ChunkSize, 1: ChunkSize, 2: 50}
			for _, c := range tt.fake.chunks {
				assert.Equal(t, sizes[c.Index], len(c.Links)+len(c.Skipped), "chunk %d", c.Index)
				if c.Index == 1 {
					require.Len(t, c.Skipped, 1)
					assert.Equal(t, 151, c.Skipped[0].Line, "the bad row, reported by its line (header is line 1)")
				}
			}
		})
	}
}
