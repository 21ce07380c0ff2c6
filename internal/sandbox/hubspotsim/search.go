package hubspotsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Search limits (docs/hubspot-api.md#search).
const (
	searchMaxGroups        = 5
	searchMaxFiltersGroup  = 6
	searchMaxFiltersTotal  = 18
	searchDefaultLimit     = 10
	searchMaxLimit         = 200 // raised from 100 in Sept 2024
	searchMaxResults       = 10000
	searchMaxBodyCharacter = 3000
)

type searchFilter struct {
	PropertyName string            `json:"propertyName"`
	Operator     string            `json:"operator"`
	Value        json.RawMessage   `json:"value"`
	Values       []json.RawMessage `json:"values"`
	HighValue    json.RawMessage   `json:"highValue"`
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []searchFilter `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []json.RawMessage `json:"sorts"`
	Properties []string          `json:"properties"`
	Limit      *int              `json:"limit"`
	After      json.RawMessage   `json:"after"`
	Query      string            `json:"query"`
}

type searchSort struct {
	prop string
	desc bool
}

// valueOps need "value"; the others are checked separately.
var valueOps = map[string]bool{"EQ": true, "NEQ": true, "LT": true, "LTE": true, "GT": true, "GTE": true, "CONTAINS_TOKEN": true, "NOT_CONTAINS_TOKEN": true}

// search handles POST /crm/v3/objects/contacts/search
// (docs/hubspot-api.md#search).
//
//   - filterGroups are ORed, filters within a group ANDed; at most 5 groups,
//     6 filters per group and 18 filters in all, else 400 VALIDATION_ERROR.
//   - Comparison is numeric when both sides parse as numbers (hs_object_id),
//     by instant for date/datetime properties (filter values in epoch ms or
//     ISO 8601), otherwise case-insensitive on strings. A property holding ""
//     counts as absent. Negative operators (NEQ, NOT_IN, NOT_CONTAINS_TOKEN,
//     NOT_HAS_PROPERTY) match records without the property; the others don't.
//     A filter on an undefined property sees no value (HubSpot's answer there
//     is unconfirmed).
//   - sorts accepts both documented forms, [{"propertyName","direction"}] and
//     ["-createdate"]; only the first rule is used ("Only one sorting rule can
//     be applied"). Default order: creation (= id) ascending. Records without
//     the sort property come last; ties go by id.
//   - limit defaults to 10, above 200 is 400; after is an integer offset
//     (string or number). offset+limit beyond 10,000 is 400 (body undocumented;
//     the message here is chosen). paging.next.after is present
//     whenever more results exist, even if fetching them would cross the cap,
//     because that is the trap real clients fall into.
//   - total counts every match.
//   - bodies over 3,000 characters are 400, per the documented limit.
func (h *HubSpot) search(c *hsCall, _ []string) {
	if len(c.body) > searchMaxBodyCharacter {
		h.validationError(c, fmt.Sprintf("Search request body is %d characters; the maximum is %d.", len(c.body), searchMaxBodyCharacter))
		return
	}
	var req searchRequest
	if len(bytes.TrimSpace(c.body)) > 0 && !h.decodeBody(c, &req) {
		return
	}
	if n := len(req.FilterGroups); n > searchMaxGroups {
		h.validationError(c, fmt.Sprintf("Too many filter groups: %d. The maximum is %d.", n, searchMaxGroups))
		return
	}
	total := 0
	for _, g := range req.FilterGroups {
		if len(g.Filters) > searchMaxFiltersGroup {
			h.validationError(c, fmt.Sprintf("Too many filters in a filter group: %d. The maximum is %d.", len(g.Filters), searchMaxFiltersGroup))
			return
		}
		total += len(g.Filters)
		for _, f := range g.Filters {
			if msg := checkFilter(f); msg != "" {
				h.validationError(c, msg)
				return
			}
		}
	}
	if total > searchMaxFiltersTotal {
		h.validationError(c, fmt.Sprintf("Too many filters: %d. The maximum across all filter groups is %d.", total, searchMaxFiltersTotal))
		return
	}
	limit := searchDefaultLimit
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 0 || limit > searchMaxLimit {
		h.validationError(c, fmt.Sprintf("limit must be between 0 and %d, got %d", searchMaxLimit, limit))
		return
	}
	offset := 0
	if s, ok := sandbox.JSONScalarString(req.After); !ok {
		h.validationError(c, "after must be an integer offset")
		return
	} else if s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			h.validationError(c, fmt.Sprintf("after must be an integer offset, got %q", s))
			return
		}
		offset = n
	}
	if offset+limit > searchMaxResults {
		h.validationError(c, fmt.Sprintf("Paging past %d results is not supported: after=%d, limit=%d.", searchMaxResults, offset, limit))
		return
	}
	srt, msg := parseSorts(req.Sorts)
	if msg != "" {
		h.validationError(c, msg)
		return
	}

	var matches []*hsContact
	for _, ct := range h.contacts {
		if h.matchQuery(ct, req.Query) && h.matchGroups(ct, req) {
			matches = append(matches, ct)
		}
	}
	if srt.prop != "" {
		typ := h.propType(srt.prop)
		sort.SliceStable(matches, func(i, j int) bool {
			a, aok := fieldValue(matches[i], srt.prop)
			b, bok := fieldValue(matches[j], srt.prop)
			switch {
			case aok != bok:
				return aok // missing values last, whatever the direction
			case !aok:
				return matches[i].id < matches[j].id
			}
			cmp := compareValues(a, b, typ)
			if cmp == 0 {
				return matches[i].id < matches[j].id
			}
			if srt.desc {
				return cmp > 0
			}
			return cmp < 0
		})
	}

	sel := selectProps(req.Properties)
	results := []hsObject{}
	for i := offset; i < len(matches) && i < offset+limit; i++ {
		results = append(results, matches[i].object(sel))
	}
	resp := map[string]any{"total": len(matches), "results": results}
	if next := offset + limit; limit > 0 && next < len(matches) {
		resp["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(next)}}
	}
	sandbox.WriteJSON(c.w, hubspotContentType, http.StatusOK, resp)
}

// checkFilter validates one filter's operator and operands.
func checkFilter(f searchFilter) string {
	if f.PropertyName == "" {
		return "Filter is missing propertyName"
	}
	switch op := f.Operator; {
	case valueOps[op]:
		if s, ok := sandbox.JSONScalarString(f.Value); !ok || (s == "" && len(bytes.TrimSpace(f.Value)) == 0) {
			return fmt.Sprintf("Operator %s requires a value (property %s)", op, f.PropertyName)
		}
	case op == "BETWEEN":
		if len(bytes.TrimSpace(f.Value)) == 0 || len(bytes.TrimSpace(f.HighValue)) == 0 {
			return fmt.Sprintf("Operator BETWEEN requires value and highValue (property %s)", f.PropertyName)
		}
	case op == "IN" || op == "NOT_IN":
		if len(f.Values) == 0 {
			return fmt.Sprintf("Operator %s requires values (property %s)", op, f.PropertyName)
		}
	case op == "HAS_PROPERTY" || op == "NOT_HAS_PROPERTY":
	default:
		return fmt.Sprintf("Unknown filter operator %q", op)
	}
	return ""
}

// parseSorts reads the first sort rule in either documented form.
func parseSorts(sorts []json.RawMessage) (searchSort, string) {
	if len(sorts) == 0 {
		return searchSort{}, ""
	}
	raw := bytes.TrimSpace(sorts[0])
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if strings.HasPrefix(s, "-") {
			return searchSort{prop: s[1:], desc: true}, ""
		}
		return searchSort{prop: strings.TrimPrefix(s, "+")}, ""
	}
	var o struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	}
	if json.Unmarshal(raw, &o) != nil || o.PropertyName == "" {
		return searchSort{}, "Invalid sort: expected {\"propertyName\":...,\"direction\":\"ASCENDING\"|\"DESCENDING\"} or \"[-]propertyName\""
	}
	switch strings.ToUpper(o.Direction) {
	case "", "ASCENDING":
		return searchSort{prop: o.PropertyName}, ""
	case "DESCENDING":
		return searchSort{prop: o.PropertyName, desc: true}, ""
	}
	return searchSort{}, fmt.Sprintf("Invalid sort direction %q", o.Direction)
}

func (h *HubSpot) propType(name string) string {
	if def, ok := h.props[name]; ok {
		return def.Type
	}
	return ""
}

// fieldValue returns a property value; "" counts as not having the property.
func fieldValue(c *hsContact, name string) (string, bool) {
	v := c.props[name]
	return v, v != ""
}

func (h *HubSpot) matchGroups(c *hsContact, req searchRequest) bool {
	if len(req.FilterGroups) == 0 {
		return true
	}
	for _, g := range req.FilterGroups {
		all := true
		for _, f := range g.Filters {
			if !h.matchFilter(c, f) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (h *HubSpot) matchFilter(c *hsContact, f searchFilter) bool {
	v, has := fieldValue(c, f.PropertyName)
	typ := h.propType(f.PropertyName)
	val, _ := sandbox.JSONScalarString(f.Value)
	switch f.Operator {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	case "EQ":
		return has && compareValues(v, val, typ) == 0
	case "NEQ":
		return !has || compareValues(v, val, typ) != 0
	case "LT":
		return has && compareValues(v, val, typ) < 0
	case "LTE":
		return has && compareValues(v, val, typ) <= 0
	case "GT":
		return has && compareValues(v, val, typ) > 0
	case "GTE":
		return has && compareValues(v, val, typ) >= 0
	case "BETWEEN":
		hi, _ := sandbox.JSONScalarString(f.HighValue)
		return has && compareValues(v, val, typ) >= 0 && compareValues(v, hi, typ) <= 0
	case "IN", "NOT_IN":
		in := false
		if has {
			for _, raw := range f.Values {
				if s, _ := sandbox.JSONScalarString(raw); compareValues(v, s, typ) == 0 {
					in = true
					break
				}
			}
		}
		if f.Operator == "IN" {
			return in
		}
		return !in
	case "CONTAINS_TOKEN":
		return has && containsToken(v, val)
	case "NOT_CONTAINS_TOKEN":
		return !has || !containsToken(v, val)
	}
	return false
}

// compareValues orders a stored value against a filter or another stored
// value: by instant for date/datetime properties, numerically when both parse
// as numbers, else case-insensitively.
func compareValues(a, b, typ string) int {
	if typ == "datetime" || typ == "date" {
		if ta, ok := parseInstant(a); ok {
			if tb, ok := parseInstant(b); ok {
				return cmpFloat(ta, tb)
			}
		}
	}
	if fa, err := strconv.ParseFloat(a, 64); err == nil {
		if fb, err := strconv.ParseFloat(b, 64); err == nil {
			return cmpFloat(fa, fb)
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseInstant reads epoch milliseconds (how the docs pass dates to search,
// docs/hubspot-api.md#search) or an ISO 8601 timestamp/date into epoch ms.
func parseInstant(s string) (float64, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, true
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return float64(t.UnixMilli()), true
		}
	}
	return 0, false
}

// containsToken mirrors CONTAINS_TOKEN: the value matches a whole word of the
// property (split on anything not a letter or digit), or, with "*" wildcards,
// the whole value or a word ("*@hubspot.com", docs/hubspot-api.md#search).
// Case-insensitive.
func containsToken(v, token string) bool {
	v, token = strings.ToLower(v), strings.ToLower(token)
	words := strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if strings.Contains(token, "*") {
		if ok, _ := path.Match(token, v); ok {
			return true
		}
		for _, w := range words {
			if ok, _ := path.Match(token, w); ok {
				return true
			}
		}
		return false
	}
	if v == token {
		return true
	}
	for _, w := range words {
		if w == token {
			return true
		}
	}
	return false
}

// searchableProps are the default properties the free-text query searches
// for contacts (docs/hubspot-api.md#search).
var searchableProps = []string{"firstname", "lastname", "email", "phone", "hs_additional_emails", "fax", "mobilephone", "company", "hs_marketable_until_renewal"}

// matchQuery is a simple stand-in for HubSpot's free-text query: a
// case-insensitive substring of any default searchable property.
func (h *HubSpot) matchQuery(c *hsContact, q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	for _, p := range searchableProps {
		if strings.Contains(strings.ToLower(c.props[p]), q) {
			return true
		}
	}
	return false
}
