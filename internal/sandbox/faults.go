package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Faults injects failures into a simulated API. The zero value injects nothing.
//
// Injected answers carry the realistic error body of that API for the status
// (see the writeInjectedLocked methods) and are never applied:
// the request has no side effect and does not count against any rate limit.
type Faults struct {
	ErrorRate   float64 `json:"error_rate"`   // probability in [0,1] that a request is answered with ErrorStatus
	ErrorStatus int     `json:"error_status"` // default 503
	// RateLimitRate is the probability, besides ErrorRate, that a request is answered 429 (an API that
	// fails and sheds load at the same time).
	RateLimitRate float64 `json:"rate_limit_rate"`
	LatencyMS     int     `json:"latency_ms"`   // added before answering every API request (honours r.Context() cancellation)
	ForceStatus   int     `json:"force_status"` // answer the next ForceCount API requests with this status
	ForceCount    int     `json:"force_count"`  // 0 with ForceStatus set = every request until faults are changed
	RetryAfter    string  `json:"retry_after"`  // if set, Retry-After header on injected answers
	PathPrefix    string  `json:"path_prefix"`  // only requests whose path has this prefix are affected ("" = all)
}

// validate reports a configuration that cannot be honoured.
func (f Faults) validate() error {
	if f.ErrorRate < 0 || f.ErrorRate > 1 {
		return fmt.Errorf("error_rate must be within [0,1], got %v", f.ErrorRate)
	}
	if f.RateLimitRate < 0 || f.ErrorRate+f.RateLimitRate > 1 {
		return fmt.Errorf("rate_limit_rate must be within [0,1-error_rate], got %v", f.RateLimitRate)
	}
	if f.ErrorStatus != 0 && (f.ErrorStatus < 100 || f.ErrorStatus > 599) {
		return fmt.Errorf("error_status must be an HTTP status, got %d", f.ErrorStatus)
	}
	if f.ForceStatus != 0 && (f.ForceStatus < 100 || f.ForceStatus > 599) {
		return fmt.Errorf("force_status must be an HTTP status, got %d", f.ForceStatus)
	}
	if f.ForceCount < 0 || f.LatencyMS < 0 {
		return errors.New("force_count and latency_ms must not be negative")
	}
	return nil
}

// RequestRecord is one API request as a fake answered it.
type RequestRecord struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Status is the HTTP status sent. StatusClientClosedRequest (499) means the
	// client gave up while injected latency was running and nothing was sent.
	Status int `json:"status"`
	// Code is the API's error code (Extole "code", HubSpot "category", or the
	// HubSpot policyName for a 429), or a short marker such as "duplicate";
	// "" for a plain success.
	Code string `json:"code,omitempty"`
	// Injected is true when the answer came from Faults rather than the API logic.
	Injected bool      `json:"injected,omitempty"`
	At       time.Time `json:"at"` // when the request arrived, per the fake's clock
}

// StatusClientClosedRequest is recorded for requests whose context ended while
// the fake was adding injected latency. The number is nginx's convention; it is
// never written to the wire because the client has already gone.
const StatusClientClosedRequest = 499

// FaultState is the active Faults plus the bookkeeping they need. It is only
// touched under the owning fake's mutex.
type FaultState struct {
	f         Faults
	remaining int // forced answers left; -1 = unlimited
}

// Current returns the active faults.
func (s *FaultState) Current() Faults { return s.f }

// Set replaces the active faults; Faults{} clears them.
func (s *FaultState) Set(f Faults) {
	s.f = f
	switch {
	case f.ForceStatus == 0:
		s.remaining = 0
	case f.ForceCount > 0:
		s.remaining = f.ForceCount
	default:
		s.remaining = -1
	}
}

// Decide returns the status to inject for a request to path (0 = answer
// normally) and the latency to add first. A forced status is consumed before
// the error rate is rolled, so "force 2 then 10% errors" behaves as expected.
func (s *FaultState) Decide(path string, rnd *rand.Rand) (status int, latency time.Duration) {
	if s.f.PathPrefix != "" && !strings.HasPrefix(path, s.f.PathPrefix) {
		return 0, 0
	}
	latency = time.Duration(s.f.LatencyMS) * time.Millisecond
	if s.f.ForceStatus != 0 && s.remaining != 0 {
		if s.remaining > 0 {
			s.remaining--
		}
		return s.f.ForceStatus, latency
	}
	if s.f.ErrorRate == 0 && s.f.RateLimitRate == 0 {
		return 0, latency
	}
	switch roll := rnd.Float64(); {
	case roll < s.f.ErrorRate:
		status = s.f.ErrorStatus
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		return status, latency
	case roll < s.f.ErrorRate+s.f.RateLimitRate:
		return http.StatusTooManyRequests, latency
	}
	return 0, latency
}

// SleepCtx waits for d or until ctx ends; it reports whether the full delay
// elapsed. Latency is real wall-clock time even when a fake runs on an
// injected clock, because its purpose is to exercise client timeouts.
func SleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Recorder captures what a handler answered so it can be logged.
type Recorder struct {
	http.ResponseWriter
	status int
	// Code is what the request log records as the API's error code.
	Code string
}

func (w *Recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *Recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *Recorder) FinalStatus() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// MaxBodyBytes bounds what a fake reads from one request.
const MaxBodyBytes = 16 << 20

// MarshalJSON encodes v without HTML escaping: both real APIs send "<", ">"
// and "&" literally, and HubSpot embeds JSON inside error messages.
func MarshalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only reachable with unsupported types, i.e. a bug in this package.
		panic(fmt.Sprintf("sandbox: cannot encode %T: %v", v, err))
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// JSONScalarString returns a JSON string, or the text of a number or boolean
// (Jackson coerces scalars into String fields). ok=false for objects and
// arrays; "" with ok=true for null or absent.
func JSONScalarString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return "", false
		}
		return s, true
	case '{', '[':
		return "", false
	}
	return string(raw), true
}

// WriteJSON answers status with v as the body.
func WriteJSON(w http.ResponseWriter, contentType string, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(MarshalJSON(v))
}

// AdminState is what the shared admin endpoints need from a fake.
type AdminState interface {
	SetFaults(Faults)
	CurrentFaults() Faults
	Requests() []RequestRecord
	Reset()
}

// AdminContentType is the content type of /_sandbox/ answers.
const AdminContentType = "application/json"

// ServeAdmin answers a request under /_sandbox/: the endpoints both
// fakes share (requests, faults, reset) and, through extra, the fake-specific
// GET endpoints (by name after /_sandbox/; extra returns nil for an unknown name).
func ServeAdmin(w http.ResponseWriter, r *http.Request, s AdminState, extra func(name string) any) {
	name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/_sandbox"), "/")
	methodNotAllowed := func(allowed string) {
		w.Header().Set("Allow", allowed)
		WriteJSON(w, AdminContentType, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed; use " + allowed})
	}
	switch name {
	case "requests":
		if r.Method != http.MethodGet {
			methodNotAllowed(http.MethodGet)
			return
		}
		WriteJSON(w, AdminContentType, http.StatusOK, map[string]any{"requests": s.Requests()})
	case "faults":
		switch r.Method {
		case http.MethodGet:
			WriteJSON(w, AdminContentType, http.StatusOK, s.CurrentFaults())
		case http.MethodPut:
			var f Faults
			body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes))
			if err == nil && len(bytes.TrimSpace(body)) > 0 {
				dec := json.NewDecoder(bytes.NewReader(body))
				dec.DisallowUnknownFields() // a typo must not silently inject nothing
				err = dec.Decode(&f)
			}
			if err == nil {
				err = f.validate()
			}
			if err != nil {
				WriteJSON(w, AdminContentType, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
			s.SetFaults(f)
			WriteJSON(w, AdminContentType, http.StatusOK, s.CurrentFaults())
		default:
			methodNotAllowed("GET, PUT")
		}
	case "reset":
		if r.Method != http.MethodPost {
			methodNotAllowed(http.MethodPost)
			return
		}
		s.Reset()
		WriteJSON(w, AdminContentType, http.StatusOK, map[string]bool{"reset": true})
	default:
		v := extra(name)
		if v == nil {
			WriteJSON(w, AdminContentType, http.StatusNotFound, map[string]string{"error": "unknown sandbox endpoint " + r.URL.Path})
			return
		}
		if r.Method != http.MethodGet {
			methodNotAllowed(http.MethodGet)
			return
		}
		WriteJSON(w, AdminContentType, http.StatusOK, v)
	}
}

// IsAdminPath reports whether p is under /_sandbox/.
func IsAdminPath(p string) bool {
	return p == "/_sandbox" || strings.HasPrefix(p, "/_sandbox/")
}

// IsValidEmail is the address check both fakes apply. It is deliberately
// simple (one "@", non-empty local part, dotted domain, no spaces): enough to
// reject what HubSpot rejects as INVALID_EMAIL and Extole as invalid_key_value
// in practice, without pretending to implement RFC 5322.
func IsValidEmail(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n<>(),;:\"[]\\") {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return false
		}
	}
	return true
}

// NewRand returns r, or a deterministically seeded generator when r is nil,
// so two runs of the same test see the same ids and the same injected errors.
func NewRand(r *rand.Rand, seed uint64) *rand.Rand {
	if r != nil {
		return r
	}
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
