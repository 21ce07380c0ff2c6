package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hubspot-extole/bridge/internal/extole"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Privacy serves HubSpot's privacy deletions: it stops the bridge's pending work for a contact and asks
// Extole to erase the person. HubSpot's contact.privacyDeletion event carries only the contact id and the
// record is gone by then, so the email comes from the bridge's own workflows for that contact (search
// attribute HubSpotContactId), which answer it to a query. The email never leaves this activity, so the
// privacy workflow's history holds only the contact id.
type Privacy struct {
	Temporal client.Client
	Extole   *extole.Client
}

// QueryContactEmail is the query the app-webhook workflows answer with their contact's email ("" until
// known), for erasure.
const QueryContactEmail = "contact_email"

// ErrTypeNoEmailKnown: no workflow of the bridge ever saw the contact's email, so there is nothing the
// bridge can name to Extole.
const ErrTypeNoEmailKnown = "PrivacyNoEmailKnown"

// StopContactWorkInput names the contact and the calling workflow, which is not stopped.
type StopContactWorkInput struct {
	ContactID string `json:"contact_id"`
	Except    string `json:"except"`
}

// StopContactWork terminates every running workflow of the contact (a deal waiting out its hold, a
// signup, a share-link sync that would recreate the contact) and returns how many it stopped. A
// workflow that closed meanwhile is skipped; a retry terminates the rest.
func (a *Privacy) StopContactWork(ctx context.Context, in StopContactWorkInput) (int, error) {
	execs, err := a.list(ctx, contactQuery(in.ContactID)+` AND ExecutionStatus = "Running"`)
	if err != nil {
		return 0, err
	}
	stopped := 0
	for _, e := range execs {
		id := e.GetExecution().GetWorkflowId()
		if id == in.Except {
			continue
		}
		err := a.Temporal.TerminateWorkflow(ctx, id, e.GetExecution().GetRunId(), "HubSpot privacy deletion of contact "+in.ContactID)
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) {
			return stopped, err
		}
		if err == nil {
			stopped++
		}
	}
	return stopped, nil
}

// EraseResult is what the erasure did; it names no email.
type EraseResult struct {
	Requested int      `json:"requested"` // erasure requests Extole accepted (one per distinct email)
	Statuses  []string `json:"statuses"`  // Extole's status per request, e.g. COMPLETED
}

// EraseContact asks Extole to erase every email the bridge knew for the contact (POST /v4/erasures, note
// "hubspot-contact-<id>"). Extole erases per person, so repeating it after a crash is harmless. Usually one
// call; a contact whose email changed while the bridge watched it needs one per address.
func (a *Privacy) EraseContact(ctx context.Context, contactID string) (EraseResult, error) {
	emails, err := a.contactEmails(ctx, contactID)
	if err != nil {
		return EraseResult{}, err
	}
	if len(emails) == 0 {
		return EraseResult{}, temporal.NewNonRetryableApplicationError(
			"no workflow of the bridge holds an email for HubSpot contact "+contactID+
				": nothing was erased in Extole; if Extole knows this person, erase them in Extole by hand",
			ErrTypeNoEmailKnown, nil)
	}
	var res EraseResult
	for _, email := range emails {
		er, err := a.Extole.RequestErasure(ctx, email, "hubspot-contact-"+contactID)
		if err != nil {
			return res, TranslateExtoleError(err)
		}
		res.Requested++
		res.Statuses = append(res.Statuses, er.Status)
	}
	return res, nil
}

// contactEmails collects the distinct, lower-cased emails the contact's workflows hold, by querying
// them (a closed workflow is answered by replaying it), so the client's data converter decodes them.
func (a *Privacy) contactEmails(ctx context.Context, contactID string) ([]string, error) {
	execs, err := a.list(ctx, contactQuery(contactID))
	if err != nil {
		return nil, err
	}
	var emails []string
	for _, e := range execs {
		email, err := a.queryEmail(ctx, e)
		if err != nil {
			return nil, err
		}
		if email = strings.ToLower(strings.TrimSpace(email)); email != "" && !slices.Contains(emails, email) {
			emails = append(emails, email)
		}
	}
	return emails, nil
}

// queryEmail asks one workflow for its contact's email: ShareLinkSync through its "state" query, the
// app-webhook workflows through QueryContactEmail. A workflow that cannot answer (no such query: a
// backfill; deleted by retention) holds no email we can read.
func (a *Privacy) queryEmail(ctx context.Context, e *workflowpb.WorkflowExecutionInfo) (string, error) {
	query := QueryContactEmail
	if e.GetType().GetName() == "ShareLinkSync" {
		query = "state"
	}
	v, err := a.Temporal.QueryWorkflow(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), query)
	var invalid *serviceerror.InvalidArgument
	var notFound *serviceerror.NotFound
	var failed *serviceerror.QueryFailed
	switch {
	case errors.As(err, &invalid), errors.As(err, &notFound), errors.As(err, &failed):
		return "", nil
	case err != nil:
		return "", err
	}
	if query == QueryContactEmail {
		var email string
		return email, v.Get(&email)
	}
	var st struct {
		Email string `json:"email"`
	}
	return st.Email, v.Get(&st)
}

func (a *Privacy) list(ctx context.Context, query string) ([]*workflowpb.WorkflowExecutionInfo, error) {
	var out []*workflowpb.WorkflowExecutionInfo
	var token []byte
	for {
		resp, err := a.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, resp.GetExecutions()...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

// contactQuery finds the bridge's workflows for a contact. Contact ids are digits (the webhook checks),
// so quoting them is enough.
func contactQuery(contactID string) string {
	return fmt.Sprintf("HubSpotContactId = %q", contactID)
}
