// Package e2e holds the integration tests: the real Temporal dev server (bin/temporal, started by the
// tests themselves), the real workers, the real gin server on loopback and the simulated HubSpot and
// Extole APIs. `make test` runs them; `go test -short` skips them.
package e2e
