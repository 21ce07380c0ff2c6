package hubspot

import (
	"context"
	"net/http"
	"net/url"
)

const contactPropertiesPath = "/crm/v3/properties/contacts"

// PropertyDef describes a custom contact property. An empty Label defaults to Name.
type PropertyDef struct {
	Name        string
	Label       string
	Description string
	// Type is "" for single-line text or PropertyNumber. Empty is left out of the JSON so the
	// definitions recorded in workflow histories before it existed stay the same.
	Type string `json:",omitempty"`
}

// PropertyNumber is PropertyDef.Type of a number property.
const PropertyNumber = "number"

// wireTypes are the property's type and fieldType on HubSpot's API.
func (d PropertyDef) wireTypes() (typ, fieldType string) {
	if d.Type == PropertyNumber {
		return "number", "number"
	}
	return "string", "text"
}

// EnsureReport says what EnsureContactProperties did.
type EnsureReport struct {
	GroupCreated bool
	Created      []string // property names created by this call
	Existing     []string // property names that were already there
}

type propertyGroupCreate struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

type propertyCreate struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type"`
	FieldType   string `json:"fieldType"`
	GroupName   string `json:"groupName"`
}

// EnsureContactProperties makes sure the property group and one single-line text property per def exist on
// contacts (docs/hubspot-api.md#properties). It is idempotent and safe to run concurrently with itself: each
// item is read first (GET → 200 exists, 404 → POST), and a 409 on the POST means someone else created it in
// between, which counts as existing. Existing properties are not modified. On error the report covers what
// was done.
func (c *Client) EnsureContactProperties(ctx context.Context, group, groupLabel string, defs []PropertyDef) (EnsureReport, error) {
	var rep EnsureReport
	if group == "" {
		return rep, invalidInput("EnsureContactProperties: empty group name")
	}
	for i, d := range defs {
		if d.Name == "" {
			return rep, invalidInput("EnsureContactProperties: property %d has no name", i)
		}
	}
	if groupLabel == "" {
		groupLabel = group
	}

	created, err := c.ensure(ctx, contactPropertiesPath+"/groups/"+url.PathEscape(group),
		contactPropertiesPath+"/groups", propertyGroupCreate{Name: group, Label: groupLabel})
	if err != nil {
		return rep, err
	}
	rep.GroupCreated = created

	for _, d := range defs {
		label := d.Label
		if label == "" {
			label = d.Name
		}
		typ, field := d.wireTypes()
		created, err := c.ensure(ctx, contactPropertiesPath+"/"+url.PathEscape(d.Name), contactPropertiesPath,
			propertyCreate{Name: d.Name, Label: label, Description: d.Description, Type: typ, FieldType: field, GroupName: group})
		if err != nil {
			return rep, err
		}
		if created {
			rep.Created = append(rep.Created, d.Name)
		} else {
			rep.Existing = append(rep.Existing, d.Name)
		}
	}
	return rep, nil
}

// CreatePropertyGroup creates a contact property group with exactly one request (POST). created is false
// when the group already exists (409): creating is the check, so callers that must stay within a per-call
// rate limit never need a read first.
func (c *Client) CreatePropertyGroup(ctx context.Context, name, label string) (created bool, err error) {
	if name == "" {
		return false, invalidInput("CreatePropertyGroup: empty group name")
	}
	if label == "" {
		label = name
	}
	return c.create(ctx, contactPropertiesPath+"/groups", propertyGroupCreate{Name: name, Label: label})
}

// CreateContactProperty creates one contact property (text, or d.Type) in group with exactly one request
// (POST); created is false when a property of that name already exists (409). An existing property is
// not modified.
func (c *Client) CreateContactProperty(ctx context.Context, group string, d PropertyDef) (created bool, err error) {
	if group == "" || d.Name == "" {
		return false, invalidInput("CreateContactProperty: empty group or property name")
	}
	label := d.Label
	if label == "" {
		label = d.Name
	}
	typ, field := d.wireTypes()
	return c.create(ctx, contactPropertiesPath,
		propertyCreate{Name: d.Name, Label: label, Description: d.Description, Type: typ, FieldType: field, GroupName: group})
}

// create POSTs body to path; a 409 means it exists. HubSpot's v3 409 body for properties is not
// documented, so only the status is looked at.
func (c *Client) create(ctx context.Context, path string, body any) (bool, error) {
	_, err := c.do(ctx, http.MethodPost, path, nil, body, nil)
	if e, ok := AsError(err); ok && e.Kind == KindConflict {
		return false, nil
	}
	return err == nil, err
}

// ensure GETs getPath and, on 404, POSTs create to postPath. It reports whether this call created it. The 409
// body of an existing property is undocumented for v3 (docs/hubspot-api.md#properties), so only the status is
// looked at.
func (c *Client) ensure(ctx context.Context, getPath, postPath string, create any) (bool, error) {
	_, err := c.do(ctx, http.MethodGet, getPath, nil, nil, nil)
	if err == nil {
		return false, nil
	}
	if e, ok := AsError(err); !ok || e.Kind != KindNotFound {
		return false, err
	}
	return c.create(ctx, postPath, create)
}
