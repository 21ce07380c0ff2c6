package hubspotsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

// searchFixture: 30 contacts u00..u29@x.io (ids 1001..1030). Even ones have a
// company, every third has score = i, u05 was deleted.
func searchFixture(t *testing.T) (*HubSpot, string, []string) {
	t.Helper()
	clock := simtest.NewClock()
	h, base := newHubSpotServer(t, Options{Now: clock.Now, SearchPerSecond: -1, RatePer10s: -1})
	require.Equal(t, 201, hs(t, base, http.MethodPost, propertiesBase, `{"name":"score","label":"Score","type":"number","fieldType":"number","groupName":"contactinformation"}`).Status)
	ids := h.Seed(30, func(i int) map[string]string {
		p := map[string]string{"email": fmt.Sprintf("u%02d@x.io", i), "firstname": fmt.Sprintf("User%d", i)}
		if i%2 == 0 {
			p["company"] = "Acme Corp"
		}
		if i%3 == 0 {
			p["score"] = strconv.Itoa(i)
		}
		return p
	})
	require.Equal(t, 204, hs(t, base, http.MethodPost, gdprDeletePath, map[string]any{"objectId": ids[5]}).Status)
	return h, base, ids
}

type searchResult struct {
	total  int
	ids    []string
	after  string
	raw    map[string]any
	status int
}

func runSearch(t *testing.T, base, body string) searchResult {
	t.Helper()
	r := hs(t, base, http.MethodPost, contactsBase+"/search", body)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	m := r.JSON(t)
	res := searchResult{total: int(m["total"].(float64)), raw: m, status: r.Status}
	for _, o := range m["results"].([]any) {
		res.ids = append(res.ids, o.(map[string]any)["id"].(string))
	}
	if p, ok := m["paging"]; ok {
		res.after = p.(map[string]any)["next"].(map[string]any)["after"].(string)
	}
	return res
}

func filter(prop, op, value string) string {
	if value == "" {
		return fmt.Sprintf(`{"propertyName":%q,"operator":%q}`, prop, op)
	}
	return fmt.Sprintf(`{"propertyName":%q,"operator":%q,"value":%q}`, prop, op, value)
}

func group(filters ...string) string { return `{"filters":[` + strings.Join(filters, ",") + `]}` }

func searchBody(limit int, groups ...string) string {
	return fmt.Sprintf(`{"limit":%d,"filterGroups":[%s]}`, limit, strings.Join(groups, ","))
}

func TestHubSpotSearchFilters(t *testing.T) {
	_, base, ids := searchFixture(t)
	idsOf := func(idx ...int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	tests := []struct {
		name  string
		body  string
		total int
		first []string
	}{
		{"no filters, deleted excluded", `{"limit":3}`, 29, idsOf(0, 1, 2)},
		{"EQ is case-insensitive", searchBody(10, group(filter("email", "EQ", "U07@X.IO"))), 1, idsOf(7)},
		{"NEQ", searchBody(1, group(filter("email", "NEQ", "u00@x.io"))), 28, idsOf(1)},
		{"NOT_HAS_PROPERTY", searchBody(3, group(filter("company", "NOT_HAS_PROPERTY", ""))), 14, idsOf(1, 3, 7)},
		{"HAS_PROPERTY", searchBody(2, group(filter("company", "HAS_PROPERTY", ""))), 15, idsOf(0, 2)},
		{"GT numeric on hs_object_id", searchBody(2, group(filter("hs_object_id", "GT", "999"))), 29, idsOf(0, 1)},
		{"GT last id", searchBody(5, group(filter("hs_object_id", "GT", ids[26]))), 3, idsOf(27, 28, 29)},
		{"LTE numeric custom", searchBody(10, group(filter("score", "LTE", "9"))), 4, idsOf(0, 3, 6, 9)},
		{"GTE and LT (AND)", searchBody(10, group(filter("score", "GTE", "12"), filter("score", "LT", "21"))), 3, idsOf(12, 15, 18)},
		{"BETWEEN", searchBody(10, group(`{"propertyName":"score","operator":"BETWEEN","value":"20","highValue":"27"}`)), 3, idsOf(21, 24, 27)},
		{"IN", searchBody(10, group(`{"propertyName":"email","operator":"IN","values":["u01@x.io","U02@x.io","nobody@x.io"]}`)), 2, idsOf(1, 2)},
		{"NOT_IN", searchBody(1, group(`{"propertyName":"email","operator":"NOT_IN","values":["u00@x.io","u01@x.io"]}`)), 27, idsOf(2)},
		{"CONTAINS_TOKEN word", searchBody(1, group(filter("company", "CONTAINS_TOKEN", "acme"))), 15, idsOf(0)},
		{"CONTAINS_TOKEN wildcard", searchBody(1, group(filter("email", "CONTAINS_TOKEN", "*@x.io"))), 29, idsOf(0)},
		{"NOT_CONTAINS_TOKEN", searchBody(1, group(filter("company", "NOT_CONTAINS_TOKEN", "acme"))), 14, idsOf(1)},
		{"OR of groups", searchBody(10, group(filter("email", "EQ", "u01@x.io")), group(filter("email", "EQ", "u03@x.io"))), 2, idsOf(1, 3)},
		{"deleted never matches", searchBody(10, group(filter("email", "EQ", "u05@x.io"))), 0, nil},
		{"free-text query", `{"limit":1,"query":"user1"}`, 11, idsOf(1)},
		{"CONTAINS_TOKEN exact value", searchBody(1, group(filter("email", "CONTAINS_TOKEN", "u03@x.io"))), 1, idsOf(3)},
		{"undefined property has no value", searchBody(1, group(filter("nonexistent", "NOT_HAS_PROPERTY", ""))), 29, idsOf(0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runSearch(t, base, tc.body)
			assert.Equal(t, tc.total, res.total)
			if tc.first == nil {
				assert.Empty(t, res.ids)
			} else {
				assert.Equal(t, tc.first, res.ids)
			}
		})
	}
}

func TestHubSpotSearchSortAndPaging(t *testing.T) {
	clock := simtest.NewClock()
	h, base := newHubSpotServer(t, Options{Now: clock.Now, SearchPerSecond: -1})
	ids := h.Seed(25, func(i int) map[string]string { return map[string]string{"email": fmt.Sprintf("s%02d@x.io", i)} })

	// The GT-last-id pattern (docs/hubspot-api.md#search): sort by hs_object_id
	// ASCENDING, filter GT the last id seen, restart paging each window.
	var seen []string
	last := "0"
	for {
		res := runSearch(t, base, fmt.Sprintf(`{"limit":10,"sorts":[{"propertyName":"hs_object_id","direction":"ASCENDING"}],"filterGroups":[{"filters":[{"propertyName":"hs_object_id","operator":"GT","value":%q}]}],"properties":["email"]}`, last))
		if len(res.ids) == 0 {
			break
		}
		seen = append(seen, res.ids...)
		last = res.ids[len(res.ids)-1]
	}
	assert.Equal(t, ids, seen)

	// Both sort spellings; descending by createdate.
	desc := runSearch(t, base, `{"limit":3,"sorts":["-createdate"]}`)
	assert.Equal(t, []string{ids[24], ids[23], ids[22]}, desc.ids)
	desc = runSearch(t, base, `{"limit":3,"sorts":[{"propertyName":"hs_object_id","direction":"DESCENDING"}]}`)
	assert.Equal(t, []string{ids[24], ids[23], ids[22]}, desc.ids)
	asc := runSearch(t, base, `{"limit":2,"sorts":["email"]}`)
	assert.Equal(t, []string{ids[0], ids[1]}, asc.ids)

	// Offset paging with "after" visits everything once; paging absent at the end.
	var all []string
	after := ""
	for pages := 0; pages < 5; pages++ {
		body := `{"limit":10}`
		if after != "" {
			body = fmt.Sprintf(`{"limit":10,"after":%q}`, after)
		}
		res := runSearch(t, base, body)
		assert.Equal(t, 25, res.total)
		all = append(all, res.ids...)
		if res.after == "" {
			_, has := res.raw["paging"]
			assert.False(t, has)
			break
		}
		assert.Equal(t, strconv.Itoa(len(all)), res.after, "after is the next offset")
		after = res.after
	}
	assert.Equal(t, ids, all)
	assert.Len(t, runSearch(t, base, `{"after":20}`).ids, 5, "a numeric after is accepted too")

	// Dates compare by instant, with epoch-millisecond filter values.
	cutoff := h.Contacts()[19].CreatedAt.UnixMilli()
	res := runSearch(t, base, searchBody(10, group(filter("createdate", "GT", strconv.FormatInt(cutoff, 10)))))
	assert.Equal(t, ids[20:], res.ids)

	// Only requested and default properties are returned.
	res = runSearch(t, base, `{"limit":1,"properties":["email"]}`)
	props := res.raw["results"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	assert.Equal(t, []string{"createdate", "email", "hs_object_id", "lastmodifieddate"}, simtest.Keys(props))
}

func TestHubSpotSearchValidation(t *testing.T) {
	_, base := newHubSpotServer(t, Options{SearchPerSecond: -1})
	f := filter("email", "HAS_PROPERTY", "")
	groupsOf := func(n, per int) string {
		gs := make([]string, n)
		for i := range gs {
			fs := make([]string, per)
			for j := range fs {
				fs[j] = f
			}
			gs[i] = group(fs...)
		}
		return searchBody(10, gs...)
	}
	tests := []struct {
		name, body, contains string
	}{
		{"6 groups", groupsOf(6, 1), "filter groups"},
		{"7 filters in a group", groupsOf(1, 7), "filters in a filter group"},
		{"19 filters in all", groupsOf(4, 5), "across all filter groups"},
		{"limit above 200", `{"limit":201}`, "200"},
		{"negative limit", `{"limit":-1}`, "limit"},
		{"paging past 10k", `{"limit":100,"after":"9950"}`, "Paging past 10000 results is not supported"},
		{"after not an integer", `{"after":"abc"}`, "integer"},
		{"unknown operator", searchBody(10, group(filter("email", "LIKE", "x"))), "operator"},
		{"EQ without value", searchBody(10, group(filter("email", "EQ", ""))), "requires a value"},
		{"IN without values", searchBody(10, group(`{"propertyName":"email","operator":"IN"}`)), "requires values"},
		{"bad sort", `{"sorts":[{"direction":"UP"}]}`, "sort"},
		{"bad json", `{"limit":`, "Invalid input JSON"},
		{"body over 3000 chars", `{"query":"` + strings.Repeat("a", 3000) + `"}`, "3000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := requireHubSpotError(t, hs(t, base, http.MethodPost, contactsBase+"/search", tc.body), 400, "VALIDATION_ERROR")
			assert.Contains(t, m["message"], tc.contains)
		})
	}
	for _, ok := range []string{groupsOf(5, 3), groupsOf(3, 6), `{"limit":200}`, `{"limit":10,"after":"9990"}`, `{"limit":0}`, ``} {
		assert.Equal(t, 200, hs(t, base, http.MethodPost, contactsBase+"/search", ok).Status, ok)
	}
}
