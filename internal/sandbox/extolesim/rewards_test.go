package extolesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

func TestExtoleListRewards(t *testing.T) {
	clock := simtest.NewClock()
	e, base := newExtoleServer(t, Options{Now: clock.Now})
	a := e.CreateReward("a@example.com", "", 10, "USD")
	clock.Advance(time.Hour)
	b := e.CreateReward("b@example.com", "U-2", 20, "USD")
	clock.Advance(time.Hour)
	_, err := e.AdvanceReward(a.RewardID, "fulfilled")
	require.NoError(t, err)
	clock.Advance(time.Hour)

	ids := func(path string) []string {
		r := ex(t, base, http.MethodGet, path, nil)
		require.Equal(t, 200, r.Status, "%s: %s", path, r.Body)
		var out []string
		for _, m := range r.Array(t) {
			out = append(out, m["reward_id"].(string))
		}
		return out
	}
	tests := []struct {
		name, path string
		want       []string
	}{
		{"success_only by default: fulfilled only", "/v2/rewards", []string{a.RewardID}},
		{"every state, by last change", "/v2/rewards?success_only=false", []string{b.RewardID, a.RewardID}},
		{"paged", "/v2/rewards?success_only=false&limit=1&offset=1", []string{a.RewardID}},
		{"by person", "/v2/rewards?success_only=false&person_id=" + b.PersonID, []string{b.RewardID}},
		{"by state", "/v2/rewards?success_only=false&state=EARNED", []string{b.RewardID}},
		{"start/end", "/v2/rewards?success_only=false&time_interval=2025-03-14T12:30:00Z/2025-03-14T13:30:00Z", []string{b.RewardID}},
		{"duration ending now", "/v2/rewards?success_only=false&time_interval=PT90M", []string{a.RewardID}},
		{"start/duration", "/v2/rewards?success_only=false&time_interval=2025-03-14T11:00:00Z/P1D", []string{b.RewardID, a.RewardID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ids(tt.path))
		})
	}

	one := ex(t, base, http.MethodGet, "/v2/rewards/"+b.RewardID, nil).JSON(t)
	assert.Equal(t, "U-2", one["partner_user_id"])
	assert.InDelta(t, 20, one["face_value"], 0, "face_value is a JSON number")
	for path, code := range map[string]string{
		"/v2/rewards/nope":                          "reward_not_found",
		"/v2/rewards?time_interval=last-week":       "time_interval_invalid",
		"/v2/rewards?state=LOST":                    "reward_state_invalid",
		"/v2/rewards?time_interval=P1D/P2D":         "time_interval_invalid",
		"/v2/rewards?limit=2000&success_only=false": "max_fetch_size_1000",
	} {
		r := ex(t, base, http.MethodGet, path, nil)
		assert.Equal(t, 400, r.Status, path)
		assert.Equal(t, code, r.JSON(t)["code"], path)
	}
}

// rewardReceiver records the reward webhooks it gets; the first failFirst answers are 503.
type rewardReceiver struct {
	mu        sync.Mutex
	bodies    []map[string]any
	failFirst int
}

func (r *rewardReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	m := hmac.New(sha256.New, []byte("sk"))
	m.Write(body)
	if req.Header.Get("X-Extole-Signature") != hex.EncodeToString(m.Sum(nil)) || req.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failFirst > 0 {
		r.failFirst--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var v map[string]any
	_ = json.Unmarshal(body, &v)
	r.bodies = append(r.bodies, v)
}

func TestExtoleRewardWebhooks(t *testing.T) {
	rcv := &rewardReceiver{failFirst: 1}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	e := New(Options{})
	e.SetRewardWebhook(RewardWebhook{URL: srv.URL, Token: "tok", SigningKey: "sk", Hold: true, Duplicate: true, RetryAfter: time.Millisecond})

	r := e.CreateReward("jane@example.com", "", 50, "USD")
	e.DropNextRewardWebhook()
	_, err := e.AdvanceReward(r.RewardID, "SENT")
	require.NoError(t, err)
	_, err = e.AdvanceReward(r.RewardID, "REDEEMED")
	require.NoError(t, err)
	e.FlushRewardWebhooks(true)

	require.Len(t, rcv.bodies, 4, "two webhooks (one dropped), each delivered twice, the refused attempt retried")
	types := map[string]int{}
	for _, b := range rcv.bodies {
		types[b["type"].(string)]++
		assert.Equal(t, r.PersonID, b["person_id"])
		assert.Len(t, b["event_id"], 20)
	}
	assert.Equal(t, map[string]int{"reward_earned": 2, "reward_redeemed": 2}, types)
	var dropped []RewardWebhookDelivery
	for _, d := range e.RewardWebhookDeliveries() {
		if d.Dropped {
			dropped = append(dropped, d)
		}
	}
	require.Len(t, dropped, 1)
	assert.Equal(t, "reward_sent", dropped[0].Type)
}
