package workflows

import "go.temporal.io/sdk/worker"

// Register registers every workflow on a worker or a replayer.
func Register(r worker.WorkflowRegistry) {
	r.RegisterWorkflow(ReferralSignup)
	r.RegisterWorkflow(DealConverted)
	r.RegisterWorkflow(ForwardEvent)
	r.RegisterWorkflow(ShareLinkSync)
	r.RegisterWorkflow(SetupHubSpot)
	r.RegisterWorkflow(ShareLinkBackfill)
	r.RegisterWorkflow(ShareLinkImport)
}
