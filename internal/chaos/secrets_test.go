package chaos

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// noSecretInLogs drives the traffic most likely to leak a credential (the webhook key in the query string,
// wrong keys, bearers and signatures, API auth failures and rejections) and then looks for every secret's
// value in everything every process wrote, at LOG_LEVEL=debug, over the whole chaos run.
func noSecretInLogs(t *testing.T, s *system) {
	key := secrets["HUBSPOT_WEBHOOK_API_KEY"]
	withQueryKey := s.hubspotEvent("signed_up", "secret-query")
	withQueryKey.Header.Del("X-API-Key")
	withQueryKey.URL.RawQuery = "X-API-Key=" + key
	wrongKey := s.hubspotEvent("signed_up", "secret-wrong-key")
	wrongKey.Header.Set("X-API-Key", key+"x")
	badV3 := s.hubspotEvent("signed_up", "secret-bad-v3")
	badV3.Header.Set("X-HubSpot-Signature-v3", "bm90IGEgc2lnbmF0dXJl")
	badV3.Header.Set("X-HubSpot-Request-Timestamp", strconv.FormatInt(time.Now().UnixMilli(), 10))
	wrongBearer := s.shareLink("secret-bearer@example.com", "secretbearer")
	wrongBearer.Header.Set("Authorization", "Bearer "+secrets["EXTOLE_WEBHOOK_TOKEN"]+"x")
	badHMAC := s.shareLink("secret-hmac@example.com", "secrethmac")
	badHMAC.Header.Set("X-Extole-Signature", strings.Repeat("0", 64))
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"API key in the query string", withQueryKey, http.StatusAccepted},
		{"wrong API key", wrongKey, http.StatusUnauthorized},
		{"v3 signature that does not verify", badV3, http.StatusUnauthorized},
		{"wrong Extole bearer", wrongBearer, http.StatusUnauthorized},
		{"Extole HMAC mismatch", badHMAC, http.StatusUnauthorized},
	}
	// API errors: the next calls fail authentication at both APIs, then succeed.
	s.setFaults(t, map[string]any{"force_status": 401, "force_count": 2, "path_prefix": "/v5/events"},
		map[string]any{"force_status": 401, "force_count": 2, "path_prefix": "/crm/v3/objects/contacts"})
	for _, tt := range tests {
		res, err := http.DefaultClient.Do(tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("%s: answered %d, want %d", tt.name, res.StatusCode, tt.want)
		}
	}
	snd := newSender(time.Minute)
	sendLinks(s, snd, []string{"secret-link@example.com"}, 1)
	sendEvents(s, snd, []string{"secret-event"}, 1)
	if err := waitFor(time.Minute, "the events past the auth failures", func() bool {
		got, contacts := s.extoleEvents(t), s.hubspotContacts(t)
		return got["secret-query"] == 1 && got["secret-event"] == 1 && len(contacts["secret-link@example.com"]) == 1
	}); err != nil {
		t.Error(err)
	}
	s.setFaults(t, nil, nil)

	outs := s.outputs()
	if !strings.Contains(outs["worker"], `"level":"debug"`) {
		t.Errorf("the worker wrote no debug line: the scan would prove nothing")
	}
	for proc, out := range outs {
		for name, v := range secrets {
			if i := strings.Index(out, v); i >= 0 {
				t.Errorf("%s of process %q appears in its output: …%s…", name, proc, out[max(i-200, 0):i])
			}
		}
	}
}
