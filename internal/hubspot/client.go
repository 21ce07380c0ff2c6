// Package hubspot is a typed client for the parts of the HubSpot CRM API the bridge calls (contacts,
// search, properties, deals, associations, custom events). The check of HubSpot's inbound webhook
// signatures is not here but in internal/webhook/hubspotsig, next to the endpoints that use it.
//
// Every failed call returns a *Error whose Kind says, once and for all, whether the failure is worth
// retrying and how long to wait (Error.RetryAfter); callers never look at HTTP statuses. The only other
// errors are context errors, returned when the caller's context is cancelled or expires.
//
// The API behaviour it relies on is in docs/hubspot-api.md, with its public sources; comments cite its
// sections.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/apihttp"
	"github.com/hubspot-extole/bridge/internal/metrics"
)

// Client calls the HubSpot API with a private-app (or OAuth) access token. It is safe for concurrent use.
type Client struct {
	baseURL string
	token   string
	http    *http.Client
	now     func() time.Time // clock for HTTP-date Retry-After and the DAILY reset wait
}

// New returns a client for baseURL (config's HUBSPOT_BASE_URL or a sandbox URL) authenticating with token
// as "Authorization: Bearer <token>" (docs/hubspot-api.md#authentication). A nil hc means a client with
// apihttp.DefaultTimeout; a timeout surfaces as a KindTransient error. Either way its requests are
// counted in the bridge_api_* metrics.
func New(baseURL, token string, hc *http.Client) *Client {
	return &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		token:   token,
		http:    apihttp.NewClient(metrics.APIHubSpot, hc),
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
		return 0, invalidInput("building request: %v", apihttp.StripURL(err))
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, raw, err := apihttp.Do(c.http, req)
	if err != nil {
		f, _ := apihttp.AsFailure(err)
		if f.ContextEnded {
			// The caller gave up (activity cancelled or its deadline passed): not HubSpot's failure.
			return 0, fmt.Errorf("hubspot: %w", err)
		}
		// Connection failures, the http.Client's own timeout, an unreadable body: nothing was learnt
		// about the input.
		return 0, transientError(f.Status, "network error: "+err.Error(), err)
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
