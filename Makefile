# klozeo: the two commands a newcomer needs are `make run` and `make test`.
PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
# CI builds with warnings as errors.
CMAKE_EXTRA := $(if $(CI),-DKLOZEO_WERROR=ON,) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
DB ?= sqlite:./klozeo.db
FORMAT_DIRS := src tests bench

.PHONY: all deps configure build install run test bench fuzz format format-check clean

all: build

deps:
	./scripts/install-deps.sh

configure: deps
	cmake --preset $(PRESET) $(CMAKE_EXTRA)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

## Build and install under PREFIX (default /usr/local), staged under DESTDIR when given:
## bin/klozeo, the man page, etc/klozeo/klozeo.toml, the systemd unit, the docs.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix $(PREFIX)

## Install dependencies, build, and start the server on ./klozeo.db (Ctrl-C stops it).
run: build
	$(BUILD_DIR)/klozeo serve --db $(DB)

## Install dependencies, build, and run every test.
test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 600

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
