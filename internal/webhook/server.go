// Package webhook is the gin server that receives HubSpot's and Extole's webhooks. Every request follows
// one path: body limit → authenticate → parse and validate → durable workflow start → answer. A 2xx
// means a workflow durably holds the event; anything we did not durably start answers 5xx so the sender
// retries.
package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hubspot-extole/bridge/internal/config"
	"github.com/hubspot-extole/bridge/internal/metrics"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// MaxBodyBytes bounds a webhook body. HubSpot's and Extole's bodies are a few kilobytes; Temporal refuses
// payloads over 2 MB anyway.
const MaxBodyBytes = 1 << 20

// startTimeout bounds a workflow start so the sender gets a 503 well inside its own timeout (HubSpot
// workflow webhooks wait 30 s) when Temporal is unreachable, instead of timing out and guessing.
const startTimeout = 10 * time.Second

// retryAfterSeconds is the Retry-After sent with a 503. HubSpot retries 5xx on its own schedule anyway;
// other senders may honour it.
const retryAfterSeconds = "30"

// Deps is what the server needs. Temporal may be a lazy client: the server starts without Temporal.
type Deps struct {
	Temporal client.Client
	Log      *zap.Logger
	HubSpot  HubSpotAuth
	Extole   ExtoleAuth
	// TrustedProxies are the only peers whose X-Forwarded-* headers are believed (client IP, signed URI).
	TrustedProxies []netip.Prefix
	// MaxInFlight caps the webhook requests handled at once; 0 means defaultMaxInFlight.
	MaxInFlight int
	// App are the settings the HubSpot app-webhook workflows start with.
	App AppFlow
	// RewardEventName is the HubSpot custom event each reward state change is also sent as; "" = off.
	RewardEventName string
}

// defaultMaxInFlight bounds what slow or flooding senders can hold: each in-flight request may buffer a
// body of up to MaxBodyBytes (≈ 2 MiB while io.ReadAll grows it), so 64 is ≈ 128 MiB at worst, while
// HubSpot sends at most 20 requests a second per account and each is answered in well under a second.
const defaultMaxInFlight = 64

// Timeouts of the webhook server. HubSpot waits at most 30 s for an answer
// (https://developers.hubspot.com/docs/methods/workflows/webhook_information); an answer later than that
// is lost, so nothing may take longer.
const (
	// readHeaderTimeout and readTimeout bound headers and body: senders post a few kilobytes from data
	// centres, so a request still arriving after seconds is a slow (or malicious) connection.
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	// writeTimeout runs from the end of the headers to the end of the answer: the body (≤ readTimeout),
	// the handler (≤ updateTimeout + startTimeout for a share link) and the write fit inside HubSpot's 30 s.
	writeTimeout = 30 * time.Second
	// idleTimeout lets a sender reuse its connection for the next webhook without idle ones piling up.
	idleTimeout = 60 * time.Second
)

// NewHTTPServer returns the server for h on addr with timeouts that keep slow connections from holding
// memory and connections.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}

// NewRouter returns the HTTP handler with every route.
func NewRouter(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// gin.New trusts X-Forwarded-For from everyone; trust only the configured proxies.
	proxies := make([]string, len(d.TrustedProxies))
	for i, p := range d.TrustedProxies {
		proxies[i] = p.String()
	}
	if err := r.SetTrustedProxies(proxies); err != nil {
		panic(err) // unreachable: a netip.Prefix always formats as a valid CIDR
	}
	d.HubSpot.trustedProxies = d.TrustedProxies
	r.Use(gin.Recovery(), accessLog(d.Log))
	s := &server{Deps: d}
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	r.GET("/metrics", gin.WrapH(metrics.Handler()))
	maxInFlight := d.MaxInFlight
	if maxInFlight <= 0 {
		maxInFlight = defaultMaxInFlight
	}
	limit := limitInFlight(maxInFlight)
	r.POST("/webhooks/hubspot/events", observe("hubspot_events"), limit, s.hubspotEvent)
	r.POST("/webhooks/extole/share-links", observe("extole_share_links"), limit, s.extoleShareLink)
	r.POST("/webhooks/hubspot/app", observe("hubspot_app"), limit, s.hubspotApp)
	r.POST("/webhooks/extole/rewards", observe("extole_rewards"), limit, s.extoleReward)
	r.NoRoute(func(c *gin.Context) {
		fail(c, http.StatusNotFound, "", "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path)
	})
	return r
}

type server struct {
	Deps
}

// ready reports whether Temporal answers: without it no webhook can be accepted.
func (s *server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		// The probe is unauthenticated: the error names internal addresses, so it goes to the log only.
		s.Log.Warn("readiness: temporal unavailable", zap.Error(err))
		c.Header("Retry-After", retryAfterSeconds)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "error": "temporal unavailable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// accessLog logs one line per request. It logs the path only, never the query string: HubSpot's
// "API key" authentication may carry the secret as a query parameter.
func accessLog(z *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		z.Info("http request",
			zap.String("method", c.Request.Method),
			zap.String("path", c.Request.URL.Path),
			zap.Int("status", c.Writer.Status()),
			zap.Duration("duration", time.Since(start)),
			zap.String("remote", c.ClientIP()),
		)
	}
}

// observe counts and times one endpoint's requests (bridge_webhooks_total{endpoint,outcome},
// bridge_webhook_duration_seconds). The outcome is the one the handler set with setOutcome, else the one
// the answer's status implies.
func observe(endpoint string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		outcome := c.GetString(outcomeKey)
		if outcome == "" {
			outcome = outcomeOf(c.Writer.Status())
		}
		metrics.ObserveWebhook(endpoint, outcome, time.Since(start))
	}
}

const outcomeKey = "bridge.webhook.outcome"

// setOutcome records what became of the request, for answers whose status does not say it (a 200 is a
// duplicate or a superseded link).
func setOutcome(c *gin.Context, outcome string) { c.Set(outcomeKey, outcome) }

func outcomeOf(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return metrics.OutcomeUnauthorized
	case status >= 500:
		return metrics.OutcomeUnavailable
	case status >= 400:
		return metrics.OutcomeRejected
	default:
		return metrics.OutcomeAccepted
	}
}

// limitInFlight answers 503 + Retry-After at once when n requests are already being handled, so slow
// senders cannot make the server buffer an unbounded number of bodies; the sender retries later.
func limitInFlight(n int) gin.HandlerFunc {
	slots := make(chan struct{}, n)
	return func(c *gin.Context) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			c.Next()
		default:
			c.Header("Retry-After", retryAfterSeconds)
			fail(c, http.StatusServiceUnavailable, "", "too many requests in flight, retry later")
		}
	}
}

// readBody reads the raw body (signatures are computed over the exact bytes) within MaxBodyBytes.
func readBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(c, http.StatusRequestEntityTooLarge, "", "body larger than 1 MiB")
			return nil, false
		}
		fail(c, http.StatusBadRequest, "", "could not read body: "+err.Error())
		return nil, false
	}
	return body, true
}

// fail answers with the error contract: {"error": "<what is wrong, naming the field>", "field": …}.
func fail(c *gin.Context, status int, field, msg string) {
	body := gin.H{"error": msg}
	if field != "" {
		body["error"] = field + ": " + msg
		body["field"] = field
	}
	c.AbortWithStatusJSON(status, body)
}

// answerStart turns a workflow start into the answer the sender needs: 202 started, 200 duplicate (the
// event is already held by a running or completed workflow: tell the sender to stop retrying), 5xx
// otherwise so the sender retries. It never touches run when err is non-nil.
func (s *server) answerStart(c *gin.Context, workflowID string, run client.WorkflowRun, err error) {
	var dup *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
		c.JSON(http.StatusAccepted, gin.H{"status": "accepted", "workflow_id": run.GetID(), "run_id": run.GetRunID()})
	case errors.As(err, &dup):
		setOutcome(c, metrics.OutcomeDuplicate)
		c.JSON(http.StatusOK, gin.H{"status": "duplicate", "workflow_id": workflowID, "run_id": dup.RunId})
	case isInvalidArgument(err):
		// The server refused the start itself (e.g. a search attribute is not registered): a deployment
		// problem, not the sender's. 500 so the sender retries once it is fixed.
		s.Log.Error("temporal refused workflow start", zap.String("workflow_id", workflowID), zap.Error(err))
		c.JSON(http.StatusInternalServerError, gin.H{"error": "the workflow could not be started; the operator has been told"})
	default:
		s.Log.Warn("temporal unavailable, asking sender to retry", zap.String("workflow_id", workflowID), zap.Error(err))
		c.Header("Retry-After", retryAfterSeconds)
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "temporal unavailable, retry later"})
	}
}

func isInvalidArgument(err error) bool {
	var ia *serviceerror.InvalidArgument
	return errors.As(err, &ia)
}

// DepsFrom wires the server from the configuration.
func DepsFrom(cfg config.Config, c client.Client, log *zap.Logger) Deps {
	return Deps{
		Temporal: c,
		Log:      log,
		HubSpot: HubSpotAuth{
			APIKey:        cfg.HubSpotAPIKey.Reveal(),
			APIKeyName:    cfg.HubSpotAPIKeyName,
			ClientSecret:  cfg.HubSpotClientSecret.Reveal(),
			PublicBaseURL: cfg.PublicBaseURL,
		},
		TrustedProxies: cfg.TrustedProxies,
		MaxInFlight:    cfg.MaxInFlight,
		App:            AppFlow{WonStages: cfg.HubSpotWonStages, Hold: cfg.DealHoldPeriod, ContactWait: cfg.DealContactWait},
		Extole: ExtoleAuth{
			Token:      cfg.ExtoleWebhookToken.Reveal(),
			SigningKey: cfg.ExtoleSigningKey.Reveal(),
			Sandbox:    cfg.Sandbox,
		},
		RewardEventName: cfg.RewardEventName(),
	}
}
