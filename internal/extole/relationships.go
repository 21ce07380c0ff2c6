package extole

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Roles of a person in a relationship (my_role): the advocate who shared, the friend who came through it.
const (
	RoleAdvocate = "ADVOCATE"
	RoleFriend   = "FRIEND"
)

// RelationshipPageSize is the page size the bridge asks for (Extole's default and documented limit).
const RelationshipPageSize = 100

// Relationship is one entry of GET /v5/persons/{id}/relationships (docs/referral-graph.md).
type Relationship struct {
	ID            string `json:"id"`
	MyRole        string `json:"my_role"`
	OtherPersonID string `json:"other_person_id"`
	// OtherPerson is in newer API descriptions only; nil when Extole leaves it out.
	OtherPerson  *RelatedPerson              `json:"other_person,omitempty"`
	Program      string                      `json:"program,omitempty"`
	CauseEventID string                      `json:"cause_event_id,omitempty"`
	Data         map[string]RelationshipData `json:"data,omitempty"`
	CreatedDate  string                      `json:"created_date,omitempty"`
	UpdatedDate  string                      `json:"updated_date,omitempty"`
}

// RelatedPerson is a relationship's other_person.
type RelatedPerson struct {
	ID               string      `json:"id"`
	IdentityKey      IdentityKey `json:"identity_key"`
	IdentityKeyValue string      `json:"identity_key_value,omitempty"`
}

// IdentityKey names the key that identifies a person ("email" for most programs).
type IdentityKey struct {
	Name string `json:"name"`
}

// RelationshipData is one named value of a relationship's data.
type RelationshipData struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// DataText returns the data value as text ("" when absent); numbers are rendered as written.
func (r Relationship) DataText(name string) string {
	d, ok := r.Data[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(d.Value, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(d.Value, &n) == nil {
		return n.String()
	}
	return ""
}

// OtherEmail is the other person's email when the relationship names it (identity key "email").
func (r Relationship) OtherEmail() string {
	if r.OtherPerson == nil || r.OtherPerson.IdentityKey.Name != "email" {
		return ""
	}
	return r.OtherPerson.IdentityKeyValue
}

// RelationshipQuery filters a relationships page. DataValues are "name:value" pairs.
type RelationshipQuery struct {
	Role       string   `json:"role,omitempty"`
	DataValues []string `json:"data_values,omitempty"`
	Offset     int      `json:"offset,omitempty"`
}

// ListRelationships reads one page (RelationshipPageSize) of the person's relationships. Extole returns
// the last relationship per other person (include_duplicate_identities defaults to false). An unknown
// person is a KindNotFound error (403 person_not_found).
func (c *Client) ListRelationships(ctx context.Context, personID string, q RelationshipQuery) ([]Relationship, error) {
	v := url.Values{"limit": {strconv.Itoa(RelationshipPageSize)}, "offset": {strconv.Itoa(q.Offset)}}
	if q.Role != "" {
		v.Set("my_roles", q.Role)
	}
	for _, dv := range q.DataValues {
		v.Add("data_values", dv)
	}
	var out []Relationship
	_, err := c.do(ctx, http.MethodGet, "/v5/persons/"+url.PathEscape(personID)+"/relationships?"+v.Encode(), nil, &out)
	return out, err
}

// PersonIdentity is the identity part of GET /v5/persons/{id}.
type PersonIdentity struct {
	ID               string      `json:"id"`
	IdentityKey      IdentityKey `json:"identity_key"`
	IdentityKeyValue string      `json:"identity_key_value"`
}

// Email is the person's email when the program identifies people by email, else "".
func (p PersonIdentity) Email() string {
	if p.IdentityKey.Name != "email" {
		return ""
	}
	return p.IdentityKeyValue
}

// GetPerson reads a person by Extole id.
func (c *Client) GetPerson(ctx context.Context, personID string) (PersonIdentity, error) {
	var p PersonIdentity
	_, err := c.do(ctx, http.MethodGet, "/v5/persons/"+url.PathEscape(personID), nil, &p)
	return p, err
}
