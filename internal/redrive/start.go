package redrive

import (
	"fmt"

	"github.com/hubspot-extole/bridge/internal/contact"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/hubspot-extole/bridge/workflows"
)

// startRequest rebuilds the failed run's start from its WorkflowExecutionStarted event. Payloads are
// decoded by the client's data converter into converter.RawValue (codec undone, payload kept as the
// payload converter made it) and encoded again by the client on start: never read as JSON here.
func (r *Redriver) startRequest(run Run) (client.StartWorkflowOptions, []any, error) {
	st, dc := run.started, r.dc()
	opts := client.StartWorkflowOptions{
		ID:                                       run.WorkflowID,
		TaskQueue:                                st.GetTaskQueue().GetName(),
		WorkflowIDReusePolicy:                    enums.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy:                 enums.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
	if p := st.GetPriority(); p != nil {
		opts.Priority = temporal.Priority{PriorityKey: int(p.GetPriorityKey()), FairnessKey: p.GetFairnessKey(), FairnessWeight: p.GetFairnessWeight()}
	}
	sa, err := searchAttributes(st.GetSearchAttributes().GetIndexedFields())
	if err != nil {
		return opts, nil, err
	}
	opts.TypedSearchAttributes = sa
	if fields := st.GetMemo().GetFields(); len(fields) > 0 {
		opts.Memo = make(map[string]any, len(fields))
		for name, p := range fields {
			var v converter.RawValue
			if err := dc.FromPayload(p, &v); err != nil {
				return opts, nil, fmt.Errorf("memo %s: %w", name, err)
			}
			opts.Memo[name] = v
		}
	}
	for _, f := range []struct {
		p  *commonpb.Payload
		to *string
	}{{run.metadata.GetSummary(), &opts.StaticSummary}, {run.metadata.GetDetails(), &opts.StaticDetails}} {
		if f.p != nil {
			if err := dc.FromPayload(f.p, f.to); err != nil {
				return opts, nil, fmt.Errorf("summary: %w", err)
			}
		}
	}
	args, err := r.input(run)
	return opts, args, err
}

// input is the new run's arguments: the failed run's own, as raw values.
func (r *Redriver) input(run Run) ([]any, error) {
	if run.Type == shareLinkSync {
		return shareLinkInput(r.dc(), run)
	}
	payloads := run.started.GetInput().GetPayloads()
	raw := make([]converter.RawValue, len(payloads))
	ptrs := make([]any, len(payloads))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := r.dc().FromPayloads(run.started.GetInput(), ptrs...); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	args := make([]any, len(raw))
	for i, v := range raw {
		args[i] = v
	}
	return args, nil
}

// shareLinkSync is the workflow type of workflows.ShareLinkSync.
const shareLinkSync = "ShareLinkSync"

// shareLinkInput hands a failed ShareLinkSync's links to the new run. Its links arrive by update or
// signal, not in its input, so the original input alone would write nothing: they become the new run's
// pending links, of which it writes the newest, as the failed run would have.
func shareLinkInput(dc converter.DataConverter, run Run) ([]any, error) {
	var st workflows.ShareLinkState
	if err := dc.FromPayloads(run.started.GetInput(), &st); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	for _, m := range run.messages {
		if m.name != workflows.ShareLinkUpdate && m.name != workflows.ShareLinkSignal {
			continue
		}
		var l workflows.ShareLink
		if err := dc.FromPayloads(m.input, &l); err != nil {
			return nil, fmt.Errorf("%s input: %w", m.name, err)
		}
		// What the workflow's validator refuses (it checks signals only when it reads them) stays out.
		if contact.NormalizeEmail(l.Email) != contact.NormalizeEmail(st.Email) || l.Key == "" || l.Properties[contact.PropShareLink] == "" {
			continue
		}
		st.Pending = append(st.Pending, l)
	}
	return []any{st}, nil
}

// searchAttributes carries over the bridge's own search attributes (all Keyword, workflows.SearchAttributes).
// Search-attribute payloads are never codec-encoded, so the default converter reads them; attributes the
// server sets itself (TemporalScheduledById…) are refused on start and left out.
func searchAttributes(fields map[string]*commonpb.Payload) (temporal.SearchAttributes, error) {
	var updates []temporal.SearchAttributeUpdate
	for _, k := range workflows.SearchAttributes {
		p, ok := fields[k.GetName()]
		if !ok {
			continue
		}
		kw, ok := k.(temporal.SearchAttributeKeyKeyword)
		if !ok {
			return temporal.SearchAttributes{}, fmt.Errorf("search attribute %s: only Keyword attributes are carried over", k.GetName())
		}
		var v string
		if err := converter.GetDefaultDataConverter().FromPayload(p, &v); err != nil {
			return temporal.SearchAttributes{}, fmt.Errorf("search attribute %s: %w", k.GetName(), err)
		}
		updates = append(updates, kw.ValueSet(v))
	}
	return temporal.NewSearchAttributes(updates...), nil
}
