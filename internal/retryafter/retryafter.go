// Package retryafter parses the HTTP Retry-After header, which both HubSpot and Extole may send.
package retryafter

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Parse returns the wait a Retry-After value asks for: delay-seconds or an HTTP-date
// (https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3).
// ok is false when the header is absent or unparseable; a date in the past yields 0 with ok true.
func Parse(value string, now time.Time) (d time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(value, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(value); err == nil {
		if t.Before(now) {
			return 0, true
		}
		return t.Sub(now), true
	}
	return 0, false
}
