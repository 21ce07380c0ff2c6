package extole

import (
	"errors"
	"fmt"
	"time"
)

// Kind says what a caller should do about a failed Extole call. It is decided once, here, from the
// status code and Extole's error code; activities map it to a Temporal retry decision without ever
// looking at an HTTP status themselves.
type Kind int

const (
	// KindTransient: 5xx, network errors and timeouts. Retry with backoff.
	KindTransient Kind = iota
	// KindRateLimited: 429 too_many_requests. Retry after RetryAfter (or backoff when Extole sent none;
	// it documents no Retry-After header).
	KindRateLimited
	// KindAuth: 401/403 token problems, and a 204 from a host that is not the Events API. Nothing the
	// input can fix, but an operator can: retry with a capped backoff so a fixed token or URL drains the
	// backlog and no event is lost.
	KindAuth
	// KindNotFound: the addressed resource does not exist (404, 403 person_not_found).
	KindNotFound
	// KindInvalid: the request itself is wrong (400, 402, 415 and other 4xx). Retrying cannot help.
	KindInvalid
)

func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindRateLimited:
		return "rate_limited"
	case KindAuth:
		return "auth"
	case KindNotFound:
		return "not_found"
	case KindInvalid:
		return "invalid"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is every failure the client returns, other than context cancellation. Fields come from Extole's
// error body {"unique_id","http_status_code","code","message","parameters"} (docs/extole-api.md#errors).
type Error struct {
	Kind       Kind
	Status     int    // 0 for network errors
	Code       string // Extole's error code, e.g. "missing_event_name"
	Message    string // Extole's message
	UniqueID   string // Extole's unique_id, quote it to Extole support
	Parameters map[string]any
	RetryAfter time.Duration // from a Retry-After header; 0 when absent
	cause      error
}

func (e *Error) Error() string {
	if e.Status == 0 && e.cause != nil {
		return fmt.Sprintf("extole: %s: %v", e.Kind, e.cause)
	}
	msg := fmt.Sprintf("extole: %d %s: %s", e.Status, e.Code, e.Message)
	if e.UniqueID != "" {
		msg += " (unique_id " + e.UniqueID + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.cause }

// Retryable reports whether the same call may succeed later without changing the input.
func (e *Error) Retryable() bool { return e.Kind != KindInvalid && e.Kind != KindNotFound }

// AsError finds an *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// classify maps a non-2xx answer to a Kind (docs/extole-api.md#authentication, #errors; retry guidance in
// common-errors: 429 and 5xx retryable, 400/402/415 not).
func classify(status int, code string) Kind {
	switch {
	case status == 429:
		return KindRateLimited
	case status >= 500:
		return KindTransient
	case status == 404 || code == "person_not_found" || code == "shareable_not_found":
		return KindNotFound
	case status == 401 || status == 403:
		return KindAuth
	case status == 408:
		return KindTransient
	default:
		return KindInvalid
	}
}
