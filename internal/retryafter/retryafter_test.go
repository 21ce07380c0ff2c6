package retryafter

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Thu, 26 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Thu, 26 Nov 2026 09:00:00 GMT", 0, true},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}
