// Package workflows holds the bridge's Temporal workflows: each decides what happens to one event, contact,
// run or report, and calls the outside world only through activities (package activities), on the task
// queue of the API it calls (taskqueues.go). Next to each workflow are the start options, query, signal and
// update names its clients use, so the ID and reuse policy that make it idempotent live in one place.
//
//   - events.go: ReferralSignup, DealConverted, ForwardEvent — a HubSpot webhook event delivered to Extole
//   - sharelink.go: ShareLinkSync — an Extole share link written to its HubSpot contact
//   - backfill.go, backfill_import.go: ShareLinkBackfill, ShareLinkImport — share links for existing contacts
//   - deal.go, advocate.go: DealWon, AdvocateSignup — HubSpot deals and advocates into Extole
//   - rewards.go, reconcile.go: RewardSync, RewardLookup, Reconcile — Extole rewards into HubSpot
//   - referral_graph.go: RecordReferral, ReferralCounts — who referred whom, and the counts
//   - privacy.go: PrivacyErasure; setup.go: SetupHubSpot
//
// Workflow code must stay deterministic: a change to a shipped workflow's commands goes behind
// workflow.GetVersion, and the histories in testdata must keep replaying (replay_test.go).
package workflows
