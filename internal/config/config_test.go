package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// setEnv gives Load exactly env: every variable Config reads is unset first, so the machine's own
// environment cannot change the outcome.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		if k := f.Tag.Get("envconfig"); k != "" {
			t.Setenv(k, "")
			require.NoError(t, os.Unsetenv(k))
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// load runs Load with exactly env. With wantErr set it asserts that Load fails naming it, and returns
// false: the case is done.
func load(t *testing.T, env map[string]string, wantErr string) (Config, bool) {
	t.Helper()
	setEnv(t, env)
	c, err := Load()
	if wantErr != "" {
		require.ErrorContains(t, err, wantErr)
		return c, false
	}
	require.NoError(t, err)
	return c, true
}

func TestLoadSandboxOnlyAgainstLoopback(t *testing.T) {
	loopback := map[string]string{"SANDBOX": "true", "EXTOLE_BASE_URL": "http://127.0.0.1:8091", "HUBSPOT_BASE_URL": "http://127.0.0.1:8092"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range loopback {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantErr  []string // substrings of the error; nil = Load succeeds
		notInErr []string
		wantAddr string
	}{
		{"production defaults listen on all interfaces", nil, nil, nil, ":8080"},
		{"production with explicit address", map[string]string{"HTTP_ADDR": "10.0.0.2:9000"}, nil, nil, "10.0.0.2:9000"},
		{"sandbox on loopback binds to loopback", loopback, nil, nil, "127.0.0.1:8080"},
		{"sandbox with localhost and ::1", with("EXTOLE_BASE_URL", "http://localhost:8091", "HUBSPOT_BASE_URL", "http://[::1]:8092"), nil, nil, "127.0.0.1:8080"},
		{"sandbox with explicit HTTP_ADDR keeps it", with("HTTP_ADDR", ":9000"), nil, nil, ":9000"},
		{"sandbox with real Extole", with("EXTOLE_BASE_URL", "https://api.extole.io"), []string{"EXTOLE_BASE_URL", "SANDBOX"}, []string{"HUBSPOT_BASE_URL"}, ""},
		{"sandbox with HubSpot left at its default", map[string]string{"SANDBOX": "true", "EXTOLE_BASE_URL": "http://127.0.0.1:8091"}, []string{"HUBSPOT_BASE_URL"}, []string{"EXTOLE_BASE_URL"}, ""},
		{"sandbox with both defaults", map[string]string{"SANDBOX": "true"}, []string{"EXTOLE_BASE_URL", "HUBSPOT_BASE_URL"}, nil, ""},
		{"sandbox with a private, not loopback, address", with("HUBSPOT_BASE_URL", "http://10.0.0.5:8092"), []string{"HUBSPOT_BASE_URL"}, nil, ""},
		{"sandbox with a compose service name", with("EXTOLE_BASE_URL", "http://sandbox:8091"), []string{"EXTOLE_BASE_URL"}, nil, ""},
		{"sandbox with a host that only starts like loopback", with("EXTOLE_BASE_URL", "http://127.0.0.1.evil.example:8091"), []string{"EXTOLE_BASE_URL"}, nil, ""},
		{"sandbox with a localhost subdomain of a real domain", with("HUBSPOT_BASE_URL", "http://localhost.evil.example"), []string{"HUBSPOT_BASE_URL"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := Load()
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.wantAddr, c.HTTPAddr)
				return
			}
			require.Error(t, err)
			for _, s := range tt.wantErr {
				assert.Contains(t, err.Error(), s)
			}
			for _, s := range tt.notInErr {
				assert.NotContains(t, err.Error(), s)
			}
		})
	}
}

func TestLoadTrustedProxies(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    Proxies
		wantErr bool
	}{
		{"unset trusts nobody", "", nil, false},
		{"addresses and ranges", "10.0.0.0/8, 192.168.1.7 ,::1", Proxies{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("::1/128")}, false},
		{"host name", "proxy.internal", nil, true},
		{"bad prefix length", "10.0.0.0/33", nil, true},
		{"empty entry", "10.0.0.1,,10.0.0.2", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.value != "" {
				env["TRUSTED_PROXIES"] = tt.value
			}
			wantErr := ""
			if tt.wantErr {
				wantErr = "TRUSTED_PROXIES"
			}
			if c, ok := load(t, env, wantErr); ok {
				assert.Equal(t, tt.want, c.TrustedProxies)
			}
		})
	}
}

func TestLoadMaxInFlight(t *testing.T) {
	tests := []struct {
		value   string
		want    int
		wantErr bool
	}{
		{"", 0, false}, // the server's default
		{"200", 200, false},
		{"-1", 0, true},
		{"many", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			env := map[string]string{}
			if tt.value != "" {
				env["HTTP_MAX_IN_FLIGHT"] = tt.value
			}
			wantErr := ""
			if tt.wantErr {
				wantErr = "HTTP_MAX_IN_FLIGHT"
			}
			if c, ok := load(t, env, wantErr); ok {
				assert.Equal(t, tt.want, c.MaxInFlight)
			}
		})
	}
}

// Metrics: the worker's listener defaults to loopback, set-but-empty disables it, a typo fails at start.
func TestLoadMetricsAddr(t *testing.T) {
	unset := "<unset>"
	tests := []struct {
		value   string
		want    string
		wantErr bool
	}{
		{unset, "127.0.0.1:9464", false},
		{"", "", false},
		{":9464", ":9464", false},
		{"9464", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			env := map[string]string{}
			if tt.value != unset {
				env["METRICS_ADDR"] = tt.value
			}
			wantErr := ""
			if tt.wantErr {
				wantErr = "METRICS_ADDR"
			}
			if c, ok := load(t, env, wantErr); ok {
				assert.Equal(t, tt.want, c.MetricsAddr)
			}
		})
	}
}

// Personal data (encrypted payloads): the codec server's origins and the email hash's salt.
func TestLoadCodecAndEmailHashSalt(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantOrigins []string
		wantHash    string // of jane@example.com, as every process computes it after Load
		wantErr     string
	}{
		{name: "defaults: the local Web UI, unsalted hash", wantOrigins: []string{"http://localhost:8233", "http://127.0.0.1:8233"},
			wantHash: "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d"},
		{name: "salted", env: map[string]string{"EMAIL_HASH_SALT": "s3cret", "CODEC_CORS_ORIGINS": "https://temporal.example.com"},
			wantOrigins: []string{"https://temporal.example.com"},
			wantHash:    "c56360d283a3038ea6f01b2e9a62a155ad9416491464597ff600ec1fdd85d1ca"},
		{name: "origin with a path", env: map[string]string{"CODEC_CORS_ORIGINS": "http://localhost:8233/namespaces"}, wantErr: "CODEC_CORS_ORIGINS"},
		{name: "codec key too short, named by id", env: map[string]string{"PAYLOAD_CODEC_KEYS": "k1:c2hvcnQ="}, wantErr: `PAYLOAD_CODEC_KEYS: key "k1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() { contact.SetHashSalt("") })
			if c, ok := load(t, tt.env, tt.wantErr); ok {
				assert.Equal(t, tt.wantOrigins, c.CodecCORSOrigins)
				assert.Equal(t, tt.wantHash, contact.HashEmail("jane@example.com"))
			}
		})
	}
}

// A Secret must never print its value, whichever encoder a log line or an error message goes through.
func TestSecretRedactedByEveryEncoder(t *testing.T) {
	const value = "tok-7d1e-very-secret"
	type holder struct {
		Token Secret `json:"token"`
	}
	cfg := Config{ExtoleAccessToken: value, ExtoleWebhookToken: value, ExtoleSigningKey: value,
		HubSpotAccessToken: value, HubSpotAPIKey: value, HubSpotClientSecret: value}

	zapJSON := func(f zap.Field) string {
		var buf bytes.Buffer
		core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&buf), zap.DebugLevel)
		zap.New(core).Info("msg", f)
		return buf.String()
	}
	zapConsole := func(f zap.Field) string {
		var buf bytes.Buffer
		core := zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(&buf), zap.DebugLevel)
		zap.New(core).Info("msg", f)
		return buf.String()
	}
	slogWith := func(newHandler func(*bytes.Buffer) slog.Handler, attr slog.Attr) string {
		var buf bytes.Buffer
		slog.New(newHandler(&buf)).LogAttrs(t.Context(), slog.LevelInfo, "msg", attr)
		return buf.String()
	}
	slogJSON := func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }
	slogText := func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }
	mustJSON := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}

	tests := []struct {
		name string
		out  string
		want string // what prints instead; "" = [redacted]
	}{
		{"json.Marshal of a struct", mustJSON(holder{Token: value}), ""},
		{"json.Marshal of the whole config", mustJSON(cfg), ""},
		{"zap.Reflect (json)", zapJSON(zap.Reflect("token", Secret(value))), ""},
		{"zap.Reflect of a struct (json)", zapJSON(zap.Reflect("h", holder{Token: value})), ""},
		{"zap.Any (json)", zapJSON(zap.Any("token", Secret(value))), ""},
		{"zap.Any of the whole config (json)", zapJSON(zap.Any("config", cfg)), ""},
		{"zap.Any of the whole config (console)", zapConsole(zap.Any("config", cfg)), ""},
		{"zap.Stringer", zapJSON(zap.Stringer("token", Secret(value))), ""},
		{"slog JSON slog.Any", slogWith(slogJSON, slog.Any("token", Secret(value))), ""},
		{"slog JSON struct", slogWith(slogJSON, slog.Any("h", holder{Token: value})), ""},
		{"slog JSON whole config", slogWith(slogJSON, slog.Any("config", cfg)), ""},
		{"slog text slog.Any", slogWith(slogText, slog.Any("token", Secret(value))), ""},
		{"slog text whole config", slogWith(slogText, slog.Any("config", cfg)), ""},
		{"fmt %v", fmt.Sprintf("%v", Secret(value)), ""},
		//lint:ignore S1025 fmt's own %s path is what is tested here, not String()
		{"fmt %s", fmt.Sprintf("%s", Secret(value)), ""},
		{"fmt %q", fmt.Sprintf("%q", Secret(value)), ""},
		{"fmt %x", fmt.Sprintf("%x", Secret(value)), fmt.Sprintf("%x", "[redacted]")},
		{"fmt %v of the whole config", fmt.Sprintf("%v", cfg), ""},
		{"fmt %+v of the whole config", fmt.Sprintf("%+v", cfg), ""},
		{"fmt %#v of the whole config", fmt.Sprintf("%#v", cfg), ""},
		{"fmt %#v of a pointer to a struct", fmt.Sprintf("%#v", &holder{Token: value}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotContains(t, tt.out, value)
			assert.NotContains(t, strings.ToLower(tt.out), fmt.Sprintf("%x", value), "hex of the value")
			want := tt.want
			if want == "" {
				want = "[redacted]"
			}
			assert.Contains(t, tt.out, want)
		})
	}
	assert.Equal(t, value, Secret(value).Reveal(), "Reveal is the one way to the value")
}

// An .env written for an older release still starts, and the worker says the setting is ignored.
func TestRetiredBackfillShareWarnsInsteadOfFailing(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		warnings int
	}{
		{"unset", nil, 0},
		{"left over from an older release", map[string]string{"BACKFILL_RATE_SHARE_PERCENT": "50"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			c, err := Load()
			require.NoError(t, err)
			assert.Len(t, c.Warnings(), tc.warnings)
			for _, w := range c.Warnings() {
				assert.Contains(t, w, "BACKFILL_RATE_SHARE_PERCENT")
			}
		})
	}
}

func TestLoadBackfillRoute(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantRoute string
		wantErr   string
	}{
		{"default", nil, "api", ""},
		{"events", map[string]string{"BACKFILL_ROUTE": "events"}, "events", ""},
		{"unknown route", map[string]string{"BACKFILL_ROUTE": "csv"}, "", "BACKFILL_ROUTE"},
		{"events without a name", map[string]string{"BACKFILL_ROUTE": "events", "BACKFILL_EVENT_NAME": " "}, "", "BACKFILL_EVENT_NAME"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c, ok := load(t, tc.env, tc.wantErr); ok {
				assert.Equal(t, tc.wantRoute, c.BackfillRoute)
			}
		})
	}
}

// HubSpot app webhooks: won stages, hold period and contact wait.
func TestLoadAppWebhookDealSettings(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantWon   []string
		wantHold  time.Duration
		wantWait  time.Duration
		wantInErr string
	}{
		{"defaults", nil, nil, 0, 72 * time.Hour, ""},
		{"set", map[string]string{"HUBSPOT_WON_STAGES": "closedwon,812723471", "DEAL_HOLD_PERIOD": "720h", "DEAL_CONTACT_WAIT": "24h"},
			[]string{"closedwon", "812723471"}, 720 * time.Hour, 24 * time.Hour, ""},
		{"negative hold", map[string]string{"DEAL_HOLD_PERIOD": "-1h"}, nil, 0, 0, "DEAL_HOLD_PERIOD"},
		{"zero wait", map[string]string{"DEAL_CONTACT_WAIT": "0s"}, nil, 0, 0, "DEAL_CONTACT_WAIT"},
		{"not a duration", map[string]string{"DEAL_HOLD_PERIOD": "30 days"}, nil, 0, 0, "DEAL_HOLD_PERIOD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, ok := load(t, tt.env, tt.wantInErr); ok {
				assert.Equal(t, tt.wantWon, c.HubSpotWonStages)
				assert.Equal(t, tt.wantHold, c.DealHoldPeriod)
				assert.Equal(t, tt.wantWait, c.DealContactWait)
			}
		})
	}
}

// Rewards (issue 11): custom events only with a name; the reconciliation's look-back.
func TestLoadRewardSettings(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		wantEventName string
		wantLookback  time.Duration
		wantInErr     string
	}{
		{"defaults: no custom events", nil, "", 72 * time.Hour, ""},
		{"name without the switch sends nothing", map[string]string{"HUBSPOT_REWARD_EVENT_NAME": "pe1_reward"}, "", 72 * time.Hour, ""},
		{"on", map[string]string{"HUBSPOT_REWARD_EVENTS": "true", "HUBSPOT_REWARD_EVENT_NAME": "pe1_reward", "RECONCILE_LOOKBACK": "168h"}, "pe1_reward", 168 * time.Hour, ""},
		{"on without a name", map[string]string{"HUBSPOT_REWARD_EVENTS": "true"}, "", 0, "HUBSPOT_REWARD_EVENT_NAME"},
		{"zero look-back", map[string]string{"RECONCILE_LOOKBACK": "0s"}, "", 0, "RECONCILE_LOOKBACK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, ok := load(t, tt.env, tt.wantInErr); ok {
				assert.Equal(t, tt.wantEventName, c.RewardEventName())
				assert.Equal(t, tt.wantLookback, c.ReconcileLookback)
			}
		})
	}
}
