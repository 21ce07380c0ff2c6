package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubspot-extole/bridge/internal/metrics/metricstest"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// ackTemporal answers a share link's update-with-start with the workflow's ack status.
type ackTemporal struct {
	recordingTemporal
	status string
}

func (a *ackTemporal) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return ackHandle{status: a.status}, nil
}

type ackHandle struct {
	client.WorkflowUpdateHandle
	status string
}

func (h ackHandle) Get(_ context.Context, v any) error {
	*v.(*workflows.ShareLinkAck) = workflows.ShareLinkAck{Status: h.status}
	return nil
}

func (h ackHandle) RunID() string { return "run-1" }

// TestWebhookMetrics scrapes GET /metrics on the webhook server's own listener around one request per
// outcome: exactly that outcome's counter moves, by one, and the endpoint's duration is observed.
func TestWebhookMetrics(t *testing.T) {
	const bearer = "Bearer tok"
	tests := []struct {
		name     string
		temporal client.Client
		hubspot  HubSpotAuth
		path     string
		body     string
		auth     string
		status   int
		endpoint string
		outcome  string
	}{
		{"event accepted", &fakeTemporal{}, HubSpotAuth{}, "/webhooks/hubspot/events", validBody, "", 202, "hubspot_events", "accepted"},
		{"event duplicate", &fakeTemporal{err: &serviceerror.WorkflowExecutionAlreadyStarted{RunId: "r-0"}}, HubSpotAuth{}, "/webhooks/hubspot/events", validBody, "", 200, "hubspot_events", "duplicate"},
		{"event rejected", &fakeTemporal{}, HubSpotAuth{}, "/webhooks/hubspot/events", `{"event_name":"signed_up"}`, "", 400, "hubspot_events", "rejected"},
		{"event unauthorized", &fakeTemporal{}, HubSpotAuth{APIKey: "k", APIKeyName: "X-API-Key"}, "/webhooks/hubspot/events", validBody, "", 401, "hubspot_events", "unauthorized"},
		{"event unavailable", &fakeTemporal{err: serviceerror.NewUnavailable("down")}, HubSpotAuth{}, "/webhooks/hubspot/events", validBody, "", 503, "hubspot_events", "unavailable"},
		{"link accepted", &ackTemporal{status: workflows.LinkAccepted}, HubSpotAuth{}, "/webhooks/extole/share-links", shareBody, bearer, 202, "extole_share_links", "accepted"},
		{"link duplicate", &ackTemporal{status: workflows.LinkDuplicate}, HubSpotAuth{}, "/webhooks/extole/share-links", shareBody, bearer, 200, "extole_share_links", "duplicate"},
		{"link superseded", &ackTemporal{status: workflows.LinkSuperseded}, HubSpotAuth{}, "/webhooks/extole/share-links", shareBody, bearer, 200, "extole_share_links", "superseded"},
		{"link unauthorized", &ackTemporal{}, HubSpotAuth{}, "/webhooks/extole/share-links", shareBody, "Bearer nope", 401, "extole_share_links", "unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(NewRouter(Deps{Temporal: tt.temporal, Log: zap.NewNop(), HubSpot: tt.hubspot, Extole: ExtoleAuth{Token: "tok"}}))
			defer srv.Close()
			outcome := map[string]string{"endpoint": tt.endpoint, "outcome": tt.outcome}
			endpoint := map[string]string{"endpoint": tt.endpoint}
			before := metricstest.Scrape(t, srv.URL+"/metrics")

			req, err := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			require.Equal(t, tt.status, res.StatusCode)

			after := metricstest.Scrape(t, srv.URL+"/metrics")
			assert.Equal(t, 1.0, metricstest.Sum(after["bridge_webhooks_total"], outcome)-metricstest.Sum(before["bridge_webhooks_total"], outcome))
			assert.Equal(t, 1.0, metricstest.Sum(after["bridge_webhooks_total"], endpoint)-metricstest.Sum(before["bridge_webhooks_total"], endpoint),
				"no other outcome moved")
			assert.Equal(t, 1.0, metricstest.Sum(after["bridge_webhook_duration_seconds"], endpoint)-metricstest.Sum(before["bridge_webhook_duration_seconds"], endpoint))
		})
	}
}
