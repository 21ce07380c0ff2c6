package batchfile

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, in string) ([]Link, []*RowError) {
	t.Helper()
	lr, err := NewLinkReader(strings.NewReader(in))
	require.NoError(t, err)
	var links []Link
	var bad []*RowError
	for {
		l, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return links, bad
		}
		var re *RowError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		require.NoError(t, err)
		links = append(links, l)
	}
}

func TestLinkReaderAnyColumnOrderExtraColumnsIgnored(t *testing.T) {
	in := "\ufeffShare_Link,person_id,EMAIL,share_code\n" +
		"https://refer.example.com/jane12,1,jane@example.com,jane12\n" +
		"share.example.com/alex01,2,alex@example.com,alex01\n"
	links, bad := readAll(t, in)
	assert.Empty(t, bad)
	assert.Equal(t, []Link{
		{Line: 2, Email: "jane@example.com", ShareCode: "jane12", ShareLink: "https://refer.example.com/jane12"},
		{Line: 3, Email: "alex@example.com", ShareCode: "alex01", ShareLink: "https://share.example.com/alex01"},
	}, links)
}

func TestLinkReaderReportsBadRows(t *testing.T) {
	in := "email,share_code,share_link\n" +
		"ok@example.com,ok0001,https://r.example.com/ok0001\n" + // 2 ok
		",x0001,https://r.example.com/x\n" + // 3 no email
		"not-an-email,x0002,https://r.example.com/x\n" + // 4 bad email
		"c@example.com,ab,https://r.example.com/ab\n" + // 5 short code
		"d@example.com,dddd01,\n" + // 6 no link
		"e@example.com,eeee01\n" + // 7 short row: no link
		"f@example.com,\"ffff01,https://r.example.com/f\n" // 8 malformed quote
	links, bad := readAll(t, in)
	require.Len(t, links, 1)
	var lines []int
	for _, b := range bad {
		lines = append(lines, b.Line)
		assert.NotEmpty(t, b.Reason)
	}
	assert.Equal(t, []int{3, 4, 5, 6, 7, 8}, lines)
	assert.Contains(t, bad[1].Reason, "not-an-email")
	assert.Contains(t, bad[2].Reason, "share_code")
	assert.Contains(t, bad[3].Reason, "share_link")
}

func TestLinkReaderNeedsHeaderColumns(t *testing.T) {
	_, err := NewLinkReader(strings.NewReader("email,link\na@b.co,x\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "share_code, share_link")
	_, err = NewLinkReader(strings.NewReader(""))
	assert.Error(t, err)
}

func TestEventWriter(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewEventWriter(&buf)
	require.NoError(t, err)
	require.NoError(t, w.Write(EventRow{Email: "jane@example.com", EventName: "hubspot_backfill", FirstName: "Jane", LastName: "Doe, Jr.", PartnerEventID: "hubspot-101"}))
	require.NoError(t, w.Flush())
	assert.Equal(t, "email,event_name,first_name,last_name,partner_event_id\n"+
		"jane@example.com,hubspot_backfill,Jane,\"Doe, Jr.\",hubspot-101\n", buf.String())
}
