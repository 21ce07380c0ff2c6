package extolesim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Person relationships (advocate ↔ friend), GET /v5/persons/{id}/relationships (docs/referral-graph.md).
//
// A friend event carrying the advocate's share code (data.advocate_code, share_code or shareable_code)
// relates the event's person to the code's owner, as "pass the advocate code into any step for the friend
// … to create the relationship" describes; a self-referral relates nobody. Every later event of a related
// friend is attributed to the same advocate. Each such event adds one relationship, caused by that event,
// whose data carries shareable_code and event_name; the list answers the last one per other person
// unless include_duplicate_identities=true, newest first.

var exDataValuesInvalid = extoleCode{400, "data_values_invalid", "Data values should be in the name:value format"}

type extoleRelationship struct {
	id, advocateID, friendID string
	code, eventName, causeID string
	created                  time.Time
	seq                      int
}

// extoleRelationshipResponse is PersonRelationshipResponse, with the newer other_person.
type extoleRelationshipResponse struct {
	ID            string                         `json:"id"`
	MyRole        string                         `json:"my_role"`
	OtherPersonID string                         `json:"other_person_id"`
	OtherPerson   extoleOtherPerson              `json:"other_person"`
	Container     string                         `json:"container"`
	Program       string                         `json:"program"`
	RootEventID   string                         `json:"root_event_id"`
	CauseEventID  string                         `json:"cause_event_id"`
	Data          map[string]extoleShareableData `json:"data"`
	CreatedDate   string                         `json:"created_date"`
	UpdatedDate   string                         `json:"updated_date"`
}

type extoleOtherPerson struct {
	ID               string            `json:"id"`
	IdentityKey      map[string]string `json:"identity_key"`
	IdentityKeyValue string            `json:"identity_key_value,omitempty"`
}

// Relationship is a stored relationship as the sandbox's Relationships reports it.
type Relationship struct {
	AdvocateEmail string    `json:"advocate_email"`
	FriendEmail   string    `json:"friend_email"`
	Code          string    `json:"code"`
	EventName     string    `json:"event_name"`
	CreatedAt     time.Time `json:"created_at"`
}

// Relationships returns every relationship in creation order.
func (e *Extole) Relationships() []Relationship {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Relationship, 0, len(e.relationships))
	for _, r := range e.relationships {
		out = append(out, Relationship{AdvocateEmail: e.personEmailLocked(r.advocateID), FriendEmail: e.personEmailLocked(r.friendID),
			Code: r.code, EventName: r.eventName, CreatedAt: r.created})
	}
	return out
}

func (e *Extole) personEmailLocked(id string) string {
	if p, ok := e.personByID[id]; ok {
		return p.email
	}
	return ""
}

// relateLocked records the relationship an accepted event of friendEmail creates, if any.
func (e *Extole) relateLocked(eventName, eventID, friendEmail string, data map[string]json.RawMessage, at time.Time) {
	friend, ok := e.personByEmail[strings.ToLower(friendEmail)]
	if !ok {
		return
	}
	advocateID, code := "", ""
	for _, key := range []string{"advocate_code", "share_code", "shareable_code"} {
		if c, _ := sandbox.JSONScalarString(data[key]); strings.TrimSpace(c) != "" {
			code = strings.TrimSpace(c)
			break
		}
	}
	if code != "" {
		advocateID = e.codeOwnerLocked(code)
	}
	if advocateID == "" { // no (known) code: a related friend's events stay attributed to its advocate
		for i := len(e.relationships) - 1; i >= 0; i-- {
			if r := e.relationships[i]; r.friendID == friend.id {
				advocateID, code = r.advocateID, r.code
				break
			}
		}
	}
	if advocateID == "" || advocateID == friend.id {
		return
	}
	e.seq++
	e.relationships = append(e.relationships, &extoleRelationship{id: e.newIDLocked(), advocateID: advocateID, friendID: friend.id,
		code: code, eventName: eventName, causeID: eventID, created: at, seq: e.seq})
}

// codeOwnerLocked finds the person whose shareable has this code (codes compare case-insensitively).
func (e *Extole) codeOwnerLocked(code string) string {
	for _, p := range e.persons {
		for _, s := range p.shareables {
			if strings.EqualFold(s.code, code) {
				return p.id
			}
		}
	}
	return ""
}

// listRelationships handles GET /v5/persons/{id}/relationships with my_roles, data_values,
// include_duplicate_identities and limit/offset.
func (e *Extole) listRelationships(c *extoleCall) {
	p, ok := e.personLocked(c)
	if !ok {
		return
	}
	limit, offset, ok := e.parseLimitOffset(c)
	if !ok {
		return
	}
	q := c.r.URL.Query()
	roles := map[string]bool{}
	for _, v := range q["my_roles"] {
		for _, r := range strings.Split(v, ",") {
			roles[strings.ToUpper(strings.TrimSpace(r))] = true
		}
	}
	want := map[string]string{}
	for _, v := range q["data_values"] {
		name, value, found := strings.Cut(v, ":")
		if !found || name == "" {
			e.fail(c.w, exDataValuesInvalid, map[string]any{"data_values": v})
			return
		}
		want[name] = value
	}
	duplicates := q.Get("include_duplicate_identities") == "true"

	var out []extoleRelationshipResponse
	seen := map[string]bool{}
	for _, r := range slices.Backward(e.relationships) { // newest first
		role, other := "", ""
		switch p.id {
		case r.advocateID:
			role, other = "ADVOCATE", r.friendID
		case r.friendID:
			role, other = "FRIEND", r.advocateID
		default:
			continue
		}
		if len(roles) > 0 && !roles[role] {
			continue
		}
		data := map[string]string{"shareable_code": r.code, "event_name": r.eventName}
		if !matchesData(data, want) || (!duplicates && seen[other]) {
			continue
		}
		seen[other] = true
		out = append(out, e.relationshipResponseLocked(r, role, other, data))
	}
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, page(nonNilSlice(out), limit, offset))
}

func matchesData(data, want map[string]string) bool {
	for k, v := range want {
		if data[k] != v {
			return false
		}
	}
	return true
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (e *Extole) relationshipResponseLocked(r *extoleRelationship, role, other string, data map[string]string) extoleRelationshipResponse {
	d := make(map[string]extoleShareableData, len(data))
	for k, v := range data {
		raw, _ := json.Marshal(v)
		d[k] = extoleShareableData{Name: k, Value: raw}
	}
	op := extoleOtherPerson{ID: other, IdentityKey: map[string]string{"name": "email"}}
	if pp, ok := e.personByID[other]; ok {
		op.IdentityKeyValue = pp.email
	}
	ts := r.created.UTC().Format(extoleTimeLayout)
	return extoleRelationshipResponse{ID: r.id, MyRole: role, OtherPersonID: other, OtherPerson: op, Container: "production",
		Program: "refer-a-friend", RootEventID: r.causeID, CauseEventID: r.causeID, Data: d, CreatedDate: ts, UpdatedDate: ts}
}
