package hubspot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Deal is a HubSpot deal with the properties asked for; values are strings as HubSpot sends them.
type Deal struct {
	ID         string
	Properties map[string]string
}

// Stage is one stage of a deal pipeline. Won is HubSpot's closed-won metadata: isClosed "true" and
// probability 1.0 (https://developers.hubspot.com/docs/api/crm/pipelines: "0.0 being Closed Lost and 1.0
// being Closed Won"); stage ids never follow label edits, so the metadata, not the id, says "won".
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

// Association is one associated record of a v4 association read, with its type labels (e.g. "Primary").
type Association struct {
	ID     string
	Labels []string
}

// GetDeal reads a deal by record id (GET /crm/v3/objects/deals/{id},
// https://developers.hubspot.com/docs/api/crm/deals). A missing deal is KindNotFound.
func (c *Client) GetDeal(ctx context.Context, id string, props ...string) (Deal, error) {
	if id == "" {
		return Deal{}, invalidInput("GetDeal: empty deal id")
	}
	var out wireObject
	if _, err := c.do(ctx, http.MethodGet, "/crm/v3/objects/deals/"+url.PathEscape(id), propsQuery(props), nil, &out); err != nil {
		return Deal{}, err
	}
	ct := out.contact()
	return Deal{ID: ct.ID, Properties: ct.Properties}, nil
}

// GetContact reads a contact by record id (GET /crm/v3/objects/contacts/{id},
// https://developers.hubspot.com/docs/api/crm/contacts). A missing contact is KindNotFound.
func (c *Client) GetContact(ctx context.Context, id string, props ...string) (Contact, error) {
	if id == "" {
		return Contact{}, invalidInput("GetContact: empty contact id")
	}
	var out wireObject
	if _, err := c.do(ctx, http.MethodGet, contactsPath+"/"+url.PathEscape(id), propsQuery(props), nil, &out); err != nil {
		return Contact{}, err
	}
	return out.contact(), nil
}

// GetDealPipeline reads one deal pipeline with its stages (GET /crm/v3/pipelines/deals/{pipelineId},
// https://developers.hubspot.com/docs/api/crm/pipelines). Archived stages are left out.
func (c *Client) GetDealPipeline(ctx context.Context, pipelineID string) (Pipeline, error) {
	if pipelineID == "" {
		return Pipeline{}, invalidInput("GetDealPipeline: empty pipeline id")
	}
	var out struct {
		ID     string `json:"id"`
		Label  string `json:"label"`
		Stages []struct {
			ID       string            `json:"id"`
			Label    string            `json:"label"`
			Archived bool              `json:"archived"`
			Metadata map[string]string `json:"metadata"`
		} `json:"stages"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/crm/v3/pipelines/deals/"+url.PathEscape(pipelineID), nil, nil, &out); err != nil {
		return Pipeline{}, err
	}
	p := Pipeline{ID: out.ID, Label: out.Label}
	for _, s := range out.Stages {
		if s.Archived {
			continue
		}
		p.Stages = append(p.Stages, Stage{ID: s.ID, Label: s.Label, Won: wonMetadata(s.Metadata)})
	}
	return p, nil
}

// wonMetadata reads closed-won from a stage's metadata, whose values are strings ("true", "1.0").
func wonMetadata(m map[string]string) bool {
	p, err := strconv.ParseFloat(strings.TrimSpace(m["probability"]), 64)
	return strings.EqualFold(m["isClosed"], "true") && err == nil && p == 1
}

// maxAssociationPages bounds a v4 association read: 500 per page, so 20 pages is 10,000 records, far more
// than any deal has; a paging loop that never ends (a server bug) must not hold an activity forever.
const maxAssociationPages = 20

// Associations lists the records of toType associated with a record (GET
// /crm/v4/objects/{fromType}/{id}/associations/{toType}, https://developers.hubspot.com/docs/api/crm/associations),
// following paging, in HubSpot's order.
func (c *Client) Associations(ctx context.Context, fromType, id, toType string) ([]Association, error) {
	if id == "" {
		return nil, invalidInput("Associations: empty record id")
	}
	path := "/crm/v4/objects/" + url.PathEscape(fromType) + "/" + url.PathEscape(id) + "/associations/" + url.PathEscape(toType)
	var all []Association
	after := ""
	for range maxAssociationPages {
		q := url.Values{"limit": {"500"}}
		if after != "" {
			q.Set("after", after)
		}
		var out struct {
			Results []struct {
				// The spec types it as a string, HubSpot's examples send a number: accept both.
				ToObjectID       json.Number `json:"toObjectId"`
				AssociationTypes []struct {
					Label *string `json:"label"`
				} `json:"associationTypes"`
			} `json:"results"`
			Paging struct {
				Next struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		if _, err := c.do(ctx, http.MethodGet, path, q, nil, &out); err != nil {
			return nil, err
		}
		for _, r := range out.Results {
			a := Association{ID: r.ToObjectID.String()}
			for _, t := range r.AssociationTypes {
				if t.Label != nil && *t.Label != "" {
					a.Labels = append(a.Labels, *t.Label)
				}
			}
			all = append(all, a)
		}
		if after = out.Paging.Next.After; after == "" {
			return all, nil
		}
	}
	return all, nil
}

// LineItem is one line item of a deal.
type LineItem struct {
	ID         string
	Properties map[string]string
}

// ReadLineItems reads up to MaxBatchSize line items by id (POST /crm/v3/objects/line_items/batch/read,
// https://developers.hubspot.com/docs/api/crm/line-items), in the order of ids. Ids HubSpot reports as
// not found (a 207 OBJECT_NOT_FOUND: deleted meanwhile) are left out; any other per-input error fails
// the call.
func (c *Client) ReadLineItems(ctx context.Context, ids, props []string) ([]LineItem, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > MaxBatchSize {
		return nil, invalidInput("ReadLineItems: %d ids, HubSpot accepts at most %d per batch", len(ids), MaxBatchSize)
	}
	body := struct {
		Properties []string         `json:"properties"`
		Inputs     []batchReadInput `json:"inputs"`
	}{Properties: props}
	for _, id := range ids {
		body.Inputs = append(body.Inputs, batchReadInput{ID: id})
	}
	var resp batchResponse
	status, err := c.do(ctx, http.MethodPost, "/crm/v3/objects/line_items/batch/read", nil, body, &resp)
	if err != nil {
		return nil, err
	}
	for _, ae := range resp.Errors {
		if e := batchItemError(ae, status); e.Kind != KindNotFound {
			return nil, e
		}
	}
	byID := make(map[string]LineItem, len(resp.Results))
	for _, r := range resp.Results {
		ct := r.contact()
		byID[ct.ID] = LineItem{ID: ct.ID, Properties: ct.Properties}
	}
	out := make([]LineItem, 0, len(byID))
	for _, id := range ids {
		if li, ok := byID[id]; ok {
			out = append(out, li)
		}
	}
	return out, nil
}

func propsQuery(props []string) url.Values {
	if len(props) == 0 {
		return nil
	}
	return url.Values{"properties": {strings.Join(props, ",")}}
}
