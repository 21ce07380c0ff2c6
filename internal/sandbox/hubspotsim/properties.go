package hubspotsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Property is a contact property definition (docs/hubspot-api.md#properties;
// OpenAPI schema Property).
type Property struct {
	Name                 string                       `json:"name"`
	Label                string                       `json:"label"`
	Type                 string                       `json:"type"`
	FieldType            string                       `json:"fieldType"`
	Description          string                       `json:"description"`
	GroupName            string                       `json:"groupName"`
	Options              []PropertyOption             `json:"options"`
	DisplayOrder         int                          `json:"displayOrder"`
	Calculated           bool                         `json:"calculated"`
	ExternalOptions      bool                         `json:"externalOptions"`
	HasUniqueValue       bool                         `json:"hasUniqueValue"`
	Hidden               bool                         `json:"hidden"`
	HubspotDefined       bool                         `json:"hubspotDefined,omitempty"`
	FormField            bool                         `json:"formField"`
	ModificationMetadata PropertyModificationMetadata `json:"modificationMetadata"`
	CreatedAt            time.Time                    `json:"createdAt,omitzero"`
	UpdatedAt            time.Time                    `json:"updatedAt,omitzero"`
	Archived             bool                         `json:"archived"`
}

// PropertyOption is one choice of an enumeration property.
type PropertyOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// PropertyModificationMetadata says what may be changed; ReadOnlyValue
// properties cannot be written through the objects API.
type PropertyModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

// PropertyGroup groups properties in HubSpot's UI.
type PropertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
}

// builtinProperties returns the HubSpot-defined contact properties and groups
// the fake starts with. The task fixes the first eight; a few other common
// ones are included because real portals have them and clients use them.
// Custom properties (the bridge's share_link / share_code) must be created
// through the properties API, as on a real portal.
func builtinProperties(now time.Time) (map[string]*Property, map[string]*PropertyGroup) {
	groups := map[string]*PropertyGroup{
		"contactinformation": {Name: "contactinformation", Label: "Contact information", DisplayOrder: 0},
	}
	type def struct {
		name, label, typ, field string
		readOnly                bool
	}
	defs := []def{
		{"email", "Email", "string", "text", false},
		{"firstname", "First Name", "string", "text", false},
		{"lastname", "Last Name", "string", "text", false},
		{"company", "Company Name", "string", "text", false},
		{"phone", "Phone Number", "string", "phonenumber", false},
		{"mobilephone", "Mobile Phone Number", "string", "phonenumber", false},
		{"website", "Website URL", "string", "text", false},
		{"jobtitle", "Job Title", "string", "text", false},
		{"lifecyclestage", "Lifecycle Stage", "enumeration", "radio", false},
		{"createdate", "Create Date", "datetime", "date", true},
		{"lastmodifieddate", "Last Modified Date", "datetime", "date", true},
		{"hs_object_id", "Record ID", "number", "number", true},
	}
	props := make(map[string]*Property, len(defs))
	for i, d := range defs {
		props[d.name] = &Property{
			Name: d.name, Label: d.label, Type: d.typ, FieldType: d.field, GroupName: "contactinformation",
			Options: []PropertyOption{}, DisplayOrder: i, HubspotDefined: true, FormField: !d.readOnly,
			HasUniqueValue: false,
			ModificationMetadata: PropertyModificationMetadata{
				Archivable: false, ReadOnlyDefinition: true, ReadOnlyValue: d.readOnly,
			},
			UpdatedAt: now.UTC().Truncate(time.Millisecond),
		}
	}
	return props, groups
}

// Properties returns the contact property definitions, built-ins included,
// sorted by name.
func (h *HubSpot) Properties() []Property {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sortedPropertiesLocked()
}

func (h *HubSpot) sortedPropertiesLocked() []Property {
	out := make([]Property, 0, len(h.props))
	for _, p := range h.props {
		cp := *p
		cp.Options = append([]PropertyOption{}, p.Options...)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Allowed values of PropertyCreate.type and .fieldType
// (docs/hubspot-api.md#properties).
var (
	propertyTypes      = []string{"bool", "date", "datetime", "enumeration", "number", "phone_number", "string"}
	propertyFieldTypes = []string{"booleancheckbox", "calculation_equation", "checkbox", "date", "file", "html", "number", "phonenumber", "radio", "select", "text", "textarea"}
)

type propertyCreate struct {
	Name           string           `json:"name"`
	Label          string           `json:"label"`
	Type           string           `json:"type"`
	FieldType      string           `json:"fieldType"`
	GroupName      string           `json:"groupName"`
	Description    string           `json:"description"`
	Options        []PropertyOption `json:"options"`
	DisplayOrder   *int             `json:"displayOrder"`
	HasUniqueValue bool             `json:"hasUniqueValue"`
	Hidden         bool             `json:"hidden"`
	FormField      bool             `json:"formField"`
}

// getProperty: 200 or 404 OBJECT_NOT_FOUND (message chosen; undocumented).
func (h *HubSpot) getProperty(c *hsCall, params []string) {
	name := pathID(params)
	p, ok := h.props[name]
	if !ok {
		h.fail(c, http.StatusNotFound, hsErrorBody{Message: fmt.Sprintf("Unable to find property %s for object type 0-1", name), Category: "OBJECT_NOT_FOUND"})
		return
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, p)
}

// createProperty handles POST /crm/v3/properties/contacts → 201 Property
// (docs/hubspot-api.md#properties). name, label, type, fieldType and groupName
// are required and type/fieldType must be known values (400 VALIDATION_ERROR);
// the group must exist (400); an existing name is 409 OBJECT_ALREADY_EXISTS.
// The 409 text is undocumented for v3 (this one is a guess); clients should key
// on the status.
func (h *HubSpot) createProperty(c *hsCall, _ []string) {
	var in propertyCreate
	if !h.decodeBody(c, &in) {
		return
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"name", in.Name}, {"label", in.Label}, {"type", in.Type}, {"fieldType", in.FieldType}, {"groupName", in.GroupName}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		h.validationError(c, fmt.Sprintf("Invalid input JSON: Cannot build PropertyCreate, some of required attributes are not set [%s]", strings.Join(missing, ", ")))
		return
	}
	if !contains(propertyTypes, in.Type) {
		h.validationError(c, fmt.Sprintf("Invalid input JSON: type %q is not one of %v", in.Type, propertyTypes))
		return
	}
	if !contains(propertyFieldTypes, in.FieldType) {
		h.validationError(c, fmt.Sprintf("Invalid input JSON: fieldType %q is not one of %v", in.FieldType, propertyFieldTypes))
		return
	}
	if _, ok := h.groups[in.GroupName]; !ok {
		h.validationError(c, fmt.Sprintf("Property group %s does not exist", in.GroupName))
		return
	}
	if _, exists := h.props[in.Name]; exists {
		h.fail(c, http.StatusConflict, hsErrorBody{Message: fmt.Sprintf("Property named '%s' already exists.", in.Name), Category: "OBJECT_ALREADY_EXISTS"})
		return
	}
	order := -1
	if in.DisplayOrder != nil {
		order = *in.DisplayOrder
	}
	opts := in.Options
	if opts == nil {
		opts = []PropertyOption{}
	}
	at := c.at.UTC().Truncate(time.Millisecond)
	p := &Property{
		Name: in.Name, Label: in.Label, Type: in.Type, FieldType: in.FieldType, GroupName: in.GroupName,
		Description: in.Description, Options: opts, DisplayOrder: order, HasUniqueValue: in.HasUniqueValue,
		Hidden: in.Hidden, FormField: in.FormField,
		ModificationMetadata: PropertyModificationMetadata{Archivable: true},
		CreatedAt:            at, UpdatedAt: at,
	}
	h.props[p.Name] = p
	h.stats.Writes++
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusCreated, p)
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func (h *HubSpot) getGroup(c *hsCall, params []string) {
	name := pathID(params)
	g, ok := h.groups[name]
	if !ok {
		h.fail(c, http.StatusNotFound, hsErrorBody{Message: fmt.Sprintf("Unable to find property group %s for object type 0-1", name), Category: "OBJECT_NOT_FOUND"})
		return
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, g)
}

// createGroup handles POST .../groups (name and label required) → 201, or
// 409 when the name exists (body chosen in the same shape as properties').
func (h *HubSpot) createGroup(c *hsCall, _ []string) {
	var in struct {
		Name         string `json:"name"`
		Label        string `json:"label"`
		DisplayOrder *int   `json:"displayOrder"`
	}
	if !h.decodeBody(c, &in) {
		return
	}
	if strings.TrimSpace(in.Name) == "" || strings.TrimSpace(in.Label) == "" {
		h.validationError(c, "Invalid input JSON: Cannot build PropertyGroupCreate, some of required attributes are not set [name, label]")
		return
	}
	if _, exists := h.groups[in.Name]; exists {
		h.fail(c, http.StatusConflict, hsErrorBody{Message: fmt.Sprintf("Property group named '%s' already exists.", in.Name), Category: "OBJECT_ALREADY_EXISTS"})
		return
	}
	g := &PropertyGroup{Name: in.Name, Label: in.Label, DisplayOrder: -1}
	if in.DisplayOrder != nil {
		g.DisplayOrder = *in.DisplayOrder
	}
	h.groups[g.Name] = g
	h.stats.Writes++
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusCreated, g)
}
