package codec

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// key returns a deterministic, distinct 32-byte key in the variable's format.
func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func mustParse(t *testing.T, spec string) *Codec {
	t.Helper()
	c, err := Parse(spec)
	require.NoError(t, err)
	require.NotNil(t, c)
	return c
}

func jsonPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestParse(t *testing.T) {
	secret := key(7)
	tests := []struct {
		name, spec, wantErr, encryptID string
	}{
		{name: "unset is off", spec: ""},
		{name: "blank is off", spec: "  "},
		{name: "one key", spec: "k1:" + secret, encryptID: "k1"},
		{name: "first encrypts", spec: "2026-11:" + key(2) + ", 2026-05:" + key(1), encryptID: "2026-11"},
		{name: "no id", spec: secret, wantErr: "entry 1: want id:base64key"},
		{name: "bad id", spec: "k 1:" + secret, wantErr: "entry 1"},
		{name: "short key", spec: "k1:" + base64.StdEncoding.EncodeToString([]byte("short")), wantErr: `key "k1": want the standard base64 of 32`},
		{name: "not base64", spec: "k1:" + secret[:10] + "!!", wantErr: `key "k1"`},
		{name: "duplicate id", spec: "k1:" + key(1) + ",k1:" + key(2), wantErr: `key id "k1" appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.spec)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				assert.NotContains(t, err.Error(), secret[:10], "an error must never carry key material")
				return
			}
			require.NoError(t, err)
			if tt.encryptID == "" {
				assert.Nil(t, c, "codec off")
				return
			}
			assert.Equal(t, tt.encryptID, c.EncryptKeyID())
		})
	}
}

func TestEncodeDecode(t *testing.T) {
	old := mustParse(t, "old:"+key(1))
	rotated := mustParse(t, "new:"+key(2)+",old:"+key(1))
	onlyNew := mustParse(t, "new:"+key(2))
	sameIDOtherKey := mustParse(t, "old:"+key(3))
	in := jsonPayload(t, map[string]string{"email": "jane@example.com", "share_link": "https://refer.example.com/jane12"})

	encodeWith := func(c *Codec) *commonpb.Payload {
		out, err := c.Encode([]*commonpb.Payload{in})
		require.NoError(t, err)
		return out[0]
	}
	tests := []struct {
		name    string
		payload func() *commonpb.Payload
		decoder *Codec
		wantErr string
	}{
		{name: "round trip", payload: func() *commonpb.Payload { return encodeWith(old) }, decoder: old},
		{name: "rotation: old payloads decode with the new key first", payload: func() *commonpb.Payload { return encodeWith(old) }, decoder: rotated},
		{name: "rotation: new payloads decode", payload: func() *commonpb.Payload { return encodeWith(rotated) }, decoder: rotated},
		{name: "unencrypted payload passes through", payload: func() *commonpb.Payload { return in }, decoder: rotated},
		{name: "retired key dropped too early", payload: func() *commonpb.Payload { return encodeWith(old) }, decoder: onlyNew,
			wantErr: `key "old", which PAYLOAD_CODEC_KEYS does not hold`},
		{name: "same id, different key", payload: func() *commonpb.Payload { return encodeWith(old) }, decoder: sameIDOtherKey,
			wantErr: "does not authenticate"},
		{name: "tampered ciphertext", decoder: old, wantErr: "does not authenticate", payload: func() *commonpb.Payload {
			p := encodeWith(old)
			p.Data[len(p.Data)-1] ^= 1
			return p
		}},
		{name: "relabelled key id", decoder: rotated, wantErr: "does not authenticate", payload: func() *commonpb.Payload {
			p := encodeWith(rotated)
			p.Metadata[MetadataKeyID] = []byte("old")
			return p
		}},
		{name: "truncated", decoder: old, wantErr: "truncated", payload: func() *commonpb.Payload {
			p := encodeWith(old)
			p.Data = p.Data[:10]
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.decoder.Decode([]*commonpb.Payload{tt.payload()})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			var got map[string]string
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out[0], &got))
			assert.Equal(t, "jane@example.com", got["email"])
		})
	}
}

func TestEncodedPayloadHidesEverything(t *testing.T) {
	c := mustParse(t, "k1:"+key(1))
	in := jsonPayload(t, "jane@example.com")
	a, err := c.Encode([]*commonpb.Payload{in, in})
	require.NoError(t, err)
	for _, p := range a {
		assert.NotContains(t, string(p.Data), "jane")
		assert.NotContains(t, string(p.Data), "json/plain", "the original encoding is encrypted too")
		assert.Equal(t, map[string][]byte{MetadataEncoding: []byte(EncodingEncrypted), MetadataKeyID: []byte("k1")}, p.Metadata)
	}
	assert.NotEqual(t, a[0].Data, a[1].Data, "a fresh nonce per payload")
}

func TestConfigureEncryptsFailureMessages(t *testing.T) {
	var opts client.Options
	var off *Codec
	off.Configure(&opts)
	assert.Nil(t, opts.DataConverter, "codec off leaves the SDK defaults")

	mustParse(t, "k1:"+key(1)).Configure(&opts)
	f := opts.FailureConverter.ErrorToFailure(temporal.NewApplicationError("jane@example.com refused", "ExtoleRejected"))
	assert.NotContains(t, f.String(), "jane", "message and stack trace go into the encrypted attributes")
	assert.Equal(t, "ExtoleRejected", f.GetApplicationFailureInfo().GetType(), "the error type stays readable for retry policies")

	back := opts.FailureConverter.FailureToError(f)
	assert.True(t, strings.Contains(back.Error(), "jane@example.com refused"), back.Error())
}

// BenchmarkCodec measures the cost the codec adds to each payload (encrypt + decrypt) against the JSON
// conversion every payload pays anyway, for a 1 KiB event input.
func BenchmarkCodec(b *testing.B) {
	c, err := Parse("k1:" + key(1))
	require.NoError(b, err)
	in := map[string]string{"email": "jane@example.com", "notes": strings.Repeat("x", 1000)}
	plain := converter.GetDefaultDataConverter()
	var opts client.Options
	c.Configure(&opts)
	for _, bc := range []struct {
		name string
		dc   converter.DataConverter
	}{{"json", plain}, {"json+codec", opts.DataConverter}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := bc.dc.ToPayload(in)
				if err != nil {
					b.Fatal(err)
				}
				var out map[string]string
				if err := bc.dc.FromPayload(p, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
