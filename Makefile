# Entry points. `make demo` runs the main job, `make test` runs every test (what CI runs).
OUT       ?= $(CURDIR)/_output
BUILD_DIR ?= $(OUT)/build
JOBS      ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test fuzz asan tsan coverage unit e2e bench demo tools up down clean

all: build

deps:
	@bash hack/deps.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAMI_OUTPUT_DIR=$(OUT) -DHAMI_WERROR=ON

configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHAMI_OUTPUT_DIR=$(OUT) -DHAMI_WERROR=ON >/dev/null

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test: unit, integration against the simulated driver, e2e on the local control plane.
# Tests labelled `gpu` skip themselves (reported as skipped) where no GPU exists.
# hack/test.sh runs the gates on the clang `check` build (_output/check) first: the fuzz gate (every
# libFuzzer target for FUZZ_RUNS inputs from seed 1; FUZZ_RUNS=0 skips it), the ASan+UBSan run of
# the unit and integration tests (ASAN_GATE=0 skips it and coverage), the coverage floors
# (COVERAGE_GATE=0 skips), the TSan run of the concurrent tests (TSAN_GATE=0 skips), then every
# ctest of the main build, and ends with one summary line.
FUZZ_RUNS ?= 20000
ASAN_GATE ?= 1
COVERAGE_GATE ?= 1
TSAN_GATE ?= 1
test: build
	@BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) CTEST_ARGS="$(CTEST_ARGS)" FUZZ_RUNS=$(FUZZ_RUNS) \
	  ASAN_GATE=$(ASAN_GATE) COVERAGE_GATE=$(COVERAGE_GATE) TSAN_GATE=$(TSAN_GATE) bash hack/test.sh

# One gate alone: `make asan` (ASan+UBSan tests, CTEST_ARGS e.g. "-R region"), `make coverage`
# (asan, then the floors), `make tsan` (TSAN_TESTS e.g. "k8s_test").
asan:
	JOBS=$(JOBS) bash hack/asan.sh $(CTEST_ARGS)

coverage: asan
	bash hack/coverage.sh

tsan:
	JOBS=$(JOBS) bash hack/tsan.sh $(TSAN_TESTS)

# Fuzz exploration (random seed, time-bounded), all targets or some:
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=quantity_fuzz
FUZZ_SECONDS ?= 60
fuzz:
	bash hack/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

e2e: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L e2e $(CTEST_ARGS)

# Local control plane (kube-apiserver, etcd, kube-scheduler built from the Go module proxy, cached).
tools:
	bash hack/build-tools.sh

up: build
	bash hack/local-up.sh

down:
	bash hack/local-down.sh

bench: build
	bash hack/bench.sh

demo: build
	bash hack/demo.sh

clean:
	rm -rf $(OUT)
