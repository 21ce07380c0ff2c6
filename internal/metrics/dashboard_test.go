package metrics_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var seriesName = regexp.MustCompile(`\b(?:bridge|temporal)_[a-z0-9_]+`)

// documented are the series docs/metrics.md lists (in backquotes).
func documented(t *testing.T) map[string]bool {
	t.Helper()
	doc, err := os.ReadFile("../../docs/metrics.md")
	require.NoError(t, err)
	names := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:bridge|temporal)_[a-z0-9_]+)`").FindAllStringSubmatch(string(doc), -1) {
		names[m[1]] = true
	}
	return names
}

type panel struct {
	Title      string  `json:"title"`
	Type       string  `json:"type"`
	Panels     []panel `json:"panels"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// TestDashboardUsesOnlyDocumentedSeries parses deploy/grafana/bridge.json: every query names only series
// docs/metrics.md documents (a histogram's _bucket/_count/_sum included), through the dashboard's data
// source variable, and every bridge_* series is charted somewhere.
func TestDashboardUsesOnlyDocumentedSeries(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/bridge.json")
	require.NoError(t, err)
	var dash struct {
		UID       string  `json:"uid"`
		Title     string  `json:"title"`
		Schema    int     `json:"schemaVersion"`
		Panels    []panel `json:"panels"`
		Templates struct {
			List []struct{ Name, Type, Query string } `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.NotEmpty(t, dash.UID)
	require.NotEmpty(t, dash.Title)
	require.Positive(t, dash.Schema)
	require.Len(t, dash.Templates.List, 1)
	assert.Equal(t, "datasource", dash.Templates.List[0].Type)

	docs := documented(t)
	used := map[string]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			require.NotNil(t, p.Datasource, p.Title)
			assert.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
			require.NotEmpty(t, p.Targets, p.Title)
			for _, tg := range p.Targets {
				assert.Equal(t, strings.Count(tg.Expr, "("), strings.Count(tg.Expr, ")"), "%s: %s", p.Title, tg.Expr)
				names := seriesName.FindAllString(tg.Expr, -1)
				assert.NotEmpty(t, names, "%s: %s", p.Title, tg.Expr)
				for _, n := range names {
					base := n
					for _, suffix := range []string{"_bucket", "_count", "_sum"} {
						if b, ok := strings.CutSuffix(n, suffix); ok && docs[b] {
							base = b
						}
					}
					assert.True(t, docs[base], "%s uses %s, which docs/metrics.md does not document", p.Title, n)
					used[base] = true
				}
			}
		}
	}
	walk(dash.Panels)
	for n := range docs {
		if strings.HasPrefix(n, "bridge_") {
			assert.True(t, used[n], "the dashboard charts no %s", n)
		}
	}
}

// TestDocumentedSeriesAreTheRegisteredOnes: docs/metrics.md lists exactly the bridge_* series the code
// exports, so the contract and the code cannot drift.
func TestDocumentedSeriesAreTheRegisteredOnes(t *testing.T) {
	metrics.ObserveWebhook("test", metrics.OutcomeAccepted, time.Millisecond)
	metrics.ObserveDelivery(metrics.KindEvent, time.Now())
	metrics.AddBackfillContacts(metrics.BackfillLinked, 1)
	metrics.SetBackfillRemaining(0)
	metrics.IgnoreAppEvent("test")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }))
	defer srv.Close()
	res, err := (&http.Client{Transport: metrics.Transport("test", nil)}).Get(srv.URL)
	require.NoError(t, err)
	res.Body.Close()

	families, err := metrics.Registry.Gather()
	require.NoError(t, err)
	var registered, docs []string
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "bridge_") {
			registered = append(registered, f.GetName())
		}
	}
	for n := range documented(t) {
		if strings.HasPrefix(n, "bridge_") {
			docs = append(docs, n)
		}
	}
	slices.Sort(docs)
	assert.Equal(t, docs, registered)
}
