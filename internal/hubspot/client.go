// Package hubspot is a typed client for the parts of the HubSpot CRM v3 API the bridge uses (contacts,
// search, properties) and the verifiers of HubSpot's webhook request signatures.
//
// Every failed call returns a *Error whose Kind says, once and for all, whether the failure is worth
// retrying and how long to wait (Error.RetryAfter); callers never look at HTTP statuses. The only other
// errors are context errors, returned when the caller's context is cancelled or expires.
//
// Behaviour is taken from /work/shared/reference/hubspot.md; comments cite its sections (§n).
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is HubSpot's API host (§ "Base URL").
const DefaultBaseURL = "https://api.hubapi.com"

// maxResponseBytes bounds how much of a response body is read: a 100-record batch with all properties
// is well under a megabyte, so this only protects against a runaway body.
const maxResponseBytes = 16 << 20

// Client calls the HubSpot API with a private-app (or OAuth) access token. It is safe for concurrent use.
type Client struct {
	baseURL string
	token   string
	http    *http.Client
	now     func() time.Time // clock for HTTP-date Retry-After and the DAILY reset wait
}

// New returns a client for baseURL (e.g. DefaultBaseURL or a sandbox URL) authenticating with token as
// "Authorization: Bearer <token>" (§5). A nil hc means an http.Client with a 30 s timeout; a timeout
// surfaces as a KindTransient error.
func New(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		token:   token,
		http:    hc,
		now:     time.Now,
	}
}

// do sends one request and decodes a 2xx JSON body into out (when non-nil). It returns the HTTP status
// of a successful call (callers need it to tell 200 from 207), a *Error for a failed one, or a context
// error when ctx ended. path must already be escaped.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, invalidInput("encoding request body: %v", err)
		}
		body = bytes.NewReader(b)
	}
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, invalidInput("building request: %v", stripURL(err))
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The caller gave up (activity cancelled or its deadline passed): not HubSpot's failure.
			return 0, fmt.Errorf("hubspot: %s request ended: %w", method, ctxErr)
		}
		// Connection failures and the http.Client's own timeout: nothing was learnt about the input.
		return 0, transientError(0, "network error: "+stripURL(err).Error(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, fmt.Errorf("hubspot: %s request ended: %w", method, ctxErr)
		}
		return 0, transientError(resp.StatusCode, "reading response: "+stripURL(err).Error(), err)
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, errorFromResponse(resp.StatusCode, resp.Header, raw, c.now())
	}
	if out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.Unmarshal(raw, out); err != nil {
			// A success status with a body we cannot read is most likely a truncated response; the
			// call may or may not have taken effect, and every write here is idempotent, so retry.
			return resp.StatusCode, transientError(resp.StatusCode, "decoding response: "+err.Error(), err)
		}
	}
	return resp.StatusCode, nil
}

// stripURL drops the request URL from a *url.Error's text: the URL of a get-by-email carries the email,
// which does not belong in logs. The token is never in the URL (it is a header), so it cannot leak here.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
