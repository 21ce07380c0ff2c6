package extolesim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/sandbox"
)

// Extole's data-erasure requests (https://dev.extole.com/docs/data-erasure-requests): POST
// /v4/erasures {"email","partner_user_id","note"} → {"id","status","note","created_date"}. Extole
// pseudo-anonymizes the profile; the sandbox removes the person and its shareables.

var (
	exEmptyErasure = extoleCode{400, "empty_request", "Empty request"}
	exErasureEmail = extoleCode{400, "invalid_erasure_email", "Invalid erasure email"}
)

// Erasure is an erasure the fake performed. Requests counts the POSTs answered with it.
type Erasure struct {
	ID            string    `json:"id"`
	Email         string    `json:"email,omitempty"`
	PartnerUserID string    `json:"partner_user_id,omitempty"`
	Note          string    `json:"note,omitempty"`
	Status        string    `json:"status"`
	CreatedDate   time.Time `json:"created_date"`
	PersonIDs     []string  `json:"person_ids"` // the persons erased; empty when Extole knew nobody
	Requests      int       `json:"requests"`
}

// Erasures returns the erasures performed, oldest first.
func (e *Extole) Erasures() []Erasure {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Erasure, 0, len(e.erasures))
	for _, x := range e.erasures {
		c := *x
		c.PersonIDs = append([]string{}, x.PersonIDs...)
		out = append(out, c)
	}
	return out
}

// postErasure handles POST /v4/erasures. A repeated request for the same email (or
// partner_user_id) while no new person holds it answers with the first erasure, so a retried
// request erases once; a person who came back since is erased anew, as Extole describes for
// re-engaging people.
func (e *Extole) postErasure(c *extoleCall) {
	if !e.requireJSON(c) {
		return
	}
	obj, ok := e.decodeObject(c)
	if !ok {
		return
	}
	var in struct {
		Email         string `json:"email"`
		PartnerUserID string `json:"partner_user_id"`
		Note          string `json:"note"`
	}
	raw, _ := json.Marshal(obj)
	if json.Unmarshal(raw, &in) != nil {
		e.fail(c.w, exInvalidJSON, nil)
		return
	}
	in.Email = strings.TrimSpace(in.Email)
	if in.Email == "" && in.PartnerUserID == "" {
		e.fail(c.w, exEmptyErasure, nil)
		return
	}
	if in.Email != "" && !sandbox.IsValidEmail(in.Email) {
		e.fail(c.w, exErasureEmail, map[string]any{"email": in.Email})
		return
	}
	p := e.personByEmail[strings.ToLower(in.Email)]
	if p == nil {
		for _, x := range slices.Backward(e.erasures) {
			if (in.Email != "" && strings.EqualFold(x.Email, in.Email)) || (in.Email == "" && x.PartnerUserID == in.PartnerUserID) {
				x.Requests++
				e.writeErasure(c, x)
				return
			}
		}
	}
	x := &Erasure{ID: e.newIDLocked(), Email: in.Email, PartnerUserID: in.PartnerUserID, Note: in.Note,
		Status: "COMPLETED", CreatedDate: c.at, PersonIDs: []string{}, Requests: 1}
	if p != nil {
		e.erasePersonLocked(p)
		x.PersonIDs = append(x.PersonIDs, p.id)
	}
	e.erasures = append(e.erasures, x)
	e.writeErasure(c, x)
}

func (e *Extole) writeErasure(c *extoleCall, x *Erasure) {
	resp := map[string]any{"id": x.ID, "status": x.Status, "note": nil, "created_date": x.CreatedDate.UTC().Format("2006-01-02T15:04:05.000Z")}
	if x.Note != "" {
		resp["note"] = x.Note
	}
	sandbox.WriteJSON(c.w, extoleContentType, http.StatusOK, resp)
}

// erasePersonLocked forgets a person's profile and email. Its share codes stay taken, so an erased
// person's link is never handed to someone else; events already accepted keep their data, as the
// sandbox's record of what arrived.
func (e *Extole) erasePersonLocked(p *extolePerson) {
	e.persons = slices.DeleteFunc(e.persons, func(x *extolePerson) bool { return x == p })
	delete(e.personByID, p.id)
	delete(e.personByEmail, strings.ToLower(p.email))
}
