// Package extole is a typed client for the parts of Extole's server API the bridge uses: events
// (POST /v5/events) and, for the backfill, persons and shareables. Every failure is an *Error whose Kind
// tells the caller whether and when to retry.
package extole

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/apihttp"
	"github.com/hubspot-extole/bridge/internal/metrics"
	"github.com/hubspot-extole/bridge/internal/retryafter"
)

// Client calls Extole with a server access token. It is safe for concurrent use.
type Client struct {
	baseURL string
	token   string
	http    *http.Client
	now     func() time.Time // clock for HTTP-date Retry-After
}

// New returns a client for baseURL (e.g. https://api.extole.io). A nil hc means a client with
// apihttp.DefaultTimeout; either way its requests are counted in the bridge_api_* metrics.
func New(baseURL, token string, hc *http.Client) *Client {
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), token: token, http: apihttp.NewClient(metrics.APIExtole, hc), now: time.Now}
}

// Event is the body of POST /v5/events. Data values are kept as raw JSON so that whatever the sender
// wrote (strings, numbers, nested objects) reaches Extole byte for byte.
type Event struct {
	Name      string                     `json:"event_name"`
	EventTime string                     `json:"event_time,omitempty"`
	Data      map[string]json.RawMessage `json:"data"`
}

// SendEvent submits one event and returns Extole's id for it. Extole de-duplicates on
// data.partner_conversion_id (first wins), so a repeated call for the same conversion is harmless.
func (c *Client) SendEvent(ctx context.Context, ev Event) (string, error) {
	var resp struct {
		// /v5/events answers {"id": …}; older guides show polling_id or input_event_id and /v6 event_id
		// (docs/extole-api.md#events-api): accept whichever is present.
		ID           string `json:"id"`
		EventID      string `json:"event_id"`
		PollingID    string `json:"polling_id"`
		InputEventID string `json:"input_event_id"`
	}
	status, err := c.do(ctx, http.MethodPost, "/v5/events", ev, &resp)
	if err != nil {
		return "", err
	}
	if status == http.StatusNoContent {
		// A 204 with no body means the request never reached the Events API (wrong host): an operator
		// must fix EXTOLE_BASE_URL, so it is retried like an auth failure rather than dropped.
		return "", &Error{Kind: KindAuth, Status: status, Code: "invalid_program_domain",
			Message: "204 No Content: EXTOLE_BASE_URL does not point at the Extole API"}
	}
	for _, id := range []string{resp.ID, resp.EventID, resp.PollingID, resp.InputEventID} {
		if id != "" {
			return id, nil
		}
	}
	return "", nil
}

// do sends a JSON request and decodes a 2xx JSON answer into out. Any other answer becomes an *Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, &Error{Kind: KindInvalid, Code: "marshal", Message: err.Error(), cause: err}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return 0, &Error{Kind: KindInvalid, Code: "request", Message: apihttp.StripURL(err).Error(), cause: err}
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, raw, err := apihttp.Do(c.http, req)
	if err != nil {
		f, _ := apihttp.AsFailure(err)
		if f.ContextEnded {
			return 0, fmt.Errorf("extole: %w", err)
		}
		return 0, &Error{Kind: KindTransient, cause: err}
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if out != nil && len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, out); err != nil {
				return res.StatusCode, &Error{Kind: KindTransient, Status: res.StatusCode, Code: "bad_response",
					Message: fmt.Sprintf("undecodable success body: %v", err), cause: err}
			}
		}
		return res.StatusCode, nil
	}
	return res.StatusCode, errorFrom(res, raw, c.now())
}

// errorFrom builds the typed error from an error answer. An unparseable body (a proxy's HTML page, say)
// still yields a typed error from the status code alone.
func errorFrom(res *http.Response, raw []byte, now time.Time) *Error {
	var body struct {
		UniqueID   json.RawMessage `json:"unique_id"`
		Code       string          `json:"code"`
		Message    string          `json:"message"`
		Parameters map[string]any  `json:"parameters"`
	}
	_ = json.Unmarshal(raw, &body)
	e := &Error{
		Status:     res.StatusCode,
		Code:       body.Code,
		Message:    body.Message,
		UniqueID:   strings.ToValidUTF8(strings.Trim(string(body.UniqueID), `"`), "\uFFFD"),
		Parameters: body.Parameters,
	}
	if e.Message == "" {
		// A non-JSON body (a proxy's error page) may be in any charset; the message ends up in workflow
		// history, which holds only valid UTF-8.
		e.Message = strings.ToValidUTF8(strings.TrimSpace(string(raw)), "\uFFFD")
		if len(e.Message) > 200 {
			e.Message = strings.ToValidUTF8(e.Message[:200], "") + "…" // drop a rune cut in half
		}
		if e.Message == "" {
			e.Message = http.StatusText(res.StatusCode)
		}
	}
	if e.Code == "" {
		e.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(res.StatusCode), " ", "_"))
	}
	e.Kind = classify(res.StatusCode, e.Code)
	if d, ok := retryafter.Parse(res.Header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	return e
}
