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
	r.RegisterWorkflow(DealWon)
	r.RegisterWorkflow(AdvocateSignup)
	r.RegisterWorkflow(PrivacyErasure)
	r.RegisterWorkflow(RewardSync)
	r.RegisterWorkflow(RewardLookup)
	r.RegisterWorkflow(Reconcile)
	r.RegisterWorkflow(RecordReferral)
	r.RegisterWorkflow(ReferralCounts)
}
