package temporalx

import (
	"context"
	"fmt"

	"github.com/hubspot-extole/bridge/workflows"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// EnsureSearchAttributes registers the bridge's search attributes that the namespace lacks, so a worker
// started against any server (not only `make run`'s dev server, which gets them as flags) works. Starts
// with an unregistered attribute would otherwise fail with InvalidArgument.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	var names []string
	for _, k := range workflows.SearchAttributes {
		if _, ok := have.GetCustomAttributes()[k.GetName()]; !ok {
			missing[k.GetName()] = k.GetValueType()
			names = append(names, k.GetName())
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return nil, fmt.Errorf("register search attributes %v (on Temporal Cloud, add them in the namespace settings): %w", names, err)
	}
	return names, nil
}
