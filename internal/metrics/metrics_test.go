package metrics_test

import (
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/metrics"
	"github.com/hubspot-extole/bridge/internal/metrics/metricstest"
	"github.com/stretchr/testify/assert"
	"go.uber.org/zap"
)

// The operation label names the endpoint, never a person: ids and escaped emails are masked, so the
// series stay bounded however many contacts pass through.
func TestOperationMasksIDs(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"POST", "/v5/events", "POST /v5/events"},
		{"POST", "/v5/persons/7012345678901234567/shareables", "POST /v5/persons/{id}/shareables"},
		{"GET", "/crm/v3/objects/contacts/jane%40example.com", "GET /crm/v3/objects/contacts/{id}"},
		{"GET", "/crm/v3/objects/contacts/jane@example.com", "GET /crm/v3/objects/contacts/{id}"},
		{"POST", "/crm/v3/objects/contacts/batch/upsert", "POST /crm/v3/objects/contacts/batch/upsert"},
		{"GET", "/crm/v3/properties/contacts/share_link", "GET /crm/v3/properties/contacts/share_link"},
		{"GET", "/crm/v3/objects/deals/123", "GET /crm/v3/objects/deals/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, metrics.Operation(tt.method, tt.path))
		})
	}
}

// A run recorded before the receipt time was carried has none: it is not observed as a 56-year latency.
func TestObserveDeliverySkipsUnknownReceipt(t *testing.T) {
	kind := map[string]string{"kind": metrics.KindEvent}
	before := metricstest.Value(t, "bridge_delivery_latency_seconds", kind)
	metrics.ObserveDelivery(metrics.KindEvent, time.Time{})
	assert.Equal(t, before, metricstest.Value(t, "bridge_delivery_latency_seconds", kind))
	metrics.ObserveDelivery(metrics.KindEvent, time.Now().Add(-time.Second))
	assert.Equal(t, before+1, metricstest.Value(t, "bridge_delivery_latency_seconds", kind))
}

// The SDK's series reach the same registry under Prometheus names; a series used with two different
// label sets (which the reporter cannot register twice) does not take the process down.
func TestTemporalHandlerExportsSDKSeries(t *testing.T) {
	h := metrics.TemporalHandler(zap.NewNop())
	assert.Equal(t, h, metrics.TemporalHandler(zap.NewNop()), "one handler per process")
	tagged := h.WithTags(map[string]string{"namespace": "default", "task_queue": "bridge"})
	tagged.Counter("temporal_workflow_completed").Inc(1)
	tagged.Timer("temporal_workflow_task_schedule_to_start_latency").Record(20 * time.Millisecond)
	assert.NotPanics(t, func() {
		h.WithTags(map[string]string{"other": "x"}).Counter("temporal_workflow_completed").Inc(1)
		time.Sleep(1500 * time.Millisecond) // the scope reports every second
	})
	q := map[string]string{"task_queue": "bridge"}
	assert.Equal(t, 1.0, metricstest.Value(t, "temporal_workflow_completed_total", q))
	assert.Equal(t, 1.0, metricstest.Value(t, "temporal_workflow_task_schedule_to_start_latency_seconds", q))
}
