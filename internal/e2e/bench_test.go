package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// The bench measures the bridge against a baseline or ceiling measured in the same run on the same
// Temporal server, and reports ratios, so the figures mean the same on any machine:
//
//	P1 ingest      webhooks accepted/s and ack latency vs. raw ExecuteWorkflow, alternated A B A B
//	P2 end to end  events delivered to the simulated Extole/s vs. a no-op workflow with one no-op activity
//	P3 backfill    Extole calls/s vs. the configured limit, calls per contact, 429s, and live-event latency
//	               during a backfill vs. without one
//	P4 memory      the worker process's peak RSS at N and N/10 contacts, history events per run
//
// `make bench` runs BenchmarkBridge (BENCH_CONTACTS sets P4's N, default 100,000) and writes
// bench/results.json; TestBenchSmoke runs the same code at tiny sizes in `make test` so it cannot rot.

// benchSizes are the knobs of one bench run.
type benchSizes struct {
	smoke            bool
	ingestRound      time.Duration // P1: length of each A or B round
	rounds           int           // P1 and P2: A B pairs
	e2eEvents        int           // P2: events per round
	extolePerMinute  int           // P3: the Extole limit configured on both the worker and the simulated Extole
	backfillContacts int           // P3: contacts per backfill run
	liveFor          time.Duration // P3: live traffic per latency measurement
	memContacts      int           // P4: the large run; the small one has a tenth
}

func fullSizes(tb testing.TB) benchSizes {
	sz := benchSizes{
		ingestRound:      5 * time.Second, // short rounds, many pairs: other load on the machine hits A and B alike
		rounds:           4,
		e2eEvents:        600,
		extolePerMinute:  1200,
		backfillContacts: 600,
		liveFor:          30 * time.Second,
		memContacts:      100_000,
	}
	if v := os.Getenv("BENCH_CONTACTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			tb.Fatalf("BENCH_CONTACTS=%q: want a number ≥ 100", v)
		}
		sz.memContacts = n
	}
	return sz
}

func smokeSizes() benchSizes {
	return benchSizes{
		smoke:            true,
		ingestRound:      time.Second,
		rounds:           1,
		e2eEvents:        30,
		extolePerMinute:  60_000,
		backfillContacts: 20,
		liveFor:          2 * time.Second,
		memContacts:      300,
	}
}

// benchFigure is one line of the table: our number, the baseline or ceiling it is measured against (0:
// none), their ratio, and the target on the ratio (or on our number when there is no baseline).
type benchFigure struct {
	ID       string  `json:"id"`
	What     string  `json:"what"`
	Unit     string  `json:"unit"`
	Ours     float64 `json:"ours"`
	Baseline float64 `json:"baseline,omitempty"`
	Against  string  `json:"against,omitempty"`
	Ratio    float64 `json:"ratio,omitempty"`
	TargetOp string  `json:"target_op,omitempty"` // ">=" or "<="
	Target   float64 `json:"target,omitempty"`
	Met      *bool   `json:"met,omitempty"`
	ZeroOK   bool    `json:"-"` // a count whose best value is 0 (429s)
}

func figure(id, what, unit string, ours float64) benchFigure {
	return benchFigure{ID: id, What: what, Unit: unit, Ours: ours}
}

// vs sets the baseline and the ratio ours/baseline.
func (f benchFigure) vs(against string, baseline float64) benchFigure {
	f.Against, f.Baseline = against, baseline
	if baseline != 0 {
		f.Ratio = f.Ours / baseline
	}
	return f
}

// target records the target and whether this run met it.
func (f benchFigure) target(op string, v float64) benchFigure {
	f.TargetOp, f.Target = op, v
	got := f.Ours
	if f.Against != "" {
		got = f.Ratio
	}
	met := (op == ">=" && got >= v) || (op == "<=" && got <= v)
	f.Met = &met
	return f
}

type benchResults struct {
	Machine  string        `json:"machine"`
	Started  time.Time     `json:"started"`
	Duration string        `json:"duration"`
	Sizes    string        `json:"sizes"`
	Figures  []benchFigure `json:"figures"`
}

// runBench runs every part in order (the parts share one Temporal server and must not overlap: each
// loads it fully) and returns the figures.
func runBench(tb testing.TB, sz benchSizes) benchResults {
	start := time.Now()
	res := benchResults{Machine: machine(), Started: start.UTC(), Sizes: fmt.Sprintf(
		"P1 %d A/B pairs of %s; P2 %d A/B pairs of %d events; P3 %d contacts at %d Extole calls/min, live %s; P4 %d and %d contacts",
		sz.rounds, sz.ingestRound, sz.rounds, sz.e2eEvents, sz.backfillContacts, sz.extolePerMinute, sz.liveFor, sz.memContacts/10, sz.memContacts)}
	res.Figures = append(res.Figures, benchIngest(tb, sz)...)
	c, ns := namespaceClient(tb) // P2–P4 run one after another in one namespace
	res.Figures = append(res.Figures, benchEndToEnd(tb, c, sz)...)
	worker := buildWorker(tb)
	terminateRunning(tb, c) // each part's calls are its own: no follow-up of an earlier part's events
	res.Figures = append(res.Figures, benchBackfill(tb, c, ns, worker, sz)...)
	terminateRunning(tb, c)
	res.Figures = append(res.Figures, benchLiveDuringBackfill(tb, c, ns, worker, sz)...)
	terminateRunning(tb, c)
	res.Figures = append(res.Figures, benchMemory(tb, c, ns, worker, sz)...)
	res.Duration = time.Since(start).Round(time.Second).String()
	return res
}

// terminateRunning ends every workflow still running in the namespace (the referral graph's follow-ups
// of earlier events wait and retry for minutes, and share-link workflows hold for hours), so that they
// make no calls against the next part's simulated APIs.
func terminateRunning(tb testing.TB, c client.Client) {
	tb.Helper()
	ctx := context.Background()
	req := &workflowservice.ListWorkflowExecutionsRequest{Query: `ExecutionStatus = "Running"`}
	for {
		res, err := c.ListWorkflow(ctx, req)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range res.GetExecutions() {
			_ = c.TerminateWorkflow(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), "bench: next part")
		}
		if req.NextPageToken = res.GetNextPageToken(); len(req.NextPageToken) == 0 {
			return
		}
	}
}

// BenchmarkBridge is `make bench`: the whole suite once, the table on stdout and in bench/results.json.
func BenchmarkBridge(b *testing.B) {
	sz := fullSizes(b)
	for range b.N {
		res := runBench(b, sz)
		printTable(os.Stdout, res)
		out, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join("..", "..", "bench", "results.json")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			b.Fatal(err)
		}
		fmt.Printf("wrote %s\n", path)
	}
}

// TestBenchSmoke runs the bench at tiny sizes: every figure must come out, measured and positive. It
// asserts nothing about speed (that is `make bench`'s job, as ratios).
func TestBenchSmoke(t *testing.T) {
	res := runBench(t, smokeSizes())
	var table strings.Builder
	printTable(&table, res)
	t.Log("\n" + table.String())

	want := []string{"P1.rate", "P1.p50", "P1.p99", "P2.rate", "P2.history",
		"P3.api.calls", "P3.api.contacts", "P3.api.per_contact", "P3.api.429",
		"P3.events.calls", "P3.events.contacts", "P3.events.per_contact", "P3.events.429",
		"P3.live_p99", "P4.rss", "P4.history"}
	got := map[string]benchFigure{}
	for _, f := range res.Figures {
		got[f.ID] = f
	}
	for _, id := range want {
		f, ok := got[id]
		if !ok {
			t.Errorf("figure %s missing", id)
			continue
		}
		if f.Ours < 0 || (f.Ours == 0 && !f.ZeroOK) || math.IsNaN(f.Ours) || math.IsInf(f.Ours, 0) {
			t.Errorf("%s: ours = %v, want a positive number", id, f.Ours)
		}
		if f.Against != "" && !(f.Baseline > 0 && f.Ratio > 0) {
			t.Errorf("%s: baseline %v, ratio %v: want both positive", id, f.Baseline, f.Ratio)
		}
	}
}

func printTable(w io.Writer, res benchResults) {
	fmt.Fprintf(w, "bench on %s, %s, took %s\n", res.Machine, res.Started.Format(time.DateOnly), res.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\twhat\tours\tbaseline / ceiling\tratio\ttarget\t")
	for _, f := range res.Figures {
		base, ratio := "–", "–"
		if f.Against != "" {
			base = fmt.Sprintf("%s %s (%s)", num(f.Baseline), f.Unit, f.Against)
			ratio = fmt.Sprintf("%.2f", f.Ratio)
		}
		target := ""
		if f.Met != nil {
			mark := "met"
			if !*f.Met {
				mark = "MISSED"
			}
			target = fmt.Sprintf("%s %s %s", strings.Replace(strings.Replace(f.TargetOp, ">=", "≥", 1), "<=", "≤", 1), num(f.Target), mark)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t\n", f.ID, f.What, num(f.Ours), f.Unit, base, ratio, target)
	}
	_ = tw.Flush()
}

func num(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// machine describes where the figures were measured: they are ratios, but the README records it.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s/%s, %s", runtime.NumCPU(), model, mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
