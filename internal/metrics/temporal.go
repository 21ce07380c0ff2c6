package metrics

import (
	"sync"
	"time"

	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.uber.org/zap"
)

var temporal struct {
	once    sync.Once
	handler client.MetricsHandler
}

// TemporalHandler is the Temporal SDK's metrics handler for every client of this process: the SDK's
// temporal_* series (schedule-to-start latency, task slots, poll failures…) land in Registry, next to
// the bridge's. It is built once, by the first caller: a second tally reporter on the same registry
// would register the same series again.
//
// tally rather than OpenTelemetry: its Prometheus reporter writes into our own registry, and it brings
// two small modules where the OpenTelemetry route needs the OTel SDK and its exporter for the same
// series.
func TemporalHandler(log *zap.Logger) client.MetricsHandler {
	temporal.once.Do(func() {
		reporter := tallyprom.NewReporter(tallyprom.Options{
			Registerer:       Registry,
			DefaultTimerType: tallyprom.HistogramTimerType,
			// The reporter's default is to panic; a series it cannot export is not worth the worker.
			OnRegisterError: func(err error) { log.Warn("a Temporal SDK series is not exported", zap.Error(err)) },
		})
		scope, _ := tally.NewRootScope(tally.ScopeOptions{
			CachedReporter:  reporter,
			Separator:       tallyprom.DefaultSeparator,
			SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		}, time.Second) // the closer is not needed: the scope lives as long as the process
		temporal.handler = sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope))
	})
	return temporal.handler
}
