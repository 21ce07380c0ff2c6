# The two commands a newcomer needs: `make run` (the whole system, sandboxed when no credentials are set)
# and `make test`. See README.md.

TEMPORAL_CLI_VERSION := v1.5.1
TEMPORAL             := $(CURDIR)/bin/temporal
# Must match workflows.SearchAttributes (workflows/searchattrs_test.go checks it).
SEARCH_ATTRIBUTES    := PartnerConversionId=Keyword ExtoleEventName=Keyword ContactEmailHash=Keyword HubSpotContactId=Keyword

export TEMPORAL_CLI := $(TEMPORAL)

.PHONY: run test unit bench chaos fuzz build vet temporal-cli clean browser-test prod-test

# The Temporal CLI (dev server + Web UI) is built from source once into bin/ (about 6 minutes cold).
# It is not in go.mod on purpose: its server dependencies do not build against our SDK version.
$(TEMPORAL):
	@echo "Building the Temporal CLI $(TEMPORAL_CLI_VERSION) into bin/ (once; takes a few minutes)..."
	GOBIN=$(CURDIR)/bin go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

temporal-cli: $(TEMPORAL)

# The Temporal server and its SQL tool for `make prod-test`: the version the CLI embeds, built from source
# into bin/ like the CLI (about 4 minutes with the CLI's modules cached), not in go.mod either.
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_SERVER         := $(CURDIR)/bin/temporal-server
TEMPORAL_SQL_TOOL       := $(CURDIR)/bin/temporal-sql-tool

$(TEMPORAL_SERVER):
	GOBIN=$(CURDIR)/bin/.install go install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION)
	mv bin/.install/server $@

$(TEMPORAL_SQL_TOOL):
	GOBIN=$(CURDIR)/bin/.install go install go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)
	mv bin/.install/sql $@

# The production topology without Docker (deploy/temporal/prod-test.sh): PostgreSQL from Debian's
# packages, the schema, the server with deploy/temporal/production.yaml, then two workers and two webhook
# servers under load with one of each SIGKILLed (TestProductionTopology). About 2 minutes once built.
prod-test: $(TEMPORAL) $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL)
	./deploy/temporal/prod-test.sh

build:
	go build -o bin/worker ./cmd/worker
	go build -o bin/starter ./cmd/starter

run: $(TEMPORAL) build
	SEARCH_ATTRIBUTES="$(SEARCH_ATTRIBUTES)" ./scripts/run.sh

# Linters, pinned and built from the module proxy into bin/ on first use (not in go.mod: tools only).
# staticcheck v0.8.2 is built for Go 1.26 (its go.mod says go 1.26.0); workflowcheck checks workflow code
# for non-determinism (go.temporal.io/sdk/contrib/tools/workflowcheck).
STATICCHECK_VERSION   := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0
STATICCHECK           := $(CURDIR)/bin/staticcheck-$(STATICCHECK_VERSION)
WORKFLOWCHECK         := $(CURDIR)/bin/workflowcheck-$(WORKFLOWCHECK_VERSION)

$(STATICCHECK):
	GOBIN=$(CURDIR)/bin/.install go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(CURDIR)/bin/.install/staticcheck $@

$(WORKFLOWCHECK):
	GOBIN=$(CURDIR)/bin/.install go install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)
	mv $(CURDIR)/bin/.install/workflowcheck $@

vet: $(STATICCHECK) $(WORKFLOWCHECK)
	go vet ./...
	$(STATICCHECK) ./...
	$(WORKFLOWCHECK) -config .workflowcheck.yaml ./...

# Unit, replay, handler and integration tests. Integration tests start their own Temporal dev server
# (bin/temporal), the simulated APIs and the gin server on loopback.
test: $(TEMPORAL) vet
	go test -race -count=1 -timeout 20m ./...

# A real browser (Debian's headless Chromium) opens the Web UI's workflow page through the codec server
# and sees the decoded email. `make test` runs it too when chromium is installed; here it must not skip.
browser-test: $(TEMPORAL)
	BROWSER_TEST=1 go test -count=1 -v -run '^TestWebUIShowsDecodedEmailThroughCodecServer$$' ./internal/e2e/

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
FUZZ_TARGETS := FuzzParseEvent:./internal/webhook FuzzParseShareLink:./internal/webhook FuzzParseAppEvents:./internal/webhook \
	FuzzExtoleSignature:./internal/webhook FuzzVerifyV1:./internal/webhook/hubspotsig FuzzVerifyV2:./internal/webhook/hubspotsig \
	FuzzVerifyV3:./internal/webhook/hubspotsig FuzzErrorFromResponse:./internal/hubspot FuzzErrorFrom:./internal/extole \
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
