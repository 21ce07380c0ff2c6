# The two commands a newcomer needs: `make run` (the whole system, sandboxed when no credentials are set)
# and `make test`. See README.md.

TEMPORAL_CLI_VERSION := v1.5.1
TEMPORAL             := $(CURDIR)/bin/temporal
# Must match workflows.SearchAttributes (workflows/searchattrs_test.go checks it).
SEARCH_ATTRIBUTES    := PartnerConversionId=Keyword ExtoleEventName=Keyword ContactEmailHash=Keyword HubSpotContactId=Keyword

export TEMPORAL_CLI := $(TEMPORAL)

.PHONY: run test unit bench chaos build vet temporal-cli clean

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

# Fast feedback without the Temporal dev server.
unit:
	go test -race -count=1 -short ./...

bench: $(TEMPORAL)
	go test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

clean:
	rm -rf bin .temporal
