package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
)

// rewardSample is the body of Extole's signature example, byte for byte (one space after "person_id":).
const rewardSample = `{"type":"reward_earned","event_id":"qb3jju459ugjr2aojk5e","event_time":"2020-05-29T14:14:18.548Z","reward_id":"bf67905b4e1b41daf39c30f0","reward_supplier_name":"Advocate Account Credit","reward_supplier_id":"701e681a9e46c8b6778f3452","partner_reward_supplier_id":"Advocate Account Credit","reward_supplier_type":"CUSTOM_REWARD","person_id": "6816411215104951917","partner_user_id":"1036950000","face_value":50,"face_value_type":"USD","message":null,"schema_version":1}`

func TestParseRewardBodies(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		body     string
		want     workflows.RewardChange
		complete bool
	}{
		{"flat body of the signature example", rewardSample, workflows.RewardChange{RewardID: "bf67905b4e1b41daf39c30f0",
			PersonID: "6816411215104951917", PartnerUserID: "1036950000", State: "EARNED", EventID: "qb3jju459ugjr2aojk5e",
			At: time.Date(2020, 5, 29, 14, 14, 18, 548e6, time.UTC), FaceValue: "50", FaceValueType: "USD", Source: workflows.RewardFromWebhook}, true},
		{"reward_id and data only", `{"reward_id":"b600f6fdd06c83f8ffdd6309","data":{"earned_event_value":"100.00","journey_name":"ADVOCATE","rewardee_role":"advocate","custom_key":"custom_value"}}`,
			workflows.RewardChange{RewardID: "b600f6fdd06c83f8ffdd6309", At: now, Source: workflows.RewardFromWebhook}, false},
		{"script model, camelCase, string face value", `{"type":"FAILED_FULFILLMENT","rewardId":"r1","personId":"p1","faceValue":"10.00","faceValueType":"EUR","eventTime":"2026-11-26T11:00:00Z"}`,
			workflows.RewardChange{RewardID: "r1", PersonID: "p1", State: "FULFILL_FAILED", At: time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC),
				FaceValue: "10.00", FaceValueType: "EUR", Source: workflows.RewardFromWebhook}, true},
		{"under reward, sent with email", `{"reward":{"type":"reward_sent","reward_id":"r2","person_id":6816411215104951917,"email":"jane@example.com"}}`,
			workflows.RewardChange{RewardID: "r2", PersonID: "6816411215104951917", State: "SENT", Email: "jane@example.com", At: now, Source: workflows.RewardFromWebhook}, true},
		{"data repeats the fields", `{"reward_id":"r3","data":{"person_id":"p3","state":"REDEEMED"}}`,
			workflows.RewardChange{RewardID: "r3", PersonID: "p3", State: "REDEEMED", At: now, Source: workflows.RewardFromWebhook}, true},
		{"future event time is the arrival", `{"type":"reward_canceled","reward_id":"r4","person_id":"p4","event_time":"2030-01-01T00:00:00Z"}`,
			workflows.RewardChange{RewardID: "r4", PersonID: "p4", State: "CANCELED", At: now, Source: workflows.RewardFromWebhook}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ferr := parseReward([]byte(tt.body), now)
			require.Nil(t, ferr)
			assert.Equal(t, tt.want, got.change)
			assert.Equal(t, tt.complete, got.complete)
		})
	}
}

func TestParseRewardRefusals(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"not an object", `[1]`, "body"},
		{"no reward_id", `{"type":"reward_earned","person_id":"p"}`, "reward_id"},
		{"reward_id an object", `{"reward_id":{"a":1}}`, "reward_id"},
		{"reward_id with a slash", `{"reward_id":"a/b"}`, "reward_id"},
		{"unknown type", `{"reward_id":"r","type":"reward_teleported"}`, "type"},
		{"face value not a number", `{"reward_id":"r","face_value":"lots"}`, "face_value"},
		{"bad event time", `{"reward_id":"r","event_time":"yesterday"}`, "event_time"},
		{"person_id control character", `{"reward_id":"r","person_id":"p\u0000"}`, "person_id"},
		{"data not an object", `{"reward_id":"r","data":"x"}`, "data"},
		{"bad type inside data", `{"reward_id":"r","data":{"type":"nope"}}`, "data.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ferr := parseReward([]byte(tt.body), time.Now())
			require.NotNil(t, ferr)
			assert.Equal(t, tt.field, ferr.field, ferr.msg)
		})
	}
}

func TestRewardSignatureVariants(t *testing.T) {
	const key = "extole-test-secret"
	sha1Hex := func(body string) string {
		m := hmac.New(sha1.New, []byte(key))
		m.Write([]byte(body))
		return hex.EncodeToString(m.Sum(nil))
	}
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"hex HMAC-SHA256 (Extole's Java sample)", "2a629d3aa9bd7ecd4e4902f783f8afa1165c1f4683982cc6457dbb712a737c76", true},
		{"upper-case hex", strings.ToUpper(hexHMAC(key, rewardSample)), true},
		{"sha256= prefix", "sha256=" + hexHMAC(key, rewardSample), true},
		{"sha1= HMAC-SHA1 (Extole's Ruby sample)", "sha1=" + sha1Hex(rewardSample), true},
		{"bare HMAC-SHA1", "459feaeca3378f6f0ca8734ace6b0edfae979a56", true},
		{"missing", "", false},
		{"other key", hexHMAC("other", rewardSample), false},
		{"sha1 labelled sha256", "sha256=" + sha1Hex(rewardSample), false},
		{"not hex", "zz", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.ok, validRewardSignature(key, []byte(rewardSample), tt.header))
		})
	}
}

// rewardTemporal records what the endpoint hands to Temporal.
type rewardTemporal struct {
	client.Client
	mu      sync.Mutex
	signals []workflows.RewardChange
	ids     []string
	lookups []workflows.RewardLookupInput
	err     error
}

func (f *rewardTemporal) SignalWithStartWorkflow(_ context.Context, id, signal string, arg any, _ client.StartWorkflowOptions, wf any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.ids = append(f.ids, id)
	f.signals = append(f.signals, arg.(workflows.RewardChange))
	return fakeRun{id: id}, nil
}

func (f *rewardTemporal) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.ids = append(f.ids, opts.ID)
	f.lookups = append(f.lookups, args[0].(workflows.RewardLookupInput))
	return fakeRun{id: opts.ID}, nil
}

func postReward(t *testing.T, tc *rewardTemporal, auth ExtoleAuth, body string, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	h := NewRouter(Deps{Temporal: tc, Log: zap.NewNop(), Extole: auth, RewardEventName: "pe1_reward"})
	req := httptest.NewRequest(http.MethodPost, "/webhooks/extole/rewards", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRewardEndpoint(t *testing.T) {
	auth := ExtoleAuth{Token: "tok", SigningKey: "extole-test-secret"}
	signed := map[string]string{"Authorization": "Bearer tok", "X-Extole-Signature": hexHMAC("extole-test-secret", rewardSample)}

	t.Run("held by the person's workflow, answered 200", func(t *testing.T) {
		tc := &rewardTemporal{}
		rec := postReward(t, tc, auth, rewardSample, signed)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, []string{workflows.RewardWorkflowID("6816411215104951917")}, tc.ids)
		assert.Equal(t, "EARNED", tc.signals[0].State)
	})
	t.Run("reward_id only: looked up", func(t *testing.T) {
		tc := &rewardTemporal{}
		body := `{"reward_id":"b600f6fdd06c83f8ffdd6309","data":{}}`
		rec := postReward(t, tc, auth, body, map[string]string{"Authorization": "Bearer tok", "X-Extole-Signature": hexHMAC("extole-test-secret", body)})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, []workflows.RewardLookupInput{{RewardID: "b600f6fdd06c83f8ffdd6309", EventName: "pe1_reward"}}, tc.lookups)
	})
	refusals := []struct {
		name    string
		auth    ExtoleAuth
		headers map[string]string
		err     error
		want    int
	}{
		{"token not configured", ExtoleAuth{}, signed, nil, http.StatusServiceUnavailable},
		{"wrong bearer", auth, map[string]string{"Authorization": "Bearer no", "X-Extole-Signature": signed["X-Extole-Signature"]}, nil, http.StatusUnauthorized},
		{"unsigned", auth, map[string]string{"Authorization": "Bearer tok"}, nil, http.StatusUnauthorized},
		{"temporal unavailable", auth, signed, serviceerror.NewUnavailable("down"), http.StatusServiceUnavailable},
		{"temporal refuses", auth, signed, errors.Join(serviceerror.NewInvalidArgument("bad")), http.StatusInternalServerError},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			tc := &rewardTemporal{err: tt.err}
			rec := postReward(t, tc, tt.auth, rewardSample, tt.headers)
			assert.Equal(t, tt.want, rec.Code, rec.Body.String())
			assert.NotContains(t, rec.Body.String(), "tok\"", "the token is never echoed")
		})
	}
}

// FuzzParseReward: whatever the body, an accepted one names a reward usable in a workflow id, and a
// complete one a person and a documented state.
func FuzzParseReward(f *testing.F) {
	f.Add(rewardSample)
	f.Add(`{"reward_id":"b600f6fdd06c83f8ffdd6309","data":{"earned_event_value":"100.00"}}`)
	f.Add(`{"reward":{"type":"SENT","rewardId":"r","personId":1,"faceValue":"1.5"}}`)
	states := map[string]bool{}
	for _, s := range rewardStates {
		states[s] = true
	}
	f.Fuzz(func(t *testing.T, body string) {
		rb, ferr := parseReward([]byte(body), time.Now())
		if ferr != nil {
			require.NotEmpty(t, ferr.field)
			return
		}
		ch := rb.change
		require.NotEmpty(t, ch.RewardID)
		require.Nil(t, idText("reward_id", ch.RewardID))
		require.NotContains(t, ch.RewardID+ch.PersonID, "/")
		if rb.complete {
			require.NotEmpty(t, ch.PersonID)
			require.True(t, states[ch.State], ch.State)
		}
	})
}
