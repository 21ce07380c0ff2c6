package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/fileroute"
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
	res, err := fileroute.Export(ctx, hs, f, *event, cfg.HubSpotSearchPerSec, func(r fileroute.ExportResult, remaining int) {
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
	final, err := fileroute.Import(ctx, c, *file, func(chunk int) {
		fmt.Fprintf(os.Stderr, "\r\033[K%d chunks of up to %d rows written", chunk+1, fileroute.ChunkSize)
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Println(final.Summary())
	for _, pr := range final.Problems {
		fmt.Printf("  line %d %s: %s\n", pr.Line, pr.Email, pr.Reason)
	}
	return nil
}
