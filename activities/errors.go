// Package activities is the only code that touches the outside world. Each external API has one small
// struct holding its client; its methods call the client and translate the client's typed errors into
// Temporal application errors, once, in applicationError.
package activities

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// Application error types, visible in the Web UI as the failure's type. Non-retryable ones end the
// activity at once; the others are retried by the workflow's retry policy, after NextRetryDelay when the
// API said how long to wait.
const (
	ErrTypeRejected    = "Rejected"    // the API refused the input; retrying cannot help
	ErrTypeNotFound    = "NotFound"    // the addressed record does not exist
	ErrTypeRateLimited = "RateLimited" // 429; waits as long as the API asked
	ErrTypeAuth        = "AuthFailed"  // 401/403: retried with capped backoff until an operator fixes the credentials
	ErrTypeUnavailable = "Unavailable" // 5xx, network, timeouts
)

// applicationError wraps a client error. api names the service ("extole", "hubspot") in the type so an
// operator filtering failures in the UI sees at once which side failed. details travel to the workflow
// (ApplicationError.Details) for errors it acts on.
func applicationError(api, errType string, retryable bool, retryAfter time.Duration, cause error, details ...any) error {
	return temporal.NewApplicationErrorWithOptions(cause.Error(), api+errType, temporal.ApplicationErrorOptions{
		NonRetryable:   !retryable,
		NextRetryDelay: retryAfter,
		Cause:          cause,
		Details:        details,
	})
}
