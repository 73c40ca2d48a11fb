# Entry points. `make demo` runs the main job, `make test` runs every test (what CI runs).
OUT       ?= $(CURDIR)/_output
BUILD_DIR ?= $(OUT)/build
JOBS      ?= $(shell nproc)
CTEST_ARGS ?=

.PHONY: all deps configure build test fuzz unit e2e bench demo tools up down clean

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
# hack/test.sh runs the fuzz gate (every libFuzzer target for FUZZ_RUNS inputs from seed 1, clang
# ASan+UBSan, bounded and repeatable for one build; FUZZ_RUNS=0 skips it), then every ctest, and ends
# with one summary line.
FUZZ_RUNS ?= 20000
test: build
	@BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) CTEST_ARGS="$(CTEST_ARGS)" FUZZ_RUNS=$(FUZZ_RUNS) bash hack/test.sh

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
