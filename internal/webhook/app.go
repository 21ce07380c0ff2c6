package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/metrics"
	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/api/serviceerror"
	"go.uber.org/zap"
)

// maxAppEvents is HubSpot's batch size: "Each request can contain up to 100 events"
// (https://developers.hubspot.com/docs/api/webhooks).
const maxAppEvents = 100

// appStartConcurrency bounds the Temporal calls one batch makes at once. The Go SDK has no batch start
// (every start or signal-with-start is its own gRPC call), so a batch is answered after its slowest
// call; 16 in parallel answer 100 events well inside HubSpot's 5 s timeout without flooding the frontend.
const appStartConcurrency = 16

// appStartTimeout bounds a batch's Temporal calls: HubSpot waits 5 s for an answer and counts a later one
// as a failure, so a 503 before then is better than an answer nobody reads.
const appStartTimeout = 4 * time.Second

// AppFlow are the settings the app-webhook workflows start with.
type AppFlow struct {
	WonStages   []string      // HUBSPOT_WON_STAGES; empty = the pipeline's stage metadata
	Hold        time.Duration // DEAL_HOLD_PERIOD
	ContactWait time.Duration // DEAL_CONTACT_WAIT
}

// appEvent is one event of an app-webhook delivery. Ids are numbers that may exceed 2^31 (and HubSpot's
// spec types some as strings), so they are read as json.Number.
type appEvent struct {
	EventID            json.Number `json:"eventId"`
	OccurredAt         int64       `json:"occurredAt"`
	SubscriptionType   string      `json:"subscriptionType"`
	AttemptNumber      int         `json:"attemptNumber"`
	ObjectID           json.Number `json:"objectId"`
	PropertyName       string      `json:"propertyName"`
	PropertyValue      string      `json:"propertyValue"`
	AssociationType    string      `json:"associationType"`
	FromObjectID       json.Number `json:"fromObjectId"`
	ToObjectID         json.Number `json:"toObjectId"`
	AssociationRemoved bool        `json:"associationRemoved"`
}

// appOutcome is what became of one event.
type appOutcome int

const (
	appAccepted  appOutcome = iota // a workflow was started or signalled
	appDuplicate                   // already held (a running or completed workflow with the ID)
	appIgnored                     // acknowledged without work: unknown type, other property, nothing waiting
)

// hubspotApp receives HubSpot's app-webhook deliveries: a JSON array of up to 100 events, signed with
// the app's client secret (v3, and v1 which app webhooks still send). It answers 2xx only when every
// event is durably held by a workflow (or needs none), else 5xx so HubSpot resends the whole batch; the
// workflow IDs, derived from the object and what happened, turn the resent events into duplicates.
func (s *server) hubspotApp(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	if s.HubSpot.ClientSecret == "" && !s.Extole.Sandbox {
		// Not configured yet: HubSpot retries a 5xx for 24 hours, so nothing is lost while it is set up.
		c.Header("Retry-After", retryAfterSeconds)
		fail(c, http.StatusServiceUnavailable, "", "HUBSPOT_CLIENT_SECRET is not set: app webhooks cannot be verified yet")
		return
	}
	if s.HubSpot.ClientSecret != "" {
		if ok, present := s.HubSpot.verifySignature(c.Request, body); !ok {
			msg := "X-HubSpot-Signature-v3 or X-HubSpot-Signature (v1) is required"
			if present {
				msg = "the HubSpot signature does not verify or is older than 5 minutes (check HUBSPOT_CLIENT_SECRET, and PUBLIC_BASE_URL or TRUSTED_PROXIES behind a proxy)"
			}
			fail(c, http.StatusUnauthorized, "", msg)
			return
		}
	}
	if !isJSON(c.Request) {
		fail(c, http.StatusUnsupportedMediaType, "", "Content-Type must be application/json")
		return
	}
	events, ferr := parseAppEvents(body)
	if ferr != nil {
		fail(c, http.StatusBadRequest, ferr.field, ferr.msg)
		return
	}

	ctx, cancel := context.WithTimeout(c.Request.Context(), appStartTimeout)
	defer cancel()
	outcomes := make([]appOutcome, len(events))
	errs := make([]error, len(events))
	sem := make(chan struct{}, appStartConcurrency)
	var wg sync.WaitGroup
	for i, ev := range events {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			outcomes[i], errs[i] = s.holdAppEvent(ctx, ev)
		})
	}
	wg.Wait()

	counts := map[string]int{}
	for i, err := range errs {
		if err != nil {
			// One event not held fails the batch: HubSpot resends all of it, and the held ones come back
			// as duplicates.
			if isInvalidArgument(err) {
				s.Log.Error("temporal refused an app-webhook start", zap.String("subscription_type", events[i].SubscriptionType), zap.Error(err))
				c.JSON(http.StatusInternalServerError, gin.H{"error": "an event could not be started; the operator has been told"})
				return
			}
			s.Log.Warn("temporal unavailable, asking HubSpot to resend the batch", zap.Int("events", len(events)), zap.Error(err))
			c.Header("Retry-After", retryAfterSeconds)
			c.JSON(http.StatusServiceUnavailable, gin.H{"error": "temporal unavailable, retry later"})
			return
		}
		counts[[...]string{"accepted", "duplicate", "ignored"}[outcomes[i]]]++
	}
	s.Log.Info("app webhook batch held", zap.Int("events", len(events)), zap.Int("accepted", counts["accepted"]),
		zap.Int("duplicate", counts["duplicate"]), zap.Int("ignored", counts["ignored"]))
	c.JSON(http.StatusOK, gin.H{"status": "held", "accepted": counts["accepted"], "duplicate": counts["duplicate"], "ignored": counts["ignored"]})
}

// parseAppEvents reads the delivery. Only a body that is not an array of objects (or holds more than
// HubSpot sends) is refused; an event the bridge cannot use is acknowledged and counted instead, since
// refusing it would make HubSpot resend its whole batch for a day.
func parseAppEvents(body []byte) ([]appEvent, *fieldError) {
	var raw []json.RawMessage
	if err := decodeStrict(body, &raw); err != nil || raw == nil {
		return nil, bad("body", "must be a JSON array of HubSpot webhook events")
	}
	if len(raw) > maxAppEvents {
		return nil, bad("body", "holds %d events; HubSpot sends at most %d", len(raw), maxAppEvents)
	}
	events := make([]appEvent, len(raw))
	for i, r := range raw {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		if err := dec.Decode(&events[i]); err != nil {
			events[i] = appEvent{} // counted as malformed
		}
	}
	return events, nil
}

// holdAppEvent starts or signals the workflow one event asks for.
func (s *server) holdAppEvent(ctx context.Context, ev appEvent) (appOutcome, error) {
	id, ok := recordID(ev.ObjectID)
	switch {
	case ev.SubscriptionType == "deal.propertyChange" && ev.PropertyName == "dealstage" && ok && ev.PropertyValue != "":
		in := workflows.DealInput{DealID: id, WonStages: s.App.WonStages, Hold: s.App.Hold, ContactWait: s.App.ContactWait}
		change := workflows.DealStageChange{Stage: ev.PropertyValue, OccurredAt: ev.OccurredAt}
		_, err := s.Temporal.SignalWithStartWorkflow(ctx, workflows.DealWorkflowID(id), workflows.SignalDealStage, change,
			workflows.DealStartOptions(id), workflows.DealWon, in)
		return appAccepted, err
	case ev.SubscriptionType == "deal.associationChange":
		return s.dealAssociation(ctx, ev)
	case ev.SubscriptionType == "contact.propertyChange" && ev.PropertyName == contact.PropAdvocateCode && ok:
		if strings.TrimSpace(ev.PropertyValue) == "" {
			return s.ignore(ev, "contact.propertyChange.advocate_code_cleared"), nil
		}
		in := workflows.AdvocateInput{ContactID: id, Code: strings.TrimSpace(ev.PropertyValue), OccurredAt: ev.OccurredAt}
		_, err := s.Temporal.ExecuteWorkflow(ctx, workflows.AdvocateStartOptions(in), workflows.AdvocateSignup, in)
		return startOutcome(err)
	case ev.SubscriptionType == "contact.privacyDeletion" && ok:
		in := workflows.PrivacyInput{ContactID: id}
		_, err := s.Temporal.ExecuteWorkflow(ctx, workflows.PrivacyStartOptions(in), workflows.PrivacyErasure, in)
		return startOutcome(err)
	case ev.SubscriptionType == "":
		return s.ignore(ev, "malformed"), nil
	case strings.HasSuffix(ev.SubscriptionType, ".propertyChange"):
		return s.ignore(ev, ev.SubscriptionType+"."+ev.PropertyName), nil
	default:
		return s.ignore(ev, ev.SubscriptionType), nil
	}
}

// dealAssociation tells a deal waiting for a contact that one was associated. HubSpot fires the change
// for both sides (DEAL_TO_CONTACT and CONTACT_TO_DEAL); a deal with no running workflow waits for
// nothing, so that is acknowledged without work.
func (s *server) dealAssociation(ctx context.Context, ev appEvent) (appOutcome, error) {
	from, okFrom := recordID(ev.FromObjectID)
	to, okTo := recordID(ev.ToObjectID)
	var deal, contact string
	switch ev.AssociationType {
	case "DEAL_TO_CONTACT":
		deal, contact = from, to
	case "CONTACT_TO_DEAL":
		deal, contact = to, from
	default:
		return s.ignore(ev, "deal.associationChange."+ev.AssociationType), nil
	}
	if !okFrom || !okTo || ev.AssociationRemoved {
		return s.ignore(ev, "deal.associationChange.removed_or_malformed"), nil
	}
	change := workflows.DealAssociationChange{ContactID: contact, OccurredAt: ev.OccurredAt}
	err := s.Temporal.SignalWorkflow(ctx, workflows.DealWorkflowID(deal), "", workflows.SignalDealAssociation, change)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return s.ignore(ev, "deal.associationChange.nothing_waiting"), nil
	}
	return appAccepted, err
}

func startOutcome(err error) (appOutcome, error) {
	var dup *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &dup) {
		return appDuplicate, nil
	}
	return appAccepted, err
}

func (s *server) ignore(ev appEvent, reason string) appOutcome {
	metrics.IgnoreAppEvent(reason)
	s.Log.Info("app webhook event acknowledged without work", zap.String("reason", reason),
		zap.String("event_id", ev.EventID.String()), zap.Int("attempt", ev.AttemptNumber))
	return appIgnored
}

// recordID returns a HubSpot record id as decimal text; anything else is not an id.
func recordID(n json.Number) (string, bool) {
	v, err := strconv.ParseUint(n.String(), 10, 64)
	if err != nil || v == 0 {
		return "", false
	}
	return strconv.FormatUint(v, 10), true
}
