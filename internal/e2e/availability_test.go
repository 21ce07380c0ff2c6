package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hubspot-extole/bridge/internal/webhook"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap/zaptest"
)

// With Temporal gone the server must never answer 2xx: HubSpot only retries on 5xx/429, so a 2xx for an
// event nobody holds would lose it.
func TestTemporalUnavailableAnswers503(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	skipWithoutCLI(t)
	srv, err := startDevServer()
	require.NoError(t, err)
	c, err := client.NewClientFromExisting(srv.Client(), client.Options{Logger: quietLogger{}})
	require.NoError(t, err)
	defer c.Close()
	web := httptest.NewServer(webhook.NewRouter(webhook.Deps{Temporal: c, Log: zaptest.NewLogger(t)}))
	defer web.Close()
	s := &stack{T: t, Client: c, WebhookURL: web.URL}

	res, err := http.Get(web.URL + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	require.NoError(t, srv.Stop())

	status, body, header := s.post(eventsPath, signedUpBody("pc-down-1"), nil)
	assert.Equal(t, http.StatusServiceUnavailable, status, "%v", body)
	assert.Equal(t, "30", header.Get("Retry-After"))
	assert.NotEmpty(t, body["error"])

	res, err = http.Get(web.URL + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	res, err = http.Get(web.URL + "/healthz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "the process itself is alive")
}

func TestUnauthenticatedWebhookStartsNothing(t *testing.T) {
	s := newStack(t, stackOptions{Auth: webhook.HubSpotAuth{APIKey: "k-123", APIKeyName: "X-API-Key"}})
	status, res, _ := s.post(eventsPath, signedUpBody("pc-auth-1"), nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.NotEmpty(t, res["error"])
	status, _, _ = s.post(eventsPath, signedUpBody("pc-auth-1"), http.Header{"X-Api-Key": {"wrong"}})
	assert.Equal(t, http.StatusUnauthorized, status)

	_, err := s.Client.DescribeWorkflow(context.Background(), workflows.EventWorkflowID("signed_up", "pc-auth-1"), "")
	var notFound *serviceerror.NotFound
	assert.True(t, errors.As(err, &notFound), "no workflow was started: %v", err)

	status, res, _ = s.post(eventsPath, signedUpBody("pc-auth-1"), http.Header{"X-Api-Key": {"k-123"}})
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	require.NoError(t, s.waitResult(res["workflow_id"].(string), nil))
	assert.Len(t, s.Extole.Events(), 1)
}
