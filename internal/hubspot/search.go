package hubspot

import (
	"context"
	"net/http"
)

// Paging limits (docs/hubspot-api.md#contacts, #search).
const (
	MaxSearchLimit = 200 // search page size since the Sept-2024 limit increase (docs/hubspot-api.md#search)
	// MaxSearchResults is the most results one search query can page through; paging past it is a 400
	// (KindInvalid). Callers that need more restart the query with a filter on the last id
	// (docs/hubspot-api.md#search).
	MaxSearchResults = 10000
)

// Filter is one search filter (docs/hubspot-api.md#search). Filters in one group are ANDed; groups are ORed.
type Filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`        // EQ, NEQ, LT, LTE, GT, GTE, HAS_PROPERTY, CONTAINS_TOKEN, ...
	Value        string `json:"value,omitempty"` // omitted for HAS_PROPERTY / NOT_HAS_PROPERTY
}

// SearchRequest is a contact search. HubSpot allows at most 5 filter groups, 6 filters per group and 18
// in total; more is a 400 (docs/hubspot-api.md#search).
type SearchRequest struct {
	FilterGroups    [][]Filter
	SortAscendingBy string   // property to sort by, ascending; "" = HubSpot's default (creation order)
	Properties      []string // properties to return; empty = HubSpot's defaults
	Limit           int      // page size, ≤ MaxSearchLimit; 0 = HubSpot's default (10)
	After           string   // cursor from the previous page's After
}

// SearchPage is one page of contacts. After is the cursor of the next page, "" on the last page.
// Total is the number of matches reported by search.
type SearchPage struct {
	Total   int
	Results []Contact
	After   string
}

type filterGroup struct {
	Filters []Filter `json:"filters"`
}

type sortRule struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

type searchBody struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []sortRule    `json:"sorts,omitempty"`
	Properties   []string      `json:"properties,omitempty"`
	Limit        int           `json:"limit,omitempty"`
	After        string        `json:"after,omitempty"`
}

type pageResponse struct {
	Total   int          `json:"total"`
	Results []wireObject `json:"results"`
	Paging  *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

func (p pageResponse) page() SearchPage {
	out := SearchPage{Total: p.Total, Results: make([]Contact, len(p.Results))}
	for i, r := range p.Results {
		out.Results[i] = r.contact()
	}
	// "paging" is absent on the last page (docs/hubspot-api.md#search).
	if p.Paging != nil && p.Paging.Next != nil {
		out.After = p.Paging.Next.After
	}
	return out
}

// SearchContacts runs one page of POST /crm/v3/objects/contacts/search (docs/hubspot-api.md#search). Search
// has its own limit of 5 requests/second per token; exceeding it is KindRateLimited with PolicyName SECONDLY.
// Recently written contacts may take a few moments to become searchable.
func (c *Client) SearchContacts(ctx context.Context, req SearchRequest) (SearchPage, error) {
	if req.Limit < 0 || req.Limit > MaxSearchLimit {
		return SearchPage{}, invalidInput("SearchContacts: limit %d outside 0..%d", req.Limit, MaxSearchLimit)
	}
	body := searchBody{
		FilterGroups: make([]filterGroup, len(req.FilterGroups)),
		Properties:   req.Properties,
		Limit:        req.Limit,
		After:        req.After,
	}
	for i, g := range req.FilterGroups {
		body.FilterGroups[i] = filterGroup{Filters: g}
	}
	if req.SortAscendingBy != "" {
		// The documented object form; "only one sorting rule can be applied" (docs/hubspot-api.md#search).
		body.Sorts = []sortRule{{PropertyName: req.SortAscendingBy, Direction: "ASCENDING"}}
	}
	var out pageResponse
	if _, err := c.do(ctx, http.MethodPost, contactsPath+"/search", nil, body, &out); err != nil {
		return SearchPage{}, err
	}
	return out.page(), nil
}

// SearchContactsLacking is the keyset page the backfill and the export walk: contacts lacking any of the
// given properties, by ascending hs_object_id, after the id afterID ("" = from the start). Each call starts a
// fresh query at offset 0 filtered on "hs_object_id > afterID", so the 10,000-result cap on one query's
// paging never applies, however many contacts there are (docs/hubspot-api.md#search). Page.Total is the
// number of such contacts from the cursor on.
func (c *Client) SearchContactsLacking(ctx context.Context, lacking []string, afterID string, limit int, props []string) (SearchPage, error) {
	groups := make([][]Filter, 0, len(lacking))
	for _, prop := range lacking {
		g := []Filter{{PropertyName: prop, Operator: "NOT_HAS_PROPERTY"}}
		if afterID != "" {
			g = append(g, Filter{PropertyName: "hs_object_id", Operator: "GT", Value: afterID})
		}
		groups = append(groups, g)
	}
	return c.SearchContacts(ctx, SearchRequest{FilterGroups: groups, SortAscendingBy: "hs_object_id", Properties: props, Limit: limit})
}
