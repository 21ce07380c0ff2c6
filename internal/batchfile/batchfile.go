// Package batchfile reads and writes the CSV files of Extole's batch route (docs/extole-api.md#batch-jobs):
// the batch-event file that asks Extole to create share links for many people at once, and Extole's
// export of the links it created.
package batchfile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/hubspot-extole/bridge/internal/contact"
)

// EventColumns is the header of the batch-event file: Extole requires email and event_name; the others
// are documented optional columns (file-based-events). partner_event_id makes a re-uploaded file
// harmless: Extole de-duplicates on it.
var EventColumns = []string{"email", "event_name", "first_name", "last_name", "partner_event_id"}

// EventRow is one person in the batch-event file.
type EventRow struct {
	Email, EventName, FirstName, LastName, PartnerEventID string
}

// EventWriter writes Extole's batch-event CSV (UTF-8, header row, standard quoting).
type EventWriter struct {
	w *csv.Writer
}

// NewEventWriter writes the header.
func NewEventWriter(w io.Writer) (*EventWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(EventColumns); err != nil {
		return nil, err
	}
	return &EventWriter{w: cw}, nil
}

// Write adds one row.
func (e *EventWriter) Write(r EventRow) error {
	return e.w.Write([]string{r.Email, r.EventName, r.FirstName, r.LastName, r.PartnerEventID})
}

// Flush writes buffered rows.
func (e *EventWriter) Flush() error {
	e.w.Flush()
	return e.w.Error()
}

// Link is one valid row of Extole's share-link export.
type Link struct {
	Line      int
	Email     string
	ShareCode string
	ShareLink string // normalized: scheme-less links get https://
}

// RowError is a row that cannot be imported, with the reason.
type RowError struct {
	Line   int
	Email  string
	Reason string
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// LinkReader reads Extole's share-link export: a header naming email, share_code and share_link in any
// order (case-insensitive; extra columns ignored), then one row per person. Each record is parsed on its
// own, so a malformed row costs that row only: an unterminated quote is reported on its line and
// reading resumes on the next one, instead of swallowing the rest of the file.
type LinkReader struct {
	src               *bufio.Reader
	line              int        // physical lines read from src
	pending           []physLine // lines read ahead past an unterminated quote, to be read again
	email, code, link int
	width             int
}

type physLine struct {
	n    int
	text string
}

// maxRecordLines bounds a record whose quoted field spans lines. Past it, or at the end of the file, the
// quote is taken as unterminated.
const maxRecordLines = 100

// NewLinkReader reads and checks the header. A UTF-8 byte order mark (Excel writes one) is skipped.
func NewLinkReader(r io.Reader) (*LinkReader, error) {
	lr := &LinkReader{src: bufio.NewReader(r), email: -1, code: -1, link: -1}
	if bom, _ := lr.src.Peek(3); string(bom) == "\ufeff" {
		_, _ = lr.src.Discard(3)
	}
	_, header, err := lr.record()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("read header: the file is empty")
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	lr.width = len(header)
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "email":
			lr.email = i
		case "share_code":
			lr.code = i
		case "share_link":
			lr.link = i
		}
	}
	var missing []string
	for name, idx := range map[string]int{"email": lr.email, "share_link": lr.link, "share_code": lr.code} {
		if idx < 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header lacks column(s) %s (found %s)", strings.Join(slices.Sorted(slices.Values(missing)), ", "), strings.Join(header, ","))
	}
	return lr, nil
}

// Next returns the next valid row. A row that cannot be imported returns a *RowError and the caller may
// go on reading; io.EOF ends the file.
func (lr *LinkReader) Next() (Link, error) {
	line, rec, err := lr.record()
	if err != nil {
		return Link{}, err
	}
	if len(rec) > lr.width {
		// More fields than the header: a value with an unquoted comma shifted the columns.
		return Link{}, &RowError{Line: line, Reason: fmt.Sprintf("has %d fields, the header has %d (quote values that contain a comma)", len(rec), lr.width)}
	}
	field := func(i int) string {
		if i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	l := Link{Line: line, Email: field(lr.email), ShareCode: field(lr.code)}
	switch {
	case l.Email == "":
		return Link{}, &RowError{Line: line, Reason: "email is empty"}
	case !contact.ValidEmail(l.Email):
		return Link{}, &RowError{Line: line, Email: l.Email, Reason: fmt.Sprintf("email %q is not well-formed", l.Email)}
	case l.ShareCode != "" && !contact.ValidShareCode(l.ShareCode):
		return Link{}, &RowError{Line: line, Email: l.Email, Reason: fmt.Sprintf("share_code %q must be 4–50 letters, digits, '-' or '_'", l.ShareCode)}
	}
	link, err := contact.NormalizeShareLink(field(lr.link))
	if err != nil {
		return Link{}, &RowError{Line: line, Email: l.Email, Reason: "share_link " + err.Error()}
	}
	l.ShareLink = link
	return l, nil
}

// record returns the next non-empty record and the line it starts on. A malformed record is a *RowError;
// io.EOF ends the file.
func (lr *LinkReader) record() (int, []string, error) {
	for {
		first, err := lr.nextLine()
		if err != nil {
			return 0, nil, err
		}
		if strings.TrimRight(first.text, "\r\n") == "" {
			continue // blank lines are skipped, as encoding/csv does
		}
		text := first.text
		var more []physLine
		for openQuote(text) && len(more) < maxRecordLines {
			l, err := lr.nextLine()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, nil, err
			}
			more = append(more, l)
			text += l.text
		}
		err = errors.New("a quoted field is not closed")
		var rec []string
		if !openQuote(text) {
			rec, err = parseRecord(text)
		}
		if err != nil {
			// Only the first line is blamed: the lines joined to it are read again as records of their own.
			lr.pending = append(more, lr.pending...)
			return first.n, nil, &RowError{Line: first.n, Reason: "malformed CSV: " + err.Error()}
		}
		return first.n, rec, nil
	}
}

func (lr *LinkReader) nextLine() (physLine, error) {
	if len(lr.pending) > 0 {
		l := lr.pending[0]
		lr.pending = lr.pending[1:]
		return l, nil
	}
	text, err := lr.src.ReadString('\n')
	if text == "" {
		if err == nil {
			err = io.EOF
		}
		return physLine{}, err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return physLine{}, err
	}
	lr.line++
	return physLine{n: lr.line, text: text}, nil
}

// openQuote reports whether text ends inside a quoted field, so the record goes on on the next line. It
// follows encoding/csv with TrimLeadingSpace: a field is quoted when its first non-space character is '"',
// and a doubled quote inside it is a literal quote.
func openQuote(text string) bool {
	const (
		fieldStart = iota
		unquoted
		quoted
		closed // just after a quote in a quoted field: "" goes on, anything else ends it
	)
	state := fieldStart
	for _, c := range text {
		switch {
		case state == quoted:
			if c == '"' {
				state = closed
			}
		case state == closed && c == '"':
			state = quoted
		case c == ',':
			state = fieldStart
		case state == fieldStart && c == '"':
			state = quoted
		case state == fieldStart && unicode.IsSpace(c):
		default:
			state = unquoted
		}
	}
	return state == quoted
}

// parseRecord parses one record's text with encoding/csv.
func parseRecord(text string) ([]string, error) {
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, pe.Err
	}
	return rec, err
}
