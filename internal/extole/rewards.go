package extole

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Reward is the part of Extole's RewardResponse (GET /v2/rewards, docs/extole-rewards.md#rewards-api)
// the bridge uses. face_value is a JSON number there but a string in the webhook scripts' model, so it
// is kept as its JSON text.
type Reward struct {
	RewardID      string      `json:"reward_id"`
	PersonID      string      `json:"person_id"`
	PartnerUserID string      `json:"partner_user_id,omitempty"`
	Email         string      `json:"email,omitempty"`
	State         string      `json:"state"`
	FaceValue     json.Number `json:"face_value,omitempty"`
	FaceValueType string      `json:"face_value_type,omitempty"`
	CreatedAt     string      `json:"created_at,omitempty"`
}

// RewardQuery filters GET /v2/rewards. Zero values are left out.
type RewardQuery struct {
	PersonID     string
	TimeInterval string // ISO 8601 interval, "<start>/<end>" or a duration such as "P2D"
	Limit        int    // 0 = Extole's default (100); at most 1000
	Offset       int
}

// ListRewards pages GET /v2/rewards. success_only is sent as false: its default (true) keeps only
// successfully fulfilled rewards, and a sweep must see every state.
func (c *Client) ListRewards(ctx context.Context, q RewardQuery) ([]Reward, error) {
	v := url.Values{"success_only": {"false"}}
	if q.PersonID != "" {
		v.Set("person_id", q.PersonID)
	}
	if q.TimeInterval != "" {
		v.Set("time_interval", q.TimeInterval)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		v.Set("offset", strconv.Itoa(q.Offset))
	}
	var out []Reward
	_, err := c.do(ctx, http.MethodGet, "/v2/rewards?"+v.Encode(), nil, &out)
	return out, err
}

// GetReward reads one reward. Extole answers an unknown id with 400 reward_not_found.
func (c *Client) GetReward(ctx context.Context, rewardID string) (Reward, error) {
	var r Reward
	_, err := c.do(ctx, http.MethodGet, "/v2/rewards/"+url.PathEscape(rewardID), nil, &r)
	return r, err
}
