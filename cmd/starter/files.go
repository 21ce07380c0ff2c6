package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hubspot-extole/bridge/internal/batchfile"
	"github.com/hubspot-extole/bridge/internal/batchroute"
	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"go.temporal.io/sdk/client"
)

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
	hs := hubspot.New(cfg.HubSpotBaseURL, cfg.HubSpotAccessToken.Reveal(), nil)
	res, err := batchroute.Export(ctx, hs, f, *event, cfg.HubSpotSearchPerSec, func(r batchroute.ExportResult, remaining int) {
		fmt.Fprintf(os.Stderr, "\r\033[K%d rows written, %d without email skipped, %d to go", r.Rows, r.NoEmail, remaining)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nwrote %d rows to %s; skipped %d contacts without email\n", res.Rows, *out, res.NoEmail)
	return f.Close()
}

func backfillImport(ctx context.Context, c client.Client, args []string) error {
	fs := flag.NewFlagSet("backfill import", flag.ExitOnError)
	file := fs.String("file", "", "Extole's export: CSV with email, share_code and share_link columns")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("--file FILE.csv is required")
	}
	final, err := batchroute.Import(ctx, c, *file, func(chunk int) {
		fmt.Fprintf(os.Stderr, "\r\033[K%d chunks of up to %d rows written", chunk+1, batchroute.ChunkSize)
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Println(final.Summary())
	if err := printBadRows(os.Stdout, *file); err != nil {
		return err
	}
	for _, pr := range final.Problems {
		if pr.Line == 0 { // refused by HubSpot; rows bad in the file were listed above
			fmt.Printf("  %s: %s\n", pr.Email, pr.Reason)
		}
	}
	return nil
}

// printBadRows lists every row of the file that cannot be imported, with its line number. The file is
// read again because the import's report keeps only the first problems.
func printBadRows(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lr, err := batchfile.NewLinkReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for {
		_, err := lr.Next()
		var bad *batchfile.RowError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &bad):
			fmt.Fprintf(w, "  line %d %s: %s\n", bad.Line, contact.MaskEmail(bad.Email), bad.Reason)
		case err != nil:
			return fmt.Errorf("%s: %w", path, err)
		}
	}
}
