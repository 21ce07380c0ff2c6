// Package logging builds the zap logger every process uses and bridges it to the Temporal SDK.
package logging

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// New returns a JSON logger (production) or a colourless console logger (local development).
func New(format, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	if format == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	return cfg.Build()
}

// Temporal adapts a zap logger to the SDK's logger through slog, so worker and workflow logs share the
// process's format and level. The SDK's WorkflowID and RunID keys are renamed workflow_id and run_id,
// the webhook server's keys, so one query finds every line about one event in both processes.
func Temporal(z *zap.Logger) log.Logger {
	return log.NewStructuredLogger(slog.New(renameKeys{zapslog.NewHandler(z.Core(), zapslog.WithName("temporal"))}))
}

// sdkKeys maps the SDK's context keys to the bridge's.
var sdkKeys = map[string]string{"WorkflowID": "workflow_id", "RunID": "run_id"}

type renameKeys struct{ slog.Handler }

func rename(a slog.Attr) slog.Attr {
	if k, ok := sdkKeys[a.Key]; ok {
		a.Key = k
	}
	return a
}

func (h renameKeys) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rename(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h renameKeys) WithAttrs(as []slog.Attr) slog.Handler {
	renamed := make([]slog.Attr, len(as))
	for i, a := range as {
		renamed[i] = rename(a)
	}
	return renameKeys{h.Handler.WithAttrs(renamed)}
}

func (h renameKeys) WithGroup(name string) slog.Handler { return renameKeys{h.Handler.WithGroup(name)} }
