package hubspot

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bodies as documented or observed (docs/hubspot-api.md).
const (
	body401 = `{"status":"error","message":"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview","correlationId":"f0ee980f-a446-4189-b004-ff06d08bf4e3","category":"INVALID_AUTHENTICATION"}`
	body403 = `{"status":"error","message":"This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.","correlationId":"c1","errors":[{"message":"One or more of the following scopes are required.","context":{"requiredScopes":["contacts"]}}],"links":{"scopes":"https://developers.hubspot.com/scopes"},"category":"MISSING_SCOPES"}`
	body409 = `{"status":"error","message":"Contact already exists. Existing ID: 37765128953","correlationId":"2dea5219-07f2-40ce-82ec-9c2e302317a4","category":"CONFLICT"}`
	// The richer 2024 variant of a 409.
	body409Rich  = `{"message":"Contact already exists.","identityProfile":{"vid":2926551,"identity":[{"value":"lee@xyz.co.uk","type":"EMAIL","timestamp":1665417061370,"isPrimary":true}],"linkedVid":[2928301]},"errors":[{"message":"A contact with email lee@xyz.co.uk already exists. Existing ID: 2926551","in":"email"}],"status":"error","correlationId":"b6881283","category":"OBJECT_ALREADY_EXISTS","error":"CONTACT_EXISTS"}`
	body404      = `{"status":"error","message":"Object not found.  objectId are usually numeric.","correlationId":"c404","context":{"id":["x"]},"category":"OBJECT_NOT_FOUND"}`
	body400      = `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"x\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"x\"}]","correlationId":"c400","category":"VALIDATION_ERROR","errors":[{"message":"Property \"x\" does not exist","code":"PROPERTY_DOESNT_EXIST","in":"x"}]}`
	body429Ten   = `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"c93e06a4","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:hapikey-api-calls-ten-secondly:6748263"}`
	body429Sec   = `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c429s","policyName":"SECONDLY","requestId":"r"}`
	body429Daily = `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c033cdaa","policyName":"DAILY","requestId":"3d3e35b7"}`
)

func TestErrorFromResponse(t *testing.T) {
	now := time.Date(2026, 11, 26, 18, 30, 0, 0, time.UTC)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		kind       Kind
		category   string
		policy     string
		retryAfter time.Duration
		message    string
		corr       string
	}{
		{name: "401", status: 401, body: body401, kind: KindAuth, category: "INVALID_AUTHENTICATION", corr: "f0ee980f-a446-4189-b004-ff06d08bf4e3"},
		{name: "403 missing scopes", status: 403, body: body403, kind: KindAuth, category: "MISSING_SCOPES", corr: "c1"},
		{name: "409 contact exists", status: 409, body: body409, kind: KindConflict, category: "CONFLICT",
			message: "Contact already exists. Existing ID: 37765128953"},
		{name: "409 rich variant", status: 409, body: body409Rich, kind: KindConflict, category: "OBJECT_ALREADY_EXISTS"},
		{name: "409 property exists, no id", status: 409, body: `{"status":"error","message":"Property already exists","category":"OBJECT_ALREADY_EXISTS"}`, kind: KindConflict, category: "OBJECT_ALREADY_EXISTS"},
		{name: "404", status: 404, body: body404, kind: KindNotFound, category: "OBJECT_NOT_FOUND", corr: "c404"},
		{name: "400 validation", status: 400, body: body400, kind: KindInvalid, category: "VALIDATION_ERROR", corr: "c400"},
		{name: "422 other 4xx", status: 422, body: `{"message":"nope","category":"VALIDATION_ERROR"}`, kind: KindInvalid, category: "VALIDATION_ERROR", message: "nope"},
		{name: "429 ten secondly", status: 429, body: body429Ten, kind: KindRateLimited, category: "RATE_LIMIT", policy: PolicyTenSecondlyRolling, retryAfter: 10 * time.Second},
		{name: "429 secondly (search)", status: 429, body: body429Sec, kind: KindRateLimited, category: "RATE_LIMIT", policy: PolicySecondly, retryAfter: time.Second},
		{name: "429 daily: until midnight UTC", status: 429, body: body429Daily, kind: KindRateLimited, category: "RATE_LIMIT", policy: PolicyDaily, retryAfter: 5*time.Hour + 30*time.Minute},
		{name: "429 policy only in message", status: 429, body: `{"status":"error","message":"You have reached your secondly limit."}`, kind: KindRateLimited, policy: PolicySecondly, retryAfter: time.Second},
		{name: "429 Retry-After seconds wins", status: 429, header: hdr("Retry-After", "3"), body: body429Ten, kind: KindRateLimited, category: "RATE_LIMIT", policy: PolicyTenSecondlyRolling, retryAfter: 3 * time.Second},
		{name: "429 Retry-After HTTP-date", status: 429, header: hdr("Retry-After", now.Add(42*time.Second).Format(http.TimeFormat)), body: body429Daily, kind: KindRateLimited, category: "RATE_LIMIT", policy: PolicyDaily, retryAfter: 42 * time.Second},
		{name: "429 garbage Retry-After falls back to policy", status: 429, header: hdr("Retry-After", "soon"), body: body429Ten, kind: KindRateLimited, category: "RATE_LIMIT", policy: PolicyTenSecondlyRolling, retryAfter: 10 * time.Second},
		{name: "429 unknown policy, no body", status: 429, kind: KindRateLimited, message: "Too Many Requests"},
		{name: "423 locked waits 2s", status: 423, body: `{"status":"error","message":"locked"}`, kind: KindTransient, retryAfter: 2 * time.Second},
		{name: "477 migration with Retry-After", status: 477, header: hdr("Retry-After", "30"), kind: KindTransient, retryAfter: 30 * time.Second, message: "Migration in Progress"},
		{name: "500", status: 500, body: `{"status":"error","message":"internal error","correlationId":"c5"}`, kind: KindTransient, corr: "c5", message: "internal error"},
		{name: "502 html body", status: 502, body: `<html><body>Bad Gateway</body></html>`, kind: KindTransient, message: "Bad Gateway"},
		{name: "524 empty body", status: 524, kind: KindTransient, message: "HTTP status 524"},
		{name: "408", status: 408, kind: KindTransient, message: "Request Timeout"},
		{name: "correlation id from header", status: 500, header: hdr("X-HubSpot-Correlation-Id", "hdr-corr"), body: `not json`, kind: KindTransient, corr: "hdr-corr", message: "Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			e := errorFromResponse(tt.status, h, []byte(tt.body), now)
			assert.Equal(t, tt.kind, e.Kind)
			assert.Equal(t, tt.status, e.Status)
			assert.Equal(t, tt.category, e.Category)
			assert.Equal(t, tt.policy, e.PolicyName)
			assert.Equal(t, tt.retryAfter, e.RetryAfter)
			if tt.message != "" {
				assert.Equal(t, tt.message, e.Message)
			}
			assert.NotEmpty(t, e.Message, "a typed error always explains itself")
			if tt.corr != "" {
				assert.Equal(t, tt.corr, e.CorrelationID)
			}
		})
	}
}

func TestErrorFromResponse_Details(t *testing.T) {
	e := errorFromResponse(400, http.Header{}, []byte(body400), time.Now())
	require.Len(t, e.Errors, 1)
	assert.Equal(t, ErrorDetail{Message: `Property "x" does not exist`, Code: "PROPERTY_DOESNT_EXIST", In: "x"}, e.Errors[0])

	e = errorFromResponse(403, http.Header{}, []byte(body403), time.Now())
	require.Len(t, e.Errors, 1)
	assert.Equal(t, []string{"contacts"}, e.Errors[0].Context["requiredScopes"])
}

func TestUnpackPropertyErrors(t *testing.T) {
	// HubSpot's error-handling example (docs/hubspot-api.md#errors), as it arrives inside a 207 or a 400.
	const msg = `Property values were not valid: [{"isValid":false,"message":"Property \"missing\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"missing","localizedErrorMessage":"Property \"missing\" does not exist","portalId":891936587},{"isValid":false,"message":"Email address x is invalid","error":"INVALID_EMAIL","name":"email"}]`
	got, details, ok := unpackPropertyErrors(msg)
	require.True(t, ok)
	assert.Equal(t, `Property "missing" does not exist; Email address x is invalid`, got)
	assert.Equal(t, []ErrorDetail{
		{Message: `Property "missing" does not exist`, Code: "PROPERTY_DOESNT_EXIST", In: "missing"},
		{Message: "Email address x is invalid", Code: "INVALID_EMAIL", In: "email"},
	}, details)

	for _, other := range []string{"Invalid input.", "Property values were not valid: oops", "Property values were not valid: []"} {
		_, _, ok := unpackPropertyErrors(other)
		assert.False(t, ok, other)
	}

	// Through the error builder: HubSpot's own errors[] (when present) is kept, the message is readable.
	e := errorFromResponse(400, http.Header{}, []byte(`{"status":"error","message":`+strconv.Quote(msg)+`,"correlationId":"c","category":"VALIDATION_ERROR"}`), time.Now())
	assert.Equal(t, `hubspot: 400 VALIDATION_ERROR: Property "missing" does not exist; Email address x is invalid (correlation c)`, e.Error())
	require.Len(t, e.Errors, 2)
	assert.Equal(t, "PROPERTY_DOESNT_EXIST", e.Errors[0].Code)
}

func TestUntilNextUTCMidnight(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		now  time.Time
		want time.Duration
	}{
		{time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), 24 * time.Hour},
		{time.Date(2026, 11, 26, 23, 59, 59, 0, time.UTC), time.Second},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), 12 * time.Hour},                                            // year rollover
		{time.Date(2026, 11, 27, 8, 0, 0, 0, tokyo), 1 * time.Hour},                                                 // 23:00 UTC on the 26th
		{time.Date(2028, 2, 28, 18, 0, 0, 500*int(time.Millisecond), time.UTC), 6*time.Hour - 500*time.Millisecond}, // leap year
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, untilNextUTCMidnight(tt.now), tt.now.String())
	}
}

func TestErrorString(t *testing.T) {
	e := errorFromResponse(400, http.Header{}, []byte(`{"status":"error","message":"Property \"x\" does not exist","correlationId":"abc-123","category":"VALIDATION_ERROR"}`), time.Now())
	assert.Equal(t, `hubspot: 400 VALIDATION_ERROR: Property "x" does not exist (correlation abc-123)`, e.Error())

	e = errorFromResponse(429, http.Header{}, []byte(body429Ten), time.Now())
	assert.Equal(t, `hubspot: 429 RATE_LIMIT TEN_SECONDLY_ROLLING: You have reached your ten_secondly_rolling limit. (retry after 10s) (correlation c93e06a4)`, e.Error())

	cause := errors.New("dial tcp: connection refused")
	e = transientError(0, "network error: "+cause.Error(), cause)
	assert.Equal(t, "hubspot: transient: network error: dial tcp: connection refused", e.Error())
	assert.ErrorIs(t, e, cause)
}

func TestRetryableAndAsError(t *testing.T) {
	tests := []struct {
		kind      Kind
		retryable bool
	}{
		{KindRateLimited, true},
		{KindTransient, true},
		{KindAuth, true},
		{KindConflict, false},
		{KindNotFound, false},
		{KindInvalid, false},
		{Kind(0), false},
	}
	for _, tt := range tests {
		e := &Error{Kind: tt.kind}
		assert.Equal(t, tt.retryable, e.Retryable(), tt.kind.String())
		wrapped := fmt.Errorf("activity: %w", e)
		got, ok := AsError(wrapped)
		require.True(t, ok)
		assert.Same(t, e, got)
	}
	_, ok := AsError(errors.New("plain"))
	assert.False(t, ok)
	_, ok = AsError(nil)
	assert.False(t, ok)
}

// PropertyErrors names the properties a validation error refused, whichever form HubSpot used: the JSON
// array embedded in the message (v3 objects API), errors[] with `in`, or errors[] naming the property in
// its context. Other errors, and details naming no property, give nothing.
func TestPropertyErrors(t *testing.T) {
	const embedded = `Property values were not valid: [{\"isValid\":false,\"message\":\"Property \\\"favorite_food\\\" does not exist\",\"error\":\"PROPERTY_DOESNT_EXIST\",\"name\":\"favorite_food\"},{\"isValid\":false,\"message\":\"x was not one of the allowed options: [lead, customer]\",\"error\":\"INVALID_OPTION\",\"name\":\"lifecyclestage\"}]`
	tests := []struct {
		name   string
		status int
		body   string
		want   []PropertyError
	}{
		{"message-embedded JSON", 400, `{"status":"error","message":"` + embedded + `","category":"VALIDATION_ERROR"}`, []PropertyError{
			{Name: "favorite_food", Code: "PROPERTY_DOESNT_EXIST", Message: `Property "favorite_food" does not exist`},
			{Name: "lifecyclestage", Code: "INVALID_OPTION", Message: "x was not one of the allowed options: [lead, customer]"},
		}},
		{"errors[] with in", 400, body400, []PropertyError{{Name: "x", Code: "PROPERTY_DOESNT_EXIST", Message: `Property "x" does not exist`}}},
		{"errors[] with the name in context", 400, `{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR","errors":[{"message":"bad value","code":"INVALID_OPTION","context":{"propertyName":["tier"]}}]}`,
			[]PropertyError{{Name: "tier", Code: "INVALID_OPTION", Message: "bad value"}}},
		{"errors[] without names, embedded JSON with them", 400, `{"status":"error","message":"` + embedded + `","category":"VALIDATION_ERROR","errors":[{"message":"Property values were not valid"}]}`, []PropertyError{
			{Name: "favorite_food", Code: "PROPERTY_DOESNT_EXIST", Message: `Property "favorite_food" does not exist`},
			{Name: "lifecyclestage", Code: "INVALID_OPTION", Message: "x was not one of the allowed options: [lead, customer]"},
		}},
		{"a 'does not exist' message without the code is no property error", 400, `{"status":"error","message":"Property \"x\" does not exist","category":"VALIDATION_ERROR"}`, nil},
		{"not a validation error", 409, body409Rich, nil},
		{"missing scopes", 403, body403, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := errorFromResponse(tt.status, http.Header{}, []byte(tt.body), time.Now())
			assert.Equal(t, tt.want, e.PropertyErrors())
		})
	}
}
