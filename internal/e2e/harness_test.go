package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/internal/webhook"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// Every test gets its own namespace, so workers of one test never pick up another test's tasks (task
// queue names are constants of the product). The dev server creates them, with our search attributes,
// at launch.
const namespaces = 48

var (
	serverOnce sync.Once
	server     *testsuite.DevServer
	serverErr  error
	nextNS     atomic.Int32
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		_ = server.Stop()
	}
	os.Exit(code)
}

// cliPath finds the Temporal CLI: $TEMPORAL_CLI (set by the Makefile) or bin/temporal at the repo root.
func cliPath() string {
	if p := os.Getenv("TEMPORAL_CLI"); p != "" {
		return p
	}
	p, _ := filepath.Abs("../../bin/temporal")
	return p
}

// skipWithoutCLI skips an integration test under a plain `go test` when the Temporal CLI was never built;
// under `make test`, which builds it and sets TEMPORAL_CLI, a missing CLI fails the test instead.
func skipWithoutCLI(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(cliPath()); err != nil {
		if os.Getenv("TEMPORAL_CLI") != "" {
			t.Fatalf("temporal CLI not found at %s: %v", cliPath(), err)
		}
		t.Skipf("integration test skipped: no Temporal CLI at %s (run `make temporal-cli`, or `make test`)", cliPath())
	}
}

func searchAttributeValues() temporal.SearchAttributes {
	var updates []temporal.SearchAttributeUpdate
	for _, k := range workflows.SearchAttributes {
		updates = append(updates, k.(temporal.SearchAttributeKeyKeyword).ValueSet(""))
	}
	return temporal.NewSearchAttributes(updates...)
}

// priorityMatcherArgs turn on task-queue priority, which Server 1.29 dispatches only with the new matcher,
// and give each task queue one partition: the server splits a queue's rate limit across its partitions
// and orders by priority within each, so with its default of 4 the Extole budget was under-used and a
// live task waited for its partition's quarter of the rate (README, "Rate limits and priority").
var priorityMatcherArgs = []string{"--dynamic-config-value", "matching.useNewMatcher=true",
	"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
	"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1"}

// startDevServer starts a Temporal dev server from bin/temporal with our search attributes registered.
func startDevServer(extraArgs ...string) (*testsuite.DevServer, error) {
	path := cliPath()
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("temporal CLI not found at %s (run `make temporal-cli` or set TEMPORAL_CLI): %w", path, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:     path,
		LogLevel:         "error",
		SearchAttributes: searchAttributeValues(),
		ExtraArgs:        extraArgs,
		ClientOptions:    &client.Options{Logger: quietLogger{}},
	})
}

// namespaceClient returns a client on a namespace no other test uses, on the shared dev server.
func namespaceClient(t testing.TB) (client.Client, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs the Temporal dev server")
	}
	skipWithoutCLI(t)
	serverOnce.Do(func() {
		// Continue-as-new is suggested after 500 events instead of 4,096, so the integration tests
		// exercise it for real.
		args := []string{"--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=500"}
		args = append(args, priorityMatcherArgs...)
		for i := range namespaces {
			args = append(args, "--namespace", fmt.Sprintf("e2e-%d", i))
		}
		server, serverErr = startDevServer(args...)
	})
	if serverErr != nil {
		t.Fatalf("dev server: %v", serverErr)
	}
	n := int(nextNS.Add(1)) - 1
	if n >= namespaces {
		t.Fatalf("more than %d integration tests: raise `namespaces` in harness_test.go", namespaces)
	}
	ns := fmt.Sprintf("e2e-%d", n)
	c, err := client.NewClientFromExisting(server.Client(), client.Options{Namespace: ns, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, ns
}

// stack is the whole system for one test.
type stack struct {
	T          *testing.T
	Client     client.Client
	Extole     *extolesim.Extole
	ExtoleURL  string
	HubSpot    *hubspotsim.HubSpot
	HubSpotURL string
	WebhookURL string // base URL of the gin server
	Log        *zap.Logger

	startWorkers func() (stop func())
	StopWorkers  func() // stops the running workers (idempotent only through RestartWorkers)
}

// RestartWorkers stops the workers, as a crash or a deploy would, and starts fresh ones.
func (s *stack) RestartWorkers() {
	s.StopWorkers()
	s.StopWorkers = s.startWorkers()
}

type stackOptions struct {
	ExtolePerMinute     int // worker-side limits; default high so tests do not wait on them
	HubSpotPer10s       int
	HubSpotSearchPerSec int
	ExtoleAPIPerMinute  int                // the simulated Extole's limit; default unlimited
	HubSpot             hubspotsim.Options // the simulated HubSpot's limits; default unlimited
	Auth                webhook.HubSpotAuth
	ExtoleAuth          webhook.ExtoleAuth // default: bearer extoleWebhookToken
	// ShareLinkEvent, when set, turns on the simulated Extole's share-link extension for that event,
	// posting to the stack's webhook server.
	ShareLinkEvent string
	// Client, when set, is the client the webhook server and the workers use (e.g. one with the payload
	// codec); default: a client on a fresh namespace.
	Client client.Client
	// App are the app-webhook workflows' settings; AppWebhooks makes the simulated HubSpot emit app
	// webhooks to the stack's /webhooks/hubspot/app, signed with Auth.ClientSecret.
	App         webhook.AppFlow
	AppWebhooks bool
}

const (
	extoleToken        = "test-extole-token"
	hubspotToken       = "test-hubspot-token"
	extoleWebhookToken = "test-extole-webhook-token"
)

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	c := o.Client
	if c == nil {
		c, _ = namespaceClient(t)
	}
	if o.ExtolePerMinute == 0 {
		o.ExtolePerMinute = 60_000
	}
	if o.HubSpotPer10s == 0 {
		o.HubSpotPer10s = 10_000
	}
	if o.HubSpotSearchPerSec == 0 {
		o.HubSpotSearchPerSec = 1_000
	}
	if o.ExtoleAPIPerMinute == 0 {
		o.ExtoleAPIPerMinute = -1
	}
	if o.HubSpot.RatePer10s == 0 {
		o.HubSpot.RatePer10s = -1
	}
	if o.HubSpot.SearchPerSecond == 0 {
		o.HubSpot.SearchPerSecond = -1
	}
	if o.HubSpot.DailyLimit == 0 {
		o.HubSpot.DailyLimit = -1
	}
	o.HubSpot.Token = hubspotToken
	if o.ExtoleAuth == (webhook.ExtoleAuth{}) {
		o.ExtoleAuth.Token = extoleWebhookToken
	}
	s := &stack{T: t, Client: c, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))}

	router := webhook.NewRouter(webhook.Deps{Temporal: c, Log: s.Log, HubSpot: o.Auth, Extole: o.ExtoleAuth, App: o.App})
	web := httptest.NewServer(router)
	t.Cleanup(web.Close)
	s.WebhookURL = web.URL

	ext := extolesim.Options{Token: extoleToken, RateLimitPerMinute: o.ExtoleAPIPerMinute}
	if o.ShareLinkEvent != "" {
		ext.ShareLinkExtension = extolesim.ShareLinkExtension{TriggerEvent: o.ShareLinkEvent,
			WebhookURL: web.URL + "/webhooks/extole/share-links", WebhookToken: o.ExtoleAuth.Token}
	}
	s.Extole = extolesim.New(ext)
	extoleSrv := httptest.NewServer(s.Extole)
	t.Cleanup(extoleSrv.Close)
	s.ExtoleURL = extoleSrv.URL

	if o.AppWebhooks {
		o.HubSpot.AppWebhooks = hubspotsim.AppWebhookOptions{TargetURL: web.URL + "/webhooks/hubspot/app",
			ClientSecret: o.Auth.ClientSecret, Window: 50 * time.Millisecond, Backoff: 200 * time.Millisecond}
	}
	s.HubSpot = hubspotsim.New(o.HubSpot)
	t.Cleanup(s.HubSpot.Close)
	hubspotSrv := httptest.NewServer(s.HubSpot)
	t.Cleanup(hubspotSrv.Close)
	s.HubSpotURL = hubspotSrv.URL

	acts := temporalx.Activities{
		Extole:  &activities.Extole{Client: extole.New(extoleSrv.URL, extoleToken, nil)},
		HubSpot: &activities.HubSpot{Client: hubspot.New(hubspotSrv.URL, hubspotToken, nil)},
	}
	s.startWorkers = func() func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		lim := temporalx.Limits{ExtolePerMinute: o.ExtolePerMinute, HubSpotPer10s: o.HubSpotPer10s,
			HubSpotSearchPerSec: o.HubSpotSearchPerSec}
		go func() { done <- temporalx.Run(ctx, temporalx.NewWorkers(c, acts, lim)) }()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("workers: %v", err)
			}
		}
	}
	s.StopWorkers = s.startWorkers()
	t.Cleanup(func() { s.StopWorkers() })
	return s
}

// waitResult waits for a workflow to close and returns its error (nil when it completed).
func (s *stack) waitResult(workflowID string, out any) error {
	s.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return s.Client.GetWorkflow(ctx, workflowID, "").Get(ctx, out)
}

func (s *stack) describe(workflowID string) *workflowservice.DescribeWorkflowExecutionResponse {
	s.T.Helper()
	d, err := s.Client.DescribeWorkflow(context.Background(), workflowID, "")
	if err != nil {
		s.T.Fatal(err)
	}
	return d.RawResponse
}

// post sends a JSON body to the webhook server and decodes the JSON answer.
func (s *stack) post(path string, body string, header http.Header) (int, map[string]any, http.Header) {
	s.T.Helper()
	req, err := http.NewRequest(http.MethodPost, s.WebhookURL+path, strings.NewReader(body))
	if err != nil {
		s.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.T.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, res.Header
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// quietLogger drops the SDK's own logs; the tests assert on behaviour, and the race detector output
// stays readable.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
