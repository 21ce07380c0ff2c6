// Package hubspotsim simulates the HubSpot APIs the bridge calls, for the
// sandbox `make run` serves (`starter sandbox`) and for the tests: CRM
// contacts (single, batch, search), contact properties and groups, deals,
// line items, pipelines and associations, contact↔contact labels, custom
// events, token introspection, and an installed app's signed webhooks, with
// HubSpot's error bodies and rate limits. The documented behaviour it follows
// is in docs/hubspot-api.md, docs/hubspot-app.md, docs/app-webhooks.md and
// docs/referral-graph.md; fault injection and the /_sandbox/ admin endpoints
// come from package sandbox.
package hubspotsim
