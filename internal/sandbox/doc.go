// Package sandbox is the shared part of the simulated Extole (extolesim) and
// HubSpot (hubspotsim) APIs that `starter sandbox` serves for `make run` and
// that the tests run the bridge against: neither real API can be reached from
// CI or a laptop.
//
// It holds what both simulations share:
//   - Faults: failures injected on purpose (error rate, forced statuses, latency);
//   - RequestRecord: a log of every API request and how it was answered;
//   - the /_sandbox/ admin endpoints, which let a person or a test look at and
//     steer a simulation. They are never rate limited, faulted or authenticated,
//     and they are not recorded, so looking does not change what you see.
//
// The API facts the simulations follow are in docs/extole-api.md and
// docs/hubspot-api.md, each with its public source. Production code paths
// never import the sandbox (TestProductionDoesNotImportSandbox).
package sandbox
