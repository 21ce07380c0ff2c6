package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/retryafter"
)

// Kind is the one classification of a failed HubSpot call that callers act on. It is decided here,
// from the status code and HubSpot's error body, so activities and workflows never look at statuses.
type Kind int

const (
	// KindRateLimited: HTTP 429. Wait Error.RetryAfter (when non-zero), then retry
	// (docs/hubspot-api.md#rate-limits).
	KindRateLimited Kind = iota + 1
	// KindTransient: 5xx, 408, 423 Locked, 477 Migration in Progress, network errors and client timeouts,
	// unreadable success bodies. Retry with backoff, honouring Error.RetryAfter
	// (docs/hubspot-api.md#rate-limits).
	KindTransient
	// KindAuth: 401 and 403 (e.g. MISSING_SCOPES). Retried with backoff so that once an operator fixes the
	// token or scopes the backlog drains by itself (docs/hubspot-api.md#authentication: a 401 does not by
	// itself mean the token is dead).
	KindAuth
	// KindConflict: 409, e.g. "Contact already exists. Existing ID: N" (docs/hubspot-api.md#contacts) or a
	// property that exists (docs/hubspot-api.md#properties).
	KindConflict
	// KindNotFound: 404 OBJECT_NOT_FOUND (docs/hubspot-api.md#contacts).
	KindNotFound
	// KindInvalid: 400 VALIDATION_ERROR and every other 4xx, or input rejected before sending.
	// Permanent: the input is wrong and retrying cannot help; Error.Message is HubSpot's explanation.
	KindInvalid
)

func (k Kind) String() string {
	switch k {
	case KindRateLimited:
		return "rate_limited"
	case KindTransient:
		return "transient"
	case KindAuth:
		return "auth"
	case KindConflict:
		return "conflict"
	case KindNotFound:
		return "not_found"
	case KindInvalid:
		return "invalid"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Rate-limit policy names HubSpot reports in a 429 body's policyName (docs/hubspot-api.md#search,
// #rate-limits).
const (
	PolicyTenSecondlyRolling = "TEN_SECONDLY_ROLLING"
	PolicySecondly           = "SECONDLY"
	PolicyDaily              = "DAILY"
)

// ErrorDetail is one element of the errors[] array of HubSpot's standard error body
// (docs/hubspot-api.md#errors).
type ErrorDetail struct {
	Message     string              `json:"message"`
	Code        string              `json:"code,omitempty"`
	In          string              `json:"in,omitempty"`
	SubCategory string              `json:"subCategory,omitempty"`
	Context     map[string][]string `json:"context,omitempty"`
}

// Error is every error the Client returns for a failed call, except context cancellation (which stays
// the context's error). Callers decide what to do from Kind, Retryable and RetryAfter only.
type Error struct {
	Kind          Kind
	Status        int    // HTTP status; 0 when no response arrived or the input was rejected before sending
	Category      string // HubSpot's category, e.g. VALIDATION_ERROR, OBJECT_NOT_FOUND, MISSING_SCOPES
	Message       string // HubSpot's human-readable message (or a description of the local failure)
	CorrelationID string // HubSpot's correlationId, for support tickets

	// PolicyName is the violated rate-limit policy of a 429: TEN_SECONDLY_ROLLING, SECONDLY, DAILY, ...
	PolicyName string
	// RetryAfter is the wait the API asks for: the Retry-After header (seconds or HTTP-date) when
	// present; otherwise 10 s for TEN_SECONDLY_ROLLING, 1 s for SECONDLY, the time until the next
	// midnight UTC for DAILY, 2 s for 423 Locked; 0 = no specific wait (use the caller's backoff).
	RetryAfter time.Duration
	// Errors is HubSpot's errors[] when present.
	Errors []ErrorDetail

	cause error // network error, body read error, ...; exposed through Unwrap
}

// Error renders e.g. `hubspot: 400 VALIDATION_ERROR: Property "x" does not exist (correlation 1234)`.
// It never contains the access token: the token is only ever placed in the Authorization header.
func (e *Error) Error() string {
	head := make([]string, 0, 3)
	if e.Status != 0 {
		head = append(head, strconv.Itoa(e.Status))
	} else {
		head = append(head, e.Kind.String())
	}
	if e.Category != "" {
		head = append(head, e.Category)
	}
	if e.PolicyName != "" && e.PolicyName != e.Category {
		head = append(head, e.PolicyName)
	}
	var b strings.Builder
	b.WriteString("hubspot: ")
	b.WriteString(strings.Join(head, " "))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " (correlation %s)", e.CorrelationID)
	}
	return b.String()
}

// Unwrap returns the underlying cause (e.g. the *url.Error of a network failure), if any.
func (e *Error) Unwrap() error { return e.cause }

// Retryable reports whether retrying can succeed without changing the input: rate limits and transient
// failures, and auth failures (retried with backoff so that fixing the token drains the backlog).
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindRateLimited, KindTransient, KindAuth:
		return true
	}
	return false
}

// PropertyError is one property a write was refused over: HubSpot's code (PROPERTY_DOESNT_EXIST,
// INVALID_OPTION, INVALID_EMAIL, ...) and its message.
type PropertyError struct {
	Name    string
	Code    string
	Message string
}

// PropertyErrors lists the properties a VALIDATION_ERROR names with an error code, from errors[] (the
// property in `in` or in the detail's context propertyName) or the JSON array HubSpot embeds in the
// message ("Property values were not valid: [...]", https://developers.hubspot.com/docs/api/error-handling).
// Matching on codes, never on message wording, keeps a rephrased message from changing what callers do.
func (e *Error) PropertyErrors() []PropertyError {
	if e.Category != "VALIDATION_ERROR" {
		return nil
	}
	var out []PropertyError
	for _, d := range e.Errors {
		name := d.In
		if name == "" && len(d.Context["propertyName"]) > 0 {
			name = d.Context["propertyName"][0]
		}
		if name == "" || d.Code == "" {
			continue
		}
		out = append(out, PropertyError{Name: name, Code: d.Code, Message: d.Message})
	}
	return out
}

// AsError finds a *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// kindForStatus maps an HTTP status to a Kind (docs/hubspot-api.md#rate-limits, #errors, #authentication).
func kindForStatus(status int) Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusConflict:
		return KindConflict
	case status == http.StatusNotFound:
		return KindNotFound
	// 423: high-volume sync lock, "Locks will last for 2 seconds"; 477: Migration in Progress
	// (docs/hubspot-api.md#rate-limits). 408 is not in HubSpot's docs; a request timeout says nothing about
	// the input, so it is transient.
	case status == http.StatusLocked, status == 477, status == http.StatusRequestTimeout:
		return KindTransient
	case status >= 500:
		return KindTransient
	case status >= 400:
		return KindInvalid
	}
	// Anything else reaching the error path (1xx/3xx that the http.Client did not resolve) is not an
	// answer we understand; treat it like a server hiccup rather than blaming the input.
	return KindTransient
}

// apiError is HubSpot's standard error body (docs/hubspot-api.md#errors) plus the 429 fields
// (docs/hubspot-api.md#rate-limits). Every field is optional.
type apiError struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category"`
	SubCategory   string              `json:"subCategory"`
	ErrorType     string              `json:"errorType"`
	PolicyName    string              `json:"policyName"`
	Errors        []ErrorDetail       `json:"errors"`
	Context       map[string][]string `json:"context"`
}

// errorFromResponse builds the typed error of a non-2xx response from its status, headers and body.
// An unparseable or empty body still yields an Error classified by the status code.
func errorFromResponse(status int, header http.Header, body []byte, now time.Time) *Error {
	e := &Error{Kind: kindForStatus(status), Status: status}
	var ae apiError
	if len(body) > 0 && json.Unmarshal(body, &ae) == nil {
		e.fillFrom(ae)
	}
	if e.Message == "" {
		e.Message = statusText(status)
	}
	if e.CorrelationID == "" {
		e.CorrelationID = header.Get("X-HubSpot-Correlation-Id")
	}
	if e.Kind == KindRateLimited && e.PolicyName == "" {
		e.PolicyName = policyFromMessage(e.Message)
	}
	e.RetryAfter = retryAfterFor(status, e.PolicyName, header.Get("Retry-After"), now)
	return e
}

// statusText describes a status when the body did not; 477 is HubSpot's own
// (docs/hubspot-api.md#rate-limits).
func statusText(status int) string {
	if status == 477 {
		return "Migration in Progress"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("HTTP status %d", status)
}

func (e *Error) fillFrom(ae apiError) {
	e.Category = ae.Category
	if e.Category == "" {
		e.Category = ae.ErrorType // 429 bodies carry errorType RATE_LIMIT instead of a category (docs/hubspot-api.md#rate-limits)
	}
	e.Message = ae.Message
	e.CorrelationID = ae.CorrelationID
	e.PolicyName = ae.PolicyName
	e.Errors = ae.Errors
	if msg, details, ok := unpackPropertyErrors(ae.Message); ok {
		e.Message = msg
		// errors[] may repeat the entries, or carry only a summary without property names: keep what it
		// says and add the embedded entries it does not name.
		for _, d := range details {
			if !slices.ContainsFunc(e.Errors, func(x ErrorDetail) bool { return x.Code == d.Code && x.In == d.In }) {
				e.Errors = append(e.Errors, d)
			}
		}
	}
}

const propertyErrorsPrefix = "Property values were not valid: "

// unpackPropertyErrors turns HubSpot's VALIDATION_ERROR message "Property values were not valid: [<JSON
// array>]" (docs/hubspot-api.md#contacts) into its readable part, e.g. `Property "x" does not exist`, plus
// one ErrorDetail per entry (Code = the entry's "error", In = its "name"), so operators see the reason rather
// than escaped JSON. Any other message is left alone (ok false).
func unpackPropertyErrors(msg string) (string, []ErrorDetail, bool) {
	rest, found := strings.CutPrefix(msg, propertyErrorsPrefix)
	if !found {
		return "", nil, false
	}
	var entries []struct {
		Message string `json:"message"`
		Error   string `json:"error"`
		Name    string `json:"name"`
	}
	if json.Unmarshal([]byte(rest), &entries) != nil || len(entries) == 0 {
		return "", nil, false
	}
	texts := make([]string, 0, len(entries))
	details := make([]ErrorDetail, 0, len(entries))
	for _, en := range entries {
		if en.Message == "" {
			return "", nil, false
		}
		texts = append(texts, en.Message)
		details = append(details, ErrorDetail{Message: en.Message, Code: en.Error, In: en.Name})
	}
	return strings.Join(texts, "; "), details, true
}

// policyFromMessage recovers the policy when a 429 body has no policyName but the documented message "You
// have reached your <policy> limit." (the Node SDK keys its search back-off on that message,
// docs/hubspot-api.md#search).
func policyFromMessage(msg string) string {
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "ten_secondly_rolling limit"):
		return PolicyTenSecondlyRolling
	case strings.Contains(m, "secondly limit"):
		return PolicySecondly
	case strings.Contains(m, "daily limit"):
		return PolicyDaily
	}
	return ""
}

// retryAfterFor is the wait an error asks for. A Retry-After header wins (documented for 477, possible on
// 429, docs/hubspot-api.md#rate-limits); otherwise the documented window of the violated policy or lock
// applies.
func retryAfterFor(status int, policy, retryAfterHeader string, now time.Time) time.Duration {
	// d < 0 only when an absurdly large value overflowed the conversion; then fall back.
	if d, ok := retryafter.Parse(retryAfterHeader, now); ok && d >= 0 {
		return d
	}
	switch {
	case status == http.StatusTooManyRequests && policy == PolicyTenSecondlyRolling:
		return 10 * time.Second // the burst limit is a rolling 10-second window (docs/hubspot-api.md#rate-limits)
	case status == http.StatusTooManyRequests && policy == PolicySecondly:
		return time.Second // search: 5 requests/second per token (docs/hubspot-api.md#search)
	case status == http.StatusTooManyRequests && policy == PolicyDaily:
		return untilNextUTCMidnight(now)
	case status == http.StatusLocked:
		return 2 * time.Second // "Locks will last for 2 seconds" (docs/hubspot-api.md#rate-limits)
	}
	return 0
}

// untilNextUTCMidnight is the wait for the daily limit to reset. HubSpot resets it at midnight in the
// account's time zone (docs/hubspot-api.md#rate-limits), which the API does not tell us, so we wait for the
// next midnight UTC: a wait that may be up to a day early (the retry then gets another DAILY 429 and waits
// again) or late.
func untilNextUTCMidnight(now time.Time) time.Duration {
	now = now.UTC()
	next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	return next.Sub(now)
}

// transientError wraps a failure without (usable) response: network errors, client timeouts, unreadable
// or undecodable bodies. Message is the cause's text without the request URL, which can contain an email.
func transientError(status int, msg string, cause error) *Error {
	return &Error{Kind: KindTransient, Status: status, Message: msg, cause: cause}
}

// invalidInput is the error for input the client rejects before calling HubSpot.
func invalidInput(format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Message: fmt.Sprintf(format, args...)}
}
