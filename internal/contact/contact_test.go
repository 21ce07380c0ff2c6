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

func TestHashAndMask(t *testing.T) {
	assert.Equal(t, HashEmail("jane@example.com"), HashEmail(" Jane@Example.COM "))
	assert.Len(t, HashEmail("a@b.co"), 64)
	assert.Equal(t, "jane@…", MaskEmail("jane@example.com"))
}
