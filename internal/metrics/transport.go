package metrics

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Transport counts and times every request next makes to api, and counts its 429s. It sees every
// attempt, so a retried call counts once per attempt, as the API's rate limit does.
func Transport(api string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{api: api, next: next}
}

type roundTripper struct {
	api  string
	next http.RoundTripper
}

func (t roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := t.next.RoundTrip(req)
	op := Operation(req.Method, req.URL.Path)
	apiDuration.WithLabelValues(t.api, op).Observe(time.Since(start).Seconds())
	class := "error"
	if err == nil {
		class = strconv.Itoa(res.StatusCode/100) + "xx"
		if res.StatusCode == http.StatusTooManyRequests {
			apiRateLimited.WithLabelValues(t.api).Inc()
		}
	}
	apiRequests.WithLabelValues(t.api, op, class).Inc()
	return res, err
}

// staticSegment is a path segment that names a resource rather than identifying one: lowercase words
// and API versions. Anything else (numeric ids, escaped emails) becomes {id}, so the operation label
// stays bounded.
var staticSegment = regexp.MustCompile(`^([a-z][a-z_]*|v[0-9]+)$`)

// Operation is the operation label of a request: its method and path with ids masked, e.g.
// "POST /v5/persons/{id}/shareables".
func Operation(method, path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s != "" && !staticSegment.MatchString(s) {
			segs[i] = "{id}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}
