// Package chaos holds the suites that break whole processes: the real Temporal dev server (with a db file),
// the real cmd/worker and `starter serve`/`starter sandbox` binaries, each its own process on free loopback
// ports, killed, stopped and faulted while a HubSpot-like sender keeps retrying. It also holds the
// secret-leak suite and the worker's fatal-error exit test. `make test` runs the bounded form; `make chaos`
// the long one (CHAOS_SCALE); `go test -short` skips them.
package chaos
