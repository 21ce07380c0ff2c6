package e2e

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/metrics/metricstest"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/require"
)

// TestWorkerServesMetrics runs cmd/worker as its own process with METRICS_ADDR on a free port and
// scrapes it after one event: the Extole call, the delivery latency and the SDK's own series are there.
func TestWorkerServesMetrics(t *testing.T) {
	c, ns := namespaceClient(t)
	apis := newBenchAPIs(t, 6000, 0, "metrics")
	addr := freeAddr(t)
	t.Setenv("METRICS_ADDR", addr)
	startWorker(t, buildWorker(t), ns, apis, 6000)

	in := workflows.EventInput{EventName: "signed_up", ReceivedAt: time.Now().UTC(), Data: map[string]json.RawMessage{
		"email": json.RawMessage(`"jane@example.com"`), "partner_conversion_id": json.RawMessage(`"pc-metrics-1"`),
	}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, workflows.EventStartOptions(in), workflows.ReferralSignup, in)
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))

	url := "http://" + addr + "/metrics"
	eventually(t, 10*time.Second, "the worker's /metrics shows the delivery and the SDK's series", func() bool {
		fams := metricstest.Scrape(t, url)
		return metricstest.Sum(fams["bridge_api_requests_total"], map[string]string{"api": "extole", "operation": "POST /v5/events", "status_class": "2xx"}) == 1 &&
			metricstest.Sum(fams["bridge_delivery_latency_seconds"], map[string]string{"kind": "event"}) == 1 &&
			fams["temporal_workflow_task_schedule_to_start_latency_seconds"] != nil &&
			fams["temporal_worker_task_slots_available"] != nil
	})
}

// TestShareLinkDeliveryIsMeasured: a link through the real webhook server and worker is counted as
// accepted by the webhook, then as a share_link delivery once HubSpot holds it. (No test here runs in
// parallel, so the process's counters move only by this test.)
func TestShareLinkDeliveryIsMeasured(t *testing.T) {
	s := newStack(t, stackOptions{})
	link := map[string]string{"kind": "share_link"}
	accepted := map[string]string{"endpoint": "extole_share_links", "outcome": "accepted"}
	deliveries, acks := metricstest.Value(t, "bridge_delivery_latency_seconds", link), metricstest.Value(t, "bridge_webhooks_total", accepted)

	status, _, _ := s.post(shareLinksPath, extoleBody("metrics@example.com", "metrics1"), bearer)
	require.Equal(t, 202, status)
	s.hubspotHas("metrics@example.com", map[string]string{"share_code": "metrics1"})
	eventually(t, 10*time.Second, "the share link's delivery observed", func() bool {
		return metricstest.Value(t, "bridge_delivery_latency_seconds", link) == deliveries+1
	})
	require.Equal(t, acks+1, metricstest.Value(t, "bridge_webhooks_total", accepted))
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
