// Package temporalx holds the Temporal plumbing every process shares: the one place that dials the
// server, search-attribute registration, and the one place that builds workers.
package temporalx

import (
	"context"
	"fmt"

	"github.com/hubspot-extole/bridge/internal/codec"
	"github.com/hubspot-extole/bridge/internal/logging"
	"github.com/hubspot-extole/bridge/internal/metrics"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"
)

// ClientOptions reads the connection from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the TOML config file) with the SDK's envconfig,
// and the payload codec keys (PAYLOAD_CODEC_KEYS): every process encrypts what it writes.
func ClientOptions(z *zap.Logger) (client.Options, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal connection settings: %w", err)
	}
	opts.Logger = logging.Temporal(z)
	opts.MetricsHandler = metrics.TemporalHandler(z) // the SDK's temporal_* series, on /metrics
	c, err := codec.FromEnv()
	if err != nil {
		return client.Options{}, err
	}
	c.Configure(&opts)
	return opts, nil
}

// Dial connects eagerly: the worker has nothing to do without Temporal, so it fails fast. It also
// returns the namespace it connected to.
func Dial(ctx context.Context, z *zap.Logger) (client.Client, string, error) {
	opts, err := ClientOptions(z)
	if err != nil {
		return nil, "", err
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, "", fmt.Errorf("dial temporal at %q: %w", hostPort(opts), err)
	}
	ns := opts.Namespace
	if ns == "" {
		ns = client.DefaultNamespace
	}
	return c, ns, nil
}

// DialLazy connects on first use: the webhook server must start and answer 503 (so senders retry) while
// Temporal is unreachable, rather than refuse to boot.
func DialLazy(z *zap.Logger) (client.Client, error) {
	opts, err := ClientOptions(z)
	if err != nil {
		return nil, err
	}
	return client.NewLazyClient(opts)
}

func hostPort(o client.Options) string {
	if o.HostPort == "" {
		return client.DefaultHostPort
	}
	return o.HostPort
}
