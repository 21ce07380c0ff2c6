package hubspotsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// hsTimeLayout is HubSpot's timestamp form, e.g. "2024-01-17T19:55:04.281Z"
// (docs/hubspot-api.md#contacts). createdate and lastmodifieddate values use it
// too.
const hsTimeLayout = "2006-01-02T15:04:05.000Z"

func hsTime(t time.Time) string { return t.UTC().Format(hsTimeLayout) }

// hsDefaultProps are returned on every read whether requested or not
// (docs/hubspot-api.md#contacts and the search example in
// docs/hubspot-api.md#search).
var hsDefaultProps = []string{"email", "firstname", "lastname", "createdate", "lastmodifieddate", "hs_object_id"}

// propSel selects the properties a response shows; nil shows all.
type propSel map[string]bool

// selectProps builds the selection for reads: the requested names (each may be
// a comma-separated list, as the docs describe; SDKs repeat the parameter
// instead, docs/hubspot-api.md#contacts) plus the defaults. Unknown names are
// ignored.
func selectProps(requested []string) propSel {
	sel := propSel{}
	for _, p := range hsDefaultProps {
		sel[p] = true
	}
	for _, v := range requested {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				sel[p] = true
			}
		}
	}
	return sel
}

// hsObject is SimplePublicObject (docs/hubspot-api.md#contacts); New is only
// set for upsert results (SimplePublicUpsertObject,
// docs/hubspot-api.md#contacts).
type hsObject struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	CreatedAt  string            `json:"createdAt"`
	UpdatedAt  string            `json:"updatedAt"`
	Archived   bool              `json:"archived"` // always false: the sandbox never archives
	New        *bool             `json:"new,omitempty"`
}

// object renders a contact. Properties without a value are omitted, as the
// docs say (docs/hubspot-api.md#contacts).
func (c *hsContact) object(sel propSel) hsObject {
	props := map[string]string{}
	for k, v := range c.props {
		if v != "" && (sel == nil || sel[k]) {
			props[k] = v
		}
	}
	return hsObject{ID: strconv.FormatInt(c.id, 10), Properties: props, CreatedAt: hsTime(c.created), UpdatedAt: hsTime(c.updated)}
}

// newContactLocked stores a contact with the next id and the maintained
// properties createdate, lastmodifieddate and hs_object_id.
func (h *HubSpot) newContactLocked(props map[string]string, at time.Time) *hsContact {
	c := &hsContact{id: h.nextID, props: map[string]string{}, created: at, updated: at}
	h.nextID++
	for k, v := range props {
		if v != "" {
			c.props[k] = v
		}
	}
	c.props["createdate"] = hsTime(at)
	c.props["lastmodifieddate"] = hsTime(at)
	c.props["hs_object_id"] = strconv.FormatInt(c.id, 10)
	h.contacts = append(h.contacts, c)
	h.byID[c.id] = c
	if e := strings.ToLower(c.props["email"]); e != "" {
		h.byEmail[e] = c
	}
	return c
}

// updateContactLocked applies property writes; "" clears a property
// ("Properties values can be cleared by passing an empty string",
// docs/hubspot-api.md#contacts).
func (h *HubSpot) updateContactLocked(c *hsContact, props map[string]string, at time.Time) {
	h.emitPropertyChangesLocked("contact", c.id, c.props, props, at)
	if newEmail, ok := props["email"]; ok {
		if old := strings.ToLower(c.props["email"]); old != "" {
			delete(h.byEmail, old)
		}
		if newEmail != "" {
			h.byEmail[strings.ToLower(newEmail)] = c
		}
	}
	for k, v := range props {
		if v == "" {
			delete(c.props, k)
		} else {
			c.props[k] = v
		}
	}
	c.updated = at
	c.props["lastmodifieddate"] = hsTime(at)
}

// emailOwnerLocked returns the live contact holding email, if any.
func (h *HubSpot) emailOwnerLocked(email string) (*hsContact, bool) {
	if email == "" {
		return nil, false
	}
	c, ok := h.byEmail[strings.ToLower(email)]
	return c, ok
}

// hsPropError is one entry of the JSON array HubSpot embeds in a
// VALIDATION_ERROR message (docs/hubspot-api.md#errors, HubSpot's
// error-handling example).
type hsPropError struct {
	IsValid               bool   `json:"isValid"`
	Message               string `json:"message"`
	Error                 string `json:"error"`
	Name                  string `json:"name"`
	LocalizedErrorMessage string `json:"localizedErrorMessage"`
	PortalID              int    `json:"portalId"`
}

func propError(name, code, msg string) hsPropError {
	return hsPropError{Message: msg, Error: code, Name: name, LocalizedErrorMessage: msg, PortalID: hubSpotPortalID}
}

// propErrorsMessage renders "Property values were not valid: [...]".
func propErrorsMessage(errs []hsPropError) string {
	return "Property values were not valid: " + string(sandbox.MarshalJSON(errs))
}

// validatePropsLocked checks property writes against the definitions: undefined
// → PROPERTY_DOESNT_EXIST (docs/hubspot-api.md#contacts); read-only →
// READ_ONLY_VALUE ("Read-only and non-existent properties will result in an
// error", docs/hubspot-api.md#contacts; the error code is a guess); malformed
// email → INVALID_EMAIL; an enumeration value that is not an option →
// INVALID_OPTION. Values of other types are not checked. Errors come in
// property-name order, every refused property named.
func (h *HubSpot) validatePropsLocked(props map[string]string) []hsPropError {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	var errs []hsPropError
	for _, k := range names {
		v := props[k]
		def, ok := h.props[k]
		switch {
		case !ok:
			errs = append(errs, propError(k, "PROPERTY_DOESNT_EXIST", fmt.Sprintf("Property %q does not exist", k)))
		case def.ModificationMetadata.ReadOnlyValue:
			errs = append(errs, propError(k, "READ_ONLY_VALUE", fmt.Sprintf("Property %q is read-only", k)))
		case k == "email" && v != "" && !sandbox.IsValidEmail(v):
			errs = append(errs, propError(k, "INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", v)))
		case !validOption(def, v):
			values := make([]string, 0, len(def.Options))
			for _, o := range def.Options {
				values = append(values, o.Value)
			}
			errs = append(errs, propError(k, "INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: [%s]", v, strings.Join(values, ", "))))
		}
	}
	return errs
}

// validOption checks an enumeration value against the property's option values (not labels); a
// multi-select (fieldType checkbox) takes several, separated by ";". Options kept outside the definition
// (externalOptions, e.g. pipeline stages) and an empty option list are not checked, as the fake cannot
// know them. The error form is the observed one, e.g. "reports was not one of the allowed options:
// [PRODUCT_ISSUE, BILLING_ISSUE]" with code INVALID_OPTION.
func validOption(def *Property, v string) bool {
	if def.Type != "enumeration" || def.ExternalOptions || len(def.Options) == 0 || v == "" {
		return true
	}
	values := []string{v}
	if def.FieldType == "checkbox" {
		values = strings.Split(v, ";")
	}
	for _, x := range values {
		if !slices.ContainsFunc(def.Options, func(o PropertyOption) bool { return o.Value == x }) {
			return false
		}
	}
	return true
}

// decodeProps turns a "properties" object into strings. HubSpot property
// values are strings, but numbers and booleans are accepted as their text
// (its own line-item example sends "price":10); null clears like "".
func decodeProps(raw map[string]json.RawMessage) (map[string]string, error) {
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || string(v) == "null":
			out[k] = ""
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, err
			}
			out[k] = s
		case v[0] == '{' || v[0] == '[':
			return nil, fmt.Errorf("property %q: expected a string value", k)
		default:
			out[k] = string(v)
		}
	}
	return out, nil
}

// decodeBody parses a JSON request body into v; failures are 400
// VALIDATION_ERROR "Invalid input JSON ..." (wording chosen; HubSpot reports
// parse failures in that category).
func (h *HubSpot) decodeBody(c *hsCall, v any) bool {
	if len(bytes.TrimSpace(c.body)) == 0 {
		h.validationError(c, "Invalid input JSON: the request body is empty.")
		return false
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		h.validationError(c, "Invalid input JSON: "+err.Error())
		return false
	}
	return true
}

func (h *HubSpot) conflict(c *hsCall, existing *hsContact) {
	h.fail(c, http.StatusConflict, hsErrorBody{Message: conflictMessage(existing), Category: "CONFLICT"})
}

// conflictMessage is the short 409 form (docs/hubspot-api.md#contacts), the
// later observed one, rather than the richer OBJECT_ALREADY_EXISTS variant;
// clients parse "Existing ID: (\d+)" from it.
func conflictMessage(existing *hsContact) string {
	return fmt.Sprintf("Contact already exists. Existing ID: %d", existing.id)
}

func (h *HubSpot) notFound(c *hsCall, id string) {
	// Body as observed for an unknown object (docs/hubspot-api.md#contacts),
	// including the two spaces; assumed identical for unknown numeric ids.
	h.fail(c, http.StatusNotFound, hsErrorBody{
		Message:  "Object not found.  objectId are usually numeric.",
		Context:  map[string][]string{"id": {id}},
		Category: "OBJECT_NOT_FOUND",
	})
}

// --- single-object endpoints ------------------------------------------------------

type hsObjectInput struct {
	ID                 string                     `json:"id"`
	IDProperty         string                     `json:"idProperty"`
	Properties         map[string]json.RawMessage `json:"properties"`
	ObjectWriteTraceID string                     `json:"objectWriteTraceId"`
}

// createContact handles POST /crm/v3/objects/contacts → 201, or 409 CONFLICT
// when a live contact has the email (docs/hubspot-api.md#contacts).
func (h *HubSpot) createContact(c *hsCall, _ []string) {
	var in hsObjectInput
	if !h.decodeBody(c, &in) {
		return
	}
	props, err := decodeProps(in.Properties)
	if err != nil {
		h.validationError(c, "Invalid input JSON: "+err.Error())
		return
	}
	if errs := h.validatePropsLocked(props); len(errs) > 0 {
		h.validationError(c, propErrorsMessage(errs))
		return
	}
	if existing, ok := h.emailOwnerLocked(props["email"]); ok {
		h.conflict(c, existing)
		return
	}
	ct := h.newContactLocked(props, c.at)
	h.emitPropertyChangesLocked("contact", ct.id, nil, props, c.at)
	h.stats.Writes++
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusCreated, ct.object(nil))
}

// lookupLocked resolves a record id per idProperty
// (docs/hubspot-api.md#contacts): absent or hs_object_id = numeric record id;
// email = case-insensitive email; any other defined property with
// hasUniqueValue = its value. ok=false with msg set means the idProperty
// itself is unusable (400).
func (h *HubSpot) lookupLocked(id, idProperty string) (c *hsContact, found bool, msg string) {
	switch idProperty {
	case "", "hs_object_id":
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, false, ""
		}
		c, ok := h.byID[n]
		if !ok {
			return nil, false, ""
		}
		return c, true, ""
	case "email":
		c, ok := h.emailOwnerLocked(id)
		return c, ok, ""
	default:
		def, ok := h.props[idProperty]
		if !ok {
			return nil, false, fmt.Sprintf("Property %q does not exist", idProperty)
		}
		if !def.HasUniqueValue {
			return nil, false, fmt.Sprintf("Property %q is not a unique identifier property", idProperty)
		}
	}
	for _, ct := range h.contacts {
		if id != "" && strings.EqualFold(ct.props[idProperty], id) {
			return ct, true, ""
		}
	}
	return nil, false, ""
}

// pathID returns the {contactId} segment decoded; an email may arrive with "@"
// raw or as "%40" (docs/hubspot-api.md#contacts), both of which decode the
// same.
func pathID(params []string) string {
	id, err := url.PathUnescape(params[0])
	if err != nil {
		return params[0]
	}
	return id
}

func (h *HubSpot) getContact(c *hsCall, params []string) {
	q := c.r.URL.Query()
	id := pathID(params)
	ct, ok, msg := h.lookupLocked(id, q.Get("idProperty"))
	if msg != "" {
		h.validationError(c, msg)
		return
	}
	if !ok {
		h.notFound(c, id)
		return
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, ct.object(selectProps(q["properties"])))
}

// patchContact handles PATCH by id or ?idProperty=email
// (docs/hubspot-api.md#contacts). Changing the email to one another contact
// holds is a 409 in the same short CONFLICT form as create.
func (h *HubSpot) patchContact(c *hsCall, params []string) {
	q := c.r.URL.Query()
	id := pathID(params)
	var in hsObjectInput
	if !h.decodeBody(c, &in) {
		return
	}
	ct, ok, msg := h.lookupLocked(id, q.Get("idProperty"))
	if msg != "" {
		h.validationError(c, msg)
		return
	}
	if !ok {
		h.notFound(c, id)
		return
	}
	props, err := decodeProps(in.Properties)
	if err != nil {
		h.validationError(c, "Invalid input JSON: "+err.Error())
		return
	}
	if errs := h.validatePropsLocked(props); len(errs) > 0 {
		h.validationError(c, propErrorsMessage(errs))
		return
	}
	if owner, taken := h.emailOwnerLocked(props["email"]); taken && owner != ct {
		h.conflict(c, owner)
		return
	}
	h.updateContactLocked(ct, props, c.at)
	h.stats.Writes++
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, ct.object(nil))
}

// --- batch endpoints -------------------------------------------------------------

var batchHandlers = map[string]hsHandler{
	"read":   (*HubSpot).batchRead,
	"upsert": (*HubSpot).batchUpsert,
	"create": (*HubSpot).batchCreate,
}

// maxBatchInputs: "Batch operations are limited to 100 records at a time"
// (docs/hubspot-api.md#contacts).
const maxBatchInputs = 100

type hsBatchRequest struct {
	Inputs     []hsObjectInput `json:"inputs"`
	Properties []string        `json:"properties"`
	IDProperty string          `json:"idProperty"`
}

// hsBatchError is a StandardError inside a batch response
// (docs/hubspot-api.md#contacts).
type hsBatchError struct {
	Status   string              `json:"status"`
	Category string              `json:"category"`
	Message  string              `json:"message"`
	Context  map[string][]string `json:"context,omitempty"`
}

type hsBatchResponse struct {
	Status      string         `json:"status"`
	Results     []hsObject     `json:"results"`
	NumErrors   int            `json:"numErrors,omitempty"`
	Errors      []hsBatchError `json:"errors,omitempty"`
	StartedAt   string         `json:"startedAt"`
	CompletedAt string         `json:"completedAt"`
}

// decodeBatch parses a batch body and enforces the 100-input limit. The 400
// body for too many inputs is unconfirmed (docs/hubspot-api.md#contacts); this
// one is VALIDATION_ERROR with a message naming the limit.
func (h *HubSpot) decodeBatch(c *hsCall) (hsBatchRequest, bool) {
	var req hsBatchRequest
	if !h.decodeBody(c, &req) {
		return req, false
	}
	if len(req.Inputs) > maxBatchInputs {
		h.validationError(c, fmt.Sprintf("Too many inputs: %d. Batch operations are limited to %d records per request.", len(req.Inputs), maxBatchInputs))
		return req, false
	}
	return req, true
}

// rejectDuplicateIDs refuses a batch naming the same record twice. HubSpot is
// reported to answer "Duplicate IDs found in batch input" with 400; the exact
// text is unconfirmed. Emails compare case-insensitively.
func (h *HubSpot) rejectDuplicateIDs(c *hsCall, req hsBatchRequest) bool {
	seen := map[string]bool{}
	var dups []string
	for _, in := range req.Inputs {
		k := strings.ToLower(in.ID)
		if seen[k] {
			dups = append(dups, in.ID)
		}
		seen[k] = true
	}
	if len(dups) > 0 {
		h.validationError(c, fmt.Sprintf("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(dups, ", ")))
		return true
	}
	return false
}

func (h *HubSpot) writeBatch(c *hsCall, okStatus int, results []hsObject, errs []hsBatchError) {
	resp := hsBatchResponse{Status: "COMPLETE", Results: results, StartedAt: hsTime(c.at), CompletedAt: hsTime(h.now())}
	status := okStatus
	if len(errs) > 0 {
		resp.Errors, resp.NumErrors, status = errs, len(errs), http.StatusMultiStatus
	}
	sandbox.WriteJSON(c.w, hubspotContentType, status, resp)
}

// inputContext names an input in a per-input error: its objectWriteTraceId
// when given (as HubSpot does, docs/hubspot-api.md#contacts), else its id.
func inputContext(in hsObjectInput) map[string][]string {
	if in.ObjectWriteTraceID != "" {
		return map[string][]string{"objectWriteTraceId": {in.ObjectWriteTraceID}}
	}
	if in.ID != "" {
		return map[string][]string{"ids": {in.ID}}
	}
	return nil
}

func notFoundBatchError(ids []string) hsBatchError {
	return hsBatchError{
		Status: "error", Category: "OBJECT_NOT_FOUND",
		Message: "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
		Context: map[string][]string{"ids": ids},
	}
}

// batchRead handles POST .../batch/read (docs/hubspot-api.md#contacts): found
// records in results (input order, each once); missing ids in one
// OBJECT_NOT_FOUND error with context.ids, making the answer 207. Supports
// idProperty "email"; properties as in the body.
func (h *HubSpot) batchRead(c *hsCall, _ []string) {
	req, ok := h.decodeBatch(c)
	if !ok {
		return
	}
	sel := selectProps(req.Properties)
	results := []hsObject{}
	var missing []string
	seen := map[*hsContact]bool{}
	for _, in := range req.Inputs {
		ct, found, msg := h.lookupLocked(in.ID, req.IDProperty)
		if msg != "" {
			h.validationError(c, msg)
			return
		}
		if !found {
			missing = append(missing, in.ID)
			continue
		}
		if !seen[ct] {
			seen[ct] = true
			results = append(results, ct.object(sel))
		}
	}
	var errs []hsBatchError
	if len(missing) > 0 {
		errs = append(errs, notFoundBatchError(missing))
	}
	h.writeBatch(c, http.StatusOK, results, errs)
}

// batchUpsert handles POST .../batch/upsert (docs/hubspot-api.md#contacts): per
// input, idProperty (per input, else top level) "email" with id = the email
// creates the contact if no live contact has it and updates it otherwise, in
// one step under the fake's lock. Results carry "new": true for created, false
// for updated records. Without idProperty the id is a record id and the input
// can only update. Invalid inputs (bad email as id or property, unknown
// property) get per-input VALIDATION_ERROR entries and a 207; the valid ones
// are applied.
func (h *HubSpot) batchUpsert(c *hsCall, _ []string) {
	req, ok := h.decodeBatch(c)
	if !ok || h.rejectDuplicateIDs(c, req) {
		return
	}
	results := []hsObject{}
	var errs []hsBatchError
	var missing []string
	for _, in := range req.Inputs {
		idProp := in.IDProperty
		if idProp == "" {
			idProp = req.IDProperty
		}
		vErr := func(msg string) {
			errs = append(errs, hsBatchError{Status: "error", Category: "VALIDATION_ERROR", Message: msg, Context: inputContext(in)})
		}
		props, err := decodeProps(in.Properties)
		if err != nil {
			vErr("Invalid input JSON: " + err.Error())
			continue
		}
		perrs := h.validatePropsLocked(props)
		if idProp == "email" && !sandbox.IsValidEmail(in.ID) {
			perrs = append(perrs, propError("email", "INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", in.ID)))
		}
		if len(perrs) > 0 {
			vErr(propErrorsMessage(perrs))
			continue
		}
		ct, found, msg := h.lookupLocked(in.ID, idProp)
		if msg != "" {
			vErr(msg)
			continue
		}
		if found {
			if owner, taken := h.emailOwnerLocked(props["email"]); taken && owner != ct {
				errs = append(errs, hsBatchError{Status: "error", Category: "CONFLICT", Message: conflictMessage(owner), Context: inputContext(in)})
				continue
			}
			h.updateContactLocked(ct, props, c.at)
			h.stats.Writes++
			o := ct.object(nil)
			o.New = new(false)
			results = append(results, o)
			continue
		}
		if idProp == "" || idProp == "hs_object_id" {
			missing = append(missing, in.ID)
			continue
		}
		// Create: the id becomes the value of the identifying property.
		if idProp == "email" {
			if pe := props["email"]; pe != "" && !strings.EqualFold(pe, in.ID) {
				vErr(fmt.Sprintf("The email property (%s) does not match the id (%s) of an upsert by email", pe, in.ID))
				continue
			}
		}
		props[idProp] = in.ID
		ct = h.newContactLocked(props, c.at)
		h.emitPropertyChangesLocked("contact", ct.id, nil, props, c.at)
		h.stats.Writes++
		o := ct.object(nil)
		o.New = new(true)
		results = append(results, o)
	}
	if len(missing) > 0 {
		errs = append(errs, notFoundBatchError(missing))
	}
	h.writeBatch(c, http.StatusOK, results, errs)
}

// batchCreate handles POST .../batch/create (docs/hubspot-api.md#contacts): 201
// when all inputs are created. An email that a live contact (or an earlier
// input) already has fails the whole batch with the single-create 409 body, as
// observed (python#51), and nothing is created. Invalid inputs are reported per
// input with a 207 only when every input carries an objectWriteTraceId
// ("Multi-status on batch create requires a unique objectWriteTraceId per
// input"); otherwise the first invalid input fails the whole batch with 400.
func (h *HubSpot) batchCreate(c *hsCall, _ []string) {
	req, ok := h.decodeBatch(c)
	if !ok {
		return
	}
	multiStatus := len(req.Inputs) > 0
	for _, in := range req.Inputs {
		if in.ObjectWriteTraceID == "" {
			multiStatus = false
		}
	}
	type valid struct {
		props map[string]string
	}
	var toCreate []valid
	var errs []hsBatchError
	emails := map[string]bool{}
	for _, in := range req.Inputs {
		props, err := decodeProps(in.Properties)
		msg := ""
		if err != nil {
			msg = "Invalid input JSON: " + err.Error()
		} else if perrs := h.validatePropsLocked(props); len(perrs) > 0 {
			msg = propErrorsMessage(perrs)
		}
		if msg != "" {
			if !multiStatus {
				h.validationError(c, msg)
				return
			}
			errs = append(errs, hsBatchError{Status: "error", Category: "VALIDATION_ERROR", Message: msg, Context: inputContext(in)})
			continue
		}
		if e := strings.ToLower(props["email"]); e != "" {
			if owner, taken := h.emailOwnerLocked(e); taken {
				h.conflict(c, owner)
				return
			}
			if emails[e] {
				// The first of the pair would get the id; there is none yet.
				h.fail(c, http.StatusConflict, hsErrorBody{Message: fmt.Sprintf("Contact already exists. Duplicate email %s in batch input", props["email"]), Category: "CONFLICT"})
				return
			}
			emails[e] = true
		}
		toCreate = append(toCreate, valid{props})
	}
	results := []hsObject{}
	for _, v := range toCreate {
		ct := h.newContactLocked(v.props, c.at)
		h.emitPropertyChangesLocked("contact", ct.id, nil, v.props, c.at)
		h.stats.Writes++
		results = append(results, ct.object(nil))
	}
	h.writeBatch(c, http.StatusCreated, results, errs)
}
