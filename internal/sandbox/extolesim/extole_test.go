package extolesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/simtest"
)

const extoleToken = "server-token"

func newExtoleServer(t *testing.T, o Options) (*Extole, string) {
	t.Helper()
	if o.Token == "" {
		o.Token = extoleToken
	}
	e := New(o)
	return e, simtest.Serve(t, e).URL
}

// ex sends an authenticated JSON request to the Extole fake.
func ex(t *testing.T, base, method, path string, body any) simtest.Response {
	t.Helper()
	return simtest.Do(t, nil, method, base+path, body, "Authorization", "Bearer "+extoleToken, "Content-Type", "application/json")
}

var digits19 = regexp.MustCompile(`^[1-9][0-9]{18}$`)

// requireExtoleError checks Extole's exact error shape
// (docs/extole-api.md#errors).
func requireExtoleError(t *testing.T, r simtest.Response, status int, code string) map[string]any {
	t.Helper()
	require.Equal(t, status, r.Status, "body: %s", r.Body)
	m := r.JSON(t)
	assert.Equal(t, []string{"code", "http_status_code", "message", "parameters", "unique_id"}, simtest.Keys(m))
	assert.Equal(t, code, m["code"])
	assert.EqualValues(t, status, m["http_status_code"])
	assert.NotEmpty(t, m["message"])
	assert.IsType(t, map[string]any{}, m["parameters"])
	assert.Regexp(t, digits19, m["unique_id"])
	return m
}

func TestExtoleAuth(t *testing.T) {
	_, base := newExtoleServer(t, Options{})
	body := `{"event_name":"signed_up"}`
	tests := []struct {
		name    string
		path    string
		headers []string
		status  int
		code    string
		message string
	}{
		{"no token", "/v5/events", nil, 403, "missing_access_token", "No access_token was provided with this request."},
		// HTTP trims the trailing space, so "Bearer " arrives as the token "Bearer".
		{"bearer without token", "/v5/events", []string{"Authorization", "Bearer "}, 403, "access_denied", ""},
		{"wrong token", "/v5/events", []string{"Authorization", "Bearer nope"}, 403, "access_denied", "The access_token provided is not permitted to access the specified resource."},
		{"bearer", "/v5/events", []string{"Authorization", "Bearer " + extoleToken}, 200, "", ""},
		{"bare token", "/v5/events", []string{"Authorization", extoleToken}, 200, "", ""},
		{"query param", "/v5/events?access_token=" + extoleToken, nil, 200, "", ""},
		{"query wins over header", "/v5/events?access_token=nope", []string{"Authorization", "Bearer " + extoleToken}, 403, "access_denied", ""},
		{"cookie", "/v5/events", []string{"Cookie", "access_token=" + extoleToken}, 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := append([]string{"Content-Type", "application/json"}, tc.headers...)
			r := simtest.Do(t, nil, http.MethodPost, base+tc.path, body, h...)
			if tc.code == "" {
				require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
				return
			}
			m := requireExtoleError(t, r, tc.status, tc.code)
			if tc.message != "" {
				assert.Equal(t, tc.message, m["message"])
			}
		})
	}
}

func TestExtoleAnyTokenWhenUnconfigured(t *testing.T) {
	e := New(Options{})
	base := simtest.Serve(t, e).URL
	r := simtest.Do(t, nil, http.MethodPost, base+"/v5/events", `{"event_name":"x"}`, "Authorization", "Bearer whatever", "Content-Type", "application/json")
	assert.Equal(t, 200, r.Status)
	r = simtest.Do(t, nil, http.MethodPost, base+"/v5/events", `{"event_name":"x"}`, "Content-Type", "application/json")
	requireExtoleError(t, r, 403, "missing_access_token")
}

func TestExtoleEventValidation(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
	}{
		{"no content type", "", `{"event_name":"x"}`, 415, "unsupported_media_type"},
		{"text/plain", "text/plain", `{"event_name":"x"}`, 415, "unsupported_media_type"},
		{"charset param ok", "application/json; charset=utf-8", `{"event_name":"x"}`, 200, ""},
		{"empty body", "application/json", ``, 400, "missing_request_body"},
		{"unparseable", "application/json", `{"event_name":`, 400, "invalid_json"},
		{"not an object", "application/json", `["x"]`, 400, "invalid_json"},
		{"data not an object", "application/json", `{"event_name":"x","data":[1]}`, 400, "invalid_json"},
		{"missing name", "application/json", `{"data":{"email":"a@b.co"}}`, 400, "missing_event_name"},
		{"empty name", "application/json", `{"event_name":"  "}`, 400, "missing_event_name"},
		{"null name", "application/json", `{"event_name":null}`, 400, "missing_event_name"},
		{"bad event_time", "application/json", `{"event_name":"x","event_time":"yesterday"}`, 400, "invalid_event_time_format"},
		{"numeric event_time", "application/json", `{"event_name":"x","event_time":1700000000}`, 400, "invalid_event_time_format"},
		{"rfc3339 event_time", "application/json", `{"event_name":"x","event_time":"2024-01-15T12:00:00Z"}`, 200, ""},
		{"offset without colon", "application/json", `{"event_name":"x","event_time":"2013-08-11T14:33:18-0700"}`, 200, ""},
		{"millis", "application/json", `{"event_name":"x","event_time":"2024-01-15T12:00:00.123+02:00"}`, 200, ""},
		{"null event_time", "application/json", `{"event_name":"x","event_time":null}`, 200, ""},
		{"no data", "application/json", `{"event_name":"x"}`, 200, ""},
		{"unknown top-level keys ignored", "application/json", `{"event_name":"x","email":"a@b.co","jwt":"z"}`, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := []string{"Authorization", "Bearer " + extoleToken}
			if tc.contentType != "" {
				h = append(h, "Content-Type", tc.contentType)
			}
			r := simtest.Do(t, nil, http.MethodPost, base+"/v5/events", tc.body, h...)
			if tc.code != "" {
				m := requireExtoleError(t, r, tc.status, tc.code)
				if tc.code == "invalid_event_time_format" {
					assert.Equal(t, "Invalid event time format. Expected: ISO8601 format", m["message"])
					assert.Contains(t, m["parameters"], "event_time")
				}
				return
			}
			require.Equal(t, 200, r.Status, "body: %s", r.Body)
			assert.Regexp(t, digits19, r.JSON(t)["id"])
		})
	}
	for _, ev := range e.Events() {
		assert.NotNil(t, ev.Data, "absent data must become {}")
	}
}

func TestExtoleEventDedupe(t *testing.T) {
	clock := simtest.NewClock()
	e, base := newExtoleServer(t, Options{Now: clock.Now})
	send := func(pcid string, name string) string {
		t.Helper()
		r := ex(t, base, http.MethodPost, "/v5/events", fmt.Sprintf(`{"event_name":%q,"data":{"email":"alex@example.com","partner_conversion_id":%s}}`, name, pcid))
		require.Equal(t, 200, r.Status, "body: %s", r.Body)
		m := r.JSON(t)
		require.Equal(t, []string{"id"}, simtest.Keys(m))
		return m["id"].(string)
	}
	first := send(`"deal-42"`, "converted")
	clock.Advance(time.Second)
	assert.Equal(t, first, send(`"deal-42"`, "converted"), "duplicate must answer with the first event's id")
	assert.Equal(t, first, send(`"deal-42"`, "signed_up"), "dedupe is by partner_conversion_id regardless of event name")

	num := send(`42`, "converted")
	assert.NotEqual(t, first, num)
	assert.Equal(t, num, send(`"42"`, "converted"), "42 and \"42\" are the same key")

	other := send(`"deal-43"`, "converted")
	assert.NotEqual(t, first, other)
	noKey1 := ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"converted"}`).JSON(t)["id"]
	noKey2 := ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"converted"}`).JSON(t)["id"]
	assert.NotEqual(t, noKey1, noKey2, "events without the key are never duplicates")

	events := e.Events()
	require.Len(t, events, 5)
	assert.Equal(t, first, events[0].ID)
	assert.Equal(t, "converted", events[0].EventName)
	assert.JSONEq(t, `"deal-42"`, string(events[0].Data["partner_conversion_id"]))
	assert.Equal(t, clock.Now().Add(-time.Second), events[0].ReceivedAt)
	assert.Equal(t, 3, e.Duplicates())

	var dupRecords int
	for _, rec := range e.Requests() {
		if rec.Code == "duplicate" {
			dupRecords++
		}
	}
	assert.Equal(t, 3, dupRecords)

	adm := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/events", nil)
	require.Equal(t, 200, adm.Status)
	m := adm.JSON(t)
	assert.EqualValues(t, 3, m["duplicates"])
	assert.Len(t, m["events"], 5)
}

func TestExtoleConcurrentDuplicates(t *testing.T) {
	e, base := newExtoleServer(t, Options{RateLimitPerMinute: -1})
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, base+"/v5/events", strings.NewReader(`{"event_name":"converted","data":{"partner_conversion_id":"same"}}`))
			req.Header.Set("Authorization", "Bearer "+extoleToken)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			var m map[string]string
			_ = json.NewDecoder(res.Body).Decode(&m)
			ids[i] = m["id"]
		}()
	}
	wg.Wait()
	require.NotEmpty(t, ids[0])
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
	assert.Len(t, e.Events(), 1)
	assert.Equal(t, 19, e.Duplicates())
}

func TestExtoleRateLimit(t *testing.T) {
	clock := simtest.NewClock()
	e, base := newExtoleServer(t, Options{Now: clock.Now, RateLimitPerMinute: 3})
	post := func() simtest.Response {
		return ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x"}`)
	}
	for i := 0; i < 3; i++ {
		require.Equal(t, 200, post().Status)
		clock.Advance(10 * time.Second)
	}
	r := post() // t=30s: 3 admitted in the last minute
	m := requireExtoleError(t, r, 429, "too_many_requests")
	assert.Equal(t, "The server is unable to process your request at the moment, please retry later.", m["message"])
	assert.Empty(t, r.Header.Get("Retry-After"), "Extole documents no Retry-After")
	// Persons endpoints share the per-token budget.
	requireExtoleError(t, ex(t, base, http.MethodGet, "/v5/persons", nil), 429, "too_many_requests")

	clock.Advance(30 * time.Second) // t=60s: the request from t=0 has aged out
	require.Equal(t, 200, post().Status)
	requireExtoleError(t, post(), 429, "too_many_requests")
	assert.Len(t, e.Events(), 4, "rate-limited events are not applied")

	// Another token has its own window; auth failures are not admitted.
	r = simtest.Do(t, nil, http.MethodPost, base+"/v5/events", `{"event_name":"x"}`, "Authorization", "Bearer wrong", "Content-Type", "application/json")
	requireExtoleError(t, r, 403, "access_denied")

	unlimited, ubase := newExtoleServer(t, Options{Now: clock.Now, RateLimitPerMinute: -1})
	for i := 0; i < 150; i++ {
		require.Equal(t, 200, ex(t, ubase, http.MethodPost, "/v5/events", `{"event_name":"x"}`).Status)
	}
	assert.Len(t, unlimited.Events(), 150)
}

func TestExtoleDefaultRateLimitIs100(t *testing.T) {
	clock := simtest.NewClock()
	_, base := newExtoleServer(t, Options{Now: clock.Now})
	for i := 0; i < 100; i++ {
		require.Equal(t, 200, ex(t, base, http.MethodGet, "/v5/persons", nil).Status)
	}
	requireExtoleError(t, ex(t, base, http.MethodGet, "/v5/persons", nil), 429, "too_many_requests")
}

func TestExtoleRouting(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	r := simtest.Do(t, nil, http.MethodPost, base+"/v6/whatever", `{}`)
	m := requireExtoleError(t, r, 404, "method_not_found")
	assert.Equal(t, "Unable to find specified endpoint", m["message"])
	r = ex(t, base, http.MethodGet, "/v5/events", nil)
	requireExtoleError(t, r, 405, "method_not_allowed")
	assert.Equal(t, "POST", r.Header.Get("Allow"))

	recs := e.Requests()
	require.Len(t, recs, 2)
	assert.Equal(t, sandbox.RequestRecord{Method: "POST", Path: "/v6/whatever", Status: 404, Code: "method_not_found", At: recs[0].At}, recs[0])
}

func TestExtolePersonsAndShareables(t *testing.T) {
	clock := simtest.NewClock()
	e, base := newExtoleServer(t, Options{Now: clock.Now, ShareBaseURL: "https://share.example.org/"})

	// The backfill flow (docs/extole-api.md#persons-and-shareables): look up,
	// create if missing.
	r := ex(t, base, http.MethodGet, "/v5/persons?identity_key_value=Alex.Smith%40Example.com", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "[]", strings.TrimSpace(string(r.Body)), "no match is an empty array")

	r = ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":"Alex.Smith@Example.com"}`)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	person := r.JSON(t)
	assert.Equal(t, []string{"id", "identity_id", "identity_key", "identity_key_value", "locale", "version"}, simtest.Keys(person))
	assert.Equal(t, map[string]any{"name": "email"}, person["identity_key"])
	assert.Equal(t, "Alex.Smith@Example.com", person["identity_key_value"])
	assert.IsType(t, "", person["version"])
	pid := person["id"].(string)
	assert.Regexp(t, digits19, pid)

	found := ex(t, base, http.MethodGet, "/v5/persons?identity_key_value=alex.smith%40example.com", nil).Array(t)
	require.Len(t, found, 1, "email lookup ignores case")
	assert.Equal(t, pid, found[0]["id"])

	requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":"alex.smith@example.com"}`), 400, "identity_key_value_already_taken")
	requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":""}`), 400, "invalid_key_value")
	requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":"not-an-email"}`), 400, "invalid_key_value")
	requireExtoleError(t, ex(t, base, http.MethodGet, "/v5/persons/123/shareables", nil), 403, "person_not_found")
	m := requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/persons/123/shareables", `{"label":"refer"}`), 403, "person_not_found")
	assert.Equal(t, map[string]any{"person_id": "123"}, m["parameters"])

	shareables := "/v5/persons/" + pid + "/shareables"
	r = ex(t, base, http.MethodPost, shareables, `{"label":"refer-a-friend"}`)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	sh := r.JSON(t)
	assert.Equal(t, []string{"code", "content", "created_date", "data", "key", "label", "link", "updated_date"}, simtest.Keys(sh))
	assert.Equal(t, "alexsmith01", sh["code"], "code derives from the email local part")
	assert.Equal(t, "https://share.example.org/alexsmith01", sh["link"])
	assert.Equal(t, "refer-a-friend", sh["label"])
	assert.Equal(t, "2025-03-14T12:00:00.000+00:00", sh["created_date"])

	// Same label again → shareable_key_taken (what Extole's SFDC backfill handles).
	m = requireExtoleError(t, ex(t, base, http.MethodPost, shareables, `{"label":"refer-a-friend"}`), 400, "shareable_key_taken")
	assert.Equal(t, map[string]any{"code": "alexsmith01"}, m["parameters"])

	clock.Advance(time.Minute)
	r = ex(t, base, http.MethodPost, shareables, `{"label":"vip","code":"ALEX-VIP","key":"k1","data":{"tier":"gold"}}`)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	sh = r.JSON(t)
	assert.Equal(t, "ALEX-VIP", sh["code"])
	assert.Equal(t, "k1", sh["key"])
	assert.Equal(t, map[string]any{"tier": map[string]any{"name": "tier", "value": "gold"}}, sh["data"])
	requireExtoleError(t, ex(t, base, http.MethodPost, shareables, `{"label":"other","key":"k1"}`), 400, "shareable_key_taken")

	// A second person: explicit code taken by someone else, and generated code uniqueness.
	p2 := ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":"alexsmith@else.com"}`).JSON(t)["id"].(string)
	sh2 := "/v5/persons/" + p2 + "/shareables"
	m = requireExtoleError(t, ex(t, base, http.MethodPost, sh2, `{"label":"vip","code":"alex-vip"}`), 400, "code_taken")
	params := m["parameters"].(map[string]any)
	assert.Equal(t, "alex-vip", params["code"])
	assert.Len(t, params["code_suggestions"], 3)
	r = ex(t, base, http.MethodPost, sh2, `{"label":"refer-a-friend"}`)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "alexsmith02", r.JSON(t)["code"])

	for _, tc := range []struct{ body, code string }{
		{`{}`, "label_is_missing"},
		{`{"label":""}`, "label_is_missing"},
		{`{"label":"has space"}`, "label_name_contains_illegal_character"},
		{`{"label":"x1","code":"abc"}`, "code_out_of_range"},
		{`{"label":"x2","code":"` + strings.Repeat("a", 51) + `"}`, "code_out_of_range"},
		{`{"label":"x3","code":"bad code!"}`, "code_illegal_character"},
		{`{"label":`, "invalid_json"},
	} {
		requireExtoleError(t, ex(t, base, http.MethodPost, sh2, tc.body), 400, tc.code)
	}

	// List: newest first, labels filter, paging, limit cap.
	list := ex(t, base, http.MethodGet, shareables, nil).Array(t)
	require.Len(t, list, 2)
	assert.Equal(t, "ALEX-VIP", list[0]["code"])
	assert.Equal(t, "alexsmith01", list[1]["code"])
	list = ex(t, base, http.MethodGet, shareables+"?labels=refer-a-friend", nil).Array(t)
	require.Len(t, list, 1)
	assert.Equal(t, "alexsmith01", list[0]["code"])
	list = ex(t, base, http.MethodGet, shareables+"?limit=1&offset=1", nil).Array(t)
	require.Len(t, list, 1)
	assert.Equal(t, "alexsmith01", list[0]["code"])
	requireExtoleError(t, ex(t, base, http.MethodGet, shareables+"?limit=1001", nil), 400, "max_fetch_size_1000")
	requireExtoleError(t, ex(t, base, http.MethodGet, shareables+"?limit=-1", nil), 400, "invalid_limit")
	requireExtoleError(t, ex(t, base, http.MethodGet, shareables+"?offset=x", nil), 400, "invalid_offset")

	got := ex(t, base, http.MethodGet, "/v5/persons/"+pid, nil)
	require.Equal(t, 200, got.Status)
	assert.Equal(t, "3", got.JSON(t)["version"], "each new shareable bumps the version")

	persons := e.Persons()
	require.Len(t, persons, 2)
	assert.Equal(t, pid, persons[0].ID)
	assert.Equal(t, "Alex.Smith@Example.com", persons[0].Email)
	require.Len(t, persons[0].Shareables, 2)
	assert.Equal(t, "ALEX-VIP", persons[0].Shareables[0].Code)
	adm := simtest.Do(t, nil, http.MethodGet, base+"/_sandbox/persons", nil).JSON(t)
	assert.Len(t, adm["persons"], 2)
}

func TestExtoleGeneratedCodes(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	for _, tc := range []struct{ email, want string }{
		{"a@x.io", "aref01"},
		{"++@x.io", "ref01"},
		{"Very.Long_LocalPartIndeed@x.io", "verylongloca01"},
	} {
		id := ex(t, base, http.MethodPost, "/v5/persons", fmt.Sprintf(`{"identity_key_value":%q}`, tc.email)).JSON(t)["id"].(string)
		r := ex(t, base, http.MethodPost, "/v5/persons/"+id+"/shareables", `{"label":"refer"}`)
		require.Equal(t, 200, r.Status, "body: %s", r.Body)
		code := r.JSON(t)["code"].(string)
		assert.Equal(t, tc.want, code)
		assert.GreaterOrEqual(t, len(code), 4)
	}
	assert.Len(t, e.Persons(), 3)
}

func TestExtoleEventCreatesPerson(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	require.Equal(t, 200, ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"signed_up","data":{"email":"new@person.io"}}`).Status)
	require.Len(t, e.Persons(), 1)
	assert.Equal(t, "new@person.io", e.Persons()[0].Email)
	requireExtoleError(t, ex(t, base, http.MethodPost, "/v5/persons", `{"identity_key_value":"NEW@person.io"}`), 400, "identity_key_value_already_taken")
	assert.Len(t, ex(t, base, http.MethodGet, "/v5/persons?identity_key_value=new%40person.io", nil).Array(t), 1)
}

func TestExtoleReset(t *testing.T) {
	e, base := newExtoleServer(t, Options{})
	ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x","data":{"partner_conversion_id":"1","email":"a@b.co"}}`)
	ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x","data":{"partner_conversion_id":"1"}}`)
	e.SetFaults(sandbox.Faults{LatencyMS: 1})
	r := simtest.Do(t, nil, http.MethodPost, base+"/_sandbox/reset", nil)
	require.Equal(t, 200, r.Status)
	assert.Empty(t, e.Events())
	assert.Zero(t, e.Duplicates())
	assert.Empty(t, e.Persons())
	assert.Empty(t, e.Requests())
	assert.Equal(t, sandbox.Faults{}, e.CurrentFaults())
	// After a reset the same conversion id is new again.
	ex(t, base, http.MethodPost, "/v5/events", `{"event_name":"x","data":{"partner_conversion_id":"1"}}`)
	assert.Len(t, e.Events(), 1)
}
