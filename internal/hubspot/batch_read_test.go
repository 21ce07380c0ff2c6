package hubspot_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadContactsByEmail(t *testing.T) {
	tooMany := make([]string, hubspot.MaxBatchSize+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("c%d@x.io", i)
	}
	tests := []struct {
		name         string
		emails       []string
		faults       sandbox.Faults
		want         map[string]map[string]string // lower-cased email → share_link, share_code
		wantRequests int
		wantKind     hubspot.Kind // 0 = no error
	}{
		{
			name:   "found and missing in one request (207 is not an error)",
			emails: []string{"Linked@x.io", "half@x.io", "nobody@x.io"},
			want: map[string]map[string]string{
				"linked@x.io": {"share_link": "https://r.example.com/l1", "share_code": "l1"},
				"half@x.io":   {"share_link": "https://r.example.com/h1"},
			},
			wantRequests: 1,
		},
		{
			name: "the same email twice is read once", emails: []string{"half@x.io", "HALF@x.io"},
			want:         map[string]map[string]string{"half@x.io": {"share_link": "https://r.example.com/h1"}},
			wantRequests: 1,
		},
		{name: "nothing to read", emails: nil, want: map[string]map[string]string{}},
		{name: "more than a batch is refused before sending", emails: tooMany, wantKind: hubspot.KindInvalid},
		{
			name: "a failed call is an error", emails: []string{"half@x.io"},
			faults: sandbox.Faults{ForceStatus: 503}, wantRequests: 1, wantKind: hubspot.KindTransient,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, c := newClient(t, hubspotsim.Options{})
			ctx := context.Background()
			_, err := c.EnsureContactProperties(ctx, "extole", "Extole",
				[]hubspot.PropertyDef{{Name: "share_link"}, {Name: "share_code"}})
			require.NoError(t, err)
			_, _, err = c.UpsertContacts(ctx, []hubspot.ContactInput{
				{Email: "linked@x.io", Properties: map[string]string{"share_link": "https://r.example.com/l1", "share_code": "l1"}},
				{Email: "half@x.io", Properties: map[string]string{"share_link": "https://r.example.com/h1"}},
			})
			require.NoError(t, err)
			fake.SetFaults(tc.faults)
			before := len(fake.Requests())

			got, err := c.ReadContactsByEmail(ctx, tc.emails, []string{"share_link", "share_code"})

			assert.Len(t, fake.Requests()[before:], tc.wantRequests)
			if tc.wantKind != 0 {
				e, ok := hubspot.AsError(err)
				require.True(t, ok, "error %v", err)
				assert.Equal(t, tc.wantKind, e.Kind)
				return
			}
			require.NoError(t, err)
			values := map[string]map[string]string{}
			for email, ct := range got {
				values[email] = map[string]string{}
				for _, p := range []string{"share_link", "share_code"} {
					if v, ok := ct.Properties[p]; ok {
						values[email][p] = v
					}
				}
			}
			assert.Equal(t, tc.want, values)
		})
	}
}
