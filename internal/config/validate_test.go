package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every check of Validate, each from the defaults with one setting wrong: the message names the variable,
// so an operator knows what to fix.
func TestValidate(t *testing.T) {
	setEnv(t, nil)
	defaults, err := Load()
	require.NoError(t, err, "the defaults are valid")

	tests := []struct {
		name    string
		change  func(*Config)
		wantErr string // substring; "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"Extole URL without scheme", func(c *Config) { c.ExtoleBaseURL = "api.extole.io" }, `EXTOLE_BASE_URL must be an http(s) URL, got "api.extole.io"`},
		{"HubSpot URL of another scheme", func(c *Config) { c.HubSpotBaseURL = "ftp://api.example.com" }, "HUBSPOT_BASE_URL must be an http(s) URL"},
		{"HubSpot URL without host", func(c *Config) { c.HubSpotBaseURL = "https://" }, "HUBSPOT_BASE_URL must be an http(s) URL"},
		{"sandbox against a real API", func(c *Config) { c.Sandbox = true }, "SANDBOX=true accepts unauthenticated webhooks"},
		{"sandbox on loopback", func(c *Config) {
			c.Sandbox, c.ExtoleBaseURL, c.HubSpotBaseURL = true, "http://127.0.0.1:8091", "http://[::1]:8092"
		}, ""},
		{"public URL with a path", func(c *Config) { c.PublicBaseURL = "https://bridge.example.com/hooks" }, "PUBLIC_BASE_URL must be scheme://host[:port] without a path"},
		{"public URL with a trailing slash", func(c *Config) { c.PublicBaseURL = "https://bridge.example.com/" }, ""},
		{"Extole rate zero", func(c *Config) { c.ExtoleRatePerMin = 0 }, "EXTOLE_RATE_LIMIT_PER_MINUTE must be positive, got 0"},
		{"HubSpot rate negative", func(c *Config) { c.HubSpotRatePer10s = -1 }, "HUBSPOT_RATE_LIMIT_PER_10S must be positive, got -1"},
		{"HubSpot search rate zero", func(c *Config) { c.HubSpotSearchPerSec = 0 }, "HUBSPOT_SEARCH_RATE_PER_SECOND must be positive"},
		{"blank API key header name", func(c *Config) { c.HubSpotAPIKeyName = "  " }, "HUBSPOT_WEBHOOK_API_KEY_NAME must not be empty"},
		{"negative in-flight cap", func(c *Config) { c.MaxInFlight = -1 }, "HTTP_MAX_IN_FLIGHT must not be negative"},
		{"unknown backfill route", func(c *Config) { c.BackfillRoute = "file" }, `BACKFILL_ROUTE must be api or events, got "file"`},
		{"event route without event name", func(c *Config) { c.BackfillRoute, c.BackfillEventName = "events", "" }, "BACKFILL_EVENT_NAME must not be empty"},
		{"unknown log format", func(c *Config) { c.LogFormat = "text" }, `LOG_FORMAT must be json or console, got "text"`},
		{"CORS origin with a path", func(c *Config) { c.CodecCORSOrigins = []string{"http://localhost:8233/ui"} }, "CODEC_CORS_ORIGINS must list scheme://host[:port] origins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := defaults
			tt.change(&c)
			err := c.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// All problems are reported at once, so one restart fixes them all.
func TestValidateReportsEveryProblem(t *testing.T) {
	setEnv(t, nil)
	c, err := Load()
	require.NoError(t, err)
	c.ExtoleRatePerMin, c.LogFormat = 0, "xml"
	err = c.Validate()
	require.Error(t, err)
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 2)
}
