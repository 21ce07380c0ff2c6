package hubspotsim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func batchResults(t *testing.T, m map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range m["results"].([]any) {
		obj := r.(map[string]any)
		email, _ := obj["properties"].(map[string]any)["email"].(string)
		out[strings.ToLower(email)] = obj
	}
	return out
}

func TestHubSpotBatchUpsert(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	require.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase, `{"properties":{"email":"old@example.com","firstname":"Old"}}`).Status)

	r := hs(t, base, http.MethodPost, contactsBase+"/batch/upsert", `{"inputs":[
		{"id":"OLD@example.com","idProperty":"email","properties":{"lastname":"Updated"}},
		{"id":"new@example.com","idProperty":"email","properties":{"firstname":"New"}}]}`)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	m := r.JSON(t)
	assert.Equal(t, "COMPLETE", m["status"])
	assert.Contains(t, m, "startedAt")
	assert.Contains(t, m, "completedAt")
	assert.NotContains(t, m, "errors")
	res := batchResults(t, m)
	require.Len(t, res, 2)
	assert.Equal(t, false, res["old@example.com"]["new"])
	assert.Equal(t, "Updated", res["old@example.com"]["properties"].(map[string]any)["lastname"])
	assert.Equal(t, "Old", res["old@example.com"]["properties"].(map[string]any)["firstname"])
	assert.Equal(t, true, res["new@example.com"]["new"])
	assert.Equal(t, "1002", res["new@example.com"]["id"])

	// Re-running the same upsert creates nothing: idempotent for retries.
	r = hs(t, base, http.MethodPost, contactsBase+"/batch/upsert", `{"inputs":[{"id":"new@example.com","idProperty":"email","properties":{"firstname":"New"}}]}`)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, false, batchResults(t, r.JSON(t))["new@example.com"]["new"])
	assert.Len(t, h.Contacts(), 2)

	// Partial failure: 207, per-input VALIDATION_ERRORs, valid inputs applied.
	r = hs(t, base, http.MethodPost, contactsBase+"/batch/upsert", `{"inputs":[
		{"id":"bad-email","idProperty":"email","properties":{"firstname":"X"}},
		{"id":"ok@example.com","idProperty":"email","properties":{"firstname":"Ok"}},
		{"id":"typo@example.com","idProperty":"email","properties":{"shre_link":"x"},"objectWriteTraceId":"t-3"}]}`)
	require.Equal(t, 207, r.Status, "body: %s", r.Body)
	m = r.JSON(t)
	assert.EqualValues(t, 2, m["numErrors"])
	errs := m["errors"].([]any)
	require.Len(t, errs, 2)
	e0, e1 := errs[0].(map[string]any), errs[1].(map[string]any)
	assert.Equal(t, "VALIDATION_ERROR", e0["category"])
	assert.Equal(t, "error", e0["status"])
	assert.Contains(t, e0["message"], "INVALID_EMAIL")
	assert.Equal(t, map[string]any{"ids": []any{"bad-email"}}, e0["context"])
	assert.Contains(t, e1["message"], `Property \"shre_link\" does not exist`)
	assert.Equal(t, map[string]any{"objectWriteTraceId": []any{"t-3"}}, e1["context"])
	res = batchResults(t, m)
	require.Len(t, res, 1)
	assert.Equal(t, true, res["ok@example.com"]["new"])
	_, ok := h.ContactByEmail("ok@example.com")
	assert.True(t, ok)
	_, ok = h.ContactByEmail("typo@example.com")
	assert.False(t, ok)

	// Duplicate ids in one batch are refused as a whole.
	r = hs(t, base, http.MethodPost, contactsBase+"/batch/upsert", `{"inputs":[{"id":"d@x.io","idProperty":"email","properties":{}},{"id":"D@x.io","idProperty":"email","properties":{}}]}`)
	requireHubSpotError(t, r, 400, "VALIDATION_ERROR")
	_, ok = h.ContactByEmail("d@x.io")
	assert.False(t, ok)
}

func TestHubSpotBatchTooManyInputs(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	for _, op := range []string{"read", "upsert", "create"} {
		t.Run(op, func(t *testing.T) {
			inputs := make([]string, 101)
			for i := range inputs {
				inputs[i] = fmt.Sprintf(`{"id":"u%d@x.io","idProperty":"email","properties":{"email":"u%d@x.io"}}`, i, i)
			}
			r := hs(t, base, http.MethodPost, contactsBase+"/batch/"+op, `{"inputs":[`+strings.Join(inputs, ",")+`]}`)
			m := requireHubSpotError(t, r, 400, "VALIDATION_ERROR")
			assert.Contains(t, m["message"], "100")
		})
	}
	assert.Empty(t, h.Contacts())

	inputs := make([]string, 100)
	for i := range inputs {
		inputs[i] = fmt.Sprintf(`{"properties":{"email":"u%d@x.io"}}`, i)
	}
	assert.Equal(t, 201, hs(t, base, http.MethodPost, contactsBase+"/batch/create", `{"inputs":[`+strings.Join(inputs, ",")+`]}`).Status, "exactly 100 is fine")
}

func TestHubSpotBatchRead(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	ids := h.Seed(3, func(i int) map[string]string {
		return map[string]string{"email": fmt.Sprintf("r%d@x.io", i), "jobtitle": "dev"}
	})
	r := hs(t, base, http.MethodPost, contactsBase+"/batch/read", fmt.Sprintf(`{"properties":["jobtitle"],"inputs":[{"id":%q},{"id":%q}]}`, ids[0], ids[2]))
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	m := r.JSON(t)
	require.Len(t, m["results"], 2)
	assert.Equal(t, "dev", m["results"].([]any)[0].(map[string]any)["properties"].(map[string]any)["jobtitle"])

	r = hs(t, base, http.MethodPost, contactsBase+"/batch/read", `{"idProperty":"email","inputs":[{"id":"R1@x.io"},{"id":"meows@loudly.lol"},{"id":"gone@x.io"}]}`)
	require.Equal(t, 207, r.Status, "body: %s", r.Body)
	m = r.JSON(t)
	assert.Equal(t, "COMPLETE", m["status"])
	require.Len(t, m["results"], 1)
	assert.Equal(t, ids[1], m["results"].([]any)[0].(map[string]any)["id"])
	assert.EqualValues(t, 1, m["numErrors"])
	e := m["errors"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{
		"status":   "error",
		"category": "OBJECT_NOT_FOUND",
		"message":  "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
		"context":  map[string]any{"ids": []any{"meows@loudly.lol", "gone@x.io"}},
	}, e)
}

func TestHubSpotBatchCreate(t *testing.T) {
	h, base := newHubSpotServer(t, Options{})
	r := hs(t, base, http.MethodPost, contactsBase+"/batch/create", `{"inputs":[{"properties":{"email":"c1@x.io"}},{"properties":{"email":"c2@x.io"}}]}`)
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	m := r.JSON(t)
	assert.Equal(t, "COMPLETE", m["status"])
	assert.Len(t, m["results"], 2)

	// An existing email fails the whole batch with the single-create 409.
	r = hs(t, base, http.MethodPost, contactsBase+"/batch/create", `{"inputs":[{"properties":{"email":"c3@x.io"}},{"properties":{"email":"C1@x.io"}}]}`)
	m = requireHubSpotError(t, r, 409, "CONFLICT")
	assert.Equal(t, "Contact already exists. Existing ID: 1001", m["message"])
	_, ok := h.ContactByEmail("c3@x.io")
	assert.False(t, ok, "nothing is created when the batch conflicts")

	// Invalid input without objectWriteTraceIds: whole batch 400.
	r = hs(t, base, http.MethodPost, contactsBase+"/batch/create", `{"inputs":[{"properties":{"email":"c4@x.io"}},{"properties":{"email":"bad"}}]}`)
	requireHubSpotError(t, r, 400, "VALIDATION_ERROR")
	_, ok = h.ContactByEmail("c4@x.io")
	assert.False(t, ok)

	// With objectWriteTraceIds: 207 and the valid input is created.
	r = hs(t, base, http.MethodPost, contactsBase+"/batch/create", `{"inputs":[{"properties":{"email":"c4@x.io"},"objectWriteTraceId":"a"},{"properties":{"email":"c5@x.io","missing":"x"},"objectWriteTraceId":"b"}]}`)
	require.Equal(t, 207, r.Status, "body: %s", r.Body)
	m = r.JSON(t)
	e := m["errors"].([]any)[0].(map[string]any)
	assert.Equal(t, "VALIDATION_ERROR", e["category"])
	assert.Equal(t, map[string]any{"objectWriteTraceId": []any{"b"}}, e["context"])
	assert.Contains(t, e["message"], `"error":"PROPERTY_DOESNT_EXIST"`)
	_, ok = h.ContactByEmail("c4@x.io")
	assert.True(t, ok)

}
