package contact

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidEmail(t *testing.T) {
	for in, want := range map[string]bool{
		"jane@example.com":         true,
		"j.doe+ref@sub.example.co": true,
		"jane@localhost":           false,
		"jane.example.com":         false,
		"Jane <jane@example.com>":  false,
		"":                         false,
		"jane@example.":            false,
	} {
		assert.Equal(t, want, ValidEmail(in), in)
	}
}

func TestNormalizeShareLink(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://refer.example.com/jane12", "https://refer.example.com/jane12"},
		{"share.yourbrand.com/alex01", "https://share.yourbrand.com/alex01"},
		{"http://refer.example.com/x", "http://refer.example.com/x"},
		{" refer.example.com/x ", "https://refer.example.com/x"},
	}
	for _, tt := range tests {
		got, err := NormalizeShareLink(tt.in)
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
	for _, bad := range []string{"", "not a link", "ftp://x.example.com/a", "share.test123@sears", "https:///nohost"} {
		_, err := NormalizeShareLink(bad)
		assert.Error(t, err, bad)
	}
}

func TestValidShareCode(t *testing.T) {
	assert.True(t, ValidShareCode("jane12"))
	assert.True(t, ValidShareCode("a_b-C9"))
	assert.False(t, ValidShareCode("abc"), "too short")
	assert.False(t, ValidShareCode("jane 12"))
	assert.False(t, ValidShareCode("jane12!"))
}

func TestHashEmail(t *testing.T) {
	const unsalted = "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d" // printf %s jane@example.com | sha256sum
	tests := []struct {
		name, email, salt, want string
	}{
		{name: "unsalted is plain sha256 (IDs of running workflows keep matching)", email: "jane@example.com", want: unsalted},
		{name: "normalized before hashing", email: " Jane@Example.COM ", want: unsalted},
		// printf %s jane@example.com | openssl dgst -sha256 -hmac s3cret
		{name: "salted is HMAC-SHA256", email: "jane@example.com", salt: "s3cret", want: "c56360d283a3038ea6f01b2e9a62a155ad9416491464597ff600ec1fdd85d1ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, HashEmailWith(tt.email, tt.salt))
		})
	}
	assert.NotEqual(t, HashEmailWith("jane@example.com", "a"), HashEmailWith("jane@example.com", "b"), "the salt changes the hash")
}

func TestHashEmailUsesTheDeploymentSalt(t *testing.T) {
	t.Cleanup(func() { SetHashSalt("") })
	SetHashSalt("s3cret")
	assert.Equal(t, HashEmailWith("jane@example.com", "s3cret"), HashEmail("Jane@example.com"))
	SetHashSalt("")
	assert.Equal(t, HashEmailWith("jane@example.com", ""), HashEmail("jane@example.com"))
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"jane.doe@example.com": "…@example.com",
		"Jane@Example.COM":     "…@example.com",
		"a@b@sub.example.co":   "…@sub.example.co",
		"partner-user-7":       "…",
		"":                     "",
	} {
		assert.Equal(t, want, MaskEmail(in), in)
		assert.NotContains(t, MaskEmail(in), "jane", in)
	}
}
