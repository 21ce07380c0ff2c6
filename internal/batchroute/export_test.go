package batchroute

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/batchfile"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const token = "pat-na1-batchroute-test"

// newHubSpot is a simulated HubSpot with contacts 0..n-1: every 50th has no email, every 7th already
// has its share_link and share_code.
func newHubSpot(t *testing.T, n int) (*hubspotsim.HubSpot, *hubspot.Client) {
	t.Helper()
	fake := hubspotsim.New(hubspotsim.Options{Token: token, RatePer10s: -1, SearchPerSecond: -1})
	fake.Seed(n, func(i int) map[string]string {
		p := map[string]string{"firstname": fmt.Sprintf("F%d", i), "lastname": "L"}
		if i%50 != 0 {
			p["email"] = fmt.Sprintf("c%d@example.com", i)
		}
		if i%7 == 0 {
			p["share_link"], p["share_code"] = "https://r.example.com/x", "x"
		}
		return p
	})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	hs := hubspot.New(srv.URL, token, nil)
	_, err := hs.EnsureContactProperties(context.Background(), contact.PropertyGroup, contact.PropertyGroupLabel, activities.HubSpotPropertyDefs(contact.Properties))
	require.NoError(t, err)
	return fake, hs
}

func TestExport(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		faults sandbox.Faults
	}{
		{name: "more than one search page", n: 450},
		{name: "a 429 is waited out", n: 30, faults: sandbox.Faults{ForceStatus: 429, ForceCount: 1, RetryAfter: "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, hs := newHubSpot(t, tt.n)
			fake.SetFaults(tt.faults)
			var out bytes.Buffer
			var pages int
			res, err := Export(context.Background(), hs, &out, "hubspot_backfill", 100, func(ExportResult, int) { pages++ })
			require.NoError(t, err)

			var wantRows, wantNoEmail int
			for i := range tt.n {
				switch {
				case i%7 == 0: // already linked: not exported
				case i%50 == 0:
					wantNoEmail++
				default:
					wantRows++
				}
			}
			assert.Equal(t, ExportResult{Rows: wantRows, NoEmail: wantNoEmail}, res)
			assert.Equal(t, (wantRows+wantNoEmail+hubspot.MaxSearchLimit-1)/hubspot.MaxSearchLimit, pages, "progress after every page")

			rows, err := csv.NewReader(&out).ReadAll()
			require.NoError(t, err)
			require.Len(t, rows, wantRows+1)
			assert.Equal(t, batchfile.EventColumns, rows[0])
			seen := map[string]bool{}
			for _, r := range rows[1:] {
				assert.False(t, seen[r[0]], "each contact once: %s", r[0])
				seen[r[0]] = true
				assert.Equal(t, "hubspot_backfill", r[1])
			}
			first := rows[1]
			assert.Equal(t, "c1@example.com", first[0])
			assert.Equal(t, "F1", first[2])
			assert.Regexp(t, `^hubspot-share-link-\d+$`, first[4], "partner_event_id makes a re-upload harmless")
		})
	}
}

func TestFileHashFollowsContent(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	a, err := FileHash(write("a.csv", "email,share_link\n"))
	require.NoError(t, err)
	b, err := FileHash(write("b.csv", "email,share_link\n"))
	require.NoError(t, err)
	c, err := FileHash(write("c.csv", "email,share_link,share_code\n"))
	require.NoError(t, err)
	assert.Equal(t, a, b, "same content, same import, whatever the file's name")
	assert.NotEqual(t, a, c)
	assert.Len(t, a, 24)

	_, err = FileHash(filepath.Join(dir, "missing.csv"))
	assert.Error(t, err)
}
