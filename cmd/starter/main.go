// Command starter is the bridge's front door and operator tool:
//
//	starter serve           run the webhook server (HubSpot and Extole webhooks → workflows)
//	starter setup hubspot   create the HubSpot contact properties the bridge writes
//	starter backfill …      the scheduled share-link backfill and its file route
//	starter sandbox         run the simulated HubSpot and Extole APIs on loopback (for `make run` and demos)
//
// Configuration comes from the environment (README.md).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/logging"
	"github.com/hubspot-extole/bridge/internal/webhook"
	"go.uber.org/zap"
)

const usage = `usage: starter <command> [flags]

commands:
  serve           run the webhook server
  setup hubspot   create the HubSpot contact properties the bridge writes (idempotent)
  backfill …      give existing contacts share links (run, status, schedule, export, import; see "starter backfill")
  sandbox         run the simulated HubSpot and Extole APIs
  reconcile …     catch Extole rewards whose webhook was missed (schedule, run, status; see "starter reconcile")
  failed …        list failed or timed-out workflows and re-drive them (list, redrive; see "starter failed")
  codec-server    decrypt payloads for the Temporal Web UI (PAYLOAD_CODEC_KEYS, CODEC_ADDR)
  email-hash E…   print the ContactEmailHash search value of each email
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd {
	case "serve":
		err = withEnv(func(cfg config.Config, log *zap.Logger) error { return serve(ctx, cfg, log) })
	case "setup":
		err = withEnv(func(cfg config.Config, _ *zap.Logger) error { return setup(ctx, cfg, args) })
	case "backfill":
		err = withEnv(func(cfg config.Config, log *zap.Logger) error { return backfill(ctx, cfg, log, args) })
	case "sandbox":
		err = withEnv(func(cfg config.Config, log *zap.Logger) error { return runSandbox(ctx, cfg, log, args) })
	case "reconcile":
		err = withEnv(func(cfg config.Config, log *zap.Logger) error { return reconcile(ctx, cfg, log, args) })
	case "failed":
		err = withEnv(func(_ config.Config, log *zap.Logger) error { return failed(ctx, log, args) })
	case "codec-server":
		err = withEnv(func(cfg config.Config, log *zap.Logger) error { return codecServer(ctx, cfg, log) })
	case "email-hash":
		err = withEnv(func(config.Config, *zap.Logger) error { return emailHash(os.Stdout, args) })
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter "+cmd+":", err)
		os.Exit(1)
	}
}

// withEnv loads the configuration and the logger every subcommand needs.
func withEnv(f func(config.Config, *zap.Logger) error) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer log.Sync() //nolint:errcheck // nothing useful to do with a failed flush at exit
	return f(cfg, log)
}

// serveHTTP serves h on addr until ctx is done, then drains in-flight requests. The sandbox gets the
// webhook server's timeouts too: it is an HTTP listener like any other.
func serveHTTP(ctx context.Context, log *zap.Logger, name, addr string, h http.Handler) error {
	srv := webhook.NewHTTPServer(addr, h)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info(name+" listening", zap.String("addr", addr))
	select {
	case err := <-errc:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	return fs.Parse(args)
}
