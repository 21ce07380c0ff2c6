// Package codec encrypts every payload the bridge's Temporal clients write — workflow and activity
// inputs and results, signals, updates, and failure messages — so contacts' emails, names and share
// links never reach Temporal's history store in clear. AES-256-GCM; the key id travels in each payload's
// metadata, so keys rotate: the first key encrypts, every configured key decrypts.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// EnvKeys is the variable holding the keys: "id:base64key,…", the first one encrypts.
const EnvKeys = "PAYLOAD_CODEC_KEYS"

// Metadata of an encrypted payload. The names are the ones Temporal's encryption samples use, so other
// tools that recognise them show "encrypted" rather than garbage.
const (
	MetadataEncoding  = converter.MetadataEncoding
	EncodingEncrypted = "binary/encrypted"
	MetadataKeyID     = "encryption-key-id"
)

var keyIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Codec is a converter.PayloadCodec. The zero value is not usable; build it with Parse.
type Codec struct {
	encryptID string
	keys      map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// FromEnv reads PAYLOAD_CODEC_KEYS; nil (codec off) when it is unset or empty.
func FromEnv() (*Codec, error) {
	c, err := Parse(os.Getenv(EnvKeys))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKeys, err)
	}
	return c, nil
}

// Parse reads "id:base64key,…" (standard base64 of 32 bytes each). Errors name the key id, never the key.
func Parse(spec string) (*Codec, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	c := &Codec{keys: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(spec, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok || !keyIDRe.MatchString(id) {
			return nil, fmt.Errorf("entry %d: want id:base64key with an id of 1-64 letters, digits, '.', '_' or '-'", i+1)
		}
		if _, dup := c.keys[id]; dup {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("key %q: want the standard base64 of 32 random bytes (openssl rand -base64 32)", id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		c.keys[id] = aead
		if i == 0 {
			c.encryptID = id
		}
	}
	return c, nil
}

// EncryptKeyID is the id of the key new payloads are encrypted with.
func (c *Codec) EncryptKeyID() string { return c.encryptID }

// Encode encrypts each whole payload (its metadata too: the encoding says "json/plain" and the type).
// The key id is authenticated with the ciphertext, so relabelling a payload with another key id fails.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.keys[c.encryptID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:    []byte(c.encryptID),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.encryptID)),
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads and passes others through unchanged: histories written before the
// codec was turned on keep replaying.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.keys[id]
		if !ok {
			return nil, fmt.Errorf("payload encrypted with key %q, which %s does not hold (keep retired keys after the first one)", id, EnvKeys)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("payload encrypted with key %q is truncated", id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("payload encrypted with key %q does not authenticate: altered, or a different key under that id", id)
		}
		var decoded commonpb.Payload
		if err := proto.Unmarshal(plain, &decoded); err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		out[i] = &decoded
	}
	return out, nil
}

// Configure makes a client encrypt through c: its data converter, and a failure converter that moves
// failure messages and stack traces into the (encrypted) encoded attributes. A nil c leaves opts as is.
func (c *Codec) Configure(opts *client.Options) {
	if c == nil {
		return
	}
	opts.DataConverter = converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          opts.DataConverter,
		EncodeCommonAttributes: true,
	})
}
