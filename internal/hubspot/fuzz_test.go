package hubspot

import (
	"net/http"
	"testing"
	"time"
)

// FuzzErrorFromResponse: any status, body and Retry-After give a classified error that renders, never
// a panic; the classification follows the status alone.
func FuzzErrorFromResponse(f *testing.F) {
	f.Add(400, []byte(`{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"x\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"x\"}]","correlationId":"c-1","category":"VALIDATION_ERROR"}`), "")
	f.Add(429, []byte(`{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`), "")
	f.Add(409, []byte(`{"message":"Contact already exists. Existing ID: 123","category":"CONFLICT"}`), "")
	f.Add(503, []byte(`<html>bad gateway</html>`), "Wed, 21 Oct 2026 07:28:00 GMT")
	f.Add(477, []byte(``), "99999999999999999999")
	f.Add(0, []byte(`{"message":"Property values were not valid: []"}`), "-1")
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		e := errorFromResponse(status, h, body, now)
		if e.Kind != kindForStatus(status) {
			t.Fatalf("status %d: kind %v, want %v", status, e.Kind, kindForStatus(status))
		}
		switch e.Kind {
		case KindRateLimited, KindTransient, KindAuth, KindConflict, KindNotFound, KindInvalid:
		default:
			t.Fatalf("unclassified: %v", e.Kind)
		}
		if e.Message == "" || e.Error() == "" || e.RetryAfter < 0 {
			t.Fatalf("error %#v", e)
		}
	})
}
