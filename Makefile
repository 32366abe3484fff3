# drmorigin — run `make` for the list of targets.
GO        ?= go
PKGS      ?= ./...
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
# A count, not a duration: go1.26's fuzz coordinator can fail a duration-bounded
# run with a spurious "context deadline exceeded" (golang/go#75804, fixed in 1.27).
FUZZTIME  ?= 5000x
# Fuzz targets as package:Func, each run for FUZZTIME by `make fuzz`. A
# crasher is written to <package>/testdata/fuzz/<Func>/, which `go test`
# replays; commit it with the fix and list it in the fuzz func's doc.
FUZZ_TARGETS ?= ./origin:FuzzParseStreamURL ./origin/token:FuzzJWT ./origin/token:FuzzSWT ./packager:FuzzIndex ./packager:FuzzTSSegment ./packager/ts:FuzzAppendSegment ./keyclient:FuzzLocatorJSON ./keyclient:FuzzPolicyJSON ./keyclient:FuzzFilterJSON ./crypto:FuzzSubsamplesH264 ./crypto:FuzzSubsamplesHEVC ./crypto:FuzzPatternBatch ./packager:FuzzProgressiveIndex ./storage:FuzzRemoteReads ./live:FuzzIngestBoxes ./live:FuzzIngest ./live:FuzzTrimBeforeZero ./codec/subtitle:FuzzWebVTT ./codec/subtitle:FuzzTTML ./packager:FuzzEmbeddedText ./drm/cpix:FuzzRead ./keyclient:FuzzLiveOutputJSON ./keyclient:FuzzLiveEventJSON ./origin:FuzzBoxCounter ./origin:FuzzIngestPath ./packager:FuzzLiveIndex

.PHONY: help build run web test test-race test-alloc test-purego fuzz golden bench bench-baseline bench-short cover vet deps demo-media clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/drmorigin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/drmorigin ./cmd/drmorigin

run: build ## run the origin on the embedded store with the demo content, printing URLs that play
	./bin/drmorigin serve --demo --storage-root testdata/media --listen 127.0.0.1:8080 --ingest-listen 127.0.0.1:8082 --store file://./data/drmorigin.db --player-dir web

web: web/node_modules/.installed ## install the player libraries and playwright-core from npm (for /player/ and the browser tests)

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

test: web vet deps test-race test-alloc test-purego fuzz ## every test: vet, import rules, -race pass, allocation pass, purego pass, short fuzz

test-race: ## all tests under the race detector
	$(GO) test -race -count=1 -timeout 60m $(PKGS)

test-alloc: ## allocation tests and scheduling-order tests (built without -race, so they run in a second pass)
	$(GO) test -count=1 -run 'Alloc|NoRace' -timeout 10m $(PKGS)

test-purego: ## crypto without its assembly (-tags purego): the generic AES path must pass the same tests
	$(GO) test -tags purego -count=1 ./crypto/...

fuzz: ## run each fuzz target for FUZZTIME
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x $$pkg; \
	done

golden: ## rewrite the golden files after a deliberate change
	$(GO) test ./manifest -update

vet: ## go vet and gofmt
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

deps: ## import rules of the library packages and bench (tests in internal/lint)
	$(GO) test -count=1 -run 'Import' ./internal/lint

# bench: the origin (and the copy-only floor) run on BENCH_ORIGIN_CORE, the
# load generator on BENCH_LOAD_CORE (taskset, when installed). SHORT=1 is the
# quick form (under 10 minutes on 2 cores); SOAK=10m sets the memory soak.
BENCH_ORIGIN_CORE ?= 0
BENCH_LOAD_CORE   ?= 1
BENCH_OUT         ?= bench/out
BENCH_TASKSET     := $(if $(shell command -v taskset 2>/dev/null),taskset -c $(BENCH_LOAD_CORE))

bench: ## the bench suite, every figure of quality.md "Fast" into bench/out/report.json (SHORT=1 quick, SOAK=10m, ONLY=cpu,…, BASELINE=REV, or BASELINE_URL=… BASELINE_PID=… for a running second origin)
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/drmorigin ./cmd/drmorigin
	$(GO) build -o bin/drmbench ./bench/cmd/drmbench
	$(if $(BASELINE),$(MAKE) --no-print-directory bench-baseline BASELINE=$(BASELINE))
	$(BENCH_TASKSET) ./bin/drmbench suite $(if $(SHORT),--short) $(if $(SOAK),--soak $(SOAK)) $(if $(ONLY),--only $(ONLY)) \
		$(if $(BASELINE),--baseline bin/drmorigin-baseline) $(if $(BASELINE_URL),--baseline-url $(BASELINE_URL) --baseline-pid $(BASELINE_PID)) \
		--origin bin/drmorigin --origin-core "$(BENCH_ORIGIN_CORE)" --load-core "$(BENCH_LOAD_CORE)" --out $(BENCH_OUT)

# bench-baseline: bin/drmorigin-baseline from git revision BASELINE, built
# from `git archive` of that revision in a temporary directory (no worktree
# to clean up, the checkout is untouched).
bench-baseline: ## build bin/drmorigin-baseline from git revision BASELINE (make bench BASELINE=REV does it)
	@test -n "$(BASELINE)" || { echo "bench-baseline: set BASELINE=REV"; exit 1; }
	@set -e; rev=$$(git rev-parse --verify "$(BASELINE)^{commit}"); \
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	git archive "$$rev" | tar -x -C "$$tmp"; \
	echo "building bin/drmorigin-baseline from $(BASELINE) ($$rev)"; \
	mkdir -p bin; \
	(cd "$$tmp" && $(GO) build -ldflags "-X main.version=$$(git -C "$(CURDIR)" describe --tags --always "$$rev")" -o "$(CURDIR)/bin/drmorigin-baseline" ./cmd/drmorigin)

bench-short: ## the quick bench suite (make bench SHORT=1)
	$(MAKE) bench SHORT=1

cover: ## coverage report in bin/cover.html
	@mkdir -p bin
	$(GO) test -coverprofile bin/cover.out $(PKGS) && $(GO) tool cover -html bin/cover.out -o bin/cover.html

demo-media: ## regenerate testdata/media with ffmpeg
	./testdata/make-demo.sh

clean:
	rm -rf bin data
