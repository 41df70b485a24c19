# Makefile: a thin wrapper over meson. Each target installs missing Debian packages,
# configures its build directory when needed, builds, then runs.

BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
MESON_FLAGS ?= -Dwerror=true
ASAN_FLAGS = -Db_sanitize=address,undefined -Db_lundef=false

.PHONY: all deps-build deps-check deps-bench deps-fuzz demo check check-asan torture \
	fuzz bench clean

all: deps-build $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps-build:
	@build-aux/install-deps.sh build

deps-check:
	@build-aux/install-deps.sh check

deps-bench:
	@build-aux/install-deps.sh bench

deps-fuzz:
	@build-aux/install-deps.sh fuzz

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_FLAGS) $(ASAN_FLAGS)

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) $(MESON_FLAGS) $(ASAN_FLAGS)

# Migrates the bundled legacy profile through the xulstore tool.
demo: all
	tools/demo.sh $(BUILD)/tools/xulstore

check: deps-check $(BUILD)/build.ninja
	ninja -C $(BUILD)
	meson test -C $(BUILD) --print-errorlogs
	build-aux/check-install.sh $(BUILD)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan: deps-check $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  meson test -C $(ASAN_BUILD) --print-errorlogs --timeout-multiplier 4

# The crash and corruption campaigns at full length, with new seeds (about 30 minutes).
torture: deps-check $(BUILD)/build.ninja
	ninja -C $(BUILD)
	meson test -C $(BUILD) --setup=torture --suite reliability --verbose

# Each libFuzzer target for FUZZ_SECONDS, from a scratch copy of its corpus; see
# tests/fuzz/README.md. New inputs stay in $(FUZZ_BUILD)/corpus/.
FUZZ_TARGETS = fuzz-legacy-reader fuzz-key-decoder fuzz-db-image
fuzz: deps-fuzz $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) $(addprefix tests/fuzz/,$(FUZZ_TARGETS))
	set -e; for target in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$target; \
	  dict=tests/fuzz/$$target.dict; \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(FUZZ_BUILD)/tests/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) -timeout=25 \
	    -dict=$$dict $(FUZZ_BUILD)/corpus/$$target tests/fuzz/corpus/$$target; \
	done

# xulstore against the legacy JSON store and plain SQLite; results in build/bench/.
bench: deps-bench $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(BUILD)/bench/xulstore-bench --output $(BUILD)/bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
