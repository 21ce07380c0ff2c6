package batchfile

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/hubspot-extole/bridge/internal/contact"
)

// FuzzLinkReader: any file is read to the end without a panic or an error other than a row's; rows and
// bad rows come in file order (line numbers strictly increasing, within the file); every row returned
// is importable.
func FuzzLinkReader(f *testing.F) {
	for _, s := range []string{
		"email,share_code,share_link\nok@example.com,okok01,https://r.example.com/ok\n",
		"\ufeff\"email\",\"share_code\",\"share_link\"\r\n\"a@example.com\",\"aaaa01\",\"r.example.com/a\"\r\n",
		"email,share_code,share_link\njane\"x@example.com,jane12,https://r.example.com/j\n\"b@example.com,bbbb01,x\nc@example.com,cccc01,r.example.com/c",
		"share_link,person_id,EMAIL,share_code,note\nr.example.com/a,1,a@example.com,aaaa01,\"two\nlines\"\nr.example.com/b,2\n,,,,,,\n",
		"email,share_code,share_link\n\"e@example.com\"x,eeee01,r.example.com/e\n\n\nf@example.com,,r.example.com/f\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lr, err := NewLinkReader(bytes.NewReader(data))
		if err != nil {
			return // a file without a usable header is refused as a whole
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		last := 1 // the header's line at least
		for range lines + 1 {
			l, err := lr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			line := l.Line
			var bad *RowError
			switch {
			case errors.As(err, &bad):
				line = bad.Line
				if bad.Reason == "" {
					t.Fatalf("line %d refused without a reason", line)
				}
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			default:
				if !contact.ValidEmail(l.Email) || (l.ShareCode != "" && !contact.ValidShareCode(l.ShareCode)) {
					t.Fatalf("line %d: returned row %+v is not importable", line, l)
				}
				if _, err := contact.NormalizeShareLink(l.ShareLink); err != nil {
					t.Fatalf("line %d: returned link %q: %v", line, l.ShareLink, err)
				}
			}
			if line <= last || line > lines {
				t.Fatalf("line %d after line %d (file has %d lines)", line, last, lines)
			}
			last = line
		}
		t.Fatalf("more records than the file's %d lines", lines)
	})
}
