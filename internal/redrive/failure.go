package redrive

import (
	"errors"
	"regexp"
	"strings"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/contact"
	"go.temporal.io/sdk/temporal"
)

// PartnerError is why a run failed, as the partner API put it.
type PartnerError struct {
	Type    string `json:"error_type,omitempty"` // the activity's error type, e.g. ExtoleRejected
	Code    string `json:"code,omitempty"`       // the partner's code, e.g. missing_event_name, VALIDATION_ERROR
	Message string `json:"message,omitempty"`    // the partner's message
}

// clientError matches the text of extole.Error and hubspot.Error, which activities put in the
// application error's message: "<api>: <status> <code>[ <policy>]: <message>[ (retry after …)][ (unique_id|correlation …)]".
var clientError = regexp.MustCompile(`^(?:extole|hubspot): \d{3} ([^\s:]+)(?: [^\s:]+)?: (.*?)(?: \(retry after [^)]*\))?(?: \((?:unique_id|correlation) [^)]*\))?$`)

// emailInText finds addresses an API quoted back in its message ("Email address jane@x.com is invalid").
var emailInText = regexp.MustCompile(`[^\s@"'<>(),;:\[\]]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)

// maskEmails masks them: the list goes to terminals, tickets and CI logs.
func maskEmails(s string) string { return emailInText.ReplaceAllStringFunc(s, contact.MaskEmail) }

// partnerError reads a run's failure chain for the partner's answer: the application error our activities
// raised (its RejectedProperty details, or the API client's "<api>: <status> <code>: <message>" text). A
// chain without one (a timeout, a panic) keeps the outermost application error's, else the innermost
// error's, message.
func partnerError(err error) PartnerError {
	pe := readPartnerError(err)
	pe.Message = maskEmails(pe.Message)
	return pe
}

func readPartnerError(err error) PartnerError {
	var first *PartnerError
	for e := err; e != nil; e = errors.Unwrap(e) {
		app, ok := e.(*temporal.ApplicationError)
		if !ok {
			continue
		}
		pe := PartnerError{Type: app.Type(), Message: app.Message()}
		var rejected []activities.RejectedProperty
		if app.HasDetails() && app.Details(&rejected) == nil && len(rejected) > 0 {
			codes, reasons := make([]string, 0, len(rejected)), make([]string, 0, len(rejected))
			for _, p := range rejected {
				codes = append(codes, p.Code)
				reasons = append(reasons, p.Property+": "+p.Reason)
			}
			pe.Code, pe.Message = strings.Join(codes, ","), strings.Join(reasons, "; ")
			return pe
		}
		if m := clientError.FindStringSubmatch(app.Message()); m != nil {
			pe.Code, pe.Message = m[1], m[2]
			return pe
		}
		if first == nil {
			first = &pe
		}
	}
	switch {
	case first != nil:
		return *first
	case err != nil:
		return PartnerError{Message: innermost(err).Error()}
	}
	return PartnerError{}
}

func innermost(err error) error {
	for next := errors.Unwrap(err); next != nil; next = errors.Unwrap(err) {
		err = next
	}
	return err
}
