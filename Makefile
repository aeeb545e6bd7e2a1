# klozeo: the two commands a newcomer needs are `make run` and `make test`.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
# CI builds with warnings as errors.
CMAKE_EXTRA := $(if $(CI),-DKLOZEO_WERROR=ON,) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
DB ?= sqlite:./klozeo.db
FORMAT_DIRS := src tests bench

.PHONY: all deps deps-server configure configure-server build build-all install run test test-asan bench soak fuzz format format-check clean

all: build

deps:
	./scripts/install-deps.sh

## Only the packages the server's build needs (no clang, PostgreSQL server, Chromium, npm).
deps-server:
	./scripts/install-deps.sh server

configure: deps
	cmake --preset $(PRESET) $(CMAKE_EXTRA) -DKLOZEO_BUILD_TESTS=ON -DKLOZEO_BUILD_BENCH=ON

## The server's build alone: tests and benchmarks are not configured, so their packages are
## not needed (the same build tree as `make test`, whose configure turns them back on).
configure-server: deps-server
	cmake --preset $(PRESET) $(CMAKE_EXTRA) -DKLOZEO_BUILD_TESTS=OFF -DKLOZEO_BUILD_BENCH=OFF

## Only the server (the `klozeo` target and the libraries it links): no tests, fuzz targets or
## benchmarks. `make test` builds those (build-all).
build: configure-server
	cmake --build $(BUILD_DIR) -j $(JOBS) --target klozeo

build-all: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

## Build and install under PREFIX (default /usr/local), staged under DESTDIR when given:
## bin/klozeo (stripped: the debug info stays in the build tree), the man page,
## etc/klozeo/klozeo.toml, the systemd unit, the docs.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix $(PREFIX) --strip

## Install dependencies, build, and start the server on ./klozeo.db (Ctrl-C stops it).
run: build
	$(BUILD_DIR)/klozeo serve --db $(DB)

## Install dependencies, build, and run every test: SQLite, and PostgreSQL on a throwaway
## cluster (scripts/with-postgres.sh) unless KLOZEO_TEST_PG_DSN names a server already; then
## the unit and integration suite again under AddressSanitizer + UndefinedBehaviorSanitizer
## (test-asan).
WITH_PG := $(if $(KLOZEO_TEST_PG_DSN),,./scripts/with-postgres.sh)
test: build-all
	$(WITH_PG) ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 600
	$(MAKE) test-asan

## The unit and integration suite built with ASan + UBSan (-O1; no fuzz targets, no benchmarks:
## the fuzz targets carry their own sanitizers), on SQLite: the `.pg` variants run the same
## code paths above the storage layer and are left out here. Any sanitizer report fails its test.
ASAN_DIR := build/asan
test-asan: deps
	cmake --preset asan $(CMAKE_EXTRA)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) --timeout 900 -E '\.pg$$'

## Benchmarks (not part of `make test`): writes bench/RESULTS.md.
bench: build-all
	./bench/run.sh $(BUILD_DIR)

## Soak test (not in CI): the release server under a mixed workload at a bounded rate for
## SOAK_SECONDS (default 1800), memory sampled every 5 s; writes the Soak section of
## bench/RESULTS.md. SOAK_RATE (requests/s, default 100) and SOAK_THREADS (default 4).
soak: build-all
	./bench/soak.sh $(BUILD_DIR)

## Fuzz the expression, filter, cursor and request-body parsers for 10 minutes each (`make test`:
## 15-20 s each). Needs clang.
FUZZ_SECONDS ?= 600
fuzz: build-all
	./tests/fuzz/run_fuzz.sh $(BUILD_DIR)/tests/fuzz/expr_parser_fuzz tests/fuzz/corpus/expr \
	  $(BUILD_DIR)/tests/fuzz/expr_work_long $(FUZZ_SECONDS) tests/fuzz/expr/expr.dict
	./tests/fuzz/run_fuzz.sh $(BUILD_DIR)/tests/fuzz/filter_parser_fuzz tests/fuzz/corpus/query \
	  $(BUILD_DIR)/tests/fuzz/filter_work_long $(FUZZ_SECONDS)
	./tests/fuzz/run_fuzz.sh $(BUILD_DIR)/tests/fuzz/cursor_decoder_fuzz tests/fuzz/corpus/cursor \
	  $(BUILD_DIR)/tests/fuzz/cursor_work_long $(FUZZ_SECONDS)
	./tests/fuzz/run_fuzz.sh $(BUILD_DIR)/tests/fuzz/request_mapping_fuzz tests/fuzz/corpus/request \
	  $(BUILD_DIR)/tests/fuzz/request_work_long $(FUZZ_SECONDS)

format:
	find $(FORMAT_DIRS) -name node_modules -prune -o \( -name '*.cpp' -o -name '*.h' \) -print | xargs clang-format -i

format-check:
	find $(FORMAT_DIRS) -name node_modules -prune -o \( -name '*.cpp' -o -name '*.h' \) -print | xargs clang-format --dry-run -Werror

clean:
	rm -rf build
