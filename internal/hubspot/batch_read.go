package hubspot

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

type batchReadInput struct {
	ID string `json:"id"`
}

type batchReadBody struct {
	Properties []string         `json:"properties"`
	IDProperty string           `json:"idProperty"`
	Inputs     []batchReadInput `json:"inputs"`
}

// ReadContactsByEmail reads up to MaxBatchSize contacts by email in one request
// (POST /crm/v3/objects/contacts/batch/read with idProperty "email",
// https://developers.hubspot.com/docs/api/crm/contacts) and returns them keyed by
// lower-cased email, with props (and email) filled in. Emails without a contact are absent from the
// map: HubSpot reports them as a 207 OBJECT_NOT_FOUND error, which is an answer, not a failure. Any
// other per-input error fails the call, since a contact whose values are unknown must not be treated as
// lacking them.
func (c *Client) ReadContactsByEmail(ctx context.Context, emails, props []string) (map[string]Contact, error) {
	body := batchReadBody{IDProperty: "email", Properties: append([]string{"email"}, props...)}
	seen := make(map[string]bool, len(emails))
	for i, e := range emails {
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, invalidInput("ReadContactsByEmail: email %d is empty", i)
		}
		// HubSpot compares emails case-insensitively; the same one twice is a duplicate id.
		if k := strings.ToLower(e); !seen[k] {
			seen[k] = true
			body.Inputs = append(body.Inputs, batchReadInput{ID: e})
		}
	}
	if len(body.Inputs) > MaxBatchSize {
		return nil, invalidInput("ReadContactsByEmail: %d emails, HubSpot accepts at most %d per batch", len(body.Inputs), MaxBatchSize)
	}
	out := make(map[string]Contact, len(body.Inputs))
	if len(body.Inputs) == 0 {
		return out, nil
	}
	body.Properties = slices.Compact(slices.Sorted(slices.Values(body.Properties)))
	var resp batchResponse
	status, err := c.do(ctx, http.MethodPost, contactsPath+"/batch/read", nil, body, &resp)
	if err != nil {
		return nil, err
	}
	for _, ae := range resp.Errors {
		if e := batchItemError(ae, status); e.Kind != KindNotFound {
			return nil, e
		}
	}
	for _, r := range resp.Results {
		ct := r.contact()
		if email := strings.ToLower(strings.TrimSpace(ct.Properties["email"])); email != "" {
			out[email] = ct
		}
	}
	return out, nil
}
