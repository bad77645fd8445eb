# ADE build, test and benchmark targets. `make test` is the one test command:
# CI runs it through .ci/run, after starting PostgreSQL.

GO      ?= go
GINKGO  ?= $(GO) tool ginkgo
REPORTS ?= .reports

.PHONY: all build test test-fast fuzz soak bench vet fmt lint serve clean

all: vet test

## build: the ade binary in ./bin, stamped with `git describe` (ade --version)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/ade ./cmd/ade

## test: every suite (Ginkgo and plain go tests, fuzz seed corpora included),
## randomized and with the race detector; prints "N passed, N failed" last.
test:
	@mkdir -p $(REPORTS)
	@rm -f $(REPORTS)/junit.xml
	$(GINKGO) -r --randomize-all --randomize-suites --race --keep-going \
		--timeout=25m --poll-progress-after=120s \
		--junit-report=junit.xml --output-dir=$(REPORTS) ; \
	status=$$? ; \
	$(GO) run ./test/tools/junitsum $(REPORTS)/junit.xml || status=1 ; \
	exit $$status

## test-fast: the same suites without the race detector, for quick local runs.
test-fast:
	$(GINKGO) -r --randomize-all --keep-going

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

## soak: the load suite (test/load) for SOAK_DURATION (default 5m) on
## PostgreSQL at ADE_TEST_DATABASE_URL; `make test` runs it for 30s.
SOAK_DURATION ?= 5m
soak:
	SOAK_DURATION=$(SOAK_DURATION) $(GINKGO) -v --timeout=30m ./test/load

## bench: every benchmark program, one after the other; each prints its
## figures, its baseline measured in the same run, and the ratio against the
## target, and BENCHMARKS.md is written from their reports (with the machine
## they ran on). BENCH=http-jobs,blob runs some of them and writes nothing.
bench:
	$(GO) run ./test/tools/benchmd $(if $(BENCH),-only $(BENCH))

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

## serve: the server on embedded defaults (SQLite + local files under ./var).
serve:
	$(GO) run ./cmd/ade serve

clean:
	rm -rf bin $(REPORTS)
