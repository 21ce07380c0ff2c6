package hubspotsim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Contact↔contact association labels (v4 labels API) and labelled contact↔contact associations
// (docs/referral-graph.md):
//   - GET|POST /crm/associations/v4/contacts/contacts/labels (also /crm/v4/associations/…): list the
//     types (HubSpot's unlabelled 449 first), create a label or a label pair (200, the new types);
//   - GET /crm/v4/objects/contacts/{id}/associations/contacts: associated contacts with their types;
//   - PUT /crm/v4/objects/contacts/{id}/associations/contacts/{toId} [{associationCategory,
//     associationTypeId}] → 201 LabelsBetweenObjectPair. The body replaces the labels between the two
//     (HubSpot: "to replace an existing label, only include the new label"); a pair's other side gets
//     the inverse label;
//   - DELETE the same path → 204, every label between the two.
//
// HubSpot's answer to a label name that already exists is undocumented: the sandbox answers 409 in
// HubSpot's error shape, category CONFLICT.

// contactContactTypeID is HubSpot's unlabelled contact→contact association type.
const contactContactTypeID = 449

// firstLabelTypeID: custom label type ids start here (HubSpot's example pair is 144/145).
const firstLabelTypeID = 144

var labelNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

type contactLabel struct {
	typeID  int
	name    string
	label   string
	inverse int // the pair's other type id; 0 for a single label (it applies to both sides)
}

type contactPair struct{ from, to int64 }

// labelStore holds the contact↔contact labels and the labelled associations, per direction.
type labelStore struct {
	labels []contactLabel
	next   int
	assoc  map[contactPair][]int // from → to: custom type ids, ascending
}

func newLabelStore() labelStore {
	return labelStore{next: firstLabelTypeID, assoc: map[contactPair][]int{}}
}

// LabelDef is a contact↔contact label as ContactLabels reports it.
type LabelDef struct {
	TypeID  int    `json:"typeId"`
	Name    string `json:"name"`
	Label   string `json:"label"`
	Inverse int    `json:"inverseTypeId,omitempty"`
}

// ContactLabels returns the custom contact↔contact labels in creation order.
func (h *HubSpot) ContactLabels() []LabelDef {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]LabelDef, 0, len(h.labels.labels))
	for _, l := range h.labels.labels {
		out = append(out, LabelDef{TypeID: l.typeID, Name: l.name, Label: l.label, Inverse: l.inverse})
	}
	return out
}

// ContactAssociations returns the labels of each contact associated with contactID, by its id.
func (h *HubSpot) ContactAssociations(contactID string) map[string][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, _ := strconv.ParseInt(contactID, 10, 64)
	out := map[string][]string{}
	for p, types := range h.labels.assoc {
		if p.from != id {
			continue
		}
		var names []string
		for _, t := range types {
			if l, ok := h.labelLocked(t); ok {
				names = append(names, l.label)
			}
		}
		out[strconv.FormatInt(p.to, 10)] = names
	}
	return out
}

func (h *HubSpot) labelLocked(typeID int) (contactLabel, bool) {
	i := slices.IndexFunc(h.labels.labels, func(l contactLabel) bool { return l.typeID == typeID })
	if i < 0 {
		return contactLabel{}, false
	}
	return h.labels.labels[i], true
}

// labelRoute maps the label and contact↔contact association paths to their handlers.
func labelRoute(p string) (handlers map[string]hsHandler, params []string, ok bool) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	isContact := func(s string) bool { return crmObjectType(s) == objContacts }
	// /crm/associations/v4/{from}/{to}/labels and /crm/v4/associations/{from}/{to}/labels
	if len(seg) == 6 && seg[0] == "crm" && seg[5] == "labels" &&
		((seg[1] == "associations" && seg[2] == "v4") || (seg[1] == "v4" && seg[2] == "associations")) {
		if !isContact(seg[3]) || !isContact(seg[4]) {
			return nil, nil, false
		}
		return map[string]hsHandler{http.MethodGet: (*HubSpot).listLabels, http.MethodPost: (*HubSpot).createLabel}, nil, true
	}
	// /crm/v4/objects/contacts/{id}/associations/contacts/{toId}
	if len(seg) == 8 && seg[0] == "crm" && seg[1] == "v4" && seg[2] == "objects" && seg[4] != "" && seg[5] == "associations" &&
		isContact(seg[3]) && isContact(seg[6]) {
		return map[string]hsHandler{http.MethodPut: (*HubSpot).putContactAssociation}, []string{seg[4], seg[7]}, true
	}
	return nil, nil, false
}

type labelOut struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

func (l contactLabel) out() labelOut {
	label := l.label
	return labelOut{Category: "USER_DEFINED", TypeID: l.typeID, Label: &label}
}

func (h *HubSpot) listLabels(c *hsCall, _ []string) {
	results := []labelOut{{Category: "HUBSPOT_DEFINED", TypeID: contactContactTypeID}}
	for _, l := range h.labels.labels {
		results = append(results, l.out())
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, map[string]any{"results": results})
}

func (h *HubSpot) createLabel(c *hsCall, _ []string) {
	var in struct {
		Name         string `json:"name"`
		Label        string `json:"label"`
		InverseLabel string `json:"inverseLabel"`
	}
	if !h.decodeBody(c, &in) {
		return
	}
	var missing []string
	if in.Name == "" {
		missing = append(missing, "name")
	}
	if in.Label == "" {
		missing = append(missing, "label")
	}
	if len(missing) > 0 {
		h.validationError(c, "Invalid input JSON on line 1, column 1. Some required fields were not set: ["+strings.Join(missing, ", ")+"]")
		return
	}
	if !labelNameRe.MatchString(in.Name) {
		h.validationError(c, fmt.Sprintf("Invalid association label name %q: it cannot include hyphens or begin with a numerical character", in.Name))
		return
	}
	if slices.ContainsFunc(h.labels.labels, func(l contactLabel) bool { return l.name == in.Name }) {
		h.fail(c, http.StatusConflict, hsErrorBody{Message: fmt.Sprintf("An association label named %s already exists between contacts and contacts", in.Name), Category: "CONFLICT"})
		return
	}
	first := contactLabel{typeID: h.labels.next, name: in.Name, label: in.Label}
	h.labels.next++
	created := []contactLabel{first}
	if in.InverseLabel != "" {
		second := contactLabel{typeID: h.labels.next, name: in.Name, label: in.InverseLabel, inverse: first.typeID}
		h.labels.next++
		created[0].inverse = second.typeID
		created = append(created, second)
	}
	h.labels.labels = append(h.labels.labels, created...)
	h.stats.Writes++
	results := make([]labelOut, 0, len(created))
	for _, l := range slices.Backward(created) { // HubSpot's example lists the inverse first
		results = append(results, l.out())
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, map[string]any{"results": results})
}

func (h *HubSpot) putContactAssociation(c *hsCall, params []string) {
	var types []assocTypeInput
	if !h.decodeBody(c, &types) {
		return
	}
	from, to, ok := h.contactPairLocked(c, params)
	if !ok {
		return
	}
	var labels []int
	for _, t := range types {
		switch {
		case t.AssociationCategory == "" || t.AssociationTypeID == 0:
			h.validationError(c, "Invalid input JSON on line 1, column 3. Some required fields were not set: [associationCategory, associationTypeId]")
			return
		case t.AssociationCategory == "HUBSPOT_DEFINED" && t.AssociationTypeID == contactContactTypeID:
		case t.AssociationCategory == "USER_DEFINED":
			if _, ok := h.labelLocked(t.AssociationTypeID); !ok {
				h.validationError(c, fmt.Sprintf("association type USER_DEFINED/%d is not valid from contacts to contacts", t.AssociationTypeID))
				return
			}
			labels = append(labels, t.AssociationTypeID)
		default:
			h.validationError(c, fmt.Sprintf("association type %s/%d is not valid from contacts to contacts", t.AssociationCategory, t.AssociationTypeID))
			return
		}
	}
	h.setContactLabelsLocked(from, to, labels, c.at)
	names := []string{}
	for _, t := range h.labels.assoc[contactPair{from, to}] {
		l, _ := h.labelLocked(t)
		names = append(names, l.label)
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusCreated, map[string]any{
		"fromObjectTypeId": "0-1", "fromObjectId": from, "toObjectTypeId": "0-1", "toObjectId": to, "labels": names,
	})
}

// setContactLabelsLocked replaces the labels from → to, and the other side's with each one's inverse.
func (h *HubSpot) setContactLabelsLocked(from, to int64, labels []int, at time.Time) {
	slices.Sort(labels)
	labels = slices.Compact(labels)
	back := make([]int, 0, len(labels))
	for _, t := range labels {
		l, _ := h.labelLocked(t)
		if l.inverse != 0 {
			back = append(back, l.inverse)
		} else {
			back = append(back, t)
		}
	}
	slices.Sort(back)
	fwd, rev := contactPair{from, to}, contactPair{to, from}
	_, existed := h.labels.assoc[fwd]
	if existed && slices.Equal(h.labels.assoc[fwd], labels) && slices.Equal(h.labels.assoc[rev], back) {
		return // the same labels again: nothing changes
	}
	h.labels.assoc[fwd], h.labels.assoc[rev] = labels, back
	h.stats.Writes++
	if ct := h.byID[from]; ct != nil {
		ct.updated = at
	}
}

// contactPairLocked resolves {id} and {toId}; both contacts must exist.
func (h *HubSpot) contactPairLocked(c *hsCall, params []string) (int64, int64, bool) {
	ids := make([]int64, 2)
	for i, s := range params {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !h.existsLocked(objContacts, id) {
			h.invalidAssociation(c, objContacts, s)
			return 0, 0, false
		}
		ids[i] = id
	}
	return ids[0], ids[1], true
}
