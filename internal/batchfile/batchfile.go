// Package batchfile reads and writes the CSV files of Extole's batch route (reference extole.md §5):
// the batch-event file that asks Extole to create share links for many people at once, and Extole's
// export of the links it created.
package batchfile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

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
// order (case-insensitive; extra columns ignored), then one row per person.
type LinkReader struct {
	r                 *csv.Reader
	email, code, link int
	width             int
}

// NewLinkReader reads and checks the header.
func NewLinkReader(r io.Reader) (*LinkReader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // rows are checked one by one, so a short row is reported, not fatal
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	lr := &LinkReader{r: cr, email: -1, code: -1, link: -1, width: len(header)}
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
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
	rec, err := lr.r.Read()
	line, _ := lr.r.FieldPos(0)
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Link{}, &RowError{Line: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()}
		}
		return Link{}, err
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
