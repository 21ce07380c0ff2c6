package extolesim

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// postWithRetries posts body as JSON to url until the answer is 2xx or attempts (0 = 5, Extole's
// documented retries) run out, sleeping wait before the first retry and doubling it each time, as
// Extole retries its webhooks. It returns the attempts made and the last answer's status (0 = none).
func postWithRetries(hc *http.Client, url string, body []byte, header http.Header, attempts int, wait time.Duration) (tries, status int) {
	if attempts <= 0 {
		attempts = 5
	}
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	for tries < attempts {
		if tries > 0 {
			time.Sleep(wait)
			wait *= 2
		}
		tries++
		if status = post(hc, url, body, header); delivered(status) {
			break
		}
	}
	return tries, status
}

func delivered(status int) bool { return status >= 200 && status < 300 }

// post returns the answer's status, 0 when there was none.
func post(hc *http.Client, url string, body []byte, header http.Header) int {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}
