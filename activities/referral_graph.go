package activities

import (
	"context"
	"strings"
	"time"

	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"go.temporal.io/sdk/client"
)

// The referral graph's activities (workflows/referral_graph.go) make one API call each, like every other
// rate-limited activity.

// Referrer is who referred a friend, from the friend's relationships in Extole.
type Referrer struct {
	Found            bool   `json:"found"`
	AdvocatePersonID string `json:"advocate_person_id,omitempty"`
	// AdvocateEmail is set when Extole's answer names it; otherwise AdvocateEmail reads the person.
	AdvocateEmail string `json:"advocate_email,omitempty"`
	Code          string `json:"code,omitempty"` // the share code the friend came through
}

// FriendReferrer reads the friend's relationships as FRIEND (one page: a friend has few advocates) and
// returns the advocate of the most recently updated one, Extole's latest attribution.
func (a *Extole) FriendReferrer(ctx context.Context, friendPersonID string) (Referrer, error) {
	rels, err := a.Client.ListRelationships(ctx, friendPersonID, extole.RelationshipQuery{Role: extole.RoleFriend})
	if e, ok := extole.AsError(err); ok && e.Kind == extole.KindNotFound {
		// The person is gone (erased since it was found, or not yet visible to this endpoint): no referral
		// to write, which is not a failure to list among the failed workflows.
		return Referrer{}, nil
	}
	if err != nil {
		return Referrer{}, TranslateExtoleError(err)
	}
	var best *extole.Relationship
	for i := range rels {
		r := &rels[i]
		if r.MyRole != extole.RoleFriend || r.OtherPersonID == "" {
			continue
		}
		if best == nil || relationshipTime(*r).After(relationshipTime(*best)) {
			best = r
		}
	}
	if best == nil {
		return Referrer{}, nil
	}
	return Referrer{Found: true, AdvocatePersonID: best.OtherPersonID, AdvocateEmail: best.OtherEmail(),
		Code: best.DataText("shareable_code")}, nil
}

// relationshipTime is when Extole last updated the relationship (zero when unreadable).
func relationshipTime(r extole.Relationship) time.Time {
	for _, s := range []string{r.UpdatedDate, r.CreatedDate} {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// AdvocateEmail reads an Extole person's email (GET /v5/persons/{id}); "" when the program identifies
// people by something else.
func (a *Extole) AdvocateEmail(ctx context.Context, personID string) (string, error) {
	p, err := a.Client.GetPerson(ctx, personID)
	if err != nil {
		return "", TranslateExtoleError(err)
	}
	return p.Email(), nil
}

// CountRelationshipsInput asks for one page of an advocate's relationships.
type CountRelationshipsInput struct {
	PersonID string                   `json:"person_id"`
	Query    extole.RelationshipQuery `json:"query"`
}

// RelationshipCount is one page's count of distinct other persons, and whether a next page may follow.
type RelationshipCount struct {
	Count int  `json:"count"`
	More  bool `json:"more"`
}

// CountRelationships counts the distinct friends (other persons) on one page of relationships. Extole
// already returns one relationship per other person, so pages do not overlap.
func (a *Extole) CountRelationships(ctx context.Context, in CountRelationshipsInput) (RelationshipCount, error) {
	rels, err := a.Client.ListRelationships(ctx, in.PersonID, in.Query)
	if err != nil {
		return RelationshipCount{}, TranslateExtoleError(err)
	}
	seen := map[string]bool{}
	for _, r := range rels {
		if r.OtherPersonID != "" && (in.Query.Role == "" || r.MyRole == in.Query.Role) {
			seen[r.OtherPersonID] = true
		}
	}
	return RelationshipCount{Count: len(seen), More: len(rels) == extole.RelationshipPageSize}, nil
}

// ReferralLabelPair is the paired label the referral graph writes between a friend and its advocate. On
// the friend's record the advocate shows as "Referred by"; on the advocate's, the friend as "Referred".
var ReferralLabelPair = hubspot.LabelPair{Name: "extole_referred_by", Label: "Referred by", InverseLabel: "Referred"}

// ReferralLabels are the type ids of ReferralLabelPair; Found is false when HubSpot has no such labels.
type ReferralLabels struct {
	Found      bool `json:"found"`
	ReferredBy int  `json:"referred_by,omitempty"` // friend → advocate
	Referred   int  `json:"referred,omitempty"`    // advocate → friend
	// Exists: a create found the pair already there (a concurrent setup); list again.
	Exists bool `json:"exists,omitempty"`
}

func referralLabels(types []hubspot.AssociationType) ReferralLabels {
	var out ReferralLabels
	for _, t := range types {
		if t.Category != "USER_DEFINED" {
			continue
		}
		switch t.Label {
		case ReferralLabelPair.Label:
			out.ReferredBy = t.TypeID
		case ReferralLabelPair.InverseLabel:
			out.Referred = t.TypeID
		}
	}
	out.Found = out.ReferredBy > 0 && out.Referred > 0
	return out
}

// FindReferralLabels looks the label pair up among the contact↔contact labels, by label text.
func (a *HubSpot) FindReferralLabels(ctx context.Context) (ReferralLabels, error) {
	types, err := a.Client.ContactLabels(ctx)
	if err != nil {
		return ReferralLabels{}, TranslateHubSpotError(err)
	}
	return referralLabels(types), nil
}

// CreateReferralLabels creates the label pair. A pair that already exists (409) is reported as Exists.
func (a *HubSpot) CreateReferralLabels(ctx context.Context) (ReferralLabels, error) {
	types, err := a.Client.CreateContactLabelPair(ctx, ReferralLabelPair)
	if e, ok := hubspot.AsError(err); ok && e.Kind == hubspot.KindConflict {
		return ReferralLabels{Exists: true}, nil
	}
	if err != nil {
		return ReferralLabels{}, TranslateHubSpotError(err)
	}
	return referralLabels(types), nil
}

// UpdateContactInput sets properties on an existing contact, found by email.
type UpdateContactInput struct {
	Email      string            `json:"email"`
	Properties map[string]string `json:"properties"`
}

// UpdatedContact is the contact written; Found is false when HubSpot has no contact with the email.
type UpdatedContact struct {
	Found     bool   `json:"found"`
	ContactID string `json:"contact_id,omitempty"`
}

// UpdateContact sets properties on the contact with this email without ever creating one: the referral
// graph annotates contacts HubSpot has, and must not bring back one deleted for privacy.
func (a *HubSpot) UpdateContact(ctx context.Context, in UpdateContactInput) (UpdatedContact, error) {
	id, err := a.Client.UpdateContactByEmail(ctx, strings.TrimSpace(in.Email), in.Properties)
	if e, ok := hubspot.AsError(err); ok && e.Kind == hubspot.KindNotFound {
		return UpdatedContact{}, nil
	}
	if err != nil {
		return UpdatedContact{}, TranslateHubSpotError(err)
	}
	return UpdatedContact{Found: true, ContactID: id}, nil
}

// AssociateReferralInput labels the advocate on the friend's record.
type AssociateReferralInput struct {
	FriendContactID   string `json:"friend_contact_id"`
	AdvocateContactID string `json:"advocate_contact_id"`
	TypeID            int    `json:"type_id"` // ReferralLabels.ReferredBy
}

// AssociateReferral writes the friend → advocate "Referred by" association (the advocate's side gets
// "Referred"). Writing it again changes nothing.
func (a *HubSpot) AssociateReferral(ctx context.Context, in AssociateReferralInput) error {
	if err := a.Client.AssociateContacts(ctx, in.FriendContactID, in.AdvocateContactID, in.TypeID); err != nil {
		return TranslateHubSpotError(err)
	}
	return nil
}

// Advocate names an advocate whose counts the referral graph recomputes.
type Advocate struct {
	PersonID string `json:"person_id"`
	Email    string `json:"email"`
}

// SignalWithStartInput signals a workflow, starting it first when it is not running.
type SignalWithStartInput struct {
	WorkflowID   string   `json:"workflow_id"`
	WorkflowType string   `json:"workflow_type"`
	TaskQueue    string   `json:"task_queue"`
	Signal       string   `json:"signal"`
	Input        Advocate `json:"input"`
	Summary      string   `json:"summary,omitempty"`
}

// RecountAdvocate asks the advocate's one counting workflow to recount, starting it when none runs. A
// signal-with-start is atomic on the server, so concurrent friends never start two.
func (a *Temporal) RecountAdvocate(ctx context.Context, in SignalWithStartInput) error {
	_, err := a.Client.SignalWithStartWorkflow(ctx, in.WorkflowID, in.Signal, nil,
		client.StartWorkflowOptions{ID: in.WorkflowID, TaskQueue: in.TaskQueue, StaticSummary: in.Summary}, in.WorkflowType, in.Input)
	return err
}

// FoundContact is a contact found by email; Found is false when HubSpot has none.
type FoundContact struct {
	Found     bool   `json:"found"`
	ContactID string `json:"contact_id,omitempty"`
}

// ContactIDByEmail finds a contact's record id by email with one batch read.
func (a *HubSpot) ContactIDByEmail(ctx context.Context, email string) (FoundContact, error) {
	found, err := a.Client.ReadContactsByEmail(ctx, []string{email}, nil)
	if err != nil {
		return FoundContact{}, TranslateHubSpotError(err)
	}
	for _, c := range found {
		return FoundContact{Found: true, ContactID: c.ID}, nil
	}
	return FoundContact{}, nil
}

// EnsureReferralLabels finds the label pair, or creates it, calling HubSpot directly (starter setup
// hubspot, which runs without a worker); it answers "created" or "existing".
func EnsureReferralLabels(ctx context.Context, c *hubspot.Client) (string, error) {
	types, err := c.ContactLabels(ctx)
	if err != nil {
		return "", err
	}
	if referralLabels(types).Found {
		return "existing", nil
	}
	if _, err := c.CreateContactLabelPair(ctx, ReferralLabelPair); err != nil {
		return "", err
	}
	return "created", nil
}
