# The two set-up commands of the README: `make demo` and `make test`. Each installs the one
# system dependency (libcurl's headers) when it is missing.
SWIFT ?= swift
RELEASE_BIN = .build/release
DEBUG_BIN = .build/debug

.PHONY: deps build release test unit golden golden-update demo bench fuzz fuzz-build clean

deps:
	@pkg-config --exists libcurl 2>/dev/null || { \
	  echo "installing libcurl4-openssl-dev (needs root)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libcurl4-openssl-dev pkg-config; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	Tests/Golden/run.sh $(DEBUG_BIN)

unit: deps
	$(SWIFT) test

golden: build
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

clean:
	rm -rf .build $(FUZZ_BUILD)
