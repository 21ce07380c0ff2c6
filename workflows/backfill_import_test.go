package workflows

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
)

// importChunk is a chunk of n new links starting at row first.
func importChunk(index, first, n int) ImportChunk {
	c := ImportChunk{Index: index}
	for i := first; i < first+n; i++ {
		c.Links = append(c.Links, activities.LinkWrite{
			Email:     fmt.Sprintf("c%d@example.com", i),
			ShareLink: fmt.Sprintf("https://r.example.com/c%d", i),
			ShareCode: fmt.Sprintf("c%d", i),
		})
	}
	return c
}

// newImportEnv is the backfill env whose contacts have no link yet.
func newImportEnv() *backfillEnv {
	b := newBackfillEnv(0)
	var h *activities.HubSpot
	b.env.OnActivity(h.ReadLinks, mock.Anything, mock.Anything).Return(
		func(context.Context, []string) ([]activities.LinkWrite, error) { return nil, nil })
	return b
}

// importOutcome is what one update got back.
type importOutcome struct {
	Result   ImportChunkResult
	Rejected string
}

// runImport sends each batch of chunks at once (the later ones while the first is being written), then
// the finish signal, and returns the answers in sending order and the final progress.
func runImport(t *testing.T, b *backfillEnv, batches ...[]ImportChunk) ([]importOutcome, ImportProgress) {
	t.Helper()
	var out []importOutcome
	for bi, batch := range batches {
		b.env.RegisterDelayedCallback(func() {
			for ci, c := range batch {
				i := len(out)
				out = append(out, importOutcome{})
				b.env.UpdateWorkflow(ImportChunkUpdate, fmt.Sprintf("u-%d-%d", bi, ci), &testsuite.TestUpdateCallback{
					OnAccept: func() {},
					OnReject: func(err error) { out[i].Rejected = err.Error() },
					OnComplete: func(r any, err error) {
						if err == nil {
							out[i].Result = r.(ImportChunkResult)
						}
					},
				}, c)
			}
		}, time.Duration(bi+1)*time.Minute)
	}
	b.env.RegisterDelayedCallback(func() { b.env.SignalWorkflow(ImportFinish, nil) }, time.Duration(len(batches)+1)*time.Minute)
	b.env.ExecuteWorkflow(ShareLinkImport, ImportProgress{File: "links.csv"})
	require.NoError(t, b.env.GetWorkflowError())
	var p ImportProgress
	require.NoError(t, b.env.GetWorkflowResult(&p))
	return out, p
}

func TestShareLinkImport(t *testing.T) {
	skipped := importChunk(1, 3, 1)
	skipped.Skipped = []SkippedRow{{Line: 9, Reason: "no email"}}
	tests := []struct {
		name         string
		batches      [][]ImportChunk
		want         []importOutcome
		wantWritten  int
		wantSkipped  int
		wantNext     int
		wantProblems []SkippedRow
	}{
		{
			name:        "chunks in order are written and counted",
			batches:     [][]ImportChunk{{importChunk(0, 0, 3)}, {skipped}},
			want:        []importOutcome{{Result: ImportChunkResult{Written: 3}}, {Result: ImportChunkResult{Written: 1}}},
			wantWritten: 4, wantSkipped: 1, wantNext: 2,
			wantProblems: []SkippedRow{{Line: 9, Reason: "no email"}},
		},
		{
			name:        "a resumed CLI resending a chunk is told it is already imported",
			batches:     [][]ImportChunk{{importChunk(0, 0, 2)}, {importChunk(0, 0, 2)}},
			want:        []importOutcome{{Result: ImportChunkResult{Written: 2}}, {Result: ImportChunkResult{Already: true}}},
			wantWritten: 2, wantNext: 1,
		},
		{
			name:     "a chunk ahead of the next one is rejected",
			batches:  [][]ImportChunk{{importChunk(1, 0, 2)}},
			want:     []importOutcome{{Rejected: "expected chunk 0, got 1"}},
			wantNext: 0,
		},
		{
			name:     "more than 100 rows are rejected",
			batches:  [][]ImportChunk{{importChunk(0, 0, 101)}},
			want:     []importOutcome{{Rejected: "at most 100 rows per chunk, got 101"}},
			wantNext: 0,
		},
		{
			// A restarted CLI resends the chunk in flight: it waits for it instead of failing the
			// import, and the chunk is counted once.
			name:        "a chunk resent while it is written waits and is counted once",
			batches:     [][]ImportChunk{{importChunk(0, 0, 2), importChunk(0, 0, 2)}},
			want:        []importOutcome{{Result: ImportChunkResult{Written: 2}}, {Result: ImportChunkResult{Already: true}}},
			wantWritten: 2, wantNext: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, p := runImport(t, newImportEnv(), tt.batches...)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantWritten, p.Written, "written")
			assert.Equal(t, tt.wantSkipped, p.Skipped, "skipped")
			assert.Equal(t, tt.wantNext, p.NextChunk, "next chunk")
			assert.Equal(t, tt.wantProblems, p.Problems)
			assert.True(t, p.Finished)
		})
	}
}
