# The two set-up commands of the README: `make demo` and `make test`. Each installs the one
# system dependency (libcurl's headers) when it is missing.
SWIFT ?= swift
RELEASE_BIN = .build/release
DEBUG_BIN = .build/debug

.PHONY: deps test-deps build release test test-daemon unit golden golden-update demo bench fuzz fuzz-build \
	clean install test-ops test-install

deps:
	@pkg-config --exists libcurl 2>/dev/null || { \
	  echo "installing libcurl4-openssl-dev (needs root)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libcurl4-openssl-dev pkg-config; }

# The golden cases use jq and python3 (tests only; the tools never run them).
test-deps: deps
	@command -v jq >/dev/null && command -v python3 >/dev/null || { \
	  echo "installing jq and python3 for the tests (needs root)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq jq python3; }

build: deps
	$(SWIFT) build

# The Swift standard library and Foundation are linked statically, so the tools run on a machine
# without a Swift toolchain (`make install`); demo, bench and install share this one build.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	Tests/Golden/run.sh $(DEBUG_BIN)
	Tests/ScaleOut/run.sh $(DEBUG_BIN)
	Tests/Ops/run.sh $(DEBUG_BIN)

# tsfm-forecast against the real tollama daemon (mock model), installed into .build/tollama-venv
# from $(TOLLAMA_SRC) or ../shared/vendor/tollama-*.tar.gz; skips, saying so, when neither exists.
test-daemon: build
	@python3 -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "installing python3-venv (needs root)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq python3-venv; }
	Tests/Daemon/run.sh $(DEBUG_BIN)

unit: deps
	$(SWIFT) test

golden: build test-deps
	Tests/Golden/run.sh $(DEBUG_BIN)

# Re-records every golden case from the current tools: commit the result on its own, after
# reading the diff.
golden-update: build
	Tests/Golden/run.sh --update $(DEBUG_BIN)

demo: release
	@bash examples/demo.sh $(RELEASE_BIN)

bench: release
	@bash bench/run.sh $(RELEASE_BIN)

# libFuzzer over the parsers of untrusted input (Fuzz/tsfm-fuzz), each target for FUZZ_SECONDS from
# its corpus in Tests/Fuzz/corpus/; fails on a crash, leak, timeout or over-limit allocation.
# A separate scratch path: the sanitizer flags would rebuild everything in .build.
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= ndjson json quote request post apply eval params
FUZZ_BUILD = .build-fuzz

fuzz-build: deps
	TSFM_FUZZ=1 $(SWIFT) build --scratch-path $(FUZZ_BUILD) --product tsfm-fuzz -Xswiftc -sanitize=fuzzer,address

fuzz: fuzz-build
	Fuzz/run.sh $(FUZZ_BUILD)/debug/tsfm-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The five tools (release, Swift runtime linked statically), bash/zsh/fish completions and man
# pages into $(DESTDIR)$(PREFIX); see docs/install.md.
PREFIX ?= /usr/local
DESTDIR ?=
install: release
	@bash ops/install.sh --prefix "$(PREFIX)" --destdir "$(DESTDIR)" $(RELEASE_BIN)

# The alert rules (promtool check/test rules), the metrics fixtures against docs/metrics.md and
# ops/models.json; installs promtool (Debian package prometheus) when missing. Part of `make test`.
test-ops:
	Tests/Ops/run.sh $(DEBUG_BIN)

# `make install` into a temporary prefix: no libswift in ldd, runs with the toolchain hidden,
# completions and man pages present. Reuses the release build of `make demo` (.ci/run).
test-install: release
	Tests/Ops/install.sh $(RELEASE_BIN)

clean:
	rm -rf .build $(FUZZ_BUILD)
