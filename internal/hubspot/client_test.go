package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
)

// Client tests against the simulated HubSpot (internal/sandbox), one per error class and per operation.

const testToken = "pat-na1-11111111-2222-3333-4444-555555555555"

// fixedNow freezes the fake's clock, so that its rate-limit windows do not slide during a test.
var fixedNow = time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)

func newFake(t *testing.T, o hubspotsim.Options) (*hubspotsim.HubSpot, string) {
	t.Helper()
	if o.Token == "" {
		o.Token = testToken
	}
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	fake := hubspotsim.New(o)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

func newClient(t *testing.T, o hubspotsim.Options) (*hubspotsim.HubSpot, *hubspot.Client) {
	t.Helper()
	fake, url := newFake(t, o)
	return fake, hubspot.New(url, testToken, nil)
}

func TestErrorClasses(t *testing.T) {
	ctx := context.Background()
	upsert := func(c *hubspot.Client) error { _, err := c.UpsertContactByEmail(ctx, "nobody@x.io", nil); return err }
	search := func(c *hubspot.Client) error {
		_, err := c.SearchContacts(ctx, hubspot.SearchRequest{Limit: 10})
		return err
	}

	tests := []struct {
		name       string
		opts       hubspotsim.Options
		token      string // client token when not testToken
		timeout    time.Duration
		setup      func(t *testing.T, fake *hubspotsim.HubSpot, c *hubspot.Client)
		call       func(c *hubspot.Client) error
		kind       hubspot.Kind
		status     int
		category   string
		policy     string
		retryAfter time.Duration // exact, unless raMin is set
		raMin      time.Duration // when set: RetryAfter within [raMin, retryAfter]
		message    string        // expected Message, when set
		unwraps    bool          // a cause (network error) is attached
	}{
		{
			name: "401 wrong token", token: "pat-na1-wrong", call: upsert,
			kind: hubspot.KindAuth, status: 401, category: "INVALID_AUTHENTICATION",
		},
		{
			name: "403 missing scopes",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{ForceStatus: 403})
			},
			call: upsert, kind: hubspot.KindAuth, status: 403, category: "MISSING_SCOPES",
		},
		{
			name: "429 TEN_SECONDLY_ROLLING waits 10s", opts: hubspotsim.Options{RatePer10s: 1},
			setup: func(t *testing.T, _ *hubspotsim.HubSpot, c *hubspot.Client) {
				require.NoError(t, upsert(c))
			},
			call: upsert, kind: hubspot.KindRateLimited, status: 429, category: "RATE_LIMIT",
			policy: hubspot.PolicyTenSecondlyRolling, retryAfter: 10 * time.Second,
		},
		{
			name: "search 429 SECONDLY waits 1s", opts: hubspotsim.Options{SearchPerSecond: 1},
			setup: func(t *testing.T, _ *hubspotsim.HubSpot, c *hubspot.Client) { require.NoError(t, search(c)) },
			call:  search, kind: hubspot.KindRateLimited, status: 429, category: "RATE_LIMIT",
			policy: hubspot.PolicySecondly, retryAfter: time.Second,
		},
		{
			// The client waits for midnight UTC by its own clock (the real one here).
			name: "429 DAILY waits until midnight UTC", opts: hubspotsim.Options{DailyLimit: 1},
			setup: func(t *testing.T, _ *hubspotsim.HubSpot, c *hubspot.Client) { require.NoError(t, upsert(c)) },
			call:  upsert, kind: hubspot.KindRateLimited, status: 429, category: "RATE_LIMIT",
			policy: hubspot.PolicyDaily, raMin: time.Nanosecond, retryAfter: 24 * time.Hour,
		},
		{
			name: "429 Retry-After seconds honoured",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{ForceStatus: 429, RetryAfter: "7"})
			},
			call: upsert, kind: hubspot.KindRateLimited, status: 429, category: "RATE_LIMIT",
			policy: hubspot.PolicyTenSecondlyRolling, retryAfter: 7 * time.Second,
		},
		{
			name: "search 429 Retry-After HTTP-date honoured",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				at := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
				f.SetFaults(sandbox.Faults{ForceStatus: 429, RetryAfter: at})
			},
			call: search, kind: hubspot.KindRateLimited, status: 429, category: "RATE_LIMIT",
			policy: hubspot.PolicySecondly, raMin: 85 * time.Second, retryAfter: 90 * time.Second,
		},
		{
			name: "500 transient",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{ForceStatus: 500})
			},
			call: upsert, kind: hubspot.KindTransient, status: 500, category: "INTERNAL_ERROR", message: "internal error",
		},
		{
			name: "502 transient",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{ForceStatus: 502})
			},
			call: upsert, kind: hubspot.KindTransient, status: 502, category: "BAD_GATEWAY",
		},
		{
			name: "503 via error rate",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{ErrorRate: 1})
			},
			call: upsert, kind: hubspot.KindTransient, status: 503,
		},
		{
			name: "423 locked waits 2s",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{ForceStatus: 423})
			},
			call: upsert, kind: hubspot.KindTransient, status: 423, category: "LOCKED", retryAfter: 2 * time.Second,
		},
		{
			name: "477 migration honours Retry-After",
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{ForceStatus: 477, RetryAfter: "30"})
			},
			call: upsert, kind: hubspot.KindTransient, status: 477, category: "MIGRATION_IN_PROGRESS", retryAfter: 30 * time.Second,
		},
		{
			name: "400 search past 10k results", call: func(c *hubspot.Client) error {
				_, err := c.SearchContacts(ctx, hubspot.SearchRequest{Limit: 100, After: "9950"})
				return err
			},
			kind: hubspot.KindInvalid, status: 400, category: "VALIDATION_ERROR",
		},
		{
			name: "client timeout is transient", timeout: 50 * time.Millisecond,
			setup: func(t *testing.T, f *hubspotsim.HubSpot, _ *hubspot.Client) {
				f.SetFaults(sandbox.Faults{LatencyMS: 2000})
			},
			call: upsert, kind: hubspot.KindTransient, status: 0, unwraps: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, url := newFake(t, tt.opts)
			token := testToken
			if tt.token != "" {
				token = tt.token
			}
			var hc *http.Client
			if tt.timeout > 0 {
				hc = &http.Client{Timeout: tt.timeout}
			}
			c := hubspot.New(url, token, hc)
			if tt.setup != nil {
				tt.setup(t, fake, c)
			}

			err := tt.call(c)
			require.Error(t, err)
			e, ok := hubspot.AsError(err)
			require.True(t, ok, "want *hubspot.Error, got %T: %v", err, err)
			assert.Equal(t, tt.kind, e.Kind, e.Error())
			assert.Equal(t, tt.status, e.Status)
			if tt.category != "" {
				assert.Equal(t, tt.category, e.Category)
			}
			assert.Equal(t, tt.policy, e.PolicyName)
			if tt.raMin > 0 {
				assert.GreaterOrEqual(t, e.RetryAfter, tt.raMin)
				assert.LessOrEqual(t, e.RetryAfter, tt.retryAfter)
			} else {
				assert.Equal(t, tt.retryAfter, e.RetryAfter)
			}
			if tt.message != "" {
				assert.Equal(t, tt.message, e.Message)
			}
			if tt.status != 0 {
				assert.NotEmpty(t, e.CorrelationID, "HubSpot's correlation id is kept for support")
			}
			assert.Equal(t, tt.unwraps, errors.Unwrap(e) != nil)
			wantRetryable := tt.kind == hubspot.KindRateLimited || tt.kind == hubspot.KindTransient || tt.kind == hubspot.KindAuth
			assert.Equal(t, wantRetryable, e.Retryable())
			assert.NotContains(t, e.Error(), testToken)
			assert.NotContains(t, e.Error(), token)
		})
	}
}

func TestUpsertContacts_NewAndUpdated(t *testing.T) {
	fake, c := newClient(t, hubspotsim.Options{})
	ctx := context.Background()
	ids := fake.Seed(1, func(int) map[string]string { return map[string]string{"email": "old@x.io", "firstname": "Old"} })

	results, berrs, err := c.UpsertContacts(ctx, []hubspot.ContactInput{
		{Email: "old@x.io", Properties: map[string]string{"lastname": "Timer"}},
		{Email: "new@x.io", Properties: map[string]string{"firstname": "New"}},
		{Email: "NEW@x.io", Properties: map[string]string{"lastname": "Comer"}}, // same email: merged, not a 400
	})
	require.NoError(t, err)
	assert.Empty(t, berrs)
	require.Len(t, results, 2)
	byEmail := map[string]hubspot.UpsertResult{}
	for _, r := range results {
		byEmail[r.Email] = r
	}
	assert.Equal(t, hubspot.UpsertResult{ID: ids[0], Email: "old@x.io", New: false}, byEmail["old@x.io"])
	assert.True(t, byEmail["new@x.io"].New)
	assert.NotEmpty(t, byEmail["new@x.io"].ID)

	old, ok := fake.ContactByEmail("old@x.io")
	require.True(t, ok)
	assert.Equal(t, "Old", old.Properties["firstname"])
	assert.Equal(t, "Timer", old.Properties["lastname"])
	created, ok := fake.ContactByEmail("new@x.io")
	require.True(t, ok)
	assert.Equal(t, byEmail["new@x.io"].ID, created.ID)
	assert.Equal(t, "New", created.Properties["firstname"])
	assert.Equal(t, "Comer", created.Properties["lastname"])

	// Idempotent: the same upsert again updates and creates nothing.
	results, berrs, err = c.UpsertContacts(ctx, []hubspot.ContactInput{{Email: "new@x.io", Properties: map[string]string{"firstname": "New"}}})
	require.NoError(t, err)
	assert.Empty(t, berrs)
	require.Len(t, results, 1)
	assert.False(t, results[0].New)
	assert.Len(t, fake.Contacts(), 2)
}

func TestUpsertContacts_207Partial(t *testing.T) {
	fake, c := newClient(t, hubspotsim.Options{})
	ctx := context.Background()

	results, berrs, err := c.UpsertContacts(ctx, []hubspot.ContactInput{
		{Email: "ok@x.io", Properties: map[string]string{"firstname": "Ok"}},
		{Email: "not-an-email", Properties: map[string]string{"firstname": "Bad"}},
		{Email: "unknown-prop@x.io", Properties: map[string]string{"no_such_property": "1"}},
		{Email: "ok2@x.io"},
	})
	require.NoError(t, err, "a 207 is not a failure of the call")
	require.Len(t, results, 2)
	assert.Equal(t, "ok@x.io", results[0].Email)
	assert.Equal(t, "ok2@x.io", results[1].Email)
	assert.True(t, results[0].New)

	require.Len(t, berrs, 2)
	got := map[string]*hubspot.Error{}
	for _, be := range berrs {
		got[be.Email] = be.Err
	}
	require.Contains(t, got, "not-an-email")
	require.Contains(t, got, "unknown-prop@x.io")
	for email, e := range got {
		assert.Equal(t, hubspot.KindInvalid, e.Kind, email)
		assert.Equal(t, "VALIDATION_ERROR", e.Category, email)
		assert.False(t, e.Retryable())
	}
	assert.Equal(t, `Property "no_such_property" does not exist`, got["unknown-prop@x.io"].Message)
	assert.Equal(t, "Email address not-an-email is invalid", got["not-an-email"].Message)

	_, ok := fake.ContactByEmail("ok2@x.io")
	assert.True(t, ok, "the valid inputs were applied")
	_, ok = fake.ContactByEmail("unknown-prop@x.io")
	assert.False(t, ok)
}

func TestUpsertContactByEmail(t *testing.T) {
	fake, c := newClient(t, hubspotsim.Options{})
	ctx := context.Background()

	r, err := c.UpsertContactByEmail(ctx, "jane@x.io", map[string]string{"firstname": "Jane"})
	require.NoError(t, err)
	assert.True(t, r.New)
	assert.Equal(t, "jane@x.io", r.Email)

	r2, err := c.UpsertContactByEmail(ctx, "jane@x.io", map[string]string{"lastname": "Doe"})
	require.NoError(t, err)
	assert.False(t, r2.New)
	assert.Equal(t, r.ID, r2.ID)
	got, _ := fake.ContactByEmail("jane@x.io")
	assert.Equal(t, "Doe", got.Properties["lastname"])

	_, err = c.UpsertContactByEmail(ctx, "jane@x.io", map[string]string{"nope": "1"})
	e, ok := hubspot.AsError(err)
	require.True(t, ok)
	assert.Equal(t, hubspot.KindInvalid, e.Kind)
	assert.Equal(t, `Property "nope" does not exist`, e.Message)

	fake.SetFaults(sandbox.Faults{ForceStatus: 503, ForceCount: 1})
	_, err = c.UpsertContactByEmail(ctx, "jane@x.io", nil)
	e, ok = hubspot.AsError(err)
	require.True(t, ok)
	assert.Equal(t, hubspot.KindTransient, e.Kind)
}

func TestSearchPaging(t *testing.T) {
	fake, c := newClient(t, hubspotsim.Options{RatePer10s: -1, SearchPerSecond: -1})
	ctx := context.Background()
	fake.Seed(25, func(i int) map[string]string {
		p := map[string]string{"email": fmt.Sprintf("c%02d@x.io", i)}
		if i%2 == 0 {
			p["firstname"] = "Even"
		}
		return p
	})

	// Search: the even ones, ascending by id, 4 per page.
	var ids []string
	req := hubspot.SearchRequest{
		FilterGroups:    [][]hubspot.Filter{{{PropertyName: "firstname", Operator: "EQ", Value: "even"}}},
		SortAscendingBy: "hs_object_id", Properties: []string{"email", "firstname"}, Limit: 4,
	}
	pages := 0
	for {
		page, err := c.SearchContacts(ctx, req)
		require.NoError(t, err)
		pages++
		assert.Equal(t, 13, page.Total)
		for _, r := range page.Results {
			assert.Equal(t, "Even", r.Properties["firstname"])
			ids = append(ids, r.ID)
		}
		if page.After == "" {
			break
		}
		req.After = page.After
	}
	assert.Equal(t, 4, pages)
	assert.Len(t, ids, 13)
	for i := 1; i < len(ids); i++ {
		a, _ := strconv.Atoi(ids[i-1])
		b, _ := strconv.Atoi(ids[i])
		assert.Less(t, a, b, "ascending by hs_object_id")
	}

	// Filter without value (HAS_PROPERTY) in an OR with a GT filter.
	page, err := c.SearchContacts(ctx, hubspot.SearchRequest{FilterGroups: [][]hubspot.Filter{
		{{PropertyName: "firstname", Operator: "NOT_HAS_PROPERTY"}},
		{{PropertyName: "hs_object_id", Operator: "GT", Value: "1023"}},
	}, Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, 12+1, page.Total) // 12 odd ones without firstname, plus id 1024 (even)

}

func TestEnsureContactProperties(t *testing.T) {
	fake, c := newClient(t, hubspotsim.Options{})
	ctx := context.Background()
	defs := []hubspot.PropertyDef{
		{Name: "extole_share_link", Label: "Extole share link", Description: "Personal referral link"},
		{Name: "extole_referral_code"},
	}

	rep, err := c.EnsureContactProperties(ctx, "extole", "Extole", defs)
	require.NoError(t, err)
	assert.Equal(t, hubspot.EnsureReport{GroupCreated: true, Created: []string{"extole_share_link", "extole_referral_code"}}, rep)

	rep, err = c.EnsureContactProperties(ctx, "extole", "Extole", defs)
	require.NoError(t, err)
	assert.Equal(t, hubspot.EnsureReport{Existing: []string{"extole_share_link", "extole_referral_code"}}, rep)

	// The new properties are usable, and were created as text in the group.
	_, err = c.UpsertContactByEmail(ctx, "a@x.io", map[string]string{"extole_referral_code": "ABC"})
	require.NoError(t, err)
	var found int
	for _, p := range fake.Properties() {
		if p.Name == "extole_share_link" || p.Name == "extole_referral_code" {
			found++
			assert.Equal(t, "string", p.Type)
			assert.Equal(t, "text", p.FieldType)
			assert.Equal(t, "extole", p.GroupName)
		}
	}
	assert.Equal(t, 2, found)

	// An existing built-in group is not re-created; a failure mid-way reports what was done.
	fake.SetFaults(sandbox.Faults{ForceStatus: 403, PathPrefix: "/crm/v3/properties/contacts/other"})
	rep, err = c.EnsureContactProperties(ctx, "contactinformation", "", []hubspot.PropertyDef{{Name: "extole_share_link"}, {Name: "other"}})
	e, ok := hubspot.AsError(err)
	require.True(t, ok)
	assert.Equal(t, hubspot.KindAuth, e.Kind)
	assert.Equal(t, hubspot.EnsureReport{Existing: []string{"extole_share_link"}}, rep)
}
