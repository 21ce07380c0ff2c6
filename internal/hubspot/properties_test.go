package hubspot_test

import (
	"context"
	"testing"

	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/sandbox/hubspotsim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each create is one request, and "already exists" (409) is an answer, not an error.
func TestCreatePropertyGroupAndProperty(t *testing.T) {
	ctx := context.Background()
	group := func(c *hubspot.Client) (bool, error) { return c.CreatePropertyGroup(ctx, "extole", "Extole") }
	prop := func(c *hubspot.Client) (bool, error) {
		return c.CreateContactProperty(ctx, "extole", hubspot.PropertyDef{Name: "share_link", Description: "link"})
	}
	tests := []struct {
		name         string
		before       []func(*hubspot.Client) (bool, error)
		call         func(*hubspot.Client) (bool, error)
		wantCreated  bool
		wantRequests int
		wantKind     hubspot.Kind // 0 = no error
	}{
		{name: "group created", call: group, wantCreated: true, wantRequests: 1},
		{name: "group exists", before: []func(*hubspot.Client) (bool, error){group}, call: group, wantRequests: 1},
		{name: "property created", before: []func(*hubspot.Client) (bool, error){group}, call: prop, wantCreated: true, wantRequests: 1},
		{name: "property exists", before: []func(*hubspot.Client) (bool, error){group, prop}, call: prop, wantRequests: 1},
		{name: "property in a missing group", call: prop, wantRequests: 1, wantKind: hubspot.KindInvalid},
		{name: "no name: refused before sending", call: func(c *hubspot.Client) (bool, error) {
			return c.CreateContactProperty(ctx, "extole", hubspot.PropertyDef{})
		}, wantKind: hubspot.KindInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake, c := newClient(t, hubspotsim.Options{})
			for _, f := range tc.before {
				_, err := f(c)
				require.NoError(t, err)
			}
			n := len(fake.Requests())
			created, err := tc.call(c)
			assert.Len(t, fake.Requests()[n:], tc.wantRequests)
			if tc.wantKind != 0 {
				e, ok := hubspot.AsError(err)
				require.True(t, ok, "error %v", err)
				assert.Equal(t, tc.wantKind, e.Kind)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantCreated, created)
		})
	}
	fake, c := newClient(t, hubspotsim.Options{})
	_, err := group(c)
	require.NoError(t, err)
	_, err = prop(c)
	require.NoError(t, err)
	for _, p := range fake.Properties() {
		if p.Name == "share_link" {
			assert.Equal(t, hubspotsim.Property{Name: "share_link", Label: "share_link", Description: "link", Type: "string", FieldType: "text", GroupName: "extole"},
				hubspotsim.Property{Name: p.Name, Label: p.Label, Description: p.Description, Type: p.Type, FieldType: p.FieldType, GroupName: p.GroupName},
				"a text property in the group, labelled with its name when no label is given")
		}
	}
}
