# klozeo: the two commands a newcomer needs are `make run` and `make test`.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
# CI builds with warnings as errors.
CMAKE_EXTRA := $(if $(CI),-DKLOZEO_WERROR=ON,)
DB ?= sqlite:./klozeo.db
FORMAT_DIRS := src tests bench

.PHONY: all deps configure build run test bench fuzz format format-check clean

all: build

deps:
	./scripts/install-deps.sh

configure: deps
	cmake --preset $(PRESET) $(CMAKE_EXTRA)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

## Install dependencies, build, and start the server on ./klozeo.db (Ctrl-C stops it).
run: build
	$(BUILD_DIR)/klozeo serve --db $(DB)

## Install dependencies, build, and run every test: SQLite, and PostgreSQL on a throwaway
## cluster (scripts/with-postgres.sh) unless KLOZEO_TEST_PG_DSN names a server already.
WITH_PG := $(if $(KLOZEO_TEST_PG_DSN),,./scripts/with-postgres.sh)
test: build
	$(WITH_PG) ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 600

## Benchmarks (not part of `make test`): writes bench/RESULTS.md.
bench: build
	./bench/run.sh $(BUILD_DIR)

## Fuzz the expression and filter parsers for 10 minutes each (`make test`: 20 s). Needs clang.
FUZZ_SECONDS ?= 600
fuzz: build
	./tests/fuzz/run_fuzz.sh $(BUILD_DIR)/tests/fuzz/expr_parser_fuzz tests/fuzz/corpus/expr \
	  $(BUILD_DIR)/tests/fuzz/expr_work_long $(FUZZ_SECONDS) tests/fuzz/expr/expr.dict
	./tests/fuzz/run_fuzz.sh $(BUILD_DIR)/tests/fuzz/filter_parser_fuzz tests/fuzz/corpus/query \
	  $(BUILD_DIR)/tests/fuzz/filter_work_long $(FUZZ_SECONDS)

format:
	find $(FORMAT_DIRS) -name '*.cpp' -o -name '*.h' | xargs clang-format -i

format-check:
	find $(FORMAT_DIRS) -name '*.cpp' -o -name '*.h' | xargs clang-format --dry-run -Werror

clean:
	rm -rf build
