// Package activities is the only code that touches the outside world. Each external API has one small
// struct holding its client; its methods call the client and translate the client's typed errors into
// Temporal application errors, once, in applicationError.
package activities

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// Application error types, visible in the Web UI as the failure's type and matched by workflows, retry
// policies and re-drive. Each names the API first, so an operator filtering failures in the UI sees at once
// which side failed. Non-retryable ones end the activity at once; the others are retried by the workflow's
// retry policy, after NextRetryDelay when the API said how long to wait.
const (
	ErrTypeExtoleRejected    = "ExtoleRejected"    // the API refused the input; retrying cannot help
	ErrTypeExtoleNotFound    = "ExtoleNotFound"    // the addressed record does not exist
	ErrTypeExtoleRateLimited = "ExtoleRateLimited" // 429; waits as long as the API asked
	ErrTypeExtoleAuth        = "ExtoleAuthFailed"  // 401/403: retried with capped backoff until an operator fixes the credentials
	ErrTypeExtoleUnavailable = "ExtoleUnavailable" // 5xx, network, timeouts

	ErrTypeHubSpotRejected    = "HubSpotRejected"
	ErrTypeHubSpotNotFound    = "HubSpotNotFound"
	ErrTypeHubSpotRateLimited = "HubSpotRateLimited"
	ErrTypeHubSpotAuth        = "HubSpotAuthFailed"
	ErrTypeHubSpotUnavailable = "HubSpotUnavailable"
)

// applicationError wraps a client error as errType. details travel to the workflow
// (ApplicationError.Details) for errors it acts on.
func applicationError(errType string, retryable bool, retryAfter time.Duration, cause error, details ...any) error {
	return temporal.NewApplicationErrorWithOptions(cause.Error(), errType, temporal.ApplicationErrorOptions{
		NonRetryable:   !retryable,
		NextRetryDelay: retryAfter,
		Cause:          cause,
		Details:        details,
	})
}
