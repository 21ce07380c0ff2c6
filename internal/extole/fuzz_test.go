package extole

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzErrorFrom: any status, body and Retry-After give a classified error that renders, never a panic.
// The message stays valid UTF-8 when the body is: it ends up in a Temporal failure, a protobuf string.
func FuzzErrorFrom(f *testing.F) {
	f.Add(403, []byte(`{"unique_id":"6941049359794271324","http_status_code":403,"code":"missing_access_token","message":"Missing access_token","parameters":{}}`), "")
	f.Add(400, []byte(`{"unique_id":123,"code":"missing_event_name","message":"event_name is required","parameters":{"a":[1]}}`), "")
	f.Add(429, []byte(`{"code":"too_many_requests"}`), "2")
	f.Add(502, []byte(`<p>proxy `+strings.Repeat("é", 150)), "Wed, 21 Oct 2026 07:28:00 GMT")
	f.Add(403, []byte(`{"code":"person_not_found"}`), "-5")
	f.Add(0, []byte(``), "")
	f.Add(502, []byte("<p>Fehler: Zugriff verweigert \xe4\xf6\xfc"), "") // Latin-1 error page
	f.Add(400, []byte("{\"unique_id\":\"\xff1\",\"code\":\"x\"}"), "")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter string) {
		res := &http.Response{StatusCode: status, Header: http.Header{}}
		res.Header.Set("Retry-After", retryAfter)
		e := errorFrom(res, body, time.Now())
		if e.Kind != classify(status, e.Code) {
			t.Fatalf("status %d code %q: kind %v, want %v", status, e.Code, e.Kind, classify(status, e.Code))
		}
		switch e.Kind {
		case KindTransient, KindRateLimited, KindAuth, KindNotFound, KindInvalid:
		default:
			t.Fatalf("unclassified: %v", e.Kind)
		}
		if e.Error() == "" || e.RetryAfter < 0 {
			t.Fatalf("error %#v", e)
		}
		if !utf8.ValidString(e.Message) || !utf8.ValidString(e.UniqueID) {
			t.Fatalf("message %q / unique id %q is not valid UTF-8 (workflow history refuses it)", e.Message, e.UniqueID)
		}
	})
}
