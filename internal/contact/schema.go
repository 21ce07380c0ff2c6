package contact

// The bridge's HubSpot contact properties, in one place for the workflows that write them, the webhook that
// receives them and the setup that creates them (starter setup hubspot, the worker at start, and a write
// that finds one missing).
const (
	PropertyGroup      = "extole"
	PropertyGroupLabel = "Extole referrals"

	PropShareLink    = "share_link"
	PropShareCode    = "share_code"
	PropAdvocateCode = "advocate_code"
	PropAppType      = "extole_app_type"

	PropReferredByEmail         = "extole_referred_by_email"
	PropReferredByCode          = "extole_referred_by_code"
	PropReferralsCount          = "extole_referrals_count"
	PropConvertedReferralsCount = "extole_converted_referrals_count"

	PropRewardState       = "extole_reward_state"
	PropRewardValue       = "extole_reward_value"
	PropRewardsEarned     = "extole_rewards_earned"
	PropRewardsValueTotal = "extole_rewards_value_total"
	PropLastRewardAt      = "extole_last_reward_at"
)

// LinkProperties are the properties a linked contact has; a contact lacking either is backfilled.
var LinkProperties = []string{PropShareLink, PropShareCode}

// Property defines one contact property in PropertyGroup. It is recorded in workflow histories (the
// CreateProperty activity's input), so its JSON names are those first recorded, and it converts to
// hubspot.PropertyDef field for field.
type Property struct {
	Name        string `json:"Name"`
	Label       string `json:"Label"`
	Description string `json:"Description"`
	// Type is "" for single-line text or PropertyNumber; empty is left out, as in the first histories.
	Type string `json:"Type,omitempty"`
}

// PropertyNumber is Property.Type of a number property.
const PropertyNumber = "number"

// Properties are the share-link and referral properties every setup creates, text properties all.
var Properties = []Property{
	{Name: PropShareLink, Label: "Extole share link", Description: "The advocate's personal Extole referral link."},
	{Name: PropShareCode, Label: "Extole share code", Description: "The advocate's Extole share code (the slug of the share link)."},
	{Name: PropAdvocateCode, Label: "Advocate code", Description: "The share code of the advocate who referred this contact."},
	{Name: PropAppType, Label: "Extole app type", Description: "The integration that wrote the Extole data."},
}

// ReferralGraphProperties are the referral graph's properties (who referred a friend; an advocate's counts,
// recomputed from Extole's relationships).
var ReferralGraphProperties = []Property{
	{Name: PropReferredByEmail, Label: "Referred by (email)", Description: "Email of the Extole advocate who referred this contact."},
	{Name: PropReferredByCode, Label: "Referred by (share code)", Description: "Share code of the Extole advocate who referred this contact."},
	{Name: PropReferralsCount, Label: "Extole referrals", Description: "Friends this advocate referred, as Extole's relationships count them.", Type: PropertyNumber},
	{Name: PropConvertedReferralsCount, Label: "Extole converted referrals", Description: "Referred friends with a converted event in Extole.", Type: PropertyNumber},
}

// RewardProperties are the reward state's properties: the latest reward change and counts derived from every
// reward Extole reported for the person.
var RewardProperties = []Property{
	{Name: PropRewardState, Label: "Extole reward state", Description: "State of the contact's most recently changed Extole reward (EARNED, FULFILLED, SENT, REDEEMED, CANCELED, REVOKED, FAILED, …)."},
	{Name: PropRewardValue, Label: "Extole reward value", Description: "Face value and type of that reward, e.g. 50 USD."},
	{Name: PropRewardsEarned, Label: "Extole rewards earned", Description: "Rewards earned, not counting canceled or revoked ones.", Type: PropertyNumber},
	{Name: PropRewardsValueTotal, Label: "Extole rewards value total", Description: "Sum of the face values of those rewards, per value type, e.g. 150 USD."},
	{Name: PropLastRewardAt, Label: "Extole last reward at", Description: "When the contact's latest reward change happened (ISO 8601, UTC)."},
}
