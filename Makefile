# Makefile: a thin wrapper over meson. Each target installs missing Debian packages,
# configures its build directory when needed, builds, then runs.

BUILD ?= build
ASAN_BUILD ?= build-asan
MESON_FLAGS ?= -Dwerror=true
ASAN_FLAGS = -Db_sanitize=address,undefined -Db_lundef=false

.PHONY: all deps-build deps-check deps-bench demo check check-asan bench clean

all: deps-build $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps-build:
	@build-aux/install-deps.sh build

deps-check:
	@build-aux/install-deps.sh check

deps-bench:
	@build-aux/install-deps.sh bench

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_FLAGS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_FLAGS) $(ASAN_FLAGS)

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

# xulstore against the legacy JSON store and plain SQLite; results in build/bench/.
bench: deps-bench $(BUILD)/build.ninja
	ninja -C $(BUILD)
	$(BUILD)/bench/xulstore-bench --output $(BUILD)/bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
