package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/batchfile"
	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/sdk/client"
	"golang.org/x/time/rate"
)

// backfillExport writes every contact lacking a link to Extole's batch-event CSV, for Extole's Batch
// Jobs (the file route for accounts too large for Extole's 100 calls a minute). It reads HubSpot directly
// from this machine, at 80% of the search limit, so the file lands where the command runs.
func backfillExport(ctx context.Context, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("backfill export", flag.ExitOnError)
	out := fs.String("out", "", "CSV file to write")
	event := fs.String("event-name", "hubspot_backfill", "event_name of every row: the trigger event of Extole's \"Create Share Link on any Event\" extension")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out FILE.csv is required")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := batchfile.NewEventWriter(f)
	if err != nil {
		return err
	}
	hs := hubspot.New(cfg.HubSpotBaseURL, cfg.HubSpotAccessToken.Reveal(), nil)
	limiter := rate.NewLimiter(rate.Limit(float64(cfg.HubSpotSearchPerSec)*0.8), 1)
	var cursor string
	var written, noEmail int
	for {
		page, err := searchPaced(ctx, limiter, func() (hubspot.SearchPage, error) {
			return hs.SearchContactsLacking(ctx, activities.LinkProperties, cursor, hubspot.MaxSearchLimit, []string{"email", "firstname", "lastname"})
		})
		if err != nil {
			return fmt.Errorf("after %d rows: %w", written, err)
		}
		if len(page.Results) == 0 {
			break
		}
		for _, c := range page.Results {
			email := c.Properties["email"]
			if email == "" {
				noEmail++
				continue
			}
			if err := w.Write(batchfile.EventRow{Email: email, EventName: *event, FirstName: c.Properties["firstname"],
				LastName: c.Properties["lastname"], PartnerEventID: "hubspot-share-link-" + c.ID}); err != nil {
				return err
			}
			written++
		}
		cursor = page.Results[len(page.Results)-1].ID
		fmt.Fprintf(os.Stderr, "\r\033[K%d rows written, %d contacts without email skipped, %d to go", written, noEmail, max(page.Total-len(page.Results), 0))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nwrote %d rows to %s; skipped %d contacts without email\n", written, *out, noEmail)
	return f.Close()
}

// searchPaced keeps this process under the search limit and waits out a 429 as HubSpot asks. It is the
// only client-side pacing in the bridge: the export runs outside Temporal, where the task-queue limits
// do not reach.
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
		wait := max(e.RetryAfter, time.Duration(attempt)*time.Second)
		select {
		case <-ctx.Done():
			return hubspot.SearchPage{}, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// importChunkSize is one HubSpot batch upsert.
const importChunkSize = 100

// backfillImport streams Extole's share-link export into the ShareLinkImport workflow. Chunking is
// deterministic, so an interrupted import resumes: the workflow's ID comes from the file's content and
// it reports the next chunk it expects.
func backfillImport(ctx context.Context, c client.Client, args []string) error {
	fs := flag.NewFlagSet("backfill import", flag.ExitOnError)
	file := fs.String("file", "", "Extole's export: CSV with email, share_code and share_link columns")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("--file FILE.csv is required")
	}
	hash, err := fileHash(*file)
	if err != nil {
		return err
	}
	name := filepath.Base(*file)
	run, err := c.ExecuteWorkflow(ctx, workflows.ImportStartOptions(hash, name), workflows.ShareLinkImport, workflows.ImportProgress{File: name})
	if err != nil {
		return err
	}
	id := run.GetID()
	var p workflows.ImportProgress
	if v, err := c.QueryWorkflow(ctx, id, "", workflows.ImportQuery); err != nil {
		return fmt.Errorf("query import progress (is a worker running?): %w", err)
	} else if err := v.Get(&p); err != nil {
		return err
	}
	if p.NextChunk > 0 {
		fmt.Printf("resuming %s at chunk %d\n", id, p.NextChunk)
	}

	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	lr, err := batchfile.NewLinkReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	chunk := workflows.ImportChunk{}
	send := func() error {
		if chunk.Index >= p.NextChunk {
			if err := sendChunk(ctx, c, id, chunk); err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "\r\033[Kchunk %d sent", chunk.Index)
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
				if err := send(); err != nil {
					return err
				}
			}
			if err := c.SignalWorkflow(ctx, id, "", workflows.ImportFinish, nil); err != nil {
				return err
			}
			var final workflows.ImportProgress
			if err := c.GetWorkflow(ctx, id, "").Get(ctx, &final); err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr)
			fmt.Println(final.Summary())
			for _, pr := range final.Problems {
				fmt.Printf("  line %d %s: %s\n", pr.Line, pr.Email, pr.Reason)
			}
			return nil
		case errors.As(err, &bad):
			chunk.Skipped = append(chunk.Skipped, workflows.SkippedRow{Line: bad.Line, Email: workflows.MaskEmail(bad.Email), Reason: bad.Reason})
		case err != nil:
			return err
		default:
			chunk.Links = append(chunk.Links, activities.LinkWrite{Email: l.Email, ShareLink: l.ShareLink, ShareCode: l.ShareCode})
		}
		if len(chunk.Links) == importChunkSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
}

// sendChunk submits one chunk and waits until it is written. The workflow refuses a chunk while it
// continues as new; the chunk is then sent again shortly after.
func sendChunk(ctx context.Context, c client.Client, id string, chunk workflows.ImportChunk) error {
	var lastErr error
	for range 30 {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID:   id,
			UpdateID:     fmt.Sprintf("chunk-%d", chunk.Index),
			UpdateName:   workflows.ImportChunkUpdate,
			Args:         []any{chunk},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			var res workflows.ImportChunkResult
			if err = h.Get(ctx, &res); err == nil {
				return nil
			}
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return fmt.Errorf("chunk %d: %w", chunk.Index, lastErr)
}

func fileHash(path string) (string, error) {
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
