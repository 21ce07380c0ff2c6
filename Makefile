# The two commands a newcomer needs: `make run` (the whole system, sandboxed when no credentials are set)
# and `make test`. See README.md.

TEMPORAL_CLI_VERSION := v1.5.1
TEMPORAL             := $(CURDIR)/bin/temporal
# Must match workflows.SearchAttributes (workflows/searchattrs_test.go checks it).
SEARCH_ATTRIBUTES    := PartnerConversionId=Keyword ExtoleEventName=Keyword ContactEmailHash=Keyword HubSpotContactId=Keyword

export TEMPORAL_CLI := $(TEMPORAL)

.PHONY: run test unit bench chaos fuzz build vet temporal-cli clean

# The Temporal CLI (dev server + Web UI) is built from source once into bin/ (about 6 minutes cold).
# It is not in go.mod on purpose: its server dependencies do not build against our SDK version.
$(TEMPORAL):
	@echo "Building the Temporal CLI $(TEMPORAL_CLI_VERSION) into bin/ (once; takes a few minutes)..."
	GOBIN=$(CURDIR)/bin go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

temporal-cli: $(TEMPORAL)

build:
	go build -o bin/worker ./cmd/worker
	go build -o bin/starter ./cmd/starter

run: $(TEMPORAL) build
	SEARCH_ATTRIBUTES="$(SEARCH_ATTRIBUTES)" ./scripts/run.sh

vet:
	go vet ./...

# Unit, replay, handler and integration tests. Integration tests start their own Temporal dev server
# (bin/temporal), the simulated APIs and the gin server on loopback.
test: $(TEMPORAL) vet
	go test -race -count=1 -timeout 20m ./...

# The chaos suite's long form (internal/chaos): real processes killed, stopped and faulted, with
# CHAOS_SCALE times the events of the bounded form that `make test` runs. Prints the figures per scenario.
chaos: $(TEMPORAL)
	CHAOS_SCALE=$${CHAOS_SCALE:-5} go test -count=1 -v -timeout 60m ./internal/chaos/

# Fast feedback without the Temporal dev server.
unit:
	go test -race -count=1 -short ./...

# Each fuzz target for FUZZTIME, one after another (go test fuzzes one target per run). Their seed corpora
# (testdata/fuzz/<target>/ and the f.Add seeds) run as ordinary tests in `make test`.
FUZZTIME     ?= 30s
FUZZ_TARGETS := FuzzParseEvent:./internal/webhook FuzzParseShareLink:./internal/webhook \
	FuzzExtoleSignature:./internal/webhook FuzzVerifyV1:./internal/hubspot FuzzVerifyV2:./internal/hubspot \
	FuzzVerifyV3:./internal/hubspot FuzzErrorFromResponse:./internal/hubspot FuzzErrorFrom:./internal/extole \
	FuzzLinkReader:./internal/batchfile

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t%%:*} ($(FUZZTIME))"; \
		go test -run '^$$' -fuzz "^$${t%%:*}\$$" -fuzztime $(FUZZTIME) "$${t#*:}"; \
	done

# Every benchmark once. BenchmarkBridge (internal/e2e) prints the bridge's figures against baselines measured
# in the same run, as ratios, and writes bench/results.json; BENCH_CONTACTS sets its largest backfill (default
# 100000, about 50 minutes; 10000 takes about 10). Not part of `make test`, which runs its smoke form.
bench: $(TEMPORAL)
	go test -run '^$$' -bench . -benchtime 1x -timeout 120m ./...

clean:
	rm -rf bin .temporal
