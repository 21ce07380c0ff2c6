package activities

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/metrics"
)

// The backfill's activities make exactly one API call each: the task-queue rate limits count activities,
// so one activity per call keeps the cluster-wide limit a limit on calls.

// PersonRef is an Extole person, or Exists when a create found the email already taken.
type PersonRef struct {
	ID     string `json:"id,omitempty"`
	Found  bool   `json:"found"`
	Exists bool   `json:"exists,omitempty"`
}

// FindPerson looks the advocate up by email (GET /v5/persons?identity_key_value=).
func (a *Extole) FindPerson(ctx context.Context, email string) (PersonRef, error) {
	p, ok, err := a.Client.FindPersonByEmail(ctx, email)
	if err != nil {
		return PersonRef{}, TranslateExtoleError(err)
	}
	return PersonRef{ID: p.ID, Found: ok}, nil
}

// CreatePerson creates the advocate. An email that is already taken (a repeated attempt, or a
// concurrent creator) is reported as Exists, not as an error: the caller looks the person up again.
func (a *Extole) CreatePerson(ctx context.Context, email string) (PersonRef, error) {
	p, err := a.Client.CreatePerson(ctx, email)
	if extole.HasCode(err, extole.CodeIdentityTaken) {
		return PersonRef{Exists: true}, nil
	}
	if err != nil {
		return PersonRef{}, TranslateExtoleError(err)
	}
	return PersonRef{ID: p.ID, Found: true}, nil
}

// ShareableInput names a person's shareable for a program label.
type ShareableInput struct {
	PersonID string `json:"person_id"`
	Label    string `json:"label"`
}

// ShareableRef is a share code and link, or Taken when the person already has one for the label.
type ShareableRef struct {
	Code  string `json:"code,omitempty"`
	Link  string `json:"link,omitempty"`
	Taken bool   `json:"taken,omitempty"`
}

// CreateShareable creates the person's shareable for the label; shareable_key_taken means it exists
// (from an earlier run, or Extole's own share-link extension), reported as Taken.
func (a *Extole) CreateShareable(ctx context.Context, in ShareableInput) (ShareableRef, error) {
	s, err := a.Client.CreateShareable(ctx, in.PersonID, in.Label)
	if extole.HasCode(err, extole.CodeShareableTaken) {
		return ShareableRef{Taken: true}, nil
	}
	if err != nil {
		return ShareableRef{}, TranslateExtoleError(err)
	}
	return ShareableRef{Code: s.Code, Link: s.Link}, nil
}

// FindShareable picks the person's shareable for the label, else the newest one, as Extole's own
// Salesforce backfill does (docs/extole-api.md#persons-and-shareables).
func (a *Extole) FindShareable(ctx context.Context, in ShareableInput) (ShareableRef, error) {
	list, err := a.Client.ListShareables(ctx, in.PersonID, in.Label)
	if err != nil {
		return ShareableRef{}, TranslateExtoleError(err)
	}
	if len(list) == 0 {
		// "taken" but nothing listed: Extole's state is settling; retry.
		return ShareableRef{}, applicationError(ErrTypeExtoleUnavailable, true, 0,
			&extole.Error{Kind: extole.KindTransient, Code: "shareable_not_listed", Message: "shareable reported taken but not listed yet"})
	}
	pick := list[0]
	for _, s := range list {
		if s.Label == in.Label {
			pick = s
			break
		}
	}
	return ShareableRef{Code: pick.Code, Link: pick.Link}, nil
}

// ContactRef is a contact the backfill visits: its id (the keyset cursor), email, names (sent with the
// event route's event) and the link properties it already has (at most one of them: it lacks the other),
// which the backfill must not overwrite.
type ContactRef struct {
	ID        string `json:"id"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	ShareLink string `json:"share_link,omitempty"`
	ShareCode string `json:"share_code,omitempty"`
}

// BackfillEventID is the partner_event_id of a contact's backfill event, in the API event route and in
// the file route's CSV alike, so Extole de-duplicates a contact sent twice by either.
func BackfillEventID(contactID string) string { return "hubspot-share-link-" + contactID }

// BackfillEventInput is one contact's event for the event route.
type BackfillEventInput struct {
	EventName string     `json:"event_name"`
	Contact   ContactRef `json:"contact"`
}

// SendBackfillEvent sends one POST /v5/events for the contact. Extole's "Create Share Link on any Event"
// extension then creates the link and posts it to our share-link webhook; a repeat is de-duplicated by
// Extole on partner_event_id.
func (a *Extole) SendBackfillEvent(ctx context.Context, in BackfillEventInput) (SendEventResult, error) {
	data := map[string]json.RawMessage{}
	for k, v := range map[string]string{"email": in.Contact.Email, "partner_event_id": BackfillEventID(in.Contact.ID),
		"first_name": in.Contact.FirstName, "last_name": in.Contact.LastName} {
		if v != "" {
			data[k], _ = json.Marshal(v) // a string always marshals
		}
	}
	id, err := a.Client.SendEvent(ctx, extole.Event{Name: in.EventName, Data: data})
	if err != nil {
		return SendEventResult{}, TranslateExtoleError(err)
	}
	metrics.AddBackfillContacts(metrics.BackfillSent, 1)
	return SendEventResult{EventID: id}, nil
}

// UnlinkedPage is one page of contacts lacking share_link or share_code.
type UnlinkedPage struct {
	Contacts  []ContactRef `json:"contacts"`
	Remaining int          `json:"remaining"` // HubSpot's total for the query: contacts still to visit from the cursor
}

// SearchUnlinkedInput is a keyset page request.
type SearchUnlinkedInput struct {
	AfterID string `json:"after_id"` // hs_object_id of the last contact seen; "" from the start
	Limit   int    `json:"limit"`
}

// SearchUnlinked returns the next contacts, by ascending hs_object_id, that lack share_link or
// share_code; keyset paging keeps it correct past HubSpot's 10,000-result cap (SearchContactsLacking).
func (a *HubSpot) SearchUnlinked(ctx context.Context, in SearchUnlinkedInput) (UnlinkedPage, error) {
	page, err := a.Client.SearchContactsLacking(ctx, contact.LinkProperties, in.AfterID, in.Limit, append([]string{"email", "firstname", "lastname"}, contact.LinkProperties...))
	if err != nil {
		return UnlinkedPage{}, TranslateHubSpotError(err)
	}
	out := UnlinkedPage{Remaining: page.Total, Contacts: make([]ContactRef, 0, len(page.Results))}
	metrics.SetBackfillRemaining(max(page.Total-len(page.Results), 0)) // as the workflow counts it
	for _, c := range page.Results {
		out.Contacts = append(out.Contacts, ContactRef{
			ID: c.ID, Email: strings.TrimSpace(c.Properties["email"]),
			FirstName: c.Properties["firstname"], LastName: c.Properties["lastname"],
			ShareLink: c.Properties[contact.PropShareLink], ShareCode: c.Properties[contact.PropShareCode],
		})
	}
	return out, nil
}

// ReadLinks reads the current share_link and share_code of up to 100 contacts by email in one batch read.
// Only contacts that exist are returned; the values are as HubSpot holds them (empty = lacking).
func (a *HubSpot) ReadLinks(ctx context.Context, emails []string) ([]LinkWrite, error) {
	found, err := a.Client.ReadContactsByEmail(ctx, emails, contact.LinkProperties)
	if err != nil {
		return nil, TranslateHubSpotError(err)
	}
	out := make([]LinkWrite, 0, len(found))
	for _, email := range emails { // in input order, so the result reads like the request
		if c, ok := found[strings.ToLower(strings.TrimSpace(email))]; ok {
			out = append(out, LinkWrite{Email: email, ShareLink: c.Properties[contact.PropShareLink], ShareCode: c.Properties[contact.PropShareCode]})
		}
	}
	return out, nil
}

// LinkWrite is one contact's link to write back; an empty value is not written (it would clear the
// property).
type LinkWrite struct {
	Email     string `json:"email"`
	ShareLink string `json:"share_link"`
	ShareCode string `json:"share_code"`
}

// WriteFailure is a contact HubSpot refused.
type WriteFailure struct {
	Email  string `json:"email"`
	Reason string `json:"reason"`
}

// WriteLinksResult reports a batch write.
type WriteLinksResult struct {
	Written int            `json:"written"`
	Failed  []WriteFailure `json:"failed,omitempty"`
}

// WriteLinks writes up to 100 links in one batch upsert by email. Contacts HubSpot refuses individually
// (207) are reported, not retried; a failure of the whole call is retried by the policy.
func (a *HubSpot) WriteLinks(ctx context.Context, links []LinkWrite) (WriteLinksResult, error) {
	inputs := make([]hubspot.ContactInput, 0, len(links))
	for _, l := range links {
		props := map[string]string{}
		if l.ShareLink != "" {
			props[contact.PropShareLink] = l.ShareLink
		}
		if l.ShareCode != "" {
			props[contact.PropShareCode] = l.ShareCode
		}
		inputs = append(inputs, hubspot.ContactInput{Email: l.Email, Properties: props})
	}
	results, failures, err := a.Client.UpsertContacts(ctx, inputs)
	if err != nil {
		return WriteLinksResult{}, TranslateHubSpotError(err)
	}
	out := WriteLinksResult{Written: len(results)}
	for _, f := range failures {
		if f.Err.Retryable() {
			// A per-input transient failure: fail the call so the whole (idempotent) batch is retried.
			return WriteLinksResult{}, TranslateHubSpotError(f.Err)
		}
		out.Failed = append(out.Failed, WriteFailure{Email: f.Email, Reason: f.Err.Error()})
	}
	metrics.AddBackfillContacts(metrics.BackfillLinked, out.Written)
	metrics.AddBackfillContacts(metrics.BackfillFailed, len(out.Failed))
	return out, nil
}
