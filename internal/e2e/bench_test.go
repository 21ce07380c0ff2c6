package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/workflows"
)

// BenchmarkBackfill runs the share-link backfill end to end with the worker as its own process (the
// real cmd/worker binary), against the simulated APIs with rate limits set on both sides, and reports
// contacts per second, API calls per second against the configured budget, and the worker's peak
// resident memory. `make bench` runs it; the figures go into README.md.
//
// The limits are raised far above Extole's real 100 calls a minute so a run takes minutes, not days;
// the contacts/s at real limits follow from the calls-per-contact figure it reports (see README).
func BenchmarkBackfill(b *testing.B) {
	for _, tc := range []struct {
		name            string
		contacts        int
		eligibleEvery   int
		extolePerMinute int
	}{
		{"10k_contacts_all_eligible", 10_000, 1, 30_000},
		{"100k_contacts_10pct_eligible", 100_000, 10, 30_000},
		{"100k_contacts_all_eligible", 100_000, 1, 30_000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				benchBackfill(b, tc.contacts, tc.eligibleEvery, tc.extolePerMinute)
			}
		})
	}
}

func benchBackfill(b *testing.B, n, eligibleEvery, extolePerMinute int) {
	c, ns := namespaceClient(b)
	worker := filepath.Join(b.TempDir(), "worker")
	if out, err := exec.Command("go", "build", "-o", worker, "../../cmd/worker").CombinedOutput(); err != nil {
		b.Fatalf("build worker: %v\n%s", err, out)
	}
	ext := sandbox.NewExtole(sandbox.ExtoleOptions{Token: extoleToken, RateLimitPerMinute: extolePerMinute})
	extSrv := httptest.NewServer(ext)
	defer extSrv.Close()
	hs := sandbox.NewHubSpot(sandbox.HubSpotOptions{Token: hubspotToken, RatePer10s: 1000, SearchPerSecond: 50, DailyLimit: -1})
	hsSrv := httptest.NewServer(hs)
	defer hsSrv.Close()
	eligibleN := 0
	hs.Seed(n, func(i int) map[string]string {
		email := fmt.Sprintf("b%06d@example.com", i)
		if i%eligibleEvery != 0 {
			return map[string]string{"email": email, "share_code": fmt.Sprintf("old%06d", i), "share_link": "https://refer.example.com/old"}
		}
		eligibleN++
		return map[string]string{"email": email}
	})

	cmd := exec.Command(worker)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+server.FrontendHostPort(),
		"TEMPORAL_NAMESPACE="+ns,
		"EXTOLE_BASE_URL="+extSrv.URL, "EXTOLE_ACCESS_TOKEN="+extoleToken,
		"HUBSPOT_BASE_URL="+hsSrv.URL, "HUBSPOT_ACCESS_TOKEN="+hubspotToken,
		"EXTOLE_RATE_LIMIT_PER_MINUTE="+strconv.Itoa(extolePerMinute),
		"HUBSPOT_RATE_LIMIT_PER_10S=1000", "HUBSPOT_SEARCH_RATE_PER_SECOND=50",
		"LOG_LEVEL=error",
	)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	b.ResetTimer()
	start := time.Now()
	run, err := c.ExecuteWorkflow(context.Background(), workflows.BackfillStartOptions(false), workflows.ShareLinkBackfill,
		workflows.BackfillInput{Label: "refer-a-friend"})
	if err != nil {
		b.Fatal(err)
	}
	peak := int64(0)
	done := make(chan error, 1)
	var p workflows.BackfillProgress
	go func() { done <- run.Get(context.Background(), &p) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				b.Fatal(err)
			}
			break wait
		case <-tick.C:
			peak = max(peak, peakRSS(cmd.Process.Pid))
		}
	}
	elapsed := time.Since(start)
	peak = max(peak, peakRSS(cmd.Process.Pid))
	b.StopTimer()

	if p.Linked != eligibleN {
		b.Fatalf("linked %d of %d", p.Linked, eligibleN)
	}
	budget := float64(extolePerMinute) / 60 * 0.8 * 0.5 // rateHeadroom × default backfill share
	b.ReportMetric(float64(p.Linked)/elapsed.Seconds(), "contacts/s")
	b.ReportMetric(float64(len(ext.Requests()))/elapsed.Seconds(), "extole-calls/s")
	b.ReportMetric(budget, "extole-budget/s")
	b.ReportMetric(float64(len(ext.Requests()))/float64(p.Linked), "extole-calls/contact")
	b.ReportMetric(float64(peak)/1024, "worker-peak-MB")
	b.ReportMetric(float64(p.Generations), "continue-as-new")
	b.Logf("%d contacts, %d linked in %s; %d Extole calls; worker peak RSS %d MB; %s",
		n, p.Linked, elapsed.Round(time.Second), len(ext.Requests()), peak/1024, p.Summary())
}

// peakRSS reads a process's peak resident set size (VmHWM) in KiB from /proc.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}
