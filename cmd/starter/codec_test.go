package main

import (
	"strings"
	"testing"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmailHash(t *testing.T) {
	t.Cleanup(func() { contact.SetHashSalt("") })
	contact.SetHashSalt("s3cret") // as config.Load sets it from EMAIL_HASH_SALT
	tests := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{name: "one per line, under the deployment's salt", args: []string{"jane@example.com", " Alex@Example.com"},
			want: contact.HashEmailWith("jane@example.com", "s3cret") + "\n" + contact.HashEmailWith("alex@example.com", "s3cret") + "\n"},
		{name: "no address", wantErr: "usage"},
		{name: "not an address, named masked", args: []string{"jane.doe"}, wantErr: `"…" is not an email address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := emailHash(&out, tt.args)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, out.String())
		})
	}
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8088": true, "localhost:8088": true, "[::1]:8088": true,
		":8088": false, "0.0.0.0:8088": false, "10.0.0.5:8088": false, "nonsense": false,
	} {
		assert.Equal(t, want, loopbackAddr(addr), addr)
	}
}
