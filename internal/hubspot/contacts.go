package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const contactsPath = "/crm/v3/objects/contacts"

// MaxBatchSize is HubSpot's limit on inputs per batch request: "Batch operations are limited to 100
// records at a time" (docs/hubspot-api.md#contacts).
const MaxBatchSize = 100

// Contact is a HubSpot contact. All property values are strings (docs/hubspot-api.md#contacts); properties
// HubSpot reports as null or omits are absent from Properties.
type Contact struct {
	ID         string
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ContactInput is one contact to upsert, identified by its email (HubSpot's dedupe key,
// docs/hubspot-api.md#contacts).
type ContactInput struct {
	Email      string
	Properties map[string]string
}

// UpsertResult is one contact written by a batch upsert. New is HubSpot's "new" flag: true when the
// contact was created, false when an existing one was updated (docs/hubspot-api.md#contacts).
type UpsertResult struct {
	ID    string
	Email string
	New   bool
}

// BatchError is the failure of one input of a 207 multi-status batch response.
type BatchError struct {
	Email string
	Err   *Error
}

// wireObject is SimplePublicObject / SimplePublicUpsertObject (docs/hubspot-api.md#contacts).
type wireObject struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	New        bool               `json:"new"`
}

func (o wireObject) contact() Contact {
	c := Contact{ID: o.ID, Properties: make(map[string]string, len(o.Properties))}
	for k, v := range o.Properties {
		if v != nil {
			c.Properties[k] = *v
		}
	}
	// Timestamps are ISO-8601 (docs/hubspot-api.md#contacts); an absent or odd one leaves the zero time
	// rather than failing a call whose real payload (id, properties) arrived fine.
	c.CreatedAt, _ = time.Parse(time.RFC3339Nano, o.CreatedAt)
	c.UpdatedAt, _ = time.Parse(time.RFC3339Nano, o.UpdatedAt)
	return c
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

type upsertInput struct {
	ID                 string            `json:"id"`
	IDProperty         string            `json:"idProperty"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId"`
	Properties         map[string]string `json:"properties"`
}

type batchResponse struct {
	Status  string       `json:"status"`
	Results []wireObject `json:"results"`
	Errors  []apiError   `json:"errors"`
}

// UpsertContacts creates or updates contacts by email in one request (POST
// /crm/v3/objects/contacts/batch/upsert with idProperty "email" and id = email,
// docs/hubspot-api.md#contacts).
//
// At most MaxBatchSize inputs are accepted; more is a KindInvalid error without calling HubSpot.
// Inputs with the same email (case-insensitively, as HubSpot compares emails) are merged into one, later
// properties winning, because HubSpot's handling of duplicate ids in one batch is undocumented
// (docs/hubspot-api.md#contacts) and one duplicate must not fail the other 99.
//
// A 200 returns one result per contact. A 207 returns the results that worked plus one BatchError per failed
// input; an error of the 207 is matched to emails through the objectWriteTraceId we send per input (echoed in
// the error's context, docs/hubspot-api.md#contacts), any context value or word of the message equal to an
// input's email; an error matching none is attached to every input that has neither a result nor an error.
// Every input thus ends up with a result or a BatchError; one HubSpot did not mention at all gets a
// KindTransient BatchError. A failure of the whole request is the returned error.
func (c *Client) UpsertContacts(ctx context.Context, inputs []ContactInput) ([]UpsertResult, []BatchError, error) {
	if len(inputs) > MaxBatchSize {
		return nil, nil, invalidInput("UpsertContacts: %d inputs, HubSpot accepts at most %d per batch", len(inputs), MaxBatchSize)
	}
	sent, err := mergeByEmail(inputs)
	if err != nil || len(sent) == 0 {
		return nil, nil, err
	}
	body := struct {
		Inputs []upsertInput `json:"inputs"`
	}{Inputs: make([]upsertInput, len(sent))}
	for i, in := range sent {
		body.Inputs[i] = upsertInput{
			ID:                 in.Email,
			IDProperty:         "email",
			ObjectWriteTraceID: strconv.Itoa(i),
			Properties:         nonNil(in.Properties),
		}
	}
	var out batchResponse
	status, err := c.do(ctx, http.MethodPost, contactsPath+"/batch/upsert", nil, body, &out)
	if err != nil {
		return nil, nil, err
	}
	results, berrs := attributeBatch(sent, out, status)
	return results, berrs, nil
}

// UpsertContactByEmail creates or updates one contact by email through the batch upsert endpoint (which,
// unlike POST /contacts, does not 409 on an existing email). A per-input failure is returned as the error.
func (c *Client) UpsertContactByEmail(ctx context.Context, email string, props map[string]string) (UpsertResult, error) {
	results, berrs, err := c.UpsertContacts(ctx, []ContactInput{{Email: email, Properties: props}})
	switch {
	case err != nil:
		return UpsertResult{}, err
	case len(berrs) > 0:
		return UpsertResult{}, berrs[0].Err
	case len(results) == 0:
		return UpsertResult{}, transientError(0, "batch upsert answered without a result for the contact", nil)
	}
	return results[0], nil
}

// mergeByEmail validates the inputs and merges those sharing an email, keeping first-seen order.
func mergeByEmail(inputs []ContactInput) ([]ContactInput, error) {
	out := make([]ContactInput, 0, len(inputs))
	index := make(map[string]int, len(inputs))
	for i, in := range inputs {
		email := strings.TrimSpace(in.Email)
		if email == "" {
			return nil, invalidInput("UpsertContacts: input %d has no email", i)
		}
		key := strings.ToLower(email)
		j, seen := index[key]
		if !seen {
			index[key] = len(out)
			props := make(map[string]string, len(in.Properties))
			for k, v := range in.Properties {
				props[k] = v
			}
			out = append(out, ContactInput{Email: email, Properties: props})
			continue
		}
		for k, v := range in.Properties {
			out[j].Properties[k] = v
		}
	}
	return out, nil
}

// attributeBatch turns a batch upsert response into per-email results and errors (see UpsertContacts).
func attributeBatch(sent []ContactInput, resp batchResponse, status int) ([]UpsertResult, []BatchError) {
	byEmail := make(map[string]int, len(sent)) // lower-case email → index in sent
	for i, in := range sent {
		byEmail[strings.ToLower(in.Email)] = i
	}
	done := make([]bool, len(sent)) // has a result or an attributed error

	results := make([]UpsertResult, 0, len(resp.Results))
	for i, r := range resp.Results {
		email := ""
		if v := r.Properties["email"]; v != nil {
			email = *v
		}
		if email == "" && len(resp.Results) == len(sent) && len(resp.Errors) == 0 {
			// No email echoed back: with one result per input and no errors, HubSpot answers in input
			// order, which is the only remaining way to name the contact.
			email = sent[i].Email
		}
		if j, ok := byEmail[strings.ToLower(email)]; ok {
			done[j] = true
			email = sent[j].Email
		}
		results = append(results, UpsertResult{ID: r.ID, Email: email, New: r.New})
	}

	var berrs []BatchError
	var unattributed []*Error
	for _, ae := range resp.Errors {
		e := batchItemError(ae, status)
		hits := matchInputs(ae, sent, byEmail)
		if len(hits) == 0 {
			unattributed = append(unattributed, e)
			continue
		}
		for _, j := range hits {
			done[j] = true
			berrs = append(berrs, BatchError{Email: sent[j].Email, Err: e})
		}
	}
	for _, e := range unattributed {
		attached := false
		for j := range sent {
			if !done[j] {
				berrs = append(berrs, BatchError{Email: sent[j].Email, Err: e})
				attached = true
			}
		}
		if !attached {
			// Every input already has an outcome; keep the error visible rather than drop it.
			berrs = append(berrs, BatchError{Err: e})
		}
	}
	if len(unattributed) == 0 {
		for j := range sent {
			if !done[j] {
				// Neither a result nor an error names this input: report it, so that every input has an
				// outcome and the caller retries it (upserts are idempotent) instead of assuming success.
				berrs = append(berrs, BatchError{Email: sent[j].Email,
					Err: transientError(status, "batch upsert response has neither a result nor an error for this input", nil)})
			}
		}
	}
	return results, berrs
}

// matchInputs returns the indexes (into sent) of the inputs a 207 error refers to.
func matchInputs(ae apiError, sent []ContactInput, byEmail map[string]int) []int {
	seen := make(map[int]bool)
	var hits []int
	add := func(j int) {
		if !seen[j] {
			seen[j] = true
			hits = append(hits, j)
		}
	}
	for _, v := range ae.Context["objectWriteTraceId"] {
		if j, err := strconv.Atoi(v); err == nil && j >= 0 && j < len(sent) {
			add(j)
		}
	}
	if len(hits) > 0 {
		return hits
	}
	for _, vals := range ae.Context {
		for _, v := range vals {
			if j, ok := byEmail[strings.ToLower(strings.TrimSpace(v))]; ok {
				add(j)
			}
		}
	}
	if len(hits) > 0 {
		return hits
	}
	msg := strings.ToLower(ae.Message)
	for j, in := range sent {
		if containsWord(msg, strings.ToLower(in.Email)) {
			add(j)
		}
	}
	return hits
}

// containsWord reports whether s contains word not embedded in a longer email-like token, so that
// "a@x.io" does not match inside "ba@x.io".
func containsWord(s, word string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], word)
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(word)
		if (start == 0 || !emailChar(s[start-1])) && (end == len(s) || !emailChar(s[end])) {
			return true
		}
		off = start + 1
	}
}

func emailChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		strings.IndexByte("._%+-@", b) >= 0
}

// batchItemError types one StandardError of a 207 (docs/hubspot-api.md#contacts). It has no HTTP status of
// its own, so Status is the response's (207) and the Kind comes from the category.
func batchItemError(ae apiError, status int) *Error {
	e := &Error{Kind: kindForCategory(ae.Category), Status: status}
	e.fillFrom(ae)
	return e
}

// kindForCategory classifies a per-input batch error by HubSpot's category (docs/hubspot-api.md#errors).
func kindForCategory(category string) Kind {
	switch strings.ToUpper(category) {
	case "VALIDATION_ERROR":
		return KindInvalid
	case "OBJECT_NOT_FOUND":
		return KindNotFound
	case "CONFLICT", "OBJECT_ALREADY_EXISTS":
		return KindConflict
	case "RATE_LIMIT", "RATE_LIMITS":
		return KindRateLimited
	case "INVALID_AUTHENTICATION", "EXPIRED_AUTHENTICATION", "MISSING_SCOPES":
		return KindAuth
	}
	// An unknown category says nothing about the input; retrying one input is cheap and bounded by the
	// caller's retry policy, whereas calling it permanent could drop a contact for a server hiccup.
	return KindTransient
}
