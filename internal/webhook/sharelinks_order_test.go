package webhook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The link's ordering time: the event time Extole sent, else the arrival; never later than the arrival,
// so one bad clock or misread timestamp cannot supersede every later link of the contact.
func TestShareLinkOrderingTime(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		body string
		want time.Time
	}{
		{"event time", `{"email":"a@example.com","share_link":"https://r.example.com/a","timestamp":"2026-11-26T10:30:00Z"}`, time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)},
		{"epoch milliseconds", `{"email":"a@example.com","share_link":"https://r.example.com/a","event_time":1795687200000}`, time.UnixMilli(1795687200000).UTC()},
		{"no event time: arrival", `{"properties":{"email":"a@example.com","share_link":"https://r.example.com/a"}}`, now},
		{"event id does not order", `{"email":"a@example.com","share_link":"https://r.example.com/a","event_id":"6941049359794271324"}`, now},
		{"future event time: arrival", `{"email":"a@example.com","share_link":"https://r.example.com/a","timestamp":"2030-01-01T00:00:00Z"}`, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, ferr := parseShareLink([]byte(tt.body), now)
			require.Nil(t, ferr)
			assert.Equal(t, tt.want, l.At)
		})
	}
}
