package hubspot

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMergeByEmail(t *testing.T) {
	got, err := mergeByEmail([]ContactInput{
		{Email: "A@x.io", Properties: map[string]string{"firstname": "A", "code": "1"}},
		{Email: "b@x.io"},
		{Email: " a@X.io ", Properties: map[string]string{"code": "2"}},
	})
	require.NoError(t, err)
	assert.Equal(t, []ContactInput{
		{Email: "A@x.io", Properties: map[string]string{"firstname": "A", "code": "2"}},
		{Email: "b@x.io", Properties: map[string]string{}},
	}, got)

	_, err = mergeByEmail([]ContactInput{{Email: "a@x.io"}, {Email: "  "}})
	e, ok := AsError(err)
	require.True(t, ok)
	assert.Equal(t, KindInvalid, e.Kind)
}

func TestContainsWord(t *testing.T) {
	assert.True(t, containsWord("contact a@x.io failed", "a@x.io"))
	assert.True(t, containsWord("a@x.io", "a@x.io"))
	assert.True(t, containsWord("[a@x.io]", "a@x.io"))
	assert.False(t, containsWord("contact ba@x.io failed", "a@x.io"))
	assert.False(t, containsWord("contact a@x.iox failed", "a@x.io"))
	assert.True(t, containsWord("ba@x.io and a@x.io", "a@x.io"))
}

func decodeBatch(t *testing.T, s string) batchResponse {
	t.Helper()
	var r batchResponse
	require.NoError(t, json.Unmarshal([]byte(s), &r))
	return r
}

func TestAttributeBatch(t *testing.T) {
	sent := []ContactInput{{Email: "a@x.io"}, {Email: "B@x.io"}, {Email: "c@x.io"}}
	tests := []struct {
		name        string
		resp        string
		wantResults []UpsertResult
		wantErrs    map[string]Kind // email → kind
	}{
		{
			name: "200 all written, emails echoed",
			resp: `{"status":"COMPLETE","results":[
				{"id":"3","properties":{"email":"c@x.io"},"new":true},
				{"id":"1","properties":{"email":"a@x.io"},"new":false},
				{"id":"2","properties":{"email":"b@x.io"},"new":true}]}`,
			wantResults: []UpsertResult{{"3", "c@x.io", true}, {"1", "a@x.io", false}, {"2", "B@x.io", true}},
		},
		{
			name:        "200 without emails falls back to input order",
			resp:        `{"status":"COMPLETE","results":[{"id":"1","properties":{},"new":true},{"id":"2","properties":{"email":null},"new":false},{"id":"3","new":true}]}`,
			wantResults: []UpsertResult{{"1", "a@x.io", true}, {"2", "B@x.io", false}, {"3", "c@x.io", true}},
		},
		{
			name: "207 by objectWriteTraceId",
			resp: `{"status":"COMPLETE","results":[{"id":"1","properties":{"email":"a@x.io"},"new":true}],"numErrors":2,
				"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid","context":{"objectWriteTraceId":["1"]}},
				          {"status":"error","category":"VALIDATION_ERROR","message":"Property values were not valid","context":{"objectWriteTraceId":["2"]}}]}`,
			wantResults: []UpsertResult{{"1", "a@x.io", true}},
			wantErrs:    map[string]Kind{"B@x.io": KindInvalid, "c@x.io": KindInvalid},
		},
		{
			name: "207 by context ids (batch read style)",
			resp: `{"status":"COMPLETE","results":[{"id":"1","properties":{"email":"a@x.io"},"new":true},{"id":"3","properties":{"email":"c@x.io"},"new":true}],
				"errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not get some CONTACT objects","context":{"ids":["b@x.io"]}}]}`,
			wantResults: []UpsertResult{{"1", "a@x.io", true}, {"3", "c@x.io", true}},
			wantErrs:    map[string]Kind{"B@x.io": KindNotFound},
		},
		{
			name: "207 by message",
			resp: `{"status":"COMPLETE","results":[],
				"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"Email address c@x.io is invalid"},
				          {"status":"error","category":"CONFLICT","message":"Contact b@x.io already exists. Existing ID: 77"}]}`,
			// a@x.io is named by nothing: it still gets an outcome.
			wantErrs: map[string]Kind{"c@x.io": KindInvalid, "B@x.io": KindConflict, "a@x.io": KindTransient},
		},
		{
			name: "207 unattributable goes to inputs without outcome",
			resp: `{"status":"COMPLETE","results":[{"id":"1","properties":{"email":"a@x.io"},"new":false}],
				"errors":[{"status":"error","category":"SOMETHING_NEW","message":"Something went wrong"}]}`,
			wantResults: []UpsertResult{{"1", "a@x.io", false}},
			wantErrs:    map[string]Kind{"B@x.io": KindTransient, "c@x.io": KindTransient},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, berrs := attributeBatch(sent, decodeBatch(t, tt.resp), 207)
			if tt.wantResults == nil {
				tt.wantResults = []UpsertResult{}
			}
			assert.Equal(t, tt.wantResults, results)
			got := map[string]Kind{}
			for _, be := range berrs {
				require.NotNil(t, be.Err)
				assert.Equal(t, 207, be.Err.Status)
				got[be.Email] = be.Err.Kind
			}
			if tt.wantErrs == nil {
				tt.wantErrs = map[string]Kind{}
			}
			assert.Equal(t, tt.wantErrs, got)
		})
	}
}

func TestAttributeBatch_ConflictByTraceID(t *testing.T) {
	_, berrs := attributeBatch([]ContactInput{{Email: "b@x.io"}}, decodeBatch(t,
		`{"results":[],"errors":[{"status":"error","category":"CONFLICT","message":"Contact already exists. Existing ID: 77","context":{"objectWriteTraceId":["0"]}}]}`), 207)
	require.Len(t, berrs, 1)
	assert.Equal(t, "b@x.io", berrs[0].Email)
	assert.Equal(t, KindConflict, berrs[0].Err.Kind)
}

func TestAttributeBatch_ErrorWithNoOneLeft(t *testing.T) {
	_, berrs := attributeBatch([]ContactInput{{Email: "a@x.io"}}, decodeBatch(t,
		`{"results":[{"id":"1","properties":{"email":"a@x.io"},"new":true}],"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"odd"}]}`), 207)
	require.Len(t, berrs, 1)
	assert.Empty(t, berrs[0].Email, "kept visible rather than dropped")
}
