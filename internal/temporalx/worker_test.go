package temporalx

import (
	"testing"

	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
)

// Each API's calls are dispatched at rateHeadroom of its limit, summed over the shared queue and the
// retired backfill queue, which keeps legacyShare of it.
func TestQueueRates(t *testing.T) {
	tests := []struct {
		name string
		lim  Limits
		want map[string]float64 // calls per second
	}{
		{
			name: "defaults: Extole 100/min, HubSpot 100/10 s, search 5/s",
			lim:  Limits{ExtolePerMinute: 100, HubSpotPer10s: 100, HubSpotSearchPerSec: 5},
			want: map[string]float64{
				workflows.ExtoleTaskQueue:          100.0 / 60 * 0.95 * 0.95,
				workflows.ExtoleBackfillTaskQueue:  100.0 / 60 * 0.95 * 0.05,
				workflows.HubSpotTaskQueue:         10 * 0.95 * 0.95,
				workflows.HubSpotBackfillTaskQueue: 10 * 0.95 * 0.05,
				workflows.HubSpotSearchTaskQueue:   5 * 0.95,
			},
		},
		{
			name: "headroom override (BenchmarkHeadroom)",
			lim:  Limits{ExtolePerMinute: 600, HubSpotPer10s: 100, HubSpotSearchPerSec: 10, Headroom: 0.8},
			want: map[string]float64{
				workflows.ExtoleTaskQueue:          10 * 0.8 * 0.95,
				workflows.ExtoleBackfillTaskQueue:  10 * 0.8 * 0.05,
				workflows.HubSpotTaskQueue:         10 * 0.8 * 0.95,
				workflows.HubSpotBackfillTaskQueue: 10 * 0.8 * 0.05,
				workflows.HubSpotSearchTaskQueue:   10 * 0.8,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.lim.queueRates()
			assert.Len(t, got, len(tt.want), "one rate per API task queue")
			for q, want := range tt.want {
				assert.InDelta(t, want, got[q], 1e-9, q)
			}
			assert.InDelta(t, got[workflows.ExtoleTaskQueue], tt.lim.ExtolePerSec(), 1e-9, "ExtolePerSec is the shared queue's rate")

			// Together the two queues of an API never exceed the headroom's share of its limit.
			h := tt.lim.headroom()
			assert.InDelta(t, float64(tt.lim.ExtolePerMinute)/60*h, got[workflows.ExtoleTaskQueue]+got[workflows.ExtoleBackfillTaskQueue], 1e-9)
			assert.InDelta(t, float64(tt.lim.HubSpotPer10s)/10*h, got[workflows.HubSpotTaskQueue]+got[workflows.HubSpotBackfillTaskQueue], 1e-9)
		})
	}
}
