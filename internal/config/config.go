// Package config reads the bridge's configuration from the environment, once, and validates it.
//
// The Temporal connection is not part of this struct: it is read by go.temporal.io/sdk/contrib/envconfig
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, profiles) in internal/temporalx.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/codec"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/kelseyhightower/envconfig"
)

// Secret is a credential read from the environment. It prints "[redacted]" through every encoder a log
// line or an error message may use: fmt (String, GoString), encoding/json and zap.Reflect (MarshalJSON),
// text encoders such as slog's TextHandler (MarshalText), slog (LogValue) and zap.Any (which picks
// fmt.Stringer, so the value stays a plain string rather than a zap object).
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts %#v as well.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON redacts json.Marshal, zap.Reflect and slog's JSONHandler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText redacts text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue redacts slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the value itself; call it only where the secret is sent or compared.
func (s Secret) Reveal() string { return string(s) }

// Proxies are the TRUSTED_PROXIES: the only peers whose X-Forwarded-* headers the webhook server believes.
type Proxies []netip.Prefix

// Decode reads a comma-separated list of IP addresses and CIDR ranges (envconfig.Decoder).
func (p *Proxies) Decode(v string) error {
	*p = nil
	if strings.TrimSpace(v) == "" {
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if pr, err := netip.ParsePrefix(s); err == nil {
			*p = append(*p, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("%q is neither an IP address nor a CIDR range", s)
		}
		*p = append(*p, netip.PrefixFrom(a, a.BitLen()))
	}
	return nil
}

// Config is every setting of the bridge. Each field is documented in README.md and .env.example.
type Config struct {
	// HTTPAddr has no default tag: Load resolves it, because the default depends on SANDBOX and envconfig
	// cannot tell an unset variable from its default.
	HTTPAddr      string `envconfig:"HTTP_ADDR"`
	PublicBaseURL string `envconfig:"PUBLIC_BASE_URL"`
	// TrustedProxies are the reverse proxies whose X-Forwarded-* headers are believed; none by default.
	TrustedProxies Proxies `envconfig:"TRUSTED_PROXIES"`
	// MaxInFlight caps the webhook requests being read and handled at once; beyond it the server answers
	// 503 + Retry-After. 0 = the webhook package's default.
	MaxInFlight int `envconfig:"HTTP_MAX_IN_FLIGHT"`

	ExtoleBaseURL      string `envconfig:"EXTOLE_BASE_URL" default:"https://api.extole.io"`
	ExtoleAccessToken  Secret `envconfig:"EXTOLE_ACCESS_TOKEN"`
	ExtoleRatePerMin   int    `envconfig:"EXTOLE_RATE_LIMIT_PER_MINUTE" default:"100"`
	ExtoleWebhookToken Secret `envconfig:"EXTOLE_WEBHOOK_TOKEN"`
	ExtoleSigningKey   Secret `envconfig:"EXTOLE_WEBHOOK_SIGNING_KEY"`
	ExtoleShareLabel   string `envconfig:"EXTOLE_SHARE_LABEL" default:"refer-a-friend"`

	HubSpotBaseURL      string `envconfig:"HUBSPOT_BASE_URL" default:"https://api.hubapi.com"`
	HubSpotAccessToken  Secret `envconfig:"HUBSPOT_ACCESS_TOKEN"`
	HubSpotRatePer10s   int    `envconfig:"HUBSPOT_RATE_LIMIT_PER_10S" default:"100"`
	HubSpotSearchPerSec int    `envconfig:"HUBSPOT_SEARCH_RATE_PER_SECOND" default:"5"`
	HubSpotAPIKey       Secret `envconfig:"HUBSPOT_WEBHOOK_API_KEY"`
	HubSpotAPIKeyName   string `envconfig:"HUBSPOT_WEBHOOK_API_KEY_NAME" default:"X-API-Key"`
	HubSpotClientSecret Secret `envconfig:"HUBSPOT_CLIENT_SECRET"`

	// HubSpot app webhooks (issue 10): won-stage ids (empty = the pipelines' closed-won metadata), the
	// hold before a won deal converts, and how long a won deal waits for a contact with an email.
	HubSpotWonStages []string      `envconfig:"HUBSPOT_WON_STAGES"`
	DealHoldPeriod   time.Duration `envconfig:"DEAL_HOLD_PERIOD" default:"0s"`
	DealContactWait  time.Duration `envconfig:"DEAL_CONTACT_WAIT" default:"72h"`

	// Rewards → HubSpot (issue 11): HubSpot custom events for reward state changes (HubSpot Enterprise;
	// the name is the event definition's fully qualified name, pe<HubID>_<name>), and the nightly
	// reconciliation's look-back for its first run.
	HubSpotRewardEvents    bool          `envconfig:"HUBSPOT_REWARD_EVENTS" default:"false"`
	HubSpotRewardEventName string        `envconfig:"HUBSPOT_REWARD_EVENT_NAME"`
	ReconcileLookback      time.Duration `envconfig:"RECONCILE_LOOKBACK" default:"72h"`

	// RetiredBackfillShare is read only to warn: the backfill no longer has a share of its own (live
	// traffic has task-queue priority and the backfill uses the rest), and an .env that still sets it
	// must keep starting.
	RetiredBackfillShare string `envconfig:"BACKFILL_RATE_SHARE_PERCENT"`

	// BackfillRoute is "api" (person and shareable per contact) or "events" (one event per contact; Extole's
	// share-link extension sends the links to the webhook).
	BackfillRoute     string `envconfig:"BACKFILL_ROUTE" default:"api"`
	BackfillEventName string `envconfig:"BACKFILL_EVENT_NAME" default:"hubspot_backfill"`

	// Sandbox relaxes the rules that protect a production deployment (webhooks without credentials are
	// accepted), so Validate allows it only when both APIs are the simulated ones on loopback. `make run`
	// sets it when neither API token is configured.
	Sandbox bool `envconfig:"SANDBOX" default:"false"`

	LogFormat string `envconfig:"LOG_FORMAT" default:"json"`
	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`

	// Personal data (encrypted payloads): the codec keys, the codec server and the email hash's salt.
	// The keys are checked here so a bad value stops every process at start; the client itself gets them
	// with the Temporal connection (codec.FromEnv in internal/temporalx).
	PayloadCodecKeys Secret   `envconfig:"PAYLOAD_CODEC_KEYS"`
	CodecAddr        string   `envconfig:"CODEC_ADDR" default:"127.0.0.1:8088"`
	CodecCORSOrigins []string `envconfig:"CODEC_CORS_ORIGINS" default:"http://localhost:8233,http://127.0.0.1:8233"`
	CodecAuthToken   Secret   `envconfig:"CODEC_AUTH_TOKEN"`
	EmailHashSalt    Secret   `envconfig:"EMAIL_HASH_SALT"`

	// Metrics: the worker's /metrics listener (the webhook server serves /metrics on HTTP_ADDR). Set but
	// empty disables it.
	MetricsAddr string `envconfig:"METRICS_ADDR" default:"127.0.0.1:9464"`
}

// Load reads the environment. It never returns a half-valid Config.
func Load() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return Config{}, err
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
		if c.Sandbox {
			// A server that accepts unauthenticated webhooks must not be reachable from the network.
			c.HTTPAddr = "127.0.0.1:8080"
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	// Set here, where every process reads its settings, so the webhook server, the worker and the
	// starter all compute the same ShareLinkSync IDs and ContactEmailHash values.
	contact.SetHashSalt(c.EmailHashSalt.Reveal())
	return c, nil
}

// Validate checks the values that a typo would otherwise turn into a confusing failure at run time.
func (c Config) Validate() error {
	var errs []error
	for _, api := range []struct{ name, url string }{{"EXTOLE_BASE_URL", c.ExtoleBaseURL}, {"HUBSPOT_BASE_URL", c.HubSpotBaseURL}} {
		u, err := url.Parse(api.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an http(s) URL, got %q", api.name, api.url))
			continue
		}
		if c.Sandbox && !isLoopback(u.Hostname()) {
			errs = append(errs, fmt.Errorf("SANDBOX=true accepts unauthenticated webhooks, so it is only allowed against the simulated APIs on loopback; "+
				"%s is %q: point it at 127.0.0.1, ::1 or localhost, or unset SANDBOX and configure webhook credentials", api.name, api.url))
		}
	}
	if c.PublicBaseURL != "" {
		if u, err := url.Parse(c.PublicBaseURL); err != nil || u.Scheme == "" || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			errs = append(errs, fmt.Errorf("PUBLIC_BASE_URL must be scheme://host[:port] without a path, got %q", c.PublicBaseURL))
		}
	}
	if c.ExtoleRatePerMin <= 0 {
		errs = append(errs, fmt.Errorf("EXTOLE_RATE_LIMIT_PER_MINUTE must be positive, got %d", c.ExtoleRatePerMin))
	}
	if c.HubSpotRatePer10s <= 0 {
		errs = append(errs, fmt.Errorf("HUBSPOT_RATE_LIMIT_PER_10S must be positive, got %d", c.HubSpotRatePer10s))
	}
	if c.HubSpotSearchPerSec <= 0 {
		errs = append(errs, fmt.Errorf("HUBSPOT_SEARCH_RATE_PER_SECOND must be positive, got %d", c.HubSpotSearchPerSec))
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		errs = append(errs, fmt.Errorf("METRICS_ADDR must be host:port (or empty to disable), got %q", c.MetricsAddr))
	}
	if strings.TrimSpace(c.HubSpotAPIKeyName) == "" {
		errs = append(errs, errors.New("HUBSPOT_WEBHOOK_API_KEY_NAME must not be empty"))
	}
	if c.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("HTTP_MAX_IN_FLIGHT must not be negative, got %d", c.MaxInFlight))
	}
	if c.BackfillRoute != "api" && c.BackfillRoute != "events" {
		errs = append(errs, fmt.Errorf("BACKFILL_ROUTE must be api or events, got %q", c.BackfillRoute))
	}
	if c.BackfillRoute == "events" && strings.TrimSpace(c.BackfillEventName) == "" {
		errs = append(errs, errors.New("BACKFILL_EVENT_NAME must not be empty with BACKFILL_ROUTE=events"))
	}
	if c.DealHoldPeriod < 0 {
		errs = append(errs, fmt.Errorf("DEAL_HOLD_PERIOD must not be negative, got %s", c.DealHoldPeriod))
	}
	if c.DealContactWait <= 0 {
		errs = append(errs, fmt.Errorf("DEAL_CONTACT_WAIT must be positive, got %s", c.DealContactWait))
	}
	if c.HubSpotRewardEvents && strings.TrimSpace(c.HubSpotRewardEventName) == "" {
		errs = append(errs, errors.New("HUBSPOT_REWARD_EVENT_NAME must name the custom event (pe<HubID>_<name>) with HUBSPOT_REWARD_EVENTS=true"))
	}
	if c.ReconcileLookback <= 0 {
		errs = append(errs, fmt.Errorf("RECONCILE_LOOKBACK must be positive, got %s", c.ReconcileLookback))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT must be json or console, got %q", c.LogFormat))
	}
	for _, o := range c.CodecCORSOrigins {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			errs = append(errs, fmt.Errorf("CODEC_CORS_ORIGINS must list scheme://host[:port] origins without a path, got %q", o))
		}
	}
	if _, err := codec.Parse(c.PayloadCodecKeys.Reveal()); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", codec.EnvKeys, err))
	}
	return errors.Join(errs...)
}

// RewardEventName is the HubSpot custom event reward changes are sent as, "" when they are not.
func (c Config) RewardEventName() string {
	if !c.HubSpotRewardEvents {
		return ""
	}
	return strings.TrimSpace(c.HubSpotRewardEventName)
}

// Warnings lists settings that are accepted but no longer have an effect, for the worker to log at start.
func (c Config) Warnings() []string {
	if c.RetiredBackfillShare == "" {
		return nil
	}
	return []string{"BACKFILL_RATE_SHARE_PERCENT is ignored and can be removed: live traffic now has priority " +
		"on each API's task queue and the backfill uses every call it leaves"}
}

// isLoopback reports whether host can only be this machine. Names other than localhost are refused: a
// resolver could point them anywhere.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// RequireWebhookAuth is the rule that keeps a production webhook server from accepting anyone's events:
// without any HubSpot credential configured it refuses to start, unless it runs in sandbox mode (which
// Validate allows only against the simulated APIs on loopback).
func (c Config) RequireWebhookAuth() error {
	if c.Sandbox || c.HubSpotAPIKey != "" || c.HubSpotClientSecret != "" {
		return nil
	}
	return errors.New("neither HUBSPOT_WEBHOOK_API_KEY nor HUBSPOT_CLIENT_SECRET is set: refusing to accept unauthenticated webhooks (for local testing against the simulated APIs on loopback, set SANDBOX=true)")
}
