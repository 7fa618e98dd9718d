# psa-host: a PSA extension host with RMM provider plugins.
# Every tool version is pinned: Go modules in go.mod (generators as go.mod
# tools), protoc from Debian's protobuf-compiler (3.21.12 on bookworm).

GO        ?= go
BIN       := bin
PLUGINDIR := $(BIN)/plugins
PLUGINS   := $(notdir $(wildcard plugin/*))
EDITION   ?= ce
FLEET     ?= 10000
# make bench: the naive store runs up to NAIVE_MAX agents (about 2 ms per
# device); above 10,000 agents only LARGE_ONLY run (software at 100,000
# agents is 10,000,000 rows, so it is left out unless asked for).
NAIVE_MAX  ?= 10000
LARGE_ONLY ?= first,unchanged,changed,alerts,webhooks

.PHONY: all build host plugins manifest run demo test test-short bench proto lint clean

all: build

build: host plugins manifest

host:
	$(GO) build -o $(BIN)/psa-host ./host/cmd/psa-host

plugins:
	@mkdir -p $(PLUGINDIR)
	@for p in $(PLUGINS); do \
		echo "go build -o $(PLUGINDIR)/rmm-provider-$$p ./plugin/$$p"; \
		$(GO) build -o $(PLUGINDIR)/rmm-provider-$$p ./plugin/$$p || exit 1; \
	done

# The manifest the host verifies every plugin binary against.
manifest: plugins
	cd $(PLUGINDIR) && sha256sum rmm-provider-* > SHA256SUMS

# Runs the host on an embedded PostgreSQL under ./.data (started on demand).
run: build
	$(BIN)/psa-host serve --edition $(EDITION) --plugin-dir $(PLUGINDIR) --data-dir .data --dev

demo: build
	$(GO) run ./integration_test/demo -psa-host $(BIN)/psa-host -plugin-dir $(PLUGINDIR) -data-dir .data/demo -fleet 500

# Tests start their own throwaway PostgreSQL clusters from Debian's binaries.
test:
	$(GO) test -race -count=1 -timeout 45m ./...

test-short:
	$(GO) test -short -count=1 ./...

bench: build
	$(GO) run ./integration_test/bench -fleet $(FLEET) -naive-max $(NAIVE_MAX) -large-only $(LARGE_ONLY) -out BENCHMARKS.md

proto:
	$(GO) build -o $(BIN)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(GO) build -o $(BIN)/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc
	cd shared/internal/rmmv1 && PATH="$(CURDIR)/$(BIN):$$PATH" protoc -I . -I /usr/include \
		--go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative rmm.proto

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -count=1 ./integration_test/imports/

clean:
	rm -rf $(BIN)
