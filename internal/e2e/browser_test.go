package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hubspot-extole/bridge/internal/codec"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
)

// chromiumPath is $CHROMIUM_PATH or Debian's chromium on PATH; "" when neither is there.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestWebUIShowsDecodedEmailThroughCodecServer opens the Temporal Web UI in a real (headless) Chromium:
// the UI of a dev server started with --ui-codec-endpoint fetches the workflow's encrypted input, sends it
// to the codec server from the browser (CORS) and shows the email in clear.
func TestWebUIShowsDecodedEmailThroughCodecServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: needs the Temporal dev server and Chromium")
	}
	chrome := chromiumPath()
	if chrome == "" && os.Getenv("BROWSER_TEST") != "" {
		t.Fatal("BROWSER_TEST is set (make browser-test) but no chromium is on PATH: apt-get install -y chromium, or set CHROMIUM_PATH")
	}
	if chrome == "" {
		t.Skip("browser test skipped: no chromium on PATH (apt-get install -y chromium, or set CHROMIUM_PATH); `make browser-test` runs it")
	}
	if _, err := os.Stat(cliPath()); err != nil {
		t.Skipf("browser test skipped: no Temporal CLI at %s (run `make temporal-cli`)", cliPath())
	}
	c, err := codec.Parse(codecKeys)
	require.NoError(t, err)

	uiPort := freePort(t)
	uiOrigin := "http://127.0.0.1:" + strconv.Itoa(uiPort)
	var decodes atomic.Int32
	codecHandler := codec.Handler(c, codec.ServerOptions{AllowedOrigins: []string{uiOrigin}})
	codecSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.Header.Get("Origin") == uiOrigin {
			decodes.Add(1)
		}
		codecHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(codecSrv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dev, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:     cliPath(),
		LogLevel:         "error",
		EnableUI:         true,
		UIPort:           strconv.Itoa(uiPort),
		SearchAttributes: searchAttributeValues(),
		ExtraArgs:        []string{"--ui-codec-endpoint", codecSrv.URL},
		Stdout:           io.Discard, // its banner
		ClientOptions:    &client.Options{Logger: quietLogger{}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dev.Stop() })

	// The workflow's input is written encrypted (no worker needed: the UI shows the input of a running one).
	opts := client.Options{Logger: quietLogger{}}
	c.Configure(&opts)
	tc, err := client.NewClientFromExisting(dev.Client(), opts)
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	in := workflows.EventInput{EventName: "signed_up", Data: map[string]json.RawMessage{
		"email": json.RawMessage(`"jane@example.com"`), "partner_conversion_id": json.RawMessage(`"pc-browser-1"`)}}
	run, err := tc.ExecuteWorkflow(ctx, workflows.EventStartOptions(in), workflows.ReferralSignup, in)
	require.NoError(t, err)

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()

	page := fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", uiOrigin, client.DefaultNamespace,
		url.PathEscape(run.GetID()), run.GetRunID())
	var text string
	deadline := time.Now().Add(90 * time.Second)
	for i := 0; !strings.Contains(text, "jane@example.com") && time.Now().Before(deadline); i++ {
		if i%10 == 0 { // (re)load: the UI's first answer can be an error page while its server warms up
			_, err = chromedp.Run(browser, chromedp.Navigate(page))
			require.NoError(t, err)
		}
		time.Sleep(500 * time.Millisecond)
		text, err = chromedp.Run(browser, chromedp.Evaluate[string](`document.body.innerText`))
		require.NoError(t, err)
	}
	require.Contains(t, text, "jane@example.com", "the Web UI page shows the decoded email (codec server called %d times from the UI)", decodes.Load())
	require.Positive(t, decodes.Load(), "decoded by the codec server, from the browser")
	t.Logf("Chromium showed the decoded email on %s; the UI called the codec server %d times", page, decodes.Load())
}
