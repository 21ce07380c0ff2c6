package activities

import (
	"context"

	"github.com/hubspot-extole/bridge/internal/hubspot"
)

// DealProperties are the deal properties the won-deal workflow reads.
var DealProperties = []string{"amount", "dealname", "closedate", "dealstage", "pipeline", "deal_currency_code"}

// LineItemProperties are the line-item properties the converted event carries.
var LineItemProperties = []string{"name", "quantity", "price", "amount"}

// ContactReadProperties are the contact properties the app-webhook workflows read.
var ContactReadProperties = []string{"email", "firstname", "lastname", "company", "advocate_code"}

// GetDeal reads a deal by record id. Each HubSpot activity makes one API call, so the task queue's rate
// limit is a limit on calls.
func (a *HubSpot) GetDeal(ctx context.Context, dealID string) (hubspot.Deal, error) {
	d, err := a.Client.GetDeal(ctx, dealID, DealProperties...)
	if err != nil {
		return hubspot.Deal{}, TranslateHubSpotError(err)
	}
	return d, nil
}

// GetDealPipeline reads a deal pipeline and which of its stages are closed won.
func (a *HubSpot) GetDealPipeline(ctx context.Context, pipelineID string) (hubspot.Pipeline, error) {
	p, err := a.Client.GetDealPipeline(ctx, pipelineID)
	if err != nil {
		return hubspot.Pipeline{}, TranslateHubSpotError(err)
	}
	return p, nil
}

// AssociationsInput names the records to list: toType records associated with fromType record ID.
type AssociationsInput struct {
	FromType string `json:"from_type"`
	ID       string `json:"id"`
	ToType   string `json:"to_type"`
}

// Associations lists associated records (one call per 500; a deal has far fewer).
func (a *HubSpot) Associations(ctx context.Context, in AssociationsInput) ([]hubspot.Association, error) {
	as, err := a.Client.Associations(ctx, in.FromType, in.ID, in.ToType)
	if err != nil {
		return nil, TranslateHubSpotError(err)
	}
	return as, nil
}

// ReadLineItems reads up to 100 line items by id in one call.
func (a *HubSpot) ReadLineItems(ctx context.Context, ids []string) ([]hubspot.LineItem, error) {
	items, err := a.Client.ReadLineItems(ctx, ids, LineItemProperties)
	if err != nil {
		return nil, TranslateHubSpotError(err)
	}
	return items, nil
}

// GetContact reads a contact by record id with ContactReadProperties.
func (a *HubSpot) GetContact(ctx context.Context, contactID string) (hubspot.Contact, error) {
	c, err := a.Client.GetContact(ctx, contactID, ContactReadProperties...)
	if err != nil {
		return hubspot.Contact{}, TranslateHubSpotError(err)
	}
	return c, nil
}
