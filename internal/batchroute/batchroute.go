// Package batchroute is the backfill's route through Extole's Batch Jobs, for accounts too large for
// Extole's 100 calls a minute: Export writes HubSpot's contacts without a link as an Extole batch-event CSV for Extole's
// Batch Jobs, and Import writes Extole's share-link export back into HubSpot through the ShareLinkImport
// workflow (rate limited, resumable).
package batchroute

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/batchfile"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/sdk/client"
	"golang.org/x/time/rate"
)

// ExportResult counts what Export wrote.
type ExportResult struct {
	Rows    int // contacts written
	NoEmail int // contacts lacking a link that have no email, so cannot be in Extole's file
}

// Export writes every contact lacking a link to w in Extole's batch-event format. It reads HubSpot
// directly from the calling machine at the rate the workers dispatch searches (temporalx.Limits), and
// waits out a 429 as HubSpot asks: it runs outside Temporal, where the task-queue limits do not reach.
// progress, if non-nil, is told after every page.
func Export(ctx context.Context, hs *hubspot.Client, w io.Writer, eventName string, searchPerSecond int, progress func(ExportResult, int)) (ExportResult, error) {
	var res ExportResult
	ew, err := batchfile.NewEventWriter(w)
	if err != nil {
		return res, err
	}
	limiter := rate.NewLimiter(rate.Limit(temporalx.Limits{HubSpotSearchPerSec: searchPerSecond}.SearchPerSec()), 1)
	var cursor string
	for {
		page, err := searchPaced(ctx, limiter, func() (hubspot.SearchPage, error) {
			return hs.SearchContactsLacking(ctx, contact.LinkProperties, cursor, hubspot.MaxSearchLimit, []string{"email", "firstname", "lastname"})
		})
		if err != nil {
			return res, fmt.Errorf("after %d rows: %w", res.Rows, err)
		}
		if len(page.Results) == 0 {
			return res, ew.Flush()
		}
		for _, c := range page.Results {
			email := c.Properties["email"]
			if email == "" {
				res.NoEmail++
				continue
			}
			if err := ew.Write(batchfile.EventRow{Email: email, EventName: eventName, FirstName: c.Properties["firstname"],
				LastName: c.Properties["lastname"], PartnerEventID: activities.BackfillEventID(c.ID)}); err != nil {
				return res, err
			}
			res.Rows++
		}
		cursor = page.Results[len(page.Results)-1].ID
		if progress != nil {
			progress(res, max(page.Total-len(page.Results), 0))
		}
	}
}

// searchPaced keeps the caller under the search limit and waits out retryable failures (429 for as long
// as HubSpot asks), up to ten attempts.
func searchPaced(ctx context.Context, lim *rate.Limiter, call func() (hubspot.SearchPage, error)) (hubspot.SearchPage, error) {
	for attempt := 1; ; attempt++ {
		if err := lim.Wait(ctx); err != nil {
			return hubspot.SearchPage{}, err
		}
		page, err := call()
		e, ok := hubspot.AsError(err)
		if err == nil || !ok || !e.Retryable() || attempt == 10 {
			return page, err
		}
		if err := sleep(ctx, max(e.RetryAfter, time.Duration(attempt)*time.Second)); err != nil {
			return hubspot.SearchPage{}, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// ChunkSize is one HubSpot batch upsert.
const ChunkSize = hubspot.MaxBatchSize

// Import streams Extole's share-link export into the ShareLinkImport workflow and returns its final
// report. Chunking is deterministic, so an interrupted import resumes: the workflow's ID comes from the
// file's content and it reports the next chunk it expects. progress, if non-nil, is told after every
// chunk.
func Import(ctx context.Context, c client.Client, path string, progress func(chunk int)) (workflows.ImportProgress, error) {
	hash, err := FileHash(path)
	if err != nil {
		return workflows.ImportProgress{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return workflows.ImportProgress{}, err
	}
	defer f.Close()
	lr, err := batchfile.NewLinkReader(f)
	if err != nil {
		return workflows.ImportProgress{}, fmt.Errorf("%s: %w", path, err)
	}
	id, next, err := workflows.StartImport(ctx, c, hash, filepath.Base(path))
	if err != nil {
		return workflows.ImportProgress{}, err
	}

	chunk := workflows.ImportChunk{}
	flush := func() error {
		if chunk.Index >= next { // chunks before next were written by an earlier attempt
			if err := workflows.SendImportChunk(ctx, c, id, chunk); err != nil {
				return err
			}
			if progress != nil {
				progress(chunk.Index)
			}
		}
		chunk = workflows.ImportChunk{Index: chunk.Index + 1}
		return nil
	}
	for {
		l, err := lr.Next()
		var bad *batchfile.RowError
		switch {
		case errors.Is(err, io.EOF):
			if len(chunk.Links) > 0 || len(chunk.Skipped) > 0 {
				if err := flush(); err != nil {
					return workflows.ImportProgress{}, err
				}
			}
			return workflows.FinishImport(ctx, c, id)
		case errors.As(err, &bad):
			chunk.Skipped = append(chunk.Skipped, workflows.SkippedRow{Line: bad.Line, Email: contact.MaskEmail(bad.Email), Reason: bad.Reason})
		case err != nil:
			return workflows.ImportProgress{}, err
		default:
			chunk.Links = append(chunk.Links, activities.LinkWrite{Email: l.Email, ShareLink: l.ShareLink, ShareCode: l.ShareCode})
		}
		if len(chunk.Links)+len(chunk.Skipped) == ChunkSize {
			if err := flush(); err != nil {
				return workflows.ImportProgress{}, err
			}
		}
	}
}

// FileHash identifies an import file by its content (the import workflow ID is derived from it).
func FileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}
