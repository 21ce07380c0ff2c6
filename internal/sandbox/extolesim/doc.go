// Package extolesim simulates the Extole APIs the bridge calls, for the
// sandbox `make run` serves (`starter sandbox`) and for the tests: events
// with de-duplication by partner_conversion_id, persons and shareables, the
// "Create Share Link on any Event" extension, rewards and their webhooks,
// person relationships and erasures, with Extole's error bodies and rate
// limit. The documented behaviour it follows is in docs/extole-api.md,
// docs/extole-rewards.md and docs/referral-graph.md; fault injection and the
// /_sandbox/ admin endpoints come from package sandbox.
package extolesim
