package chaos

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/sdk/client"
)

// Distinctive values for every secret: the secret-leak suite looks for each of them in every process's
// output, so they must not occur there by accident.
var secrets = map[string]string{
	"EXTOLE_ACCESS_TOKEN":        "xtl-access-Q7vR2mK9pL4sW8zN",
	"HUBSPOT_ACCESS_TOKEN":       "pat-na1-chaos-J3fH6dY1tB5cX0qU",
	"HUBSPOT_WEBHOOK_API_KEY":    "hs-webhook-key-T8gL2wE6rA9vM4kP",
	"HUBSPOT_CLIENT_SECRET":      "hs-client-secret-Z5nC1xV7bQ3jF9sD",
	"EXTOLE_WEBHOOK_TOKEN":       "xtl-webhook-token-P2mW8kR4tY6uI0oL",
	"EXTOLE_WEBHOOK_SIGNING_KEY": "xtl-signing-key-H9aS3dF7gJ1kL5zX",
}

// The namespaces created at launch besides "default", one per worker-lifecycle test case (the fatal
// ones are deleted by their test).
const (
	nsRunCancel = "chaos-run-cancel"
	nsFatalRun  = "chaos-fatal-run"
	nsFatalProc = "chaos-fatal-proc"
)

var (
	binDir string // cmd/worker and cmd/starter, built once per test binary

	sysOnce sync.Once
	sys     *system
	sysErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sys != nil {
		sys.shutdown()
	}
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// scale multiplies the scenario sizes: 1 in `make test`, larger in `make chaos` (CHAOS_SCALE).
func scale(t *testing.T) int {
	s, err := strconv.Atoi(os.Getenv("CHAOS_SCALE"))
	if err != nil || s < 1 {
		return 1
	}
	return s
}

// temporalCLI finds bin/temporal. Inside `make test` (TEMPORAL_CLI set) a missing CLI is an error; a
// plain `go test` without it skips.
func temporalCLI(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("chaos suite: starts real processes")
	}
	p := os.Getenv("TEMPORAL_CLI")
	fromMake := p != ""
	if !fromMake {
		p, _ = filepath.Abs("../../bin/temporal")
	}
	if _, err := os.Stat(p); err != nil {
		if fromMake {
			t.Fatalf("temporal CLI not found at %s: %v", p, err)
		}
		t.Skipf("temporal CLI not found at %s (run `make temporal-cli`)", p)
	}
	return p
}

// shared returns the one process set every test of this package uses, starting it on first use.
func shared(t *testing.T) *system {
	t.Helper()
	cli := temporalCLI(t)
	sysOnce.Do(func() {
		// Once more on fresh ports if the first set does not come up: a port chosen free can be taken
		// before the process binds it when other test packages start servers at the same moment.
		for range 2 {
			if sys, sysErr = startSystem(cli); sysErr == nil {
				return
			}
			if sys != nil {
				sys.shutdown()
			}
		}
	})
	if sysErr != nil {
		t.Fatalf("start the process set: %v", sysErr)
	}
	return sys
}

func buildBinaries() error {
	dir, err := os.MkdirTemp("", "bridge-chaos-bin-")
	if err != nil {
		return err
	}
	binDir = dir
	for _, name := range []string{"worker", "starter"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "./cmd/"+name)
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/%s: %v\n%s", name, err, out)
		}
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects a process's stdout and stderr over all its restarts.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is one real process, restartable with the same command line.
type proc struct {
	name string
	args []string
	env  []string
	out  *syncBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current run exited
	err  error         // its exit status
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	done := make(chan struct{})
	p.cmd, p.done = cmd, done
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

// signal sends sig to the current run and waits up to within for it to exit; it returns the exit error.
func (p *proc) signal(sig syscall.Signal, within time.Duration) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(sig)
	return p.wait(done, within)
}

func (p *proc) wait(done chan struct{}, within time.Duration) error {
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err
	case <-time.After(within):
		return fmt.Errorf("%s did not exit within %s", p.name, within)
	}
}

// exited reports whether the current run has ended, and how.
func (p *proc) exited() (bool, error) {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.err
	default:
		return false, nil
	}
}

// stop ends the process the way a supervisor does: SIGTERM, then SIGKILL.
func (p *proc) stop() {
	if p.signal(syscall.SIGTERM, 20*time.Second) != nil {
		_ = p.signal(syscall.SIGKILL, 5*time.Second)
	}
}

// system is the whole bridge as separate processes on free loopback ports.
type system struct {
	temporal, sandbox, worker, serve *proc

	temporalAddr string
	extoleURL    string
	hubspotURL   string
	webhookURL   string
	env          []string // the bridge's environment, as every process gets it

	mu    sync.Mutex
	procs []*proc // every process ever started, for the secret scan
}

func startSystem(cli string) (*system, error) {
	if err := buildBinaries(); err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "bridge-chaos-data-")
	if err != nil {
		return nil, err
	}
	var ports [4]int
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	s := &system{
		temporalAddr: fmt.Sprintf("127.0.0.1:%d", ports[0]),
		extoleURL:    fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		hubspotURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
		webhookURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[3]),
	}
	s.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dataDir, // no stray Temporal profile from the developer's home
		"TEMPORAL_ADDRESS=" + s.temporalAddr,
		"HTTP_ADDR=" + strings.TrimPrefix(s.webhookURL, "http://"),
		"EXTOLE_BASE_URL=" + s.extoleURL,
		"HUBSPOT_BASE_URL=" + s.hubspotURL,
		// Limits far above the load, so the scenarios measure faults, not pacing.
		"EXTOLE_RATE_LIMIT_PER_MINUTE=600000",
		"HUBSPOT_RATE_LIMIT_PER_10S=100000",
		"HUBSPOT_SEARCH_RATE_PER_SECOND=1000",
		"SANDBOX=false",
		"LOG_LEVEL=debug",
		"LOG_FORMAT=json",
		"METRICS_ADDR=", // the harness may run a second worker; neither needs a metrics listener
	}
	for k, v := range secrets {
		s.env = append(s.env, k+"="+v)
	}

	temporalArgs := []string{cli, "server", "start-dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(ports[0]), "--headless",
		"--db-filename", filepath.Join(dataDir, "temporal.db"), "--log-level", "warn",
		"--namespace", nsRunCancel, "--namespace", nsFatalRun, "--namespace", nsFatalProc,
		// Short long-polls: a deleted namespace reaches idle pollers within seconds, not a minute.
		"--dynamic-config-value", `matching.longPollExpirationInterval="5s"`,
		// Task-queue priority (live before backfill) needs the new matcher on Server 1.29; one partition
		// per task queue, so its rate limit is not split four ways (README, "Rate limits and priority").
		"--dynamic-config-value", "matching.useNewMatcher=true",
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1"}
	for _, k := range workflows.SearchAttributes {
		temporalArgs = append(temporalArgs, "--search-attribute", k.GetName()+"=Keyword")
	}
	s.temporal = s.newProc("temporal", temporalArgs, s.env)
	s.sandbox = s.newProc("sandbox", []string{filepath.Join(binDir, "starter"), "sandbox",
		"-extole-addr", strings.TrimPrefix(s.extoleURL, "http://"), "-hubspot-addr", strings.TrimPrefix(s.hubspotURL, "http://"),
		"-extole-rate-per-minute", "1000000", "-hubspot-rate-per-10s", "1000000"}, s.env)
	s.worker = s.newProc("worker", []string{filepath.Join(binDir, "worker")}, s.env)
	s.serve = s.newProc("serve", []string{filepath.Join(binDir, "starter"), "serve"}, s.env)

	if err := s.startTemporal(); err != nil {
		return s, err
	}
	for _, p := range []*proc{s.sandbox, s.worker, s.serve} {
		if err := p.start(); err != nil {
			return s, err
		}
	}
	if err := waitFor(30*time.Second, "the sandbox", func() bool {
		return httpOK(s.extoleURL+"/_sandbox/events") && httpOK(s.hubspotURL+"/_sandbox/contacts")
	}); err != nil {
		return s, err
	}
	if err := s.waitWorker(s.worker); err != nil {
		return s, err
	}
	return s, s.waitServe()
}

func (s *system) newProc(name string, args, env []string) *proc {
	p := &proc{name: name, args: args, env: env, out: &syncBuffer{}}
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	return p
}

func (s *system) startTemporal() error {
	if err := s.temporal.start(); err != nil {
		return err
	}
	err := waitFor(90*time.Second, "the Temporal dev server", func() bool {
		c, err := s.client("default")
		if err != nil {
			return false
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err == nil
	})
	if err != nil {
		return fmt.Errorf("%w; its output ends:\n%s", err, tail(s.temporal.out.String()))
	}
	return nil
}

// waitLog waits until p's output holds line more than `seen` times, failing early when p exits.
func waitLog(p *proc, line string, seen int, within time.Duration) error {
	var exited error
	err := waitFor(within, fmt.Sprintf("%s to log %s", p.name, line), func() bool {
		if done, err := p.exited(); done {
			exited = fmt.Errorf("%s exited (%v):\n%s", p.name, err, tail(p.out.String()))
			return true
		}
		return strings.Count(p.out.String(), line) > seen
	})
	if exited != nil {
		return exited
	}
	return err
}

// workerStarted is the worker's log line once its Temporal workers are about to poll.
const workerStarted = `"worker starting"`

// waitWorker waits until a worker process has started its Temporal workers.
func (s *system) waitWorker(p *proc) error { return waitLog(p, workerStarted, 0, 60*time.Second) }

func tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

func (s *system) waitServe() error {
	return waitFor(30*time.Second, "the webhook server", func() bool { return httpOK(s.webhookURL + "/readyz") })
}

// restartWorker starts the worker process again after a kill and waits until it polls.
func (s *system) restartWorker(t *testing.T) {
	t.Helper()
	seen := strings.Count(s.worker.out.String(), workerStarted)
	if err := s.worker.start(); err != nil {
		t.Fatal(err)
	}
	if err := waitLog(s.worker, workerStarted, seen, 60*time.Second); err != nil {
		t.Fatal(err)
	}
}

func (s *system) shutdown() {
	// Newest first, so the worker and the webhook server stop while Temporal is still up.
	for _, p := range []*proc{s.serve, s.worker, s.sandbox, s.temporal} {
		if p != nil {
			p.stop()
		}
	}
}

// client connects to the dev server as the tests' own observer.
func (s *system) client(namespace string) (client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return client.DialContext(ctx, client.Options{HostPort: s.temporalAddr, Namespace: namespace, Logger: quietLogger{}})
}

// outputs returns every captured stdout/stderr by process name (restarts included).
func (s *system) outputs() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for _, p := range s.procs {
		out[p.name] += p.out.String()
	}
	return out
}

func httpOK(url string) bool {
	res, err := http.Get(url) //nolint:gosec,noctx // loopback test URL
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

func waitFor(within time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// --- senders -------------------------------------------------------------------------------------------

// sender posts webhooks the way HubSpot and Extole do: every non-2xx answer and every connection error is
// retried with a short backoff until a 2xx (or the deadline). Its log of answers is the HTTP-level truth.
type sender struct {
	http     *http.Client
	deadline time.Time

	mu      sync.Mutex
	acked   map[string]int // key → the 2xx status that acknowledged it
	retries int            // non-2xx answers and connection errors seen
	refused map[string]int // the same by status ("conn" for a connection error)
}

func newSender(within time.Duration) *sender {
	return &sender{http: &http.Client{Timeout: 10 * time.Second}, deadline: time.Now().Add(within), acked: map[string]int{}, refused: map[string]int{}}
}

// post delivers one request until a 2xx; build makes a fresh request per attempt.
func (s *sender) post(key string, build func() *http.Request) {
	backoff := 50 * time.Millisecond
	for time.Now().Before(s.deadline) {
		res, err := s.http.Do(build())
		why := "conn"
		if err == nil {
			why = strconv.Itoa(res.StatusCode)
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode/100 == 2 {
				s.mu.Lock()
				s.acked[key] = res.StatusCode
				s.mu.Unlock()
				return
			}
		}
		s.mu.Lock()
		s.retries++
		s.refused[why]++
		s.mu.Unlock()
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

// postAll sends every key with at most conc requests at once.
func (s *sender) postAll(keys []string, conc int, build func(key string) *http.Request) {
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for _, k := range keys {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.post(k, func() *http.Request { return build(k) })
		}()
	}
	wg.Wait()
}

// refusals summarises the retried answers, e.g. "503×12 conn×3".
func (s *sender) refusals() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for why, n := range s.refused {
		parts = append(parts, fmt.Sprintf("%s×%d", why, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func (s *sender) ackedKeys() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.acked))
	for k, v := range s.acked {
		out[k] = v
	}
	return out
}

// hubspotEvent is a HubSpot workflow webhook for one conversion, authenticated with the API key header.
func (s *system) hubspotEvent(eventName, pcid string) *http.Request {
	body := fmt.Sprintf(`{"event_name":%q,"data":{"email":"%s@example.com","advocate_code":"alex01","partner_conversion_id":%q,"extole_app_type":"hubspot"}}`,
		eventName, strings.ToLower(pcid), pcid)
	req, _ := http.NewRequest(http.MethodPost, s.webhookURL+"/webhooks/hubspot/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", secrets["HUBSPOT_WEBHOOK_API_KEY"])
	return req
}

// shareLink is an Extole share-link webhook with the bearer token and the HS256 signature.
func (s *system) shareLink(email, code string) *http.Request {
	body := fmt.Sprintf(`{"properties":{"email":%q,"share_code":%q,"share_link":"https://refer.example.com/%s"}}`, email, code, code)
	req, _ := http.NewRequest(http.MethodPost, s.webhookURL+"/webhooks/extole/share-links", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secrets["EXTOLE_WEBHOOK_TOKEN"])
	m := hmac.New(sha256.New, []byte(secrets["EXTOLE_WEBHOOK_SIGNING_KEY"]))
	m.Write([]byte(body))
	req.Header.Set("X-Extole-Signature", hex.EncodeToString(m.Sum(nil)))
	return req
}

// --- what the simulated APIs hold --------------------------------------------------------------------

func getJSON(url string, out any) error {
	res, err := http.Get(url) //nolint:gosec,noctx // loopback test URL
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

func putJSON(url string, body any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(res.Body)
		return fmt.Errorf("PUT %s: %s %s", url, res.Status, msg)
	}
	return nil
}

// setFaults replaces the faults of both simulated APIs (nil clears them).
func (s *system) setFaults(t *testing.T, extole, hubspot map[string]any) {
	t.Helper()
	for url, f := range map[string]map[string]any{s.extoleURL: extole, s.hubspotURL: hubspot} {
		if f == nil {
			f = map[string]any{}
		}
		if err := putJSON(url+"/_sandbox/faults", f); err != nil {
			t.Fatal(err)
		}
	}
}

// extoleEvents counts the events the simulated Extole accepted, by partner_conversion_id.
func (s *system) extoleEvents(t *testing.T) map[string]int {
	t.Helper()
	var got struct {
		Events []struct {
			Data map[string]json.RawMessage `json:"data"`
		} `json:"events"`
	}
	if err := getJSON(s.extoleURL+"/_sandbox/events", &got); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range got.Events {
		var id string
		_ = json.Unmarshal(e.Data["partner_conversion_id"], &id)
		out[id]++
	}
	return out
}

type hsContact struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	Archived   bool              `json:"archived"`
}

// hubspotContacts returns the simulated HubSpot's contacts by lower-cased email (a slice: more than one
// is a duplicate).
func (s *system) hubspotContacts(t *testing.T) map[string][]hsContact {
	t.Helper()
	var got struct {
		Contacts []hsContact `json:"contacts"`
	}
	if err := getJSON(s.hubspotURL+"/_sandbox/contacts", &got); err != nil {
		t.Fatal(err)
	}
	out := map[string][]hsContact{}
	for _, c := range got.Contacts {
		if !c.Archived {
			out[strings.ToLower(c.Properties["email"])] = append(out[strings.ToLower(c.Properties["email"])], c)
		}
	}
	return out
}

// quietLogger drops the test client's own SDK logs; the processes' logs are what the suites read.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
