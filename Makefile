# coupakit: contract testing and mocking for the Coupa APIs.
GO ?= go

.PHONY: run test generate check-generated bench fuzz lint build

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

## fuzz: each fuzz target for FUZZTIME (default 20s); a failing input is saved under
## <package>/testdata/fuzz/<target>/, which make test replays from then on
FUZZTIME ?= 20s
FUZZ_TARGETS = ./query:FuzzParseValues ./coupaxml:FuzzDecode ./sftpd:FuzzCheckFile ./sftpd:FuzzPaths ./auth:FuzzBearerToken
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## build: the coupakit binary in bin/
build:
	$(GO) build -o bin/coupakit ./cmd/coupakit
