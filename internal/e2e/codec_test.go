package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubspot-extole/bridge/internal/codec"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"github.com/hubspot-extole/bridge/workflows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// codecKeys is a rotated key set: "new" encrypts, "old" still decrypts.
var codecKeys = "new:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32)) +
	",old:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))

// codecClient dials the way every process does (temporalx.Dial, environment only), with the codec on.
func codecClient(t *testing.T, namespace string) client.Client {
	t.Helper()
	t.Setenv("TEMPORAL_ADDRESS", server.FrontendHostPort())
	t.Setenv("TEMPORAL_NAMESPACE", namespace)
	t.Setenv(codec.EnvKeys, codecKeys)
	c, _, err := temporalx.Dial(context.Background(), zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// rawHistory is the history as Temporal stores it, read by a client without the codec.
func rawHistory(t *testing.T, raw client.Client, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := raw.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		events = append(events, e)
	}
	return events
}

// payloadsOf collects every payload in the events (inputs, results, signals, updates, failures' details).
func payloadsOf(events []*historypb.HistoryEvent) []*commonpb.Payload {
	var out []*commonpb.Payload
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if p, ok := m.Interface().(*commonpb.Payload); ok {
			out = append(out, p)
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Message() == nil:
			case fd.Name() == "search_attributes":
				// Stored unencrypted by design (a hash, ids): the visibility store must index them.
			case fd.IsList():
				for i := range v.List().Len() {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap():
				if fd.MapValue().Message() != nil {
					v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
						walk(mv.Message())
						return true
					})
				}
			default:
				walk(v.Message())
			}
			return true
		})
	}
	for _, e := range events {
		walk(e.ProtoReflect())
	}
	return out
}

func TestCodecKeepsPersonalDataOutOfHistory(t *testing.T) {
	raw, ns := namespaceClient(t)
	s := newStack(t, stackOptions{Client: codecClient(t, ns)})

	// A signup and a share link for one contact, through the webhook server and the workers.
	// Values long enough that random ciphertext cannot contain them by chance.
	const email, first, last, code = "jane.codec@example.com", "Janelle-Firstname", "Doe-Lastname", "janecodec1"
	body := strings.NewReplacer("jane@example.com", email, `"Jane"`, `"`+first+`"`, `"Doe"`, `"`+last+`"`).Replace(signedUpBody("pc-codec-1"))
	status, res, _ := s.post(eventsPath, body, nil)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	eventID := workflows.EventWorkflowID("signed_up", "pc-codec-1")
	require.NoError(t, s.waitResult(eventID, nil))
	status, res, _ = s.post(shareLinksPath, extoleBody(email, code), bearer)
	require.Equal(t, http.StatusAccepted, status, "%v", res)
	s.hubspotHas(email, map[string]string{"share_code": code})
	require.Len(t, s.Extole.Events(), 1, "the workers decrypted what the webhook server encrypted")

	secrets := []string{email, first, last, "refer.example.com/" + code}
	var all []*commonpb.Payload
	for _, id := range []string{eventID, workflows.ShareLinkWorkflowID(email)} {
		history := rawHistory(t, raw, id)
		require.NotEmpty(t, history)
		for _, e := range history {
			// The stored form: payload data as raw bytes, failure messages as strings.
			wire, err := proto.Marshal(e)
			require.NoError(t, err)
			for _, secret := range secrets {
				require.False(t, bytes.Contains(wire, []byte(secret)),
					"%q in clear in %s event %d of %s", secret, e.GetEventType(), e.GetEventId(), id)
			}
		}
		all = append(all, payloadsOf(history)...)
	}
	require.NotEmpty(t, all)
	for _, p := range all {
		assert.Equal(t, codec.EncodingEncrypted, string(p.GetMetadata()[codec.MetadataEncoding]))
		assert.Equal(t, "new", string(p.GetMetadata()[codec.MetadataKeyID]), "the first key encrypts")
	}

	// The codec server, as the Web UI calls it, gives every value back.
	c, err := codec.Parse(codecKeys)
	require.NoError(t, err)
	srv := httptest.NewServer(codec.Handler(c, codec.ServerOptions{AuthToken: "operator"}))
	t.Cleanup(srv.Close)
	encoded, err := protojson.Marshal(&commonpb.Payloads{Payloads: all})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(encoded))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer operator")
	req.Header.Set("X-Namespace", ns)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	decodedJSON, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(decodedJSON))
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(decodedJSON, &decoded))
	var clear strings.Builder
	for _, p := range decoded.GetPayloads() {
		clear.Write(p.GetData())
	}
	for _, secret := range secrets {
		assert.Contains(t, clear.String(), secret, "decoded back by the codec server")
	}
	t.Logf("%d payloads in 2 histories, all encrypted with key %q; none of %d personal values in clear; all decoded by the codec server",
		len(all), "new", len(secrets))
}
