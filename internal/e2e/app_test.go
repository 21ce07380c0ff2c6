package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox/extolesim"
	"github.com/hubspot-extole/bridge/internal/webhook"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.uber.org/zap/zaptest"
)

const (
	appPath   = "/webhooks/hubspot/app"
	appSecret = "test-app-client-secret"
)

// appStack is a stack whose webhook server verifies app webhooks with appSecret; with emit the simulated
// HubSpot sends them itself, as HubSpot does for an app's subscriptions.
func appStack(t *testing.T, emit bool, app webhook.AppFlow) *stack {
	return newStack(t, stackOptions{Auth: webhook.HubSpotAuth{ClientSecret: appSecret}, App: app, AppWebhooks: emit})
}

// hs calls the simulated HubSpot's API and decodes the answer.
func (s *stack) hs(method, path string, body any) map[string]any {
	s.T.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(s.T, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, s.HubSpotURL+path, rd)
	require.NoError(s.T, err)
	req.Header.Set("Authorization", "Bearer "+hubspotToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.T, err)
	defer res.Body.Close()
	require.Less(s.T, res.StatusCode, 300, "%s %s", method, path)
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return out
}

// createBridgeProperties creates advocate_code and the bridge's other contact properties, as the
// worker's SetupHubSpot does at start.
func (s *stack) createBridgeProperties() {
	s.T.Helper()
	_, err := hubspot.New(s.HubSpotURL, hubspotToken, nil).EnsureContactProperties(context.Background(),
		contact.PropertyGroup, contact.PropertyGroupLabel, activities.HubSpotPropertyDefs(contact.Properties))
	require.NoError(s.T, err)
}

func (s *stack) createContact(email, first string) string {
	return s.hs(http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]string{
		"email": email, "firstname": first, "lastname": "Doe"}})["id"].(string)
}

// createDeal creates a deal in stage, associated with the contact (when given) and with line items
// (name, quantity, price).
func (s *stack) createDeal(name, stage, amount, contactID string, items ...[3]string) string {
	body := map[string]any{"properties": map[string]string{"dealname": name, "dealstage": stage, "pipeline": "default",
		"amount": amount, "deal_currency_code": "EUR"}}
	if contactID != "" {
		body["associations"] = []any{map[string]any{"to": map[string]any{"id": contactID},
			"types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}}}}
	}
	id := s.hs(http.MethodPost, "/crm/v3/objects/deals", body)["id"].(string)
	for _, it := range items {
		s.hs(http.MethodPost, "/crm/v3/objects/line_items", map[string]any{
			"properties": map[string]string{"name": it[0], "quantity": it[1], "price": it[2]},
			"associations": []any{map[string]any{"to": map[string]any{"id": id},
				"types": []any{map[string]any{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 20}}}}})
	}
	return id
}

func (s *stack) setDealStage(id, stage string) {
	s.hs(http.MethodPatch, "/crm/v3/objects/deals/"+id, map[string]any{"properties": map[string]string{"dealstage": stage}})
}

// postApp signs events as HubSpot does (v3 with the current time, and v1) and posts them as one batch.
func (s *stack) postApp(events ...string) (int, map[string]any) {
	s.T.Helper()
	return s.postAppSigned("["+strings.Join(events, ",")+"]", time.Now(), appSecret)
}

func (s *stack) postAppSigned(body string, at time.Time, secret string) (int, map[string]any) {
	s.T.Helper()
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(http.MethodPost + s.WebhookURL + appPath + body + ts))
	v1 := sha256.Sum256([]byte(secret + body))
	status, out, _ := s.post(appPath, body, http.Header{
		"X-Hubspot-Request-Timestamp": {ts},
		"X-Hubspot-Signature-V3":      {base64.StdEncoding.EncodeToString(m.Sum(nil))},
		"X-Hubspot-Signature":         {hex.EncodeToString(v1[:])},
		"X-Hubspot-Signature-Version": {"v1"},
	})
	return status, out
}

var nextEventID = 1000

func appEvent(typ, objectID string, at int64, extra string) string {
	nextEventID++
	ev := fmt.Sprintf(`{"eventId":%d,"subscriptionId":4578255,"portalId":242711451,"appId":19635961,"occurredAt":%d,"subscriptionType":%q,"attemptNumber":0,"objectId":%s,"changeSource":"CRM_UI"`,
		nextEventID, at, typ, objectID)
	if extra != "" {
		ev += "," + extra
	}
	return ev + "}"
}

func stageEvent(dealID, stage string, at int64) string {
	return appEvent("deal.propertyChange", dealID, at, fmt.Sprintf(`"propertyName":"dealstage","propertyValue":%q`, stage))
}

// convertedEvents returns the converted events Extole holds for a deal.
func (s *stack) convertedEvents(dealID string) []extolesim.Event {
	var out []extolesim.Event
	for _, e := range s.Extole.Events() {
		if e.EventName == "converted" && string(e.Data["partner_conversion_id"]) == `"deal-`+dealID+`"` {
			out = append(out, e)
		}
	}
	return out
}

// waitDeal waits for the deal's current run to close and returns its result.
func (s *stack) waitDeal(dealID string) workflows.DealResult {
	s.T.Helper()
	var res workflows.DealResult
	require.NoError(s.T, s.waitResult(workflows.DealWorkflowID(dealID), &res))
	return res
}

// The whole flow as a HubSpot customer without Operations Hub runs it: the app's subscriptions deliver
// the change (the simulated HubSpot emits, signs and batches them), the bridge converts.
func TestAppWonDealWithLineItemsConvertsOnce(t *testing.T) {
	s := appStack(t, true, webhook.AppFlow{ContactWait: time.Minute})
	jane := s.createContact("jane.app@example.com", "Jane")
	deal := s.createDeal("Annual plan", "contractsent", "1500.00", jane, [3]string{"Pro plan", "1", "1200"}, [3]string{"Seats", "3", "100"})
	s.setDealStage(deal, "closedwon")
	require.Eventually(t, func() bool { return len(s.convertedEvents(deal)) == 1 }, time.Minute, 100*time.Millisecond)
	res := s.waitDeal(deal)
	assert.Equal(t, workflows.DealConvertedOutcome, res.Outcome)
	s.recordHistory(workflows.DealWorkflowID(deal), "deal_won_app")
	ev := s.convertedEvents(deal)[0]
	for k, want := range map[string]string{"email": `"jane.app@example.com"`, "amount": `"1500.00"`,
		"product": `"Pro plan, Seats × 3"`, "deal_id": `"` + deal + `"`, "pipeline": `"default"`, "currency": `"EUR"`} {
		assert.JSONEq(t, want, string(ev.Data[k]), k)
	}

	// Flipping the stage away and back runs the deal's workflow again, but the conversion stays one.
	s.setDealStage(deal, "closedlost")
	s.setDealStage(deal, "closedwon")
	require.Eventually(t, func() bool {
		var r workflows.DealResult
		err := s.Client.GetWorkflow(context.Background(), workflows.DealWorkflowID(deal), "").Get(context.Background(), &r)
		return err == nil && r.Outcome == workflows.DealAlreadyConverted
	}, time.Minute, 200*time.Millisecond)
	assert.Len(t, s.convertedEvents(deal), 1)
	for _, d := range s.HubSpot.AppWebhookDeliveries() {
		assert.Equal(t, "delivered", d.Status, "every delivery acknowledged")
	}
}

func TestAppSameStageChangeThreeTimesInTwoBatchesConvertsOnce(t *testing.T) {
	s := appStack(t, false, webhook.AppFlow{})
	jane := s.createContact("dup.app@example.com", "Jane")
	deal := s.createDeal("Dup deal", "closedwon", "99.00", jane)
	change := stageEvent(deal, "closedwon", time.Now().UnixMilli())
	status, out := s.postApp(change, change)
	require.Equal(t, http.StatusOK, status, "%v", out)
	status, out = s.postApp(change)
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.Eventually(t, func() bool { return len(s.convertedEvents(deal)) == 1 }, time.Minute, 100*time.Millisecond)
	s.waitDeal(deal)
	// A late redelivery after the conversion is one more run that finds it done.
	status, _ = s.postApp(change)
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool { return s.waitDeal(deal).Outcome == workflows.DealAlreadyConverted }, time.Minute, 200*time.Millisecond)
	s.recordHistory(workflows.DealWorkflowID(deal), "deal_won_already_converted")
	assert.Len(t, s.convertedEvents(deal), 1)
	assert.Equal(t, 0, s.Extole.Duplicates(), "Extole never saw a second submission")
}

func TestAppHoldPeriod(t *testing.T) {
	const hold = 5 * time.Second
	s := appStack(t, true, webhook.AppFlow{Hold: hold, ContactWait: time.Minute})
	jane := s.createContact("hold.app@example.com", "Jane")

	lost := s.createDeal("Refunded", "contractsent", "10.00", jane)
	kept := s.createDeal("Kept", "contractsent", "20.00", jane)
	s.setDealStage(lost, "closedwon")
	s.setDealStage(kept, "closedwon")
	time.Sleep(hold / 5)
	s.setDealStage(lost, "closedlost")

	require.Eventually(t, func() bool { return len(s.convertedEvents(kept)) == 1 }, time.Minute, 100*time.Millisecond)
	assert.Equal(t, workflows.DealConvertedOutcome, s.waitDeal(kept).Outcome)
	s.recordHistory(workflows.DealWorkflowID(kept), "deal_won_held")
	time.Sleep(time.Second) // the lost deal's hold ended before the kept one's: its run has decided
	assert.Empty(t, s.convertedEvents(lost), "moved out of won during the hold: no conversion")
	assert.True(t, s.dealCancelled(lost), "the run records why it cancelled")
}

// dealCancelled reports whether any run of the deal's workflow ended cancelled.
func (s *stack) dealCancelled(dealID string) bool {
	s.T.Helper()
	ctx := context.Background()
	resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = %q", workflows.DealWorkflowID(dealID))})
	require.NoError(s.T, err)
	for _, e := range resp.GetExecutions() {
		var r workflows.DealResult
		if s.Client.GetWorkflow(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId()).Get(ctx, &r) == nil &&
			r.Outcome == workflows.DealCancelled && r.Reason != "" {
			s.recordHistory(workflows.DealWorkflowID(dealID), "deal_won_cancelled")
			return true
		}
	}
	return false
}

func TestAppDealWithoutContactThenAssociatedConverts(t *testing.T) {
	s := appStack(t, true, webhook.AppFlow{ContactWait: time.Minute})
	deal := s.createDeal("Orphan", "contractsent", "75.00", "")
	s.setDealStage(deal, "closedwon")
	require.Eventually(t, func() bool {
		// The Web UI's "current details" come from this built-in query.
		v, err := s.Client.QueryWorkflow(context.Background(), workflows.DealWorkflowID(deal), "", "__temporal_workflow_metadata")
		var md sdkpb.WorkflowMetadata
		return err == nil && v.Get(&md) == nil && strings.Contains(md.GetCurrentDetails(), "no associated contact has an email")
	}, 30*time.Second, 100*time.Millisecond, "the Web UI shows the deal waiting for a contact")
	sam := s.createContact("sam.app@example.com", "Sam")
	s.hs(http.MethodPut, "/crm/v4/objects/deals/"+deal+"/associations/default/contacts/"+sam, nil)
	require.Eventually(t, func() bool { return len(s.convertedEvents(deal)) == 1 }, time.Minute, 100*time.Millisecond)
	assert.Equal(t, workflows.DealConvertedOutcome, s.waitDeal(deal).Outcome)
	s.recordHistory(workflows.DealWorkflowID(deal), "deal_won_contact_later")
	assert.JSONEq(t, `"sam.app@example.com"`, string(s.convertedEvents(deal)[0].Data["email"]))
}

func TestAppAdvocateCodeThenPrivacyDeletion(t *testing.T) {
	s := appStack(t, true, webhook.AppFlow{Hold: time.Hour, ContactWait: time.Minute})
	s.createBridgeProperties()
	jane := s.createContact("privacy.app@example.com", "Jane")
	// A won deal of hers waits out its hold: pending work the deletion must stop.
	deal := s.createDeal("Held", "contractsent", "30.00", jane)
	s.setDealStage(deal, "closedwon")
	require.Eventually(t, func() bool {
		v, err := s.Client.QueryWorkflow(context.Background(), workflows.DealWorkflowID(deal), "", "__temporal_workflow_metadata")
		var md sdkpb.WorkflowMetadata
		return err == nil && v.Get(&md) == nil && strings.Contains(md.GetCurrentDetails(), "holding the conversion")
	}, 30*time.Second, 100*time.Millisecond)
	s.hs(http.MethodPatch, "/crm/v3/objects/contacts/"+jane, map[string]any{"properties": map[string]string{"advocate_code": "alex01"}})
	signupID := workflows.EventWorkflowID("signed_up", workflows.AdvocateConversionID(jane, "alex01"))
	require.Eventually(t, func() bool {
		_, err := s.Client.DescribeWorkflow(context.Background(), signupID, "")
		return err == nil
	}, 30*time.Second, 100*time.Millisecond)
	require.NoError(t, s.waitResult(signupID, nil))
	s.recordHistory(signupID, "advocate_signup")
	events := s.Extole.Events()
	require.Len(t, events, 1)
	assert.Equal(t, "signed_up", events[0].EventName)
	assert.JSONEq(t, `"alex01"`, string(events[0].Data["advocate_code"]))
	assert.JSONEq(t, `"privacy.app@example.com"`, string(events[0].Data["email"]))

	s.hs(http.MethodPost, "/crm/v3/objects/contacts/gdpr-delete", map[string]any{"objectId": jane})
	privacyID := workflows.PrivacyWorkflowID(jane)
	require.Eventually(t, func() bool {
		_, err := s.Client.DescribeWorkflow(context.Background(), privacyID, "")
		return err == nil
	}, 30*time.Second, 100*time.Millisecond)
	var res workflows.PrivacyResult
	require.NoError(t, s.waitResult(privacyID, &res))
	assert.Equal(t, 1, res.Erasures)
	assert.Equal(t, 1, res.StoppedWorkflows, "the held deal")
	assert.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_TERMINATED, s.describe(workflows.DealWorkflowID(deal)).GetWorkflowExecutionInfo().GetStatus())
	assert.Empty(t, s.convertedEvents(deal))
	erasures := s.Extole.Erasures()
	require.Len(t, erasures, 1)
	assert.Equal(t, "privacy.app@example.com", erasures[0].Email)
	assert.Equal(t, 1, erasures[0].Requests, "one erasure")
	s.recordHistory(privacyID, "privacy_erasure")
	assert.NotContains(t, s.historyText(privacyID), "privacy.app", "only the contact id in the privacy workflow's history")

	// HubSpot redelivering the deletion is a duplicate.
	status, out := s.postApp(appEvent("contact.privacyDeletion", jane, time.Now().UnixMilli(), ""))
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 1, out["duplicate"])
	assert.Len(t, s.Extole.Erasures(), 1)

	// A contact the bridge never saw: no email to name, the run fails saying so.
	stranger := s.createContact("stranger.app@example.com", "Sam")
	s.hs(http.MethodPost, "/crm/v3/objects/contacts/gdpr-delete", map[string]any{"objectId": stranger})
	require.Eventually(t, func() bool {
		_, err := s.Client.DescribeWorkflow(context.Background(), workflows.PrivacyWorkflowID(stranger), "")
		return err == nil
	}, 30*time.Second, 100*time.Millisecond)
	err := s.waitResult(workflows.PrivacyWorkflowID(stranger), nil)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, activities.ErrTypeNoEmailKnown, ae.Type())
	assert.Contains(t, ae.Error(), "HubSpot contact "+stranger)
	assert.Len(t, s.Extole.Erasures(), 1)
}

func (s *stack) historyText(workflowID string) string {
	s.T.Helper()
	iter := s.Client.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var b strings.Builder
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(s.T, err)
		b.WriteString(ev.String())
	}
	return b.String()
}

func TestAppBadSignatureStartsNothing(t *testing.T) {
	s := appStack(t, false, webhook.AppFlow{})
	privacy := "[" + appEvent("contact.privacyDeletion", "424242", time.Now().UnixMilli(), "") + "]"
	for name, post := range map[string]func() (int, map[string]any){
		"stale timestamp": func() (int, map[string]any) {
			return s.postAppSigned(privacy, time.Now().Add(-6*time.Minute), appSecret)
		},
		"wrong secret": func() (int, map[string]any) { return s.postAppSigned(privacy, time.Now(), "not-the-secret") },
		"unsigned":     func() (int, map[string]any) { st, out, _ := s.post(appPath, privacy, nil); return st, out },
	} {
		status, out := post()
		assert.Equal(t, http.StatusUnauthorized, status, "%s: %v", name, out)
	}
	_, err := s.Client.DescribeWorkflow(context.Background(), workflows.PrivacyWorkflowID("424242"), "")
	assert.Error(t, err, "nothing started")
}

// HubSpot waits 5 s for an answer. The SDK has no batch start, so a batch of 100 is 100 calls, 16 at a
// time; this prints how long the acknowledgement takes (new events, then the same batch redelivered).
func TestAppBatchOf100Acknowledged(t *testing.T) {
	s := appStack(t, false, webhook.AppFlow{})
	evs := make([]string, 100)
	now := time.Now().UnixMilli()
	for i := range evs {
		evs[i] = stageEvent(strconv.Itoa(900000+i), "closedwon", now)
	}
	for _, round := range []string{"new", "redelivered"} {
		start := time.Now()
		status, out := s.postApp(evs...)
		took := time.Since(start)
		require.Equal(t, http.StatusOK, status, "%v", out)
		assert.EqualValues(t, 100, out["accepted"])
		t.Logf("batch of 100 deal stage changes (%s) acknowledged in %s", round, took)
	}
}

// Temporal stopped while a batch arrives: 5xx, nothing acknowledged; HubSpot resends after recovery and
// every event is processed once.
func TestAppBatchWhileTemporalDownIsProcessedOnceAfterRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	skipWithoutCLI(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hostPort := l.Addr().String()
	require.NoError(t, l.Close())
	db := filepath.Join(t.TempDir(), "temporal.db")
	start := func() *testsuite.DevServer {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{ExistingPath: cliPath(), LogLevel: "error",
			DBFilename: db, SearchAttributes: searchAttributeValues(),
			ClientOptions: &client.Options{HostPort: hostPort, Logger: quietLogger{}}})
		require.NoError(t, err)
		return srv
	}
	srv := start()
	c, err := client.NewLazyClient(client.Options{HostPort: hostPort, Logger: quietLogger{}})
	require.NoError(t, err)
	defer c.Close()
	s := newStack(t, stackOptions{Client: c, Auth: webhook.HubSpotAuth{ClientSecret: appSecret}})
	s.Log = zaptest.NewLogger(t)

	s.createBridgeProperties()
	jane := s.createContact("down.app@example.com", "Jane")
	deal := s.createDeal("Down deal", "closedwon", "5.00", jane)
	s.hs(http.MethodPatch, "/crm/v3/objects/contacts/"+jane, map[string]any{"properties": map[string]string{"advocate_code": "down01"}})
	now := time.Now().UnixMilli()
	batch := []string{stageEvent(deal, "closedwon", now),
		appEvent("contact.propertyChange", jane, now, `"propertyName":"advocate_code","propertyValue":"down01"`)}

	require.NoError(t, srv.Stop())
	status, out := s.postApp(batch...)
	assert.Equal(t, http.StatusServiceUnavailable, status, "%v", out)

	srv = start()
	defer func() { _ = srv.Stop() }()
	require.Eventually(t, func() bool { st, _ := s.postApp(batch...); return st == http.StatusOK }, time.Minute, time.Second)
	require.Eventually(t, func() bool { return len(s.convertedEvents(deal)) == 1 && len(s.Extole.Events()) == 2 }, time.Minute, 200*time.Millisecond)
	status, out = s.postApp(batch...)
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 1, out["duplicate"], "the signup is a duplicate; the deal's change runs its workflow again")
	time.Sleep(time.Second)
	assert.Len(t, s.Extole.Events(), 2, "each event processed once")
}
