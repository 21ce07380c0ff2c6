package hubspot_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hubspot-extole/bridge/internal/hubspot"
)

// These tests check what the client puts on the wire (auth, headers, paths, bodies). The error classes
// are exercised against the simulated HubSpot in client_test.go.

type captured struct {
	Method, Path, RawPath, RawQuery, Auth, ContentType string
	Body                                               map[string]any
}

type recorder struct {
	mu     sync.Mutex
	reqs   []captured
	status int
	reply  string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c := captured{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
	if len(b) > 0 {
		_ = json.Unmarshal(b, &c.Body)
	}
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, c)
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(rc.status)
	_, _ = io.WriteString(w, rc.reply)
}

func (rc *recorder) last(t *testing.T) captured {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	require.NotEmpty(t, rc.reqs)
	return rc.reqs[len(rc.reqs)-1]
}

const contactJSON = `{"id":"101","properties":{"email":"a+b@x.io","firstname":"A","lastname":null},"createdAt":"2024-01-17T19:55:04.281Z","updatedAt":"2024-09-11T13:27:39.356Z","archived":false}`

func TestRequestShape(t *testing.T) {
	rc := &recorder{status: 200, reply: `{"total":1,"results":[` + contactJSON + `]}`}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c := hubspot.New(srv.URL+"/", "pat-na1-secret-token", nil)
	ctx := context.Background()

	page, err := c.SearchContacts(ctx, hubspot.SearchRequest{
		FilterGroups:    [][]hubspot.Filter{{{PropertyName: "hs_object_id", Operator: "GT", Value: "5"}, {PropertyName: "email", Operator: "HAS_PROPERTY"}}},
		SortAscendingBy: "hs_object_id", Properties: []string{"email"}, Limit: 200, After: "200",
	})
	require.NoError(t, err)
	req := rc.last(t)
	assert.Equal(t, "POST", req.Method)
	assert.Equal(t, "Bearer pat-na1-secret-token", req.Auth)
	assert.Equal(t, "application/json", req.ContentType)
	assert.Equal(t, "/crm/v3/objects/contacts/search", req.Path)
	assert.JSONEq(t, `{"filterGroups":[{"filters":[{"propertyName":"hs_object_id","operator":"GT","value":"5"},{"propertyName":"email","operator":"HAS_PROPERTY"}]}],
		"sorts":[{"propertyName":"hs_object_id","direction":"ASCENDING"}],"properties":["email"],"limit":200,"after":"200"}`, mustJSON(t, req.Body))
	require.Len(t, page.Results, 1)
	assert.Equal(t, hubspot.Contact{
		ID:         "101",
		Properties: map[string]string{"email": "a+b@x.io", "firstname": "A"}, // null is absent
		CreatedAt:  time.Date(2024, 1, 17, 19, 55, 4, 281e6, time.UTC),
		UpdatedAt:  time.Date(2024, 9, 11, 13, 27, 39, 356e6, time.UTC),
	}, page.Results[0])

	rc.reply = `{"status":"COMPLETE","results":[{"id":"1","properties":{"email":"a@x.io"},"new":true}]}`
	_, _, err = c.UpsertContacts(ctx, []hubspot.ContactInput{{Email: "a@x.io", Properties: map[string]string{"code": "X"}}})
	require.NoError(t, err)
	req = rc.last(t)
	assert.Equal(t, "/crm/v3/objects/contacts/batch/upsert", req.Path)
	assert.JSONEq(t, `{"inputs":[{"id":"a@x.io","idProperty":"email","objectWriteTraceId":"0","properties":{"code":"X"}}]}`, mustJSON(t, req.Body))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestRejectedBeforeSending(t *testing.T) {
	rc := &recorder{status: 200, reply: `{}`}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c := hubspot.New(srv.URL, "tok", nil)
	ctx := context.Background()

	many := make([]hubspot.ContactInput, hubspot.MaxBatchSize+1)
	for i := range many {
		many[i].Email = strings.Repeat("a", i+1) + "@x.io"
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"upsert > 100", func() error { _, _, err := c.UpsertContacts(ctx, many); return err }},
		{"upsert empty email", func() error { _, _, err := c.UpsertContacts(ctx, []hubspot.ContactInput{{Email: ""}}); return err }},
		{"search limit 201", func() error { _, err := c.SearchContacts(ctx, hubspot.SearchRequest{Limit: 201}); return err }},
		{"ensure empty group", func() error { _, err := c.EnsureContactProperties(ctx, "", "", nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := hubspot.AsError(tt.call())
			require.True(t, ok)
			assert.Equal(t, hubspot.KindInvalid, e.Kind)
			assert.Equal(t, 0, e.Status)
			assert.False(t, e.Retryable())
		})
	}
	assert.Empty(t, rc.reqs, "nothing was sent")

	res, berrs, err := c.UpsertContacts(ctx, nil)
	assert.NoError(t, err)
	assert.Empty(t, res)
	assert.Empty(t, berrs)
}

func TestContextCancellationStaysContextError(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := hubspot.New(srv.URL, "tok", nil)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := c.UpsertContactByEmail(ctx, "a@x.io", nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	_, isTyped := hubspot.AsError(err)
	assert.False(t, isTyped, "a cancelled caller is not a HubSpot failure")

	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	_, err = c.UpsertContactByEmail(ctx, "a@x.io", nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	_, isTyped = hubspot.AsError(err)
	assert.False(t, isTyped)
}

func TestNetworkErrorIsTransientAndUnwraps(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more: connection refused

	c := hubspot.New(url, "pat-na1-secret-token", nil)
	_, err := c.UpsertContactByEmail(context.Background(), "jane@x.io", nil)
	e, ok := hubspot.AsError(err)
	require.True(t, ok)
	assert.Equal(t, hubspot.KindTransient, e.Kind)
	assert.Equal(t, 0, e.Status)
	assert.True(t, e.Retryable())
	assert.NotNil(t, errors.Unwrap(e), "the network cause is kept")
	assert.NotContains(t, err.Error(), "pat-na1-secret-token")
	assert.NotContains(t, err.Error(), "jane@x.io", "the request (with the email) is not in the message")
}

func TestUndecodableSuccessBodyIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id":"1","properties":{`) // truncated
	}))
	defer srv.Close()
	_, err := hubspot.New(srv.URL, "tok", nil).SearchContacts(context.Background(), hubspot.SearchRequest{})
	e, ok := hubspot.AsError(err)
	require.True(t, ok)
	assert.Equal(t, hubspot.KindTransient, e.Kind)
	assert.Equal(t, 200, e.Status)
}
