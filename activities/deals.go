package activities

import (
	"context"
	"time"

	"github.com/hubspot-extole/bridge/internal/contact"
)

// DealProperties are the deal properties the won-deal workflow reads.
var DealProperties = []string{"amount", "dealname", "closedate", "dealstage", "pipeline", "deal_currency_code"}

// LineItemProperties are the line-item properties the converted event carries.
var LineItemProperties = []string{"name", "quantity", "price", "amount"}

// ContactReadProperties are the contact properties the app-webhook workflows read.
var ContactReadProperties = []string{"email", "firstname", "lastname", "company", contact.PropAdvocateCode}

// The HubSpot records these activities return. They are recorded in workflow histories, so their JSON is
// fixed here (as first recorded from the client's types) rather than following the client's.

// Deal is a deal's record id and the DealProperties read.
type Deal struct {
	ID         string            `json:"ID"`
	Properties map[string]string `json:"Properties"`
}

// Stage is one stage of a deal pipeline; Won is HubSpot's closed-won metadata.
type Stage struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Won   bool   `json:"won"`
}

// Pipeline is a deal pipeline with its stages.
type Pipeline struct {
	ID     string  `json:"id"`
	Label  string  `json:"label"`
	Stages []Stage `json:"stages"`
}

// Association is one associated record, with its type labels (e.g. "Primary").
type Association struct {
	ID     string   `json:"ID"`
	Labels []string `json:"Labels"`
}

// LineItem is a line item's record id and the LineItemProperties read.
type LineItem struct {
	ID         string            `json:"ID"`
	Properties map[string]string `json:"Properties"`
}

// Contact is a contact's record id and the ContactReadProperties read.
type Contact struct {
	ID         string            `json:"ID"`
	Properties map[string]string `json:"Properties"`
	CreatedAt  time.Time         `json:"CreatedAt"`
	UpdatedAt  time.Time         `json:"UpdatedAt"`
}

// GetDeal reads a deal by record id. Each HubSpot activity makes one API call, so the task queue's rate
// limit is a limit on calls.
func (a *HubSpot) GetDeal(ctx context.Context, dealID string) (Deal, error) {
	d, err := a.Client.GetDeal(ctx, dealID, DealProperties...)
	if err != nil {
		return Deal{}, TranslateHubSpotError(err)
	}
	return Deal(d), nil
}

// GetDealPipeline reads a deal pipeline and which of its stages are closed won.
func (a *HubSpot) GetDealPipeline(ctx context.Context, pipelineID string) (Pipeline, error) {
	p, err := a.Client.GetDealPipeline(ctx, pipelineID)
	if err != nil {
		return Pipeline{}, TranslateHubSpotError(err)
	}
	out := Pipeline{ID: p.ID, Label: p.Label, Stages: make([]Stage, len(p.Stages))}
	for i, st := range p.Stages {
		out.Stages[i] = Stage(st)
	}
	return out, nil
}

// AssociationsInput names the records to list: toType records associated with fromType record ID.
type AssociationsInput struct {
	FromType string `json:"from_type"`
	ID       string `json:"id"`
	ToType   string `json:"to_type"`
}

// Associations lists associated records (one call per 500; a deal has far fewer).
func (a *HubSpot) Associations(ctx context.Context, in AssociationsInput) ([]Association, error) {
	as, err := a.Client.Associations(ctx, in.FromType, in.ID, in.ToType)
	if err != nil {
		return nil, TranslateHubSpotError(err)
	}
	out := make([]Association, len(as))
	for i, x := range as {
		out[i] = Association(x)
	}
	return out, nil
}

// ReadLineItems reads up to 100 line items by id in one call.
func (a *HubSpot) ReadLineItems(ctx context.Context, ids []string) ([]LineItem, error) {
	items, err := a.Client.ReadLineItems(ctx, ids, LineItemProperties)
	if err != nil {
		return nil, TranslateHubSpotError(err)
	}
	out := make([]LineItem, len(items))
	for i, x := range items {
		out[i] = LineItem(x)
	}
	return out, nil
}

// GetContact reads a contact by record id with ContactReadProperties.
func (a *HubSpot) GetContact(ctx context.Context, contactID string) (Contact, error) {
	c, err := a.Client.GetContact(ctx, contactID, ContactReadProperties...)
	if err != nil {
		return Contact{}, TranslateHubSpotError(err)
	}
	return Contact(c), nil
}
