package batchfile

import (
	"bytes"
	"errors"
	"fmt"
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

// A malformed row costs that row only: it is reported with its line number, the rows after it are read,
// and nothing panics.
func TestLinkReaderMalformedRows(t *testing.T) {
	const header = "email,share_code,share_link\n"
	ok := func(n int) string {
		return fmt.Sprintf("ok%d@example.com,code%04d,https://r.example.com/%d\n", n, n, n)
	}
	tests := []struct {
		name      string
		in        string
		wantLinks []int          // lines of the rows read
		wantBad   map[int]string // line → part of the reason
	}{
		{"bare quote in the first field", header + "jane\"x@example.com,jane12,https://r.example.com/j\n" + ok(3),
			[]int{3}, map[int]string{2: `bare "`}},
		{"bare quote in the last field", header + ok(2) + "a@example.com,aaaa01,https://r.example.com/\"a\n" + ok(4),
			[]int{2, 4}, map[int]string{3: `bare "`}},
		{"unterminated quote mid-file", header + ok(2) + "\"c@example.com,cccc01,https://r.example.com/c\n" + ok(4) + ok(5),
			[]int{2, 4, 5}, map[int]string{3: "not closed"}},
		{"unterminated quote in the first field of the first row", header + "\"jane@example.com,jane12,https://r.example.com/j\n" + ok(3),
			[]int{3}, map[int]string{2: "not closed"}},
		{"unterminated quote on the last line, no newline", header + ok(2) + "d@example.com,\"dddd01,https://r.example.com/d",
			[]int{2}, map[int]string{3: "not closed"}},
		{"text after a closing quote", header + "\"e@example.com\"x,eeee01,https://r.example.com/e\n" + ok(3),
			[]int{3}, map[int]string{2: `extraneous or missing "`}},
		{"doubled quotes then a bare one", header + "f@example.com,ffff01,https://r.example.com/f,ab\"\"c\n" + ok(3),
			[]int{3}, map[int]string{2: `bare "`}},
		{"more fields than the header", header + "g@example.com,gggg01,https://r.example.com/g,extra\n" + ok(3),
			[]int{3}, map[int]string{2: "has 4 fields, the header has 3"}},
		{"fewer fields than the header", header + "h@example.com,hhhh01\n" + ok(3),
			[]int{3}, map[int]string{2: "share_link"}},
		{"one field", header + "i@example.com\n" + ok(3),
			[]int{3}, map[int]string{2: "share_link"}},
		{"blank lines keep line numbers", header + "\n" + ok(3) + "\r\n\n" + ok(6),
			[]int{3, 6}, map[int]string{}},
		{"CRLF line endings", "email,share_code,share_link\r\n" + strings.ReplaceAll(ok(2)+ok(3), "\n", "\r\n"),
			[]int{2, 3}, map[int]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links, bad := readAll(t, tt.in)
			var gotLinks []int
			for _, l := range links {
				gotLinks = append(gotLinks, l.Line)
			}
			assert.Equal(t, tt.wantLinks, gotLinks)
			gotBad := map[int]string{}
			for _, b := range bad {
				gotBad[b.Line] = b.Reason
			}
			require.Len(t, gotBad, len(tt.wantBad), "%v", gotBad)
			for line, reason := range tt.wantBad {
				assert.Contains(t, gotBad[line], reason, "line %d", line)
			}
		})
	}
}

// Quoted fields, including one that spans lines, are read as CSV; line numbers stay those of the file.
func TestLinkReaderQuotedFields(t *testing.T) {
	in := "\ufeff\"email\",\"share_code\",\"share_link\",\"note\"\n" +
		"\"jane@example.com\",\"jane12\",\"https://r.example.com/jane12\",\"said \"\"hi\"\"\"\n" +
		"alex@example.com, \"alex01\",https://r.example.com/alex01,\"two\nlines, with a comma\"\n" +
		"sam@example.com,sam001,https://r.example.com/sam001\n"
	links, bad := readAll(t, in)
	assert.Empty(t, bad)
	assert.Equal(t, []Link{
		{Line: 2, Email: "jane@example.com", ShareCode: "jane12", ShareLink: "https://r.example.com/jane12"},
		{Line: 3, Email: "alex@example.com", ShareCode: "alex01", ShareLink: "https://r.example.com/alex01"},
		{Line: 5, Email: "sam@example.com", ShareCode: "sam001", ShareLink: "https://r.example.com/sam001"},
	}, links)
}

func TestLinkReaderNeedsHeaderColumns(t *testing.T) {
	_, err := NewLinkReader(strings.NewReader("email,link\na@b.co,x\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "share_code, share_link")
	for _, in := range []string{"", "\ufeff", "\n\n", "\"email,share_code,share_link\n"} {
		_, err = NewLinkReader(strings.NewReader(in))
		assert.Error(t, err, "%q", in)
	}
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
