# coupakit: contract testing and mocking for the Coupa APIs.
GO ?= go
# VERSION is what `coupakit version` prints: the git tag or commit of the tree.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS := $(if $(VERSION),-X main.version=$(VERSION))

.PHONY: run test generate check-generated bench bench-load fuzz lint lint-spec build image test-image

## run: serve the mock Core API, Sourcing API and SFTP server with their defaults (ARGS: more serve flags)
# It runs the built binary rather than `go run`, which exits 1 after Ctrl-C:
# serve shuts down gracefully on SIGINT or SIGTERM and exits 0, and so does make.
run: build
	./bin/coupakit serve $(ARGS)

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
		(cd gen/$$api && $(GO) tool oapi-codegen -config "$$tmp/$$api.yaml" ../../openapi/$$api.yaml) || exit 1; \
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
FUZZ_TARGETS = ./query:FuzzParseValues ./coupaxml:FuzzDecode ./coupaxml:FuzzAppendDatetime ./sftpd:FuzzCheckFile ./sftpd:FuzzPaths ./auth:FuzzBearerToken ./mock:FuzzJSONBody ./mock:FuzzJSONFastPath ./mock:FuzzNeedsNormalizing ./mock:FuzzFields ./openapi:FuzzChecker
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## bench-load: load coupakit serve and a bare net/http server serving the same bytes with
## wrk -t2 -c32, in one run, and print each ratio (installs nothing: apt-get install wrk)
bench-load: build
	@command -v wrk >/dev/null || { echo "bench-load needs wrk: apt-get install wrk" >&2; exit 1; }
	$(GO) run ./internal/benchload -coupakit bin/coupakit

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## lint-spec: Spectral's spectral:oas rules on the specs in openapi/, failing on any warning (needs npx)
SPECTRAL_VERSION ?= 6.16.3
lint-spec:
	npx --yes @stoplight/spectral-cli@$(SPECTRAL_VERSION) lint --ruleset .spectral.yaml --fail-severity warn openapi/*.yaml

## build: the coupakit binary in bin/
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/coupakit ./cmd/coupakit

## image: a static binary (CGO off) and an image FROM scratch holding it ($(IMAGE))
IMAGE ?= coupakit:dev
image:
	rm -rf bin/image && mkdir -p bin/image/rootfs/tmp bin/image/rootfs/cache
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags='-s -w' -o bin/image/coupakit ./cmd/coupakit
	docker build -q -f Dockerfile -t $(IMAGE) bin/image

## test-image: build the image, run it with --network host on free loopback ports, check it, remove it (needs a running Docker daemon)
test-image: image
	COUPAKIT_IMAGE=$(IMAGE) $(GO) test -tags image -count=1 -run '^TestImage' -v ./cmd/coupakit/
