package activities

import (
	"context"
	"strings"

	"github.com/hubspot-extole/bridge/internal/contact"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"go.temporal.io/sdk/activity"
)

// RewardRecord is one reward as Extole's rewards API lists it, recorded in history (its JSON shape stays
// fixed whatever the client's wire type does).
type RewardRecord struct {
	RewardID      string `json:"reward_id"`
	PersonID      string `json:"person_id"`
	PartnerUserID string `json:"partner_user_id,omitempty"`
	Email         string `json:"email,omitempty"`
	State         string `json:"state"`
	FaceValue     string `json:"face_value,omitempty"`
	FaceValueType string `json:"face_value_type,omitempty"`
}

// ListRewardsInput is one page of GET /v2/rewards.
type ListRewardsInput struct {
	PersonID     string `json:"person_id,omitempty"`
	TimeInterval string `json:"time_interval,omitempty"`
	Limit        int    `json:"limit"`
	Offset       int    `json:"offset,omitempty"`
}

// ListRewards reads one page of rewards (every state, not only fulfilled ones).
func (a *Extole) ListRewards(ctx context.Context, in ListRewardsInput) ([]RewardRecord, error) {
	rows, err := a.Client.ListRewards(ctx, extole.RewardQuery{PersonID: in.PersonID, TimeInterval: in.TimeInterval, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return nil, TranslateExtoleError(err)
	}
	out := make([]RewardRecord, len(rows))
	for i, r := range rows {
		out[i] = rewardRecord(r)
	}
	return out, nil
}

// GetReward reads one reward by id (for webhook bodies that carry only reward_id).
func (a *Extole) GetReward(ctx context.Context, rewardID string) (RewardRecord, error) {
	r, err := a.Client.GetReward(ctx, rewardID)
	if err != nil {
		return RewardRecord{}, TranslateExtoleError(err)
	}
	return rewardRecord(r), nil
}

func rewardRecord(r extole.Reward) RewardRecord {
	return RewardRecord{RewardID: r.RewardID, PersonID: r.PersonID, PartnerUserID: r.PartnerUserID, Email: r.Email,
		State: strings.ToUpper(r.State), FaceValue: r.FaceValue.String(), FaceValueType: r.FaceValueType}
}

// RewardPersonEmail returns the Extole person's email, "" when Extole does not know the person or keys
// persons by something other than email: the reward is then reported, not retried.
func (a *Extole) RewardPersonEmail(ctx context.Context, personID string) (string, error) {
	p, err := a.Client.GetPerson(ctx, personID)
	if e, ok := extole.AsError(err); ok && e.Kind == extole.KindNotFound {
		return "", nil
	}
	if err != nil {
		return "", TranslateExtoleError(err)
	}
	return p.Email(), nil
}

// RewardContact is the HubSpot contact a reward belongs to, with its current reward properties; an empty
// ContactID means HubSpot has no contact with that email.
type RewardContact struct {
	ContactID  string            `json:"contact_id,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

// FindRewardContact reads the contact by email with the reward properties. It never creates one: rewards
// are written onto contacts HubSpot already has.
func (a *HubSpot) FindRewardContact(ctx context.Context, email string) (RewardContact, error) {
	names := make([]string, len(contact.RewardProperties))
	for i, d := range contact.RewardProperties {
		names[i] = d.Name
	}
	found, err := a.Client.ReadContactsByEmail(ctx, []string{email}, names)
	if err != nil {
		return RewardContact{}, TranslateHubSpotError(err)
	}
	c, ok := found[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return RewardContact{}, nil
	}
	props := map[string]string{}
	for _, n := range names {
		if v := c.Properties[n]; v != "" {
			props[n] = v
		}
	}
	return RewardContact{ContactID: c.ID, Properties: props}, nil
}

// SendRewardEvent records a reward's state change on the contact's timeline as a HubSpot custom event.
func (a *HubSpot) SendRewardEvent(ctx context.Context, ev hubspot.CustomEvent) error {
	if err := a.Client.SendCustomEvent(ctx, ev); err != nil {
		return TranslateHubSpotError(err)
	}
	activity.GetLogger(ctx).Info("HubSpot custom event sent", "event", ev.Name, "contact_id", ev.ObjectID, "reward_id", ev.Properties["reward_id"])
	return nil
}
