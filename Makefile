# Every Go command carries the same build tags, so the cgo SQLite build is
# compiled once and shared (each distinct tag set recompiles it).
TAGS      := sqlite_fts5
GO        ?= go
# Demo editor key for `make run` only; set your own HEADLINES_API_KEYS in production.
DEV_KEY   ?= dev-editor-key-0123456789

.PHONY: run test build docs tagger-model lint fuzz bench bench-go heavy ci clean

## run: serve on :8080 with a local SQLite file and the demo headlines
run:
	HEADLINES_API_KEYS=$${HEADLINES_API_KEYS:-$(DEV_KEY)} $(GO) run -tags $(TAGS) . serve

## test: the whole test suite with the race detector (PostgreSQL too when HEADLINES_TEST_POSTGRES is set)
test:
	@[ -n "$${HEADLINES_TEST_POSTGRES:-}" ] || echo "make test: HEADLINES_TEST_POSTGRES is not set, so the PostgreSQL tests skip (set it to a postgres:// URL to run them)"
	$(GO) test -tags $(TAGS) -race -count=1 -timeout 15m ./...

## build: the headlines binary
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	CGO_ENABLED=1 $(GO) build -tags $(TAGS) -ldflags "-X main.version=$(VERSION)" -o bin/headlines .

## docs: regenerate docs/openapi.{json,yaml} (docs/docs.go embeds it) and the Go client api/client from the swag annotations
# swag writes Swagger 2.0 into a temporary directory; internal/apidoc/gen
# turns it into the checked OpenAPI 3.0.3 document the server embeds and
# serves; oapi-codegen generates the Go client from that document.
docs:
	$(GO) tool swag fmt -d ./api,./internal/wire
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(GO) tool swag init --quiet --parseInternal -g routes.go -d ./api,./internal/wire -o "$$tmp" --outputTypes json && \
	  $(GO) run ./internal/apidoc/gen "$$tmp/swagger.json" docs
	$(GO) tool oapi-codegen -config api/client/oapi-codegen.yaml docs/openapi.json

## tagger-model: train the tagger's models (internal/classify/*.model.json) on the labelled dev headlines again
tagger-model:
	HEADLINES_TRAIN_MODELS=1 $(GO) test -tags $(TAGS) -count=1 -run '^TestTaggerModelsAreTrained$$' ./internal/store

## lint: golangci-lint as configured in .golangci.yml
lint:
	.ci/lint

## bench: the load benchmark (generate, import, serve on one core, wrk on the other); ARTICLES=1000000 for 1M
bench:
	.ci/bench $${ARTICLES:-100000}

## heavy: article reads and /readyz under 32 connections of expensive requests; before and after with HEAVY_BIN=old-binary
heavy:
	.ci/heavy $${ARTICLES:-200000}

## bench-go: the Go benchmarks of list queries, whole list requests and page encoding (100,000 generated articles)
bench-go:
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime 200x ./internal/store ./internal/wire ./api

## fuzz: run each fuzz target for 50,000 executions
fuzz:
	.ci/fuzz 50000x

clean:
	rm -rf bin
