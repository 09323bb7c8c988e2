# coupakit: contract testing and mocking for the Coupa APIs.
GO ?= go

.PHONY: run test generate check-generated bench bench-load lint build

## run: serve the mock Core API, Sourcing API and SFTP server with their defaults
run:
	$(GO) run ./cmd/coupakit serve

## test: every test under the race detector, and a check that generated code is current
test: check-generated
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

## generate: regenerate gen/ from the specs in openapi/
generate:
	$(GO) generate ./gen/...

## check-generated: fail when gen/ is not what the specs generate
check-generated:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for api in core sourcing; do \
		sed "s|^output: .*|output: $$tmp/$$api.gen.go|" gen/$$api/config.yaml > "$$tmp/$$api.yaml" && \
		$(GO) tool oapi-codegen -config "$$tmp/$$api.yaml" openapi/$$api.yaml || exit 1; \
		if ! cmp -s "$$tmp/$$api.gen.go" gen/$$api/$$api.gen.go; then \
			echo "gen/$$api/$$api.gen.go is stale: run 'make generate' and commit the result" >&2; exit 1; \
		fi; \
	done; echo "generated code is up to date"

## bench: the Go benchmarks, with allocations
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-load: load coupakit serve and a bare net/http server serving the same bytes with
## wrk -t2 -c32, in one run, and print each ratio (installs nothing: apt-get install wrk)
bench-load: build
	@command -v wrk >/dev/null || { echo "bench-load needs wrk: apt-get install wrk" >&2; exit 1; }
	$(GO) run ./internal/benchload -coupakit bin/coupakit

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## build: the coupakit binary in bin/
build:
	$(GO) build -o bin/coupakit ./cmd/coupakit
