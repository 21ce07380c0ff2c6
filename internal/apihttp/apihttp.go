// Package apihttp is the one HTTP discipline of the bridge's API clients (internal/extole,
// internal/hubspot): the same default timeout, response size limit, metrics, and the same failures — a
// *Failure that says whether the caller's context ended and whose text never holds the URL's host or
// query (a lookup by email carries the address there). Each client keeps its own clock (for
// Retry-After) and turns answers into its own typed errors.
package apihttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hubspot-extole/bridge/internal/metrics"
)

// DefaultTimeout bounds one exchange when the caller gives no http.Client.
const DefaultTimeout = 30 * time.Second

// MaxResponseBytes bounds how much of an answer is read: a 100-record HubSpot batch with all properties
// is well under a megabyte, so this only protects against a runaway body.
const MaxResponseBytes = 16 << 20

// NewClient returns a copy of hc (nil: a client with DefaultTimeout) whose requests are counted in the
// bridge_api_* metrics under api. hc itself is left as it was.
func NewClient(api string, hc *http.Client) *http.Client {
	c := &http.Client{Timeout: DefaultTimeout}
	if hc != nil {
		c2 := *hc
		c = &c2
	}
	c.Transport = metrics.Transport(api, c.Transport)
	return c
}

// Failure is an exchange that produced no usable answer: no response, or a body that could not be read.
type Failure struct {
	Method string
	Path   string // without the query
	Status int    // the answer's status when its body could not be read, else 0
	// ContextEnded is true when the caller's context was cancelled or expired: not the API's failure,
	// and not to be retried as one.
	ContextEnded bool
	Err          error // the cause, without the URL
}

func (f *Failure) Error() string {
	if f.ContextEnded {
		return fmt.Sprintf("%s %s: request ended: %v", f.Method, f.Path, f.Err)
	}
	return fmt.Sprintf("%s %s: %v", f.Method, f.Path, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// Do sends req with hc and returns the answer with its body (at most MaxResponseBytes, already closed),
// or a *Failure.
func Do(hc *http.Client, req *http.Request) (*http.Response, []byte, error) {
	fail := func(status int, err error) error {
		f := &Failure{Method: req.Method, Path: req.URL.Path, Status: status, Err: StripURL(err)}
		if ctxErr := req.Context().Err(); ctxErr != nil {
			f.ContextEnded, f.Err = true, ctxErr
		}
		return f
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, nil, fail(0, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, MaxResponseBytes))
	if err != nil {
		return nil, nil, fail(res.StatusCode, fmt.Errorf("reading response: %w", err))
	}
	return res, raw, nil
}

// AsFailure returns err's *Failure, if it has one.
func AsFailure(err error) (*Failure, bool) {
	var f *Failure
	ok := errors.As(err, &f)
	return f, ok
}

// StripURL drops the request URL from a *url.Error's text, keeping the cause. The token is a header,
// never in the URL, so it cannot leak here either way.
func StripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
