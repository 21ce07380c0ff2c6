package hubspot

import (
	"context"
	"net/http"
	"net/url"
)

// contactLabelsPath is the v4 association-labels endpoint for contact↔contact
// (https://developers.hubspot.com/docs/api-reference/crm-associations-schema-v4/guide).
const contactLabelsPath = "/crm/associations/v4/contacts/contacts/labels"

// AssociationType is one association type between two object types: HubSpot's own (unlabelled or
// labelled) or a custom label (category USER_DEFINED).
type AssociationType struct {
	Category string `json:"category"`
	TypeID   int    `json:"typeId"`
	Label    string `json:"label,omitempty"` // "" for HubSpot's unlabelled types
}

// LabelPair is a paired custom label: Label on one side, InverseLabel on the other. Name is the
// internal name (no hyphens, not starting with a digit).
type LabelPair struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	InverseLabel string `json:"inverseLabel"`
}

type associationTypes struct {
	Results []struct {
		Category string  `json:"category"`
		TypeID   int     `json:"typeId"`
		Label    *string `json:"label"`
	} `json:"results"`
}

func (r associationTypes) types() []AssociationType {
	out := make([]AssociationType, 0, len(r.Results))
	for _, t := range r.Results {
		at := AssociationType{Category: t.Category, TypeID: t.TypeID}
		if t.Label != nil {
			at.Label = *t.Label
		}
		out = append(out, at)
	}
	return out
}

// ContactLabels lists the association types between contacts, the custom labels among them.
func (c *Client) ContactLabels(ctx context.Context) ([]AssociationType, error) {
	var out associationTypes
	if _, err := c.do(ctx, http.MethodGet, contactLabelsPath, nil, nil, &out); err != nil {
		return nil, err
	}
	return out.types(), nil
}

// CreateContactLabelPair creates a paired contact↔contact label with one request and returns the two
// types HubSpot made, each with its own label text (HubSpot answers 200).
func (c *Client) CreateContactLabelPair(ctx context.Context, p LabelPair) ([]AssociationType, error) {
	if p.Name == "" || p.Label == "" || p.InverseLabel == "" {
		return nil, invalidInput("CreateContactLabelPair: name, label and inverse label are required")
	}
	var out associationTypes
	if _, err := c.do(ctx, http.MethodPost, contactLabelsPath, nil, p, &out); err != nil {
		return nil, err
	}
	return out.types(), nil
}

// AssociateContacts labels contact to as typeID (USER_DEFINED) from contact from, with one request
// (PUT /crm/v4/objects/contacts/{from}/associations/contacts/{to}). HubSpot keeps a label pair in both
// directions, so the other side gets the inverse label. Writing a label the pair already has changes
// nothing.
func (c *Client) AssociateContacts(ctx context.Context, from, to string, typeID int) error {
	if from == "" || to == "" || typeID <= 0 {
		return invalidInput("AssociateContacts: both contact ids and a type id are required")
	}
	path := "/crm/v4/objects/contacts/" + url.PathEscape(from) + "/associations/contacts/" + url.PathEscape(to)
	body := []map[string]any{{"associationCategory": "USER_DEFINED", "associationTypeId": typeID}}
	_, err := c.do(ctx, http.MethodPut, path, nil, body, nil)
	return err
}

// UpdateContactByEmail sets properties on the existing contact with this email and returns its id, with
// one request (PATCH /crm/v3/objects/contacts/{email}?idProperty=email). Unlike an upsert it never creates
// a contact: a contact that does not exist (or was deleted for privacy) is a KindNotFound error.
func (c *Client) UpdateContactByEmail(ctx context.Context, email string, props map[string]string) (string, error) {
	if email == "" {
		return "", invalidInput("UpdateContactByEmail: empty email")
	}
	var out struct {
		ID string `json:"id"`
	}
	body := map[string]any{"properties": props}
	if _, err := c.do(ctx, http.MethodPatch, contactsPath+"/"+url.PathEscape(email), url.Values{"idProperty": {"email"}}, body, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}
