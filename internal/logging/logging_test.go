package logging

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestTemporalLinesUseTheBridgesKeys: a line the SDK logs about a workflow carries workflow_id and
// run_id, the keys of the webhook server's lines, whether the SDK passes them as context (With) or with
// the line.
func TestTemporalLinesUseTheBridgesKeys(t *testing.T) {
	tests := []struct {
		name string
		log  func(l log.Logger)
	}{
		{"context", func(l log.Logger) {
			log.With(l, "WorkflowID", "extole-event/signed_up/pc-1", "RunID", "r1").Info("Extole accepted event", "partner_conversion_id", "pc-1")
		}},
		{"line", func(l log.Logger) {
			l.Info("Extole accepted event", "WorkflowID", "extole-event/signed_up/pc-1", "RunID", "r1", "partner_conversion_id", "pc-1")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			tt.log(Temporal(zap.New(core)))
			entries := logs.All()
			if assert.Len(t, entries, 1) {
				fields := entries[0].ContextMap()
				assert.Equal(t, "extole-event/signed_up/pc-1", fields["workflow_id"])
				assert.Equal(t, "r1", fields["run_id"])
				assert.Equal(t, "pc-1", fields["partner_conversion_id"])
				assert.NotContains(t, fields, "WorkflowID")
			}
		})
	}
}
