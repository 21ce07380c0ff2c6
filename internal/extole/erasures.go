package extole

import (
	"context"
	"net/http"
)

// Erasure is Extole's answer to an erasure request. The documented sample carries an id, the client's
// ErasureResponse only status, note and created_date (github.com/extole/product-docs,
// technical/operational-tasks/security-and-compliance/data-erasure-requests.mdx):
// both are read.
type Erasure struct {
	ID          string `json:"id"`
	Status      string `json:"status"` // COMPLETED or FAILED
	Note        string `json:"note"`
	CreatedDate string `json:"created_date"`
}

// RequestErasure asks Extole to erase a person by email (POST /v4/erasures {"email","note"}). note is our
// tracking id, returned as sent. Extole answers 400 invalid_erasure_email for a malformed address.
func (c *Client) RequestErasure(ctx context.Context, email, note string) (Erasure, error) {
	if email == "" {
		return Erasure{}, &Error{Kind: KindInvalid, Code: "empty_request", Message: "RequestErasure: empty email"}
	}
	var out Erasure
	_, err := c.do(ctx, http.MethodPost, "/v4/erasures", map[string]string{"email": email, "note": note}, &out)
	return out, err
}
