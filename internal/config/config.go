// Package config reads the bridge's configuration from the environment, once, and validates it.
//
// The Temporal connection is not part of this struct: it is read by go.temporal.io/sdk/contrib/envconfig
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, profiles) in internal/temporalx.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/kelseyhightower/envconfig"
)

// Secret is a credential read from the environment. Its String and GoString methods redact it, so a
// Secret that reaches a log line or a %v format prints "[redacted]" instead of the value.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts %#v as well.
func (s Secret) GoString() string { return s.String() }

// Reveal returns the value itself; call it only where the secret is sent or compared.
func (s Secret) Reveal() string { return string(s) }

// Config is every setting of the bridge. Each field is documented in README.md and .env.example.
type Config struct {
	HTTPAddr      string `envconfig:"HTTP_ADDR" default:":8080"`
	PublicBaseURL string `envconfig:"PUBLIC_BASE_URL"`

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

	// BackfillSharePercent is the part of each API's budget the backfill may use; live webhook traffic
	// keeps the rest.
	BackfillSharePercent int `envconfig:"BACKFILL_RATE_SHARE_PERCENT" default:"50"`

	// Sandbox relaxes the rules that protect a production deployment (webhooks without credentials are
	// accepted). `make run` sets it when no API tokens are configured and it points the clients at the
	// simulated APIs.
	Sandbox bool `envconfig:"SANDBOX" default:"false"`

	LogFormat string `envconfig:"LOG_FORMAT" default:"json"`
	LogLevel  string `envconfig:"LOG_LEVEL" default:"info"`
}

// Load reads the environment. It never returns a half-valid Config.
func Load() (Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Validate checks the values that a typo would otherwise turn into a confusing failure at run time.
func (c Config) Validate() error {
	var errs []error
	for name, v := range map[string]string{"EXTOLE_BASE_URL": c.ExtoleBaseURL, "HUBSPOT_BASE_URL": c.HubSpotBaseURL} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an http(s) URL, got %q", name, v))
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
	if c.BackfillSharePercent < 1 || c.BackfillSharePercent > 99 {
		errs = append(errs, fmt.Errorf("BACKFILL_RATE_SHARE_PERCENT must be between 1 and 99, got %d", c.BackfillSharePercent))
	}
	if strings.TrimSpace(c.HubSpotAPIKeyName) == "" {
		errs = append(errs, errors.New("HUBSPOT_WEBHOOK_API_KEY_NAME must not be empty"))
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT must be json or console, got %q", c.LogFormat))
	}
	return errors.Join(errs...)
}

// RequireWebhookAuth is the rule that keeps a production webhook server from accepting anyone's events:
// without any HubSpot credential configured it refuses to start, unless it runs in sandbox mode.
func (c Config) RequireWebhookAuth() error {
	if c.Sandbox || c.HubSpotAPIKey != "" || c.HubSpotClientSecret != "" {
		return nil
	}
	return errors.New("neither HUBSPOT_WEBHOOK_API_KEY nor HUBSPOT_CLIENT_SECRET is set: refusing to accept unauthenticated webhooks (set SANDBOX=true for local testing)")
}
