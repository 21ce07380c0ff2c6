package hubspotsim

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

const hubspotToken = "pat-na1-test"

// emailProperty is a GET that answers 200 on a fresh account, for tests about limits and faults.
const emailProperty = propertiesBase + "/email"

func newHubSpotServer(t *testing.T, o Options) (*HubSpot, string) {
	t.Helper()
	if o.Token == "" {
		o.Token = hubspotToken
	}
	h := New(o)
	return h, simtest.Serve(t, h).URL
}

// hs sends an authenticated JSON request to the HubSpot fake.
func hs(t *testing.T, base, method, path string, body any) simtest.Response {
	t.Helper()
	if s, ok := body.(string); ok && s == "" {
		body = nil
	}
	return simtest.Do(t, nil, method, base+path, body, "Authorization", "Bearer "+hubspotToken, "Content-Type", "application/json")
}

var uuidLike = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// requireHubSpotError checks the common error envelope
// (docs/hubspot-api.md#errors).
func requireHubSpotError(t *testing.T, r simtest.Response, status int, category string) map[string]any {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	assert.Equal(t, hubspotContentType, r.Header.Get("Content-Type"))
	m := r.JSON(t)
	assert.Equal(t, "error", m["status"])
	assert.NotEmpty(t, m["message"])
	assert.Regexp(t, uuidLike, m["correlationId"])
	assert.Equal(t, r.Header.Get("X-HubSpot-Correlation-Id"), m["correlationId"])
	if category != "" {
		assert.Equal(t, category, m["category"])
	}
	return m
}

func TestHubSpotAuth(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	for _, tc := range []struct {
		name, header string
	}{
		{"missing", ""},
		{"wrong token", "Bearer pat-na1-wrong"},
		{"not bearer", "Basic " + hubspotToken},
		{"empty bearer", "Bearer "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r simtest.Response
			if tc.header == "" {
				r = simtest.Do(t, nil, http.MethodGet, base+emailProperty, nil)
			} else {
				r = simtest.Do(t, nil, http.MethodGet, base+emailProperty, nil, "Authorization", tc.header)
			}
			m := requireHubSpotError(t, r, 401, "INVALID_AUTHENTICATION")
			assert.Equal(t, []string{"category", "correlationId", "message", "status"}, simtest.Keys(m))
			assert.Contains(t, m["message"], "Authentication credentials not found.")
			assert.Equal(t, "401 Unauthorized", r.Header.Get("X-HubSpot-Auth-Failure"))
			assert.Empty(t, r.Header.Get("X-HubSpot-RateLimit-Remaining"), "unauthenticated calls are not metered")
		})
	}
	r := simtest.Do(t, nil, http.MethodGet, base+emailProperty, nil, "Authorization", "bearer "+hubspotToken)
	assert.Equal(t, 200, r.Status, "scheme is case-insensitive")
	assert.Equal(t, 0, h.Stats().RateLimited)

	_, anyBase := newHubSpotServer(t, Options{Token: ""})
	assert.Equal(t, 200, simtest.Do(t, nil, http.MethodGet, anyBase+emailProperty, nil, "Authorization", "Bearer "+hubspotToken).Status)
}

func TestHubSpotTenSecondlyRateLimit(t *testing.T) {
	clock := simtest.NewClock()
	h, base := newHubSpotServer(t, Options{Now: clock.Now, RatePer10s: 3, DailyLimit: 1000})
	for i := 0; i < 3; i++ {
		r := hs(t, base, http.MethodGet, emailProperty, nil)
		require.Equal(t, 200, r.Status)
		assert.Equal(t, "3", r.Header.Get("X-HubSpot-RateLimit-Max"))
		assert.Equal(t, strconv.Itoa(2-i), r.Header.Get("X-HubSpot-RateLimit-Remaining"))
		assert.Equal(t, "10000", r.Header.Get("X-HubSpot-RateLimit-Interval-Milliseconds"))
		assert.Equal(t, "1000", r.Header.Get("X-HubSpot-RateLimit-Daily"))
		assert.Equal(t, strconv.Itoa(1000-1-i), r.Header.Get("X-HubSpot-RateLimit-Daily-Remaining"))
		clock.Advance(time.Second)
	}
	r := hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co"}}`)
	m := requireHubSpotError(t, r, 429, "")
	assert.Equal(t, []string{"correlationId", "errorType", "groupName", "message", "policyName", "status"}, simtest.Keys(m))
	assert.Equal(t, "You have reached your ten_secondly_rolling limit.", m["message"])
	assert.Equal(t, "RATE_LIMIT", m["errorType"])
	assert.Equal(t, PolicyTenSecondly, m["policyName"])
	assert.Regexp(t, `^publicapi:`, m["groupName"])
	assert.Equal(t, "0", r.Header.Get("X-HubSpot-RateLimit-Remaining"))
	assert.Empty(t, h.Contacts(), "a rate-limited write is not applied")

	// Search has its own limit and does not consume the 10 s window.
	assert.Equal(t, 200, hs(t, base, http.MethodPost, contactsBase+"/search", `{}`).Status)

	clock.Advance(7 * time.Second) // t=10s: the call from t=0 has left the window
	assert.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co"}}`).Status)
	requireHubSpotError(t, hs(t, base, http.MethodGet, emailProperty, nil), 429, "")

	st := h.Stats()
	assert.Equal(t, 2, st.RateLimited)
	assert.Equal(t, map[string]int{PolicyTenSecondly: 2}, st.RateLimitedByPolicy)
	assert.Equal(t, 1, st.Writes)
	recs := h.Requests()
	assert.Equal(t, PolicyTenSecondly, recs[3].Code)

	stats := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/stats", nil).JSON(t)
	assert.EqualValues(t, 2, stats["rateLimited"])
}

func TestHubSpotSearchSecondlyRateLimit(t *testing.T) {
	clock := simtest.NewClock()
	h, base := newHubSpotServer(t, Options{Now: clock.Now, SearchPerSecond: 2})
	for i := 0; i < 2; i++ {
		r := hs(t, base, http.MethodPost, contactsBase+"/search", `{}`)
		require.Equal(t, 200, r.Status)
		for _, hd := range []string{"X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining", "X-HubSpot-RateLimit-Daily"} {
			assert.Empty(t, r.Header.Get(hd), "search responses carry no rate-limit headers")
		}
	}
	r := hs(t, base, http.MethodPost, contactsBase+"/search", `{}`)
	m := requireHubSpotError(t, r, 429, "")
	assert.Equal(t, "You have reached your secondly limit.", m["message"])
	assert.Equal(t, PolicySecondly, m["policyName"])
	assert.Equal(t, "RATE_LIMIT", m["errorType"])
	assert.Regexp(t, uuidLike, m["requestId"])
	assert.Empty(t, r.Header.Get("X-HubSpot-RateLimit-Remaining"))
	assert.Equal(t, 200, hs(t, base, http.MethodGet, emailProperty, nil).Status, "other calls are unaffected")

	clock.Advance(time.Second)
	assert.Equal(t, 200, hs(t, base, http.MethodPost, contactsBase+"/search", `{}`).Status)
	st := h.Stats()
	assert.Equal(t, 1, st.RateLimited)
	assert.Equal(t, 1, st.RateLimitedByPolicy[PolicySecondly])
}

func TestHubSpotDailyLimit(t *testing.T) {
	clock := simtest.NewClock()
	h, base := newHubSpotServer(t, Options{Now: clock.Now, DailyLimit: 2})
	assert.Equal(t, 200, hs(t, base, http.MethodGet, emailProperty, nil).Status)
	assert.Equal(t, 200, hs(t, base, http.MethodPost, contactsBase+"/search", `{}`).Status, "search counts against the daily limit")
	r := hs(t, base, http.MethodGet, emailProperty, nil)
	m := requireHubSpotError(t, r, 429, "")
	assert.Equal(t, PolicyDaily, m["policyName"])
	assert.Equal(t, "You have reached your daily limit.", m["message"])
	assert.Equal(t, "0", r.Header.Get("X-HubSpot-RateLimit-Daily-Remaining"))
	requireHubSpotError(t, hs(t, base, http.MethodPost, contactsBase+"/search", `{}`), 429, "")

	clock.Advance(12 * time.Hour) // past midnight UTC
	assert.Equal(t, 200, hs(t, base, http.MethodGet, emailProperty, nil).Status)
	assert.Equal(t, map[string]int{PolicyDaily: 2}, h.Stats().RateLimitedByPolicy)
}

func TestHubSpotDefaultLimits(t *testing.T) {
	clock := simtest.NewClock()
	_, base := newHubSpotServer(t, Options{Now: clock.Now})
	r := hs(t, base, http.MethodGet, emailProperty, nil)
	assert.Equal(t, "100", r.Header.Get("X-HubSpot-RateLimit-Max"))
	assert.Equal(t, "250000", r.Header.Get("X-HubSpot-RateLimit-Daily"))
	for i := 0; i < 5; i++ {
		require.Equal(t, 200, hs(t, base, http.MethodPost, contactsBase+"/search", `{}`).Status)
	}
	requireHubSpotError(t, hs(t, base, http.MethodPost, contactsBase+"/search", `{}`), 429, "")

	_, ubase := newHubSpotServer(t, Options{Now: clock.Now, RatePer10s: -1, DailyLimit: -1})
	for i := 0; i < 150; i++ {
		r = hs(t, ubase, http.MethodGet, emailProperty, nil)
		require.Equal(t, 200, r.Status)
	}
	assert.Empty(t, r.Header.Get("X-HubSpot-RateLimit-Max"))
}

func TestHubSpotCreateGetPatchDelete(t *testing.T) {
	clock := simtest.NewClock()
	h, base := newHubSpotServer(t, Options{Now: clock.Now})

	r := hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"Jane.Doe@Example.com","firstname":"Jane","company":"ACME","phone":""}}`)
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	assert.Regexp(t, uuidLike, r.Header.Get("X-HubSpot-Correlation-Id"))
	created := r.JSON(t)
	assert.Equal(t, []string{"archived", "createdAt", "id", "properties", "updatedAt"}, simtest.Keys(created))
	id := created["id"].(string)
	assert.Equal(t, "1001", id)
	assert.Equal(t, "2025-03-14T12:00:00.000Z", created["createdAt"])
	assert.Equal(t, map[string]any{
		"email": "Jane.Doe@Example.com", "firstname": "Jane", "company": "ACME",
		"createdate": "2025-03-14T12:00:00.000Z", "lastmodifieddate": "2025-03-14T12:00:00.000Z", "hs_object_id": "1001",
	}, created["properties"])

	// 409 with the existing id, case-insensitive email
	// (docs/hubspot-api.md#contacts).
	r = hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"jane.doe@example.COM"}}`)
	m := requireHubSpotError(t, r, 409, "CONFLICT")
	assert.Equal(t, []string{"category", "correlationId", "message", "status"}, simtest.Keys(m))
	assert.Equal(t, "Contact already exists. Existing ID: 1001", m["message"])
	assert.Regexp(t, `Existing ID:\s*(\d+)`, m["message"])

	// Reads return defaults plus requested properties only.
	r = hs(t, base, http.MethodGet, contactsBase+"/"+id, nil)
	require.Equal(t, 200, r.Status)
	props := r.JSON(t)["properties"].(map[string]any)
	assert.NotContains(t, props, "company")
	assert.Contains(t, props, "email")
	for _, q := range []string{"?properties=company&properties=phone", "?properties=company,phone"} {
		props = hs(t, base, http.MethodGet, contactsBase+"/"+id+q, nil).JSON(t)["properties"].(map[string]any)
		assert.Equal(t, "ACME", props["company"])
		assert.NotContains(t, props, "phone", "missing properties are omitted")
	}

	// By email, with @ raw or %40.
	for _, p := range []string{"/jane.doe@example.com?idProperty=email", "/JANE.DOE%40example.com?idProperty=email"} {
		r = hs(t, base, http.MethodGet, contactsBase+p, nil)
		require.Equal(t, 200, r.Status, p)
		assert.Equal(t, id, r.JSON(t)["id"])
	}

	// 404 bodies.
	for _, p := range []string{"/999999", "/nobody@example.com?idProperty=email", "/jane.doe@example.com"} {
		m = requireHubSpotError(t, hs(t, base, http.MethodGet, contactsBase+p, nil), 404, "OBJECT_NOT_FOUND")
		assert.Equal(t, "Object not found.  objectId are usually numeric.", m["message"])
		assert.Len(t, m["context"].(map[string]any)["id"], 1)
	}

	clock.Advance(time.Minute)
	r = hs(t, base, http.MethodPatch, contactsBase+"/jane.doe%40example.com?idProperty=email", `{"properties":{"lastname":"Doe","company":""}}`)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	patched := r.JSON(t)
	props = patched["properties"].(map[string]any)
	assert.Equal(t, "Doe", props["lastname"])
	assert.NotContains(t, props, "company", "empty string clears")
	assert.Equal(t, "2025-03-14T12:01:00.000Z", props["lastmodifieddate"])
	assert.Equal(t, "2025-03-14T12:00:00.000Z", props["createdate"])
	assert.Equal(t, "2025-03-14T12:01:00.000Z", patched["updatedAt"])

	// PATCH validation and conflicts.
	m = requireHubSpotError(t, hs(t, base, http.MethodPatch, contactsBase+"/"+id, `{"properties":{"favorite_food":"pizza"}}`), 400, "VALIDATION_ERROR")
	assert.Equal(t, `Property values were not valid: [{"isValid":false,"message":"Property \"favorite_food\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"favorite_food","localizedErrorMessage":"Property \"favorite_food\" does not exist","portalId":24681357}]`, m["message"])
	requireHubSpotError(t, hs(t, base, http.MethodPatch, contactsBase+"/"+id, `{"properties":{"hs_object_id":"5"}}`), 400, "VALIDATION_ERROR")
	requireHubSpotError(t, hs(t, base, http.MethodPatch, contactsBase+"/424242", `{"properties":{"lastname":"x"}}`), 404, "OBJECT_NOT_FOUND")
	other := hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"other@example.com"}}`).JSON(t)["id"].(string)
	m = requireHubSpotError(t, hs(t, base, http.MethodPatch, contactsBase+"/"+other, `{"properties":{"email":"JANE.doe@example.com"}}`), 409, "CONFLICT")
	assert.Contains(t, m["message"], "Existing ID: "+id)

	all := h.Contacts()
	require.Len(t, all, 2)
	assert.Equal(t, []string{"1001", "1002"}, []string{all[0].ID, all[1].ID})
	c, ok := h.ContactByEmail("JANE.DOE@example.com")
	require.True(t, ok)
	assert.Equal(t, "1001", c.ID)
	assert.Equal(t, "1001", c.Properties["hs_object_id"])
}

func TestHubSpotCreateValidation(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	for _, tc := range []struct {
		name, body, errCode string
	}{
		{"unknown property", `{"properties":{"email":"a@b.co","share_link":"x"}}`, "PROPERTY_DOESNT_EXIST"},
		{"invalid email", `{"properties":{"email":"not-an-email"}}`, "INVALID_EMAIL"},
		{"read-only", `{"properties":{"email":"a@b.co","createdate":"2020-01-01T00:00:00Z"}}`, "READ_ONLY_VALUE"},
		{"bad json", `{"properties":`, ""},
		{"object value", `{"properties":{"email":{"x":1}}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := requireHubSpotError(t, hs(t, base, http.MethodPost, contactsBase, tc.body), 400, "VALIDATION_ERROR")
			if tc.errCode != "" {
				assert.Regexp(t, `^Property values were not valid: \[`, m["message"])
				assert.Contains(t, m["message"], `"error":"`+tc.errCode+`"`)
			}
		})
	}
	assert.Empty(t, h.Contacts())
	assert.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"a@b.co","phone":null}}`).Status, "null clears like \"\"")
}

func TestHubSpotRoutingAndAliases(t *testing.T) {
	_, base := newHubSpotServer(t, Options{})
	r := hs(t, base, http.MethodPost, "/crm/v3/objects/0-1", `{"properties":{"email":"a@b.co"}}`)
	require.Equal(t, 201, r.Status, "0-1 is contacts")
	requireHubSpotError(t, hs(t, base, http.MethodGet, "/crm/v3/objects/tickets", nil), 404, "")
	r = hs(t, base, http.MethodPut, contactsBase+"/1001", `{}`)
	requireHubSpotError(t, r, 405, "")
	assert.Equal(t, "GET, PATCH", r.Header.Get("Allow"))
	requireHubSpotError(t, hs(t, base, http.MethodGet, contactsBase+"/search", nil), 404, "OBJECT_NOT_FOUND")
}

func TestHubSpotSeedAndReset(t *testing.T) {
	clock := simtest.NewClock()
	h, base := newHubSpotServer(t, Options{Now: clock.Now})
	ids := h.Seed(3, func(i int) map[string]string { return map[string]string{"email": fmt.Sprintf("s%d@x.io", i)} })
	assert.Equal(t, []string{"1001", "1002", "1003"}, ids)
	cs := h.Contacts()
	assert.True(t, cs[0].CreatedAt.Before(cs[1].CreatedAt))
	assert.Equal(t, clock.Now(), cs[2].CreatedAt)
	assert.Empty(t, h.Requests())
	assert.Zero(t, h.Stats().Requests)
	assert.Panics(t, func() { h.Seed(1, func(int) map[string]string { return map[string]string{"email": "S0@x.io"} }) })
	assert.Len(t, h.Seed(2, nil), 2)

	adm := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/contacts", nil).JSON(t)
	assert.Len(t, adm["contacts"], 5)

	hs(t, base, http.MethodPost, propertiesBase, `{"name":"share_link","label":"Share link","type":"string","fieldType":"text","groupName":"contactinformation"}`)
	require.Equal(t, 200, simtest.Do(t, nil, http.MethodPost, base+"/_sandbox/reset", nil).Status)
	assert.Empty(t, h.Contacts())
	assert.Empty(t, h.Requests())
	assert.Zero(t, h.Stats().Requests)
	for _, p := range h.Properties() {
		assert.NotEqual(t, "share_link", p.Name, "custom properties are dropped")
	}
	assert.Equal(t, []string{"1001"}, h.Seed(1, nil), "ids restart")
}

func TestHubSpotIDPropertyAndEmailChange(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	require.Equal(t, 201, hs(t, base, http.MethodPost, propertiesBase, `{"name":"external_id","label":"External ID","type":"string","fieldType":"text","groupName":"contactinformation","hasUniqueValue":true}`).Status)
	id := hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"first@x.io","external_id":"EXT-1"}}`).JSON(t)["id"].(string)

	// Lookup by a unique custom property; other properties are not identifiers.
	r := hs(t, base, http.MethodGet, contactsBase+"/ext-1?idProperty=external_id", nil)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	assert.Equal(t, id, r.JSON(t)["id"])
	requireHubSpotError(t, hs(t, base, http.MethodGet, contactsBase+"/x?idProperty=firstname", nil), 400, "VALIDATION_ERROR")
	requireHubSpotError(t, hs(t, base, http.MethodGet, contactsBase+"/x?idProperty=nope", nil), 400, "VALIDATION_ERROR")

	// Upsert by the unique property creates with the id as its value.
	r = hs(t, base, http.MethodPost, contactsBase+"/batch/upsert", `{"inputs":[{"id":"EXT-2","idProperty":"external_id","properties":{"email":"second@x.io"}},{"id":"EXT-1","idProperty":"external_id","properties":{"firstname":"F"}}]}`)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	res := batchResults(t, r.JSON(t))
	assert.Equal(t, true, res["second@x.io"]["new"])
	assert.Equal(t, "EXT-2", res["second@x.io"]["properties"].(map[string]any)["external_id"])
	assert.Equal(t, false, res["first@x.io"]["new"])

	// Changing the email moves the index.
	r = hs(t, base, http.MethodPatch, contactsBase+"/"+id, `{"properties":{"email":"renamed@x.io"}}`)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	_, ok := h.ContactByEmail("first@x.io")
	assert.False(t, ok)
	c, ok := h.ContactByEmail("RENAMED@x.io")
	require.True(t, ok)
	assert.Equal(t, id, c.ID)
	assert.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"first@x.io"}}`).Status, "the old email is free")
}
