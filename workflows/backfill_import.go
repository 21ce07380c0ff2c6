package workflows

import (
	"fmt"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// Import message names.
const (
	ImportChunkUpdate = "import-chunk"
	ImportFinish      = "finish"
	ImportQuery       = "progress"
)

// ImportChunk is up to hubspot.MaxBatchSize rows of Extole's share-link export, already parsed by the CLI, plus the rows
// of that stretch of the file it skipped and why.
type ImportChunk struct {
	Index   int                    `json:"index"` // 0-based; chunks are applied in order, each once
	Links   []activities.LinkWrite `json:"links"`
	Skipped []SkippedRow           `json:"skipped,omitempty"`
}

// SkippedRow is a CSV row that was not imported.
type SkippedRow struct {
	Line   int    `json:"line"`
	Email  string `json:"email,omitempty"`
	Reason string `json:"reason"`
}

// ImportProgress is the import's report.
type ImportProgress struct {
	File        string       `json:"file"`
	NextChunk   int          `json:"next_chunk"` // the CLI resumes from here
	Written     int          `json:"written"`
	Kept        int          `json:"kept,omitempty"` // rows whose contact already had share_link and share_code: left as they were
	Skipped     int          `json:"skipped"`
	Failed      int          `json:"failed"`
	Problems    []SkippedRow `json:"problems,omitempty"` // the first few skipped or failed rows
	Finished    bool         `json:"finished,omitempty"`
	Generations int          `json:"generations"`
	// PropertiesReady: this import made sure the HubSpot properties exist.
	PropertiesReady bool `json:"properties_ready,omitempty"`
}

// ImportChunkResult answers one chunk.
type ImportChunkResult struct {
	Written int                       `json:"written"`
	Kept    int                       `json:"kept,omitempty"`
	Failed  []activities.WriteFailure `json:"failed,omitempty"`
	Already bool                      `json:"already,omitempty"` // this chunk was imported before (a resumed CLI)
}

const keepImportProblems = 100

// ImportWorkflowID derives the import's ID from the file's content hash: importing the same file again
// while it runs resumes it instead of starting a second import.
func ImportWorkflowID(fileHash string) string { return "backfill-import/" + fileHash }

// ImportStartOptions join a running import of the same file (USE_EXISTING).
func ImportStartOptions(fileHash, file string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       ImportWorkflowID(fileHash),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            "import Extole share links from " + file + " into HubSpot",
		Priority:                 BackfillWorkflowPriority,
	}
}

// ShareLinkImport writes Extole's exported share links into HubSpot. The CLI streams the file in
// chunks through an update; each chunk is written with one batch upsert on the backfill's rate-limited
// HubSpot queue before the update returns, which paces the CLI. The workflow keeps only counters and the
// next chunk index, so an interrupted import resumes where it stopped and history stays bounded.
func ShareLinkImport(ctx workflow.Context, p ImportProgress) (ImportProgress, error) {
	if err := workflow.SetQueryHandler(ctx, ImportQuery, func() (ImportProgress, error) { return p, nil }); err != nil {
		return p, err
	}
	// One chunk at a time: a resent chunk (a restarted CLI) waits for the one in flight, then finds it
	// written, so no chunk is counted twice.
	writing := workflow.NewMutex(ctx)
	err := workflow.SetUpdateHandlerWithOptions(ctx, ImportChunkUpdate,
		func(ctx workflow.Context, c ImportChunk) (ImportChunkResult, error) {
			if err := writing.Lock(ctx); err != nil {
				return ImportChunkResult{}, err
			}
			defer writing.Unlock()
			if c.Index < p.NextChunk {
				return ImportChunkResult{Already: true}, nil
			}
			if err := workflow.Await(ctx, func() bool { return p.PropertiesReady }); err != nil {
				return ImportChunkResult{}, err
			}
			var h *activities.HubSpot
			var res activities.WriteLinksResult
			links, kept := c.Links, 0
			singleWriter := len(links) > 0 && workflow.GetVersion(ctx, singleWriterChange, workflow.DefaultVersion, 1) >= 1
			if singleWriter {
				var err error
				if links, err = missingLinks(ctx, c.Links); err != nil {
					return ImportChunkResult{}, err
				}
				kept = len(c.Links) - len(links)
			}
			if len(links) > 0 {
				if err := workflow.ExecuteActivity(withHubSpotBackfill(ctx), h.WriteLinks, links).Get(ctx, &res); err != nil {
					return ImportChunkResult{}, err
				}
				if singleWriter {
					if err := reassertWritten(ctx, links, res.Failed); err != nil {
						return ImportChunkResult{}, err
					}
				}
			}
			p.NextChunk = c.Index + 1
			p.Kept += kept
			p.Written += res.Written
			p.Skipped += len(c.Skipped)
			p.Failed += len(res.Failed)
			for _, s := range c.Skipped {
				p.note(s)
			}
			for _, f := range res.Failed {
				p.note(SkippedRow{Email: contact.MaskEmail(f.Email), Reason: "HubSpot refused: " + f.Reason})
			}
			workflow.SetCurrentDetails(ctx, p.Summary())
			return ImportChunkResult{Written: res.Written, Kept: kept, Failed: res.Failed}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(c ImportChunk) error {
			if c.Index > p.NextChunk {
				return fmt.Errorf("expected chunk %d, got %d", p.NextChunk, c.Index)
			}
			if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
				return ErrContinuingAsNew
			}
			if len(c.Links) > hubspot.MaxBatchSize {
				return fmt.Errorf("at most %d rows per chunk, got %d", hubspot.MaxBatchSize, len(c.Links))
			}
			return nil
		}},
	)
	if err != nil {
		return p, err
	}
	if !p.PropertiesReady { // the write-back needs share_link and share_code to exist
		if err := ensurePropertiesVersioned(withHubSpotBackfill(ctx)); err != nil {
			return p, err
		}
		p.PropertiesReady = true
	}

	// Run until the CLI says the file is done, continuing as new when history grows; in both cases
	// only after every chunk in flight has been written.
	finish := workflow.GetSignalChannel(ctx, ImportFinish)
	if err := workflow.Await(ctx, func() bool {
		return finish.Len() > 0 || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	}); err != nil {
		return p, err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return p, err
	}
	if !finish.ReceiveAsync(nil) {
		p.Generations++
		return p, workflow.NewContinueAsNewError(ctx, ShareLinkImport, p)
	}
	p.Finished = true
	workflow.SetCurrentDetails(ctx, p.Summary())
	return p, nil
}

func (p *ImportProgress) note(s SkippedRow) {
	if len(p.Problems) < keepImportProblems {
		p.Problems = append(p.Problems, s)
	}
}

// Summary is a one-line report.
func (p ImportProgress) Summary() string {
	return fmt.Sprintf("%s: written %d, already linked %d, skipped %d, failed %d (%d chunks)", p.File, p.Written, p.Kept, p.Skipped, p.Failed, p.NextChunk)
}
