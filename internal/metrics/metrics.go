// Package metrics is the one home of the bridge's Prometheus series. Their names and labels are a public
// contract (README.md, "Metrics"; docs/metrics.md): dashboards and alerts depend on them, so rename
// nothing. Every process exposes Registry at GET /metrics, together with the Temporal SDK's own series
// (TemporalHandler) and the Go runtime's.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every series this process exports. A dedicated registry (not the global default)
// keeps libraries from adding series nobody documented.
var Registry = prometheus.NewRegistry()

// Webhook outcomes, the values of bridge_webhooks_total's outcome label.
const (
	OutcomeAccepted     = "accepted"
	OutcomeDuplicate    = "duplicate"
	OutcomeSuperseded   = "superseded"
	OutcomeRejected     = "rejected"     // the request itself is wrong (4xx other than 401/403)
	OutcomeUnauthorized = "unauthorized" // 401/403
	OutcomeUnavailable  = "unavailable"  // 5xx: the sender retries
)

// Delivery kinds, the values of bridge_delivery_latency_seconds's kind label.
const (
	KindEvent     = "event"      // a HubSpot event accepted by Extole
	KindShareLink = "share_link" // an Extole share link written to HubSpot
)

// Backfill results, the values of bridge_backfill_contacts_total's result label.
const (
	BackfillLinked = "linked" // share_link and share_code written to the contact
	BackfillSent   = "sent"   // event route: the contact's event accepted by Extole
	BackfillFailed = "failed" // HubSpot refused the contact's write
)

// The APIs, the values of the api label.
const (
	APIExtole  = "extole"
	APIHubSpot = "hubspot"
)

var (
	webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bridge_webhooks_total",
		Help: "Webhook requests answered, by endpoint and outcome.",
	}, []string{"endpoint", "outcome"})
	webhookDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "bridge_webhook_duration_seconds",
		Help:    "Time to answer a webhook request, by endpoint.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"endpoint"})

	apiRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bridge_api_requests_total",
		Help: "HTTP requests to Extole and HubSpot, by API, operation (method and path, ids masked) and status class (2xx…5xx, or error when no answer came).",
	}, []string{"api", "operation", "status_class"})
	apiDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "bridge_api_request_duration_seconds",
		Help:    "Duration of HTTP requests to Extole and HubSpot, by API and operation.",
		Buckets: prometheus.DefBuckets,
	}, []string{"api", "operation"})
	apiRateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bridge_api_rate_limited_total",
		Help: "429 answers received from Extole and HubSpot, by API.",
	}, []string{"api"})

	deliveryLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "bridge_delivery_latency_seconds",
		Help: "Time from webhook receipt to the partner's acceptance, by kind (event, share_link); retries included.",
		// From a sub-second delivery to the 7 days the retry policy allows.
		Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600},
	}, []string{"kind"})

	backfillContacts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bridge_backfill_contacts_total",
		Help: "Contacts handled by the backfill and the import, by result (linked, sent, failed).",
	}, []string{"result"})
	appEventsIgnored = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "bridge_app_webhook_events_ignored_total",
		Help: "HubSpot app-webhook events acknowledged without work, by reason (the subscription type, with the property or association type where that decided it, or malformed).",
	}, []string{"reason"})
	backfillRemaining = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "bridge_backfill_remaining_contacts",
		Help: "Contacts the running backfill has still to visit (HubSpot's count past its cursor), as of its last search.",
	})
)

func init() {
	Registry.MustRegister(webhooks, webhookDuration, apiRequests, apiDuration, apiRateLimited,
		deliveryLatency, backfillContacts, backfillRemaining, appEventsIgnored,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler serves Registry in Prometheus's text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{Registry: Registry})
}

// ObserveWebhook records one answered webhook request.
func ObserveWebhook(endpoint, outcome string, d time.Duration) {
	webhooks.WithLabelValues(endpoint, outcome).Inc()
	webhookDuration.WithLabelValues(endpoint).Observe(d.Seconds())
}

// IgnoreAppEvent counts an app-webhook event acknowledged without work.
func IgnoreAppEvent(reason string) { appEventsIgnored.WithLabelValues(reason).Inc() }

// ObserveDelivery records the partner's acceptance of something received at receivedAt. A zero
// receivedAt (a workflow started before the receipt time was recorded) is not observed.
func ObserveDelivery(kind string, receivedAt time.Time) {
	if receivedAt.IsZero() {
		return
	}
	deliveryLatency.WithLabelValues(kind).Observe(time.Since(receivedAt).Seconds())
}

// AddBackfillContacts counts n contacts with the given result.
func AddBackfillContacts(result string, n int) {
	if n > 0 {
		backfillContacts.WithLabelValues(result).Add(float64(n))
	}
}

// SetBackfillRemaining records how many contacts the running backfill has still to visit.
func SetBackfillRemaining(n int) { backfillRemaining.Set(float64(n)) }
