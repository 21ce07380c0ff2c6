package extole

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Person is the part of Extole's PersonResponse the backfill needs
// (docs/extole-api.md#persons-and-shareables).
type Person struct {
	ID               string `json:"id"`
	IdentityKeyValue string `json:"identity_key_value"`
}

// Shareable is an advocate's share code and link (docs/extole-api.md#persons-and-shareables).
type Shareable struct {
	Code  string `json:"code"`
	Key   string `json:"key"`
	Label string `json:"label"`
	Link  string `json:"link"`
}

// FindPersonByEmail returns the person whose identity key is email, or ok=false when there is none.
// Extole answers a list because one key may resolve to several profiles; the first is the one its own
// Salesforce backfill uses.
func (c *Client) FindPersonByEmail(ctx context.Context, email string) (Person, bool, error) {
	var persons []Person
	_, err := c.do(ctx, http.MethodGet, "/v5/persons?identity_key_value="+url.QueryEscape(email), nil, &persons)
	if err != nil || len(persons) == 0 {
		return Person{}, false, err
	}
	return persons[0], true, nil
}

// CreatePerson creates a person with email as identity key. When the email is already taken (a
// concurrent or repeated call created it), it answers ErrCode "identity_key_value_already_taken".
func (c *Client) CreatePerson(ctx context.Context, email string) (Person, error) {
	var p Person
	_, err := c.do(ctx, http.MethodPost, "/v5/persons", map[string]string{"identity_key_value": email}, &p)
	return p, err
}

// CreateShareable creates the person's shareable for a program label. When the person already has one
// for the label it answers code "shareable_key_taken" (the key defaults to the label): list instead.
func (c *Client) CreateShareable(ctx context.Context, personID, label string) (Shareable, error) {
	var s Shareable
	_, err := c.do(ctx, http.MethodPost, "/v5/persons/"+url.PathEscape(personID)+"/shareables", map[string]string{"label": label}, &s)
	return s, err
}

// ListShareables lists the person's shareables for a label, newest first.
func (c *Client) ListShareables(ctx context.Context, personID, label string) ([]Shareable, error) {
	q := url.Values{"limit": {strconv.Itoa(100)}}
	if label != "" {
		q.Set("labels", label)
	}
	var out []Shareable
	_, err := c.do(ctx, http.MethodGet, "/v5/persons/"+url.PathEscape(personID)+"/shareables?"+q.Encode(), nil, &out)
	return out, err
}

// Extole error codes the backfill treats as "already exists" rather than as failures.
const (
	CodeIdentityTaken  = "identity_key_value_already_taken"
	CodeShareableTaken = "shareable_key_taken"
)

// HasCode reports whether err is an Extole error with this code.
func HasCode(err error, code string) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}
