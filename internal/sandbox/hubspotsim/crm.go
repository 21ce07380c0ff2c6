package hubspotsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Deals, line items, deal pipelines, v4 associations and GDPR deletion of contacts
// (https://developers.hubspot.com/docs/api/crm/deals, …/line-items, …/pipelines, …/associations,
// https://developers.hubspot.com/docs/api/crm/contacts). Every write emits the app-webhook events a
// subscribed app receives (hubspot_appwebhooks.go).

const (
	dealsBase      = "/crm/v3/objects/deals"
	lineItemsBase  = "/crm/v3/objects/line_items"
	pipelinesBase  = "/crm/v3/pipelines/deals"
	gdprDeletePath = contactsBase + "/gdpr-delete"
)

// Object type names as the v4 API spells them (plural), with the singular and the object type ids
// HubSpot also accepts in paths.
const (
	objContacts  = "contacts"
	objDeals     = "deals"
	objLineItems = "line_items"
)

func crmObjectType(s string) string {
	switch strings.ToLower(s) {
	case "contacts", "contact", "0-1":
		return objContacts
	case "deals", "deal", "0-3":
		return objDeals
	case "line_items", "line_item", "0-8":
		return objLineItems
	}
	return ""
}

// assocSpec is one HUBSPOT_DEFINED, unlabelled association type between two object types
// (deal→contact 3, contact→deal 4, deal→line item 19, line item→deal 20,
// https://developers.hubspot.com/docs/api/crm/associations#association-type-id-values). webhook is
// the associationType a deal.associationChange event names.
type assocSpec struct {
	from, to string
	typeID   int
	webhook  string
}

var assocSpecs = []assocSpec{
	{objDeals, objContacts, 3, "DEAL_TO_CONTACT"},
	{objContacts, objDeals, 4, "CONTACT_TO_DEAL"},
	{objDeals, objLineItems, 19, "DEAL_TO_LINE_ITEM"},
	{objLineItems, objDeals, 20, "LINE_ITEM_TO_DEAL"},
}

func findAssocSpec(from, to string) (assocSpec, bool) {
	for _, s := range assocSpecs {
		if s.from == from && s.to == to {
			return s, true
		}
	}
	return assocSpec{}, false
}

// First ids of deals and line items: above 2^31, as real deal ids are (a captured delivery carries
// objectId 267448862446), and apart from contact ids so an id sent as the wrong type is not found.
const (
	firstDealID     = 21678228001
	firstLineItemID = 38374264001
)

// crmRecord is a stored deal or line item. Properties hold every non-empty value, including the
// maintained createdate, hs_lastmodifieddate and hs_object_id.
type crmRecord struct {
	id               int64
	props            map[string]string
	created, updated time.Time
}

// crmStore holds deals, line items and every association, including those of contacts.
type crmStore struct {
	records map[string]map[int64]*crmRecord // object type → id → record (deals, line items)
	next    map[string]int64
	// assoc holds each association in both directions: from type/id → to type → to ids.
	assoc map[assocEnd]map[int64]bool
}

type assocEnd struct {
	typ string
	id  int64
	to  string
}

func newCRMStore() crmStore {
	return crmStore{
		records: map[string]map[int64]*crmRecord{objDeals: {}, objLineItems: {}},
		next:    map[string]int64{objDeals: firstDealID, objLineItems: firstLineItemID},
		assoc:   map[assocEnd]map[int64]bool{},
	}
}

// Deal is a stored deal as the sandbox's Deals reports it.
type Deal struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	Contacts   []string          `json:"contacts"`
	LineItems  []string          `json:"lineItems"`
}

// Deals returns every deal with its associated contact and line-item ids, in creation order.
func (h *HubSpot) Deals() []Deal {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]int64, 0, len(h.crm.records[objDeals]))
	for id := range h.crm.records[objDeals] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Deal, 0, len(ids))
	for _, id := range ids {
		r := h.crm.records[objDeals][id]
		d := Deal{ID: strconv.FormatInt(id, 10), Properties: map[string]string{}, Contacts: []string{}, LineItems: []string{}}
		for k, v := range r.props {
			d.Properties[k] = v
		}
		for _, c := range h.associatedLocked(objDeals, id, objContacts) {
			d.Contacts = append(d.Contacts, strconv.FormatInt(c, 10))
		}
		for _, li := range h.associatedLocked(objDeals, id, objLineItems) {
			d.LineItems = append(d.LineItems, strconv.FormatInt(li, 10))
		}
		out = append(out, d)
	}
	return out
}

// --- pipelines -----------------------------------------------------------------------

// Pipeline and PipelineStage are the pipelines API shapes (https://developers.hubspot.com/docs/api/crm/pipelines).
// Metadata values are strings, as HubSpot sends them.
type Pipeline struct {
	ID           string          `json:"id"`
	Label        string          `json:"label"`
	DisplayOrder int             `json:"displayOrder"`
	Archived     bool            `json:"archived"`
	CreatedAt    string          `json:"createdAt"`
	UpdatedAt    string          `json:"updatedAt"`
	Stages       []PipelineStage `json:"stages"`
}

// PipelineStage is one stage of a Pipeline.
type PipelineStage struct {
	ID           string            `json:"id"`
	Label        string            `json:"label"`
	DisplayOrder int               `json:"displayOrder"`
	Metadata     map[string]string `json:"metadata"`
	Archived     bool              `json:"archived"`
	CreatedAt    string            `json:"createdAt"`
	UpdatedAt    string            `json:"updatedAt"`
}

// epoch is the createdAt HubSpot gives default pipelines and stages.
var epoch = hsTime(time.Unix(0, 0))

func pipeline(id, label string, order int, stages ...PipelineStage) Pipeline {
	return Pipeline{ID: id, Label: label, DisplayOrder: order, CreatedAt: epoch, UpdatedAt: epoch, Stages: stages}
}

func stage(id, label string, order int, closed bool, probability string) PipelineStage {
	return PipelineStage{ID: id, Label: label, DisplayOrder: order, CreatedAt: epoch, UpdatedAt: epoch,
		Metadata: map[string]string{"isClosed": strconv.FormatBool(closed), "probability": probability}}
}

// DealPipelines are the sandbox account's pipelines: HubSpot's default sales pipeline with its stage
// ids, and a custom pipeline with numeric ids, as pipelines created today get. In the custom one the
// won stage is recognisable only by its metadata, and "Verbal yes" has probability 1.0 but is open.
var DealPipelines = []Pipeline{
	pipeline("default", "Sales Pipeline", 0,
		stage("appointmentscheduled", "Appointment Scheduled", 0, false, "0.2"),
		stage("qualifiedtobuy", "Qualified To Buy", 1, false, "0.4"),
		stage("presentationscheduled", "Presentation Scheduled", 2, false, "0.6"),
		stage("decisionmakerboughtin", "Decision Maker Bought-In", 3, false, "0.8"),
		stage("contractsent", "Contract Sent", 4, false, "0.9"),
		stage("closedwon", "Closed Won", 5, true, "1.0"),
		stage("closedlost", "Closed Lost", 6, true, "0.0"),
	),
	pipeline("812723471", "Partner Deals", 1,
		stage("1234912", "New", 0, false, "0.1"),
		stage("1234913", "Verbal yes", 1, false, "1.0"),
		stage("1234914", "Signed", 2, true, "1.0"),
		stage("1234915", "Lost", 3, true, "0.0"),
	),
}

func pipelineByID(id string) (Pipeline, bool) {
	for _, p := range DealPipelines {
		if p.ID == id {
			return p, true
		}
	}
	return Pipeline{}, false
}

func (h *HubSpot) getPipeline(c *hsCall, params []string) {
	p, ok := pipelineByID(pathID(params))
	if !ok {
		h.fail(c, http.StatusNotFound, hsErrorBody{Message: fmt.Sprintf("Unable to find pipeline %s", pathID(params)), Category: "OBJECT_NOT_FOUND"})
		return
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, p)
}

// --- deals and line items ----------------------------------------------------------------

// crmProps are the properties each object type accepts in writes (anything else is
// PROPERTY_DOESNT_EXIST, as for contacts) and the ones a read without ?properties= returns.
var crmProps = map[string]struct{ writable, defaults []string }{
	objDeals: {
		writable: []string{"amount", "closedate", "dealname", "dealstage", "pipeline", "deal_currency_code", "dealtype",
			"description", "hubspot_owner_id", "hs_priority", "hs_next_step"},
		defaults: []string{"amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id", "pipeline"},
	},
	objLineItems: {
		writable: []string{"name", "description", "hs_sku", "hs_product_id", "quantity", "price", "amount", "discount",
			"hs_line_item_currency_code", "recurringbillingfrequency", "hs_recurring_billing_period"},
		defaults: []string{"amount", "createdate", "hs_lastmodifieddate", "hs_object_id", "name", "price", "quantity"},
	},
}

// maintainedProps are set by HubSpot on every record, always returned.
var maintainedProps = []string{"createdate", "hs_lastmodifieddate", "hs_object_id"}

// crmSelect is the property selection of a read: the defaults without ?properties=, else the
// requested names (comma-separated or repeated) plus the maintained ones.
func crmSelect(typ string, requested []string) propSel {
	sel := propSel{}
	for _, v := range requested {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				sel[p] = true
			}
		}
	}
	base := maintainedProps
	if len(sel) == 0 {
		base = crmProps[typ].defaults
	}
	for _, p := range base {
		sel[p] = true
	}
	return sel
}

func (r *crmRecord) object(sel propSel) hsObject {
	props := map[string]string{}
	for k, v := range r.props {
		if v != "" && sel[k] {
			props[k] = v
		}
	}
	return hsObject{ID: strconv.FormatInt(r.id, 10), Properties: props, CreatedAt: hsTime(r.created), UpdatedAt: hsTime(r.updated)}
}

// validateCRMProps checks a deal or line-item write against the writable properties and the values
// HubSpot checks: a deal stage must belong to the deal's pipeline; amounts, prices and quantities must
// be numbers and a price not negative (https://developers.hubspot.com/docs/api/crm/line-items). merged
// is the record's properties after the write.
func validateCRMProps(typ string, props, merged map[string]string) []hsPropError {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	var errs []hsPropError
	for _, k := range names {
		v := props[k]
		switch {
		case slices.Contains(maintainedProps, k):
			errs = append(errs, propError(k, "READ_ONLY_VALUE", fmt.Sprintf("Property %q is read-only", k)))
		case !slices.Contains(crmProps[typ].writable, k):
			errs = append(errs, propError(k, "PROPERTY_DOESNT_EXIST", fmt.Sprintf("Property %q does not exist", k)))
		case v == "":
		case (k == "amount" || k == "price" || k == "quantity" || k == "discount") && !isNumber(v):
			errs = append(errs, propError(k, "INVALID_FLOAT", fmt.Sprintf("%s was not a valid number.", v)))
		case typ == objLineItems && k == "price" && strings.HasPrefix(strings.TrimSpace(v), "-"):
			errs = append(errs, propError(k, "INVALID_FLOAT", "Price cannot be negative."))
		}
	}
	if typ == objDeals && (props["dealstage"] != "" || props["pipeline"] != "") {
		p, ok := pipelineByID(merged["pipeline"])
		switch {
		case !ok:
			errs = append(errs, propError("pipeline", "INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: %s", merged["pipeline"], pipelineIDs())))
		case !slices.ContainsFunc(p.Stages, func(s PipelineStage) bool { return s.ID == merged["dealstage"] }):
			errs = append(errs, propError("dealstage", "INVALID_OPTION", fmt.Sprintf("%s is not a valid stage of pipeline %s", merged["dealstage"], p.ID)))
		}
	}
	return errs
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil
}

func pipelineIDs() string {
	ids := make([]string, 0, len(DealPipelines))
	for _, p := range DealPipelines {
		ids = append(ids, p.ID)
	}
	return "[" + strings.Join(ids, ", ") + "]"
}

// crmID is a record id sent as a JSON string or number; HubSpot's own line-item example sends
// "to":{"id":12345}.
type crmID string

func (x *crmID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*x = crmID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*x = crmID(n.String())
	return nil
}

type assocTypeInput struct {
	AssociationCategory string `json:"associationCategory"`
	AssociationTypeID   int    `json:"associationTypeId"`
}

type crmCreateInput struct {
	Properties   map[string]json.RawMessage `json:"properties"`
	Associations []struct {
		To struct {
			ID crmID `json:"id"`
		} `json:"to"`
		Types []assocTypeInput `json:"types"`
	} `json:"associations"`
}

// newAssoc is an association a create asks for, resolved and checked.
type newAssoc struct {
	spec assocSpec
	to   int64
}

// resolveAssocLocked checks the associations of a create: each type must be a HUBSPOT_DEFINED type
// from typ, and each target must exist; otherwise 400 in the bodies observed for invalid
// associations (as reported in HubSpot/hubspot-api-nodejs#646 and #307).
func (h *HubSpot) resolveAssocLocked(c *hsCall, typ string, in crmCreateInput) ([]newAssoc, bool) {
	var out []newAssoc
	for _, a := range in.Associations {
		if len(a.Types) == 0 {
			h.validationError(c, "Invalid input JSON on line 1, column 3. Some required fields were not set: [associationCategory, associationTypeId]")
			return nil, false
		}
		for _, t := range a.Types {
			i := slices.IndexFunc(assocSpecs, func(s assocSpec) bool {
				return s.from == typ && s.typeID == t.AssociationTypeID && t.AssociationCategory == "HUBSPOT_DEFINED"
			})
			if i < 0 {
				h.validationError(c, fmt.Sprintf("association type %s/%d is not valid from %s", t.AssociationCategory, t.AssociationTypeID, typ))
				return nil, false
			}
			spec := assocSpecs[i]
			id, err := strconv.ParseInt(string(a.To.ID), 10, 64)
			if err != nil || !h.existsLocked(spec.to, id) {
				h.invalidAssociation(c, spec.to, string(a.To.ID))
				return nil, false
			}
			out = append(out, newAssoc{spec, id})
		}
	}
	return out, true
}

func (h *HubSpot) invalidAssociation(c *hsCall, typ, id string) {
	name := strings.ToUpper(strings.TrimSuffix(typ, "s"))
	h.fail(c, http.StatusBadRequest, hsErrorBody{
		Message:  "One or more associations are invalid",
		Context:  map[string][]string{"INVALID_OBJECT_IDS": {fmt.Sprintf("%s=%s is not valid", name, id)}, "objectId": {id}, "objectType": {name}},
		Category: "VALIDATION_ERROR",
	})
}

func (h *HubSpot) existsLocked(typ string, id int64) bool {
	if typ == objContacts {
		_, ok := h.byID[id]
		return ok
	}
	_, ok := h.crm.records[typ][id]
	return ok
}

// createRecord handles POST /crm/v3/objects/{deals|line_items} {properties, associations?} → 201.
// A deal without a pipeline goes into "default"; without deal_currency_code it gets the account's
// currency, USD. A line item's amount defaults to quantity × price.
func createRecord(typ string) hsHandler {
	return func(h *HubSpot, c *hsCall, _ []string) {
		var in crmCreateInput
		if !h.decodeBody(c, &in) {
			return
		}
		props, err := decodeProps(in.Properties)
		if err != nil {
			h.validationError(c, "Invalid input JSON: "+err.Error())
			return
		}
		defaults := map[string]string{}
		if typ == objDeals {
			defaults = map[string]string{"pipeline": "default", "deal_currency_code": "USD"}
		}
		merged := overlay(defaults, props)
		if typ == objDeals {
			// "you must include dealname, dealstage and pipeline" (https://developers.hubspot.com/docs/api/crm/deals);
			// pipeline has its default here, as for an account with one pipeline.
			var missing []hsPropError
			for _, k := range []string{"dealname", "dealstage"} {
				if merged[k] == "" {
					missing = append(missing, propError(k, "REQUIRED", k+" is required"))
				}
			}
			if len(missing) > 0 {
				h.validationError(c, propErrorsMessage(missing))
				return
			}
		}
		if errs := validateCRMProps(typ, props, merged); len(errs) > 0 {
			h.validationError(c, propErrorsMessage(errs))
			return
		}
		assocs, ok := h.resolveAssocLocked(c, typ, in)
		if !ok {
			return
		}
		if typ == objLineItems && merged["amount"] == "" && merged["price"] != "" {
			q := 1.0
			if merged["quantity"] != "" {
				q, _ = strconv.ParseFloat(merged["quantity"], 64)
			}
			p, _ := strconv.ParseFloat(merged["price"], 64)
			merged["amount"] = strconv.FormatFloat(q*p, 'f', -1, 64)
		}
		id := h.crm.next[typ]
		h.crm.next[typ]++
		r := &crmRecord{id: id, props: map[string]string{}, created: c.at, updated: c.at}
		for k, v := range merged {
			if v != "" {
				r.props[k] = v
			}
		}
		r.props["createdate"] = hsTime(c.at)
		r.props["hs_lastmodifieddate"] = hsTime(c.at)
		r.props["hs_object_id"] = strconv.FormatInt(id, 10)
		h.crm.records[typ][id] = r
		h.stats.Writes++
		if typ == objDeals {
			h.emitLocked(AppWebhookEvent{SubscriptionType: "deal.creation", ObjectID: id, ChangeFlag: "CREATED"}, c.at)
			h.emitPropertyChangesLocked("deal", id, nil, merged, c.at)
		}
		for _, a := range assocs {
			h.associateLocked(a.spec, id, a.to, c.at)
		}
		sandbox.WriteJSON(c.w, hubspotContentType, http.StatusCreated, r.object(crmSelect(typ, nil)))
	}
}

func (h *HubSpot) recordLocked(c *hsCall, typ string, params []string) (*crmRecord, bool) {
	id := pathID(params)
	n, err := strconv.ParseInt(id, 10, 64)
	r, ok := h.crm.records[typ][n]
	if err != nil || !ok {
		h.notFound(c, id)
		return nil, false
	}
	return r, true
}

// getRecord handles GET /crm/v3/objects/{deals|line_items}/{id}?properties=a,b; 404 when missing.
func getRecord(typ string) hsHandler {
	return func(h *HubSpot, c *hsCall, params []string) {
		if r, ok := h.recordLocked(c, typ, params); ok {
			sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, r.object(crmSelect(typ, c.r.URL.Query()["properties"])))
		}
	}
}

// patchRecord handles PATCH /crm/v3/objects/{deals|line_items}/{id} {properties} → 200; "" clears.
func patchRecord(typ string) hsHandler {
	return func(h *HubSpot, c *hsCall, params []string) {
		var in hsObjectInput
		if !h.decodeBody(c, &in) {
			return
		}
		r, ok := h.recordLocked(c, typ, params)
		if !ok {
			return
		}
		props, err := decodeProps(in.Properties)
		if err != nil {
			h.validationError(c, "Invalid input JSON: "+err.Error())
			return
		}
		merged := overlay(r.props, props)
		if errs := validateCRMProps(typ, props, merged); len(errs) > 0 {
			h.validationError(c, propErrorsMessage(errs))
			return
		}
		if typ == objDeals {
			h.emitPropertyChangesLocked("deal", r.id, r.props, props, c.at)
		}
		for k, v := range props {
			if v == "" {
				delete(r.props, k)
			} else {
				r.props[k] = v
			}
		}
		r.updated = c.at
		r.props["hs_lastmodifieddate"] = hsTime(c.at)
		h.stats.Writes++
		sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, r.object(crmSelect(typ, nil)))
	}
}

// overlay returns base overlaid with over.
func overlay(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// batchReadRecords handles POST /crm/v3/objects/{deals|line_items}/batch/read as contacts do:
// found records in input order, missing ids in one OBJECT_NOT_FOUND error (207).
func batchReadRecords(typ string) hsHandler {
	return func(h *HubSpot, c *hsCall, _ []string) {
		req, ok := h.decodeBatch(c)
		if !ok {
			return
		}
		sel := crmSelect(typ, req.Properties)
		results := []hsObject{}
		var missing []string
		seen := map[int64]bool{}
		for _, in := range req.Inputs {
			n, err := strconv.ParseInt(in.ID, 10, 64)
			r, found := h.crm.records[typ][n]
			if err != nil || !found {
				missing = append(missing, in.ID)
				continue
			}
			if !seen[n] {
				seen[n] = true
				results = append(results, r.object(sel))
			}
		}
		var errs []hsBatchError
		if len(missing) > 0 {
			name := strings.ToUpper(strings.TrimSuffix(typ, "s"))
			errs = append(errs, hsBatchError{Status: "error", Category: "OBJECT_NOT_FOUND",
				Message: fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", name),
				Context: map[string][]string{"ids": missing}})
		}
		h.writeBatch(c, http.StatusOK, results, errs)
	}
}

// --- v4 associations ------------------------------------------------------------------

// associateLocked stores an association in both directions. A deal gaining one emits
// deal.associationChange; an association that already exists changes nothing.
func (h *HubSpot) associateLocked(spec assocSpec, from, to int64, at time.Time) bool {
	fwd := assocEnd{spec.from, from, spec.to}
	if h.crm.assoc[fwd][to] {
		return false
	}
	for _, e := range []struct {
		end assocEnd
		id  int64
	}{{fwd, to}, {assocEnd{spec.to, to, spec.from}, from}} {
		if h.crm.assoc[e.end] == nil {
			h.crm.assoc[e.end] = map[int64]bool{}
		}
		h.crm.assoc[e.end][e.id] = true
	}
	h.emitAssociationLocked(spec, from, to, false, at)
	return true
}

func (h *HubSpot) dissociateLocked(spec assocSpec, from, to int64, at time.Time) {
	if !h.crm.assoc[assocEnd{spec.from, from, spec.to}][to] {
		return
	}
	delete(h.crm.assoc[assocEnd{spec.from, from, spec.to}], to)
	delete(h.crm.assoc[assocEnd{spec.to, to, spec.from}], from)
	h.emitAssociationLocked(spec, from, to, true, at)
}

// emitAssociationLocked sends deal.associationChange from the deal's side, as a subscription to deal
// association changes gets it.
func (h *HubSpot) emitAssociationLocked(spec assocSpec, from, to int64, removed bool, at time.Time) {
	if spec.to == objDeals {
		spec, _ = findAssocSpec(objDeals, spec.from)
		from, to = to, from
	}
	if spec.from != objDeals {
		return
	}
	h.emitLocked(AppWebhookEvent{SubscriptionType: "deal.associationChange", ObjectID: from, AssociationType: spec.webhook,
		FromObjectID: from, ToObjectID: to, AssociationRemoved: new(removed), IsPrimaryAssociation: new(false)}, at)
}

// associatedLocked lists the ids of type to associated with typ/id, ascending.
func (h *HubSpot) associatedLocked(typ string, id int64, to string) []int64 {
	ids := make([]int64, 0, len(h.crm.assoc[assocEnd{typ, id, to}]))
	for x := range h.crm.assoc[assocEnd{typ, id, to}] {
		ids = append(ids, x)
	}
	slices.Sort(ids)
	return ids
}

// assocPath parses /crm/v4/objects/{from}/{id}/associations/{to}[/{toId}] segments.
func assocPath(params []string) (spec assocSpec, from int64, ok bool) {
	ft, tt := crmObjectType(params[0]), crmObjectType(params[3])
	spec, ok = findAssocSpec(ft, tt)
	if !ok {
		return spec, 0, false
	}
	from, err := strconv.ParseInt(params[1], 10, 64)
	return spec, from, err == nil
}

type assocTypeOut struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

type assocResult struct {
	ToObjectID       int64          `json:"toObjectId"`
	AssociationTypes []assocTypeOut `json:"associationTypes"`
}

// listAssociations handles GET /crm/v4/objects/{from}/{id}/associations/{to}?limit=&after= (limit
// default and maximum 500). The after cursor is the id of the next record, to be treated as opaque.
// A record without associations, or one that does not exist, has no results.
func (h *HubSpot) listAssociations(c *hsCall, params []string) {
	spec, from, ok := assocPath(params)
	if !ok {
		h.validationError(c, fmt.Sprintf("Unknown association from %s to %s", params[0], params[3]))
		return
	}
	q := c.r.URL.Query()
	limit := 500
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			h.validationError(c, fmt.Sprintf("limit must be a positive integer, got %q", s))
			return
		}
		limit = min(n, 500)
	}
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			h.validationError(c, fmt.Sprintf("Invalid paging cursor after=%q", s))
			return
		}
		after = n
	}
	results := []assocResult{}
	next := ""
	for _, id := range h.associatedLocked(spec.from, from, spec.to) {
		if id < after {
			continue
		}
		if len(results) == limit {
			next = strconv.FormatInt(id, 10)
			break
		}
		results = append(results, assocResult{ToObjectID: id, AssociationTypes: []assocTypeOut{{Category: "HUBSPOT_DEFINED", TypeID: spec.typeID}}})
	}
	resp := map[string]any{"results": results}
	if next != "" {
		resp["paging"] = map[string]any{"next": map[string]string{"after": next,
			"link": fmt.Sprintf("%s?limit=%d&after=%s", c.r.URL.Path, limit, next)}}
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, resp)
}

// putDefaultAssociation handles PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId} →
// 200 with the default association in both directions.
func (h *HubSpot) putDefaultAssociation(c *hsCall, params []string) {
	spec, from, to, ok := h.assocTargetsLocked(c, params)
	if !ok {
		return
	}
	h.associateLocked(spec, from, to, c.at)
	back, _ := findAssocSpec(spec.to, spec.from)
	type side struct {
		ID string `json:"id"`
	}
	type result struct {
		From            side           `json:"from"`
		To              side           `json:"to"`
		AssociationSpec assocTypeInput `json:"associationSpec"`
	}
	f, t := strconv.FormatInt(from, 10), strconv.FormatInt(to, 10)
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, map[string]any{
		"status": "COMPLETE",
		"results": []result{
			{side{f}, side{t}, assocTypeInput{"HUBSPOT_DEFINED", spec.typeID}},
			{side{t}, side{f}, assocTypeInput{"HUBSPOT_DEFINED", back.typeID}},
		},
		"startedAt": hsTime(c.at), "completedAt": hsTime(h.now()),
	})
}

// assocTargetsLocked resolves {from}/{id}/associations/{to}/{toId}; both records must exist.
func (h *HubSpot) assocTargetsLocked(c *hsCall, params []string) (assocSpec, int64, int64, bool) {
	spec, from, ok := assocPath(params)
	if !ok {
		h.validationError(c, fmt.Sprintf("Unknown association from %s to %s", params[0], params[3]))
		return spec, 0, 0, false
	}
	if !h.existsLocked(spec.from, from) {
		h.invalidAssociation(c, spec.from, params[1])
		return spec, 0, 0, false
	}
	to, err := strconv.ParseInt(params[4], 10, 64)
	if err != nil || !h.existsLocked(spec.to, to) {
		h.invalidAssociation(c, spec.to, params[4])
		return spec, 0, 0, false
	}
	return spec, from, to, true
}

// --- GDPR delete -------------------------------------------------------------------------

// gdprDelete handles POST /crm/v3/objects/contacts/gdpr-delete {objectId, idProperty?} → 204: the
// contact is removed for good (not archived), with its associations, and contact.privacyDeletion is
// emitted. An email without a contact is only blocklisted, which the sandbox does not model
// (https://community.hubspot.com/t5/Developer-Announcements/Changes-to-the-GDPR-deletion-endpoints-for-the-CRM-Contact/td-p/498966);
// an unknown record id is 404.
func (h *HubSpot) gdprDelete(c *hsCall, _ []string) {
	var in struct {
		ObjectID   crmID  `json:"objectId"`
		IDProperty string `json:"idProperty"`
	}
	if !h.decodeBody(c, &in) {
		return
	}
	if in.ObjectID == "" {
		h.validationError(c, "Invalid input JSON on line 1, column 2. Some required fields were not set: [objectId]")
		return
	}
	ct, found, msg := h.lookupLocked(string(in.ObjectID), in.IDProperty)
	if msg != "" {
		h.validationError(c, msg)
		return
	}
	if !found {
		if in.IDProperty == "email" {
			c.w.WriteHeader(http.StatusNoContent)
			return
		}
		h.notFound(c, string(in.ObjectID))
		return
	}
	spec, _ := findAssocSpec(objContacts, objDeals)
	for _, id := range h.associatedLocked(objContacts, ct.id, objDeals) {
		h.dissociateLocked(spec, ct.id, id, c.at)
	}
	h.contacts = slices.DeleteFunc(h.contacts, func(x *hsContact) bool { return x == ct })
	delete(h.byID, ct.id)
	if e := strings.ToLower(ct.props["email"]); e != "" && h.byEmail[e] == ct {
		delete(h.byEmail, e)
	}
	h.stats.Writes++
	h.emitLocked(AppWebhookEvent{SubscriptionType: "contact.privacyDeletion", ObjectID: ct.id}, c.at)
	c.w.WriteHeader(http.StatusNoContent)
}

// --- token introspection --------------------------------------------------------------------

// DefaultScopes are the sandbox token's scopes: all the bridge needs.
var DefaultScopes = []string{"oauth", "crm.objects.contacts.read", "crm.objects.contacts.write", "crm.schemas.contacts.write",
	"crm.objects.deals.read", "crm.objects.line_items.read"}

const sandboxAppUserID = 52530071

func (h *HubSpot) scopes() []string {
	if h.opts.Scopes != nil {
		return h.opts.Scopes
	}
	return DefaultScopes
}

func (h *HubSpot) knownToken(token string) bool {
	return token != "" && (h.opts.Token == "" || token == h.opts.Token)
}

// privateAppTokenInfo handles POST /oauth/v2/private-apps/get/access-token-info {"tokenKey"}
// (https://developers.hubspot.com/docs/api/private-apps).
func (h *HubSpot) privateAppTokenInfo(c *hsCall, _ []string) {
	var in struct {
		TokenKey string `json:"tokenKey"`
	}
	if !h.decodeBody(c, &in) {
		return
	}
	if !h.knownToken(in.TokenKey) {
		h.fail(c, http.StatusNotFound, hsErrorBody{Message: "Token not found", Category: "OBJECT_NOT_FOUND"})
		return
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, map[string]any{"userId": sandboxAppUserID, "hubId": hubSpotPortalID,
		"appId": DefaultAppID, "scopes": h.scopes()})
}

// oauthTokenInfo handles GET /oauth/v1/access-tokens/{token}
// (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/get-oauth-token-metadata).
func (h *HubSpot) oauthTokenInfo(c *hsCall, params []string) {
	token := pathID(params)
	if !h.knownToken(token) {
		h.fail(c, http.StatusNotFound, hsErrorBody{Message: "Token not found", Category: "OBJECT_NOT_FOUND"})
		return
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, map[string]any{"token": token, "user": "admin@example.com",
		"hub_domain": "sandbox.hubspot.example", "scopes": h.scopes(), "hub_id": hubSpotPortalID, "app_id": DefaultAppID,
		"expires_in": 1800, "user_id": sandboxAppUserID, "token_type": "access"})
}

// --- routing -------------------------------------------------------------------------------

// crmRoute routes the endpoints of this file; ok=false leaves the path to route.
func crmRoute(p string) (handlers map[string]hsHandler, params []string, ok bool) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	if p == "/oauth/v2/private-apps/get/access-token-info" {
		return map[string]hsHandler{http.MethodPost: (*HubSpot).privateAppTokenInfo}, nil, true
	}
	if len(seg) == 4 && seg[0] == "oauth" && seg[1] == "v1" && seg[2] == "access-tokens" {
		return map[string]hsHandler{http.MethodGet: (*HubSpot).oauthTokenInfo}, seg[3:], true
	}
	if p == gdprDeletePath {
		return map[string]hsHandler{http.MethodPost: (*HubSpot).gdprDelete}, nil, true
	}
	// /crm/v3/objects/{type}[/...]
	if len(seg) >= 4 && seg[0] == "crm" && seg[1] == "v3" && seg[2] == "objects" {
		typ := crmObjectType(seg[3])
		if typ != objDeals && typ != objLineItems {
			return nil, nil, false
		}
		rest := seg[4:]
		switch {
		case len(rest) == 0:
			return map[string]hsHandler{http.MethodPost: createRecord(typ)}, nil, true
		case len(rest) == 2 && rest[0] == "batch" && rest[1] == "read":
			return map[string]hsHandler{http.MethodPost: batchReadRecords(typ)}, nil, true
		case len(rest) == 1:
			return map[string]hsHandler{http.MethodGet: getRecord(typ), http.MethodPatch: patchRecord(typ)}, rest, true
		}
		return nil, nil, false
	}
	if strings.HasPrefix(p, pipelinesBase+"/") && len(seg) == 5 {
		return map[string]hsHandler{http.MethodGet: (*HubSpot).getPipeline}, seg[4:], true
	}
	// /crm/v4/objects/{from}/{id}/associations/{to}[/{toId}] and …/associations/default/{to}/{toId}
	if len(seg) >= 6 && seg[0] == "crm" && seg[1] == "v4" && seg[2] == "objects" && seg[5] == "associations" {
		rest := seg[3:]
		switch {
		case len(rest) == 4:
			return map[string]hsHandler{http.MethodGet: (*HubSpot).listAssociations}, rest, true
		case len(rest) == 6 && rest[3] == "default":
			return map[string]hsHandler{http.MethodPut: (*HubSpot).putDefaultAssociation}, []string{rest[0], rest[1], rest[2], rest[4], rest[5]}, true
		}
	}
	return nil, nil, false
}
