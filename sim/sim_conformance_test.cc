// Behaviour the simulated driver shares with the real one, checked the same way on both: run as
// part of sim_integration_test against the simulator, and as the `gpu`-labelled ctest
// sim_driver_conformance with HAMI_TEST_DRIVER=system against the machine's driver (skipped
// where none is installed or no GPU answers).
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "gpuapi/cuda_functions.h"
#include "sim/sim_test_util.h"

namespace hami::sim::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

bool SystemDriver() {
  const char* which = std::getenv("HAMI_TEST_DRIVER");
  return which != nullptr && std::string(which) == "system";
}

// Runs `body` in a child on the simulator (one A100) or on the system driver.
int Conformance(const std::function<void(const Driver&)>& body) {
  Env env = {{"HAMI_SIM_GPUS", "A100-40GB"},
             {"HAMI_SIM_STATE", TempStatePath()},
             {"CUDA_VISIBLE_DEVICES", "<unset>"}};
  int rc = RunInChild(env, [&] {
    if (SystemDriver()) {
      void* probe = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
      if (probe == nullptr) _exit(77);  // no driver installed
      auto init = reinterpret_cast<decltype(&cuInit)>(dlsym(probe, "cuInit"));
      if (init == nullptr || init(0) != CUDA_SUCCESS) _exit(77);  // no usable GPU
    }
    body(LoadDriver());
  });
  std::remove(env[1].second.c_str());
  return rc;
}

#define EXPECT_CONFORMS(...)                                       \
  do {                                                             \
    int rc = Conformance(__VA_ARGS__);                             \
    if (rc == 77) GTEST_SKIP() << "no GPU driver on this machine"; \
    EXPECT_EQ(rc, 0);                                              \
  } while (0)

TEST(SimConformance, CallsBeforeInitAreRefused) {
  if (SystemDriver()) GTEST_SKIP() << "the probe has already initialised the system driver";
  EXPECT_CONFORMS([](const Driver& d) {
    int count = 0;
    EXPECT_EQ(CU(d, cuDeviceGetCount)(&count), CUDA_ERROR_NOT_INITIALIZED);
    CUdevice dev = 0;
    EXPECT_EQ(CU(d, cuDeviceGet)(&dev, 0), CUDA_ERROR_NOT_INITIALIZED);
  });
}

TEST(SimConformance, AlignmentAndInvalidFrees) {
  EXPECT_CONFORMS([](const Driver& d) {
    ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
    CUcontext ctx = nullptr;
    ASSERT_EQ(CU(d, cuDevicePrimaryCtxRetain)(&ctx, 0), CUDA_SUCCESS);
    ASSERT_EQ(CU(d, cuCtxSetCurrent)(ctx), CUDA_SUCCESS);
    CUdeviceptr small = 0, big = 0;
    ASSERT_EQ(CU(d, cuMemAlloc_v2)(&small, 100), CUDA_SUCCESS);
    ASSERT_EQ(CU(d, cuMemAlloc_v2)(&big, 4 * kMiB), CUDA_SUCCESS);
    EXPECT_EQ(small % 256, 0u);
    EXPECT_EQ(big % (2 * kMiB), 0u);
    EXPECT_EQ(CU(d, cuMemAlloc_v2)(&small, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_EQ(CU(d, cuMemFree_v2)(big + 4096), CUDA_ERROR_INVALID_VALUE);
    EXPECT_EQ(CU(d, cuMemFree_v2)(big), CUDA_SUCCESS);
    EXPECT_EQ(CU(d, cuMemFree_v2)(big), CUDA_ERROR_INVALID_VALUE);
    size_t free = 0, total = 0;
    ASSERT_EQ(CU(d, cuMemGetInfo_v2)(&free, &total), CUDA_SUCCESS);
    EXPECT_LE(free, total);
    size_t device_total = 0;
    ASSERT_EQ(CU(d, cuDeviceTotalMem_v2)(&device_total, 0), CUDA_SUCCESS);
    EXPECT_EQ(device_total, total);
  });
}

TEST(SimConformance, GetProcAddressRules) {
  EXPECT_CONFORMS([](const Driver& d) {
    ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
    auto get = CU(d, cuGetProcAddress_v2);
    void* fn = nullptr;
    CUdriverProcAddressQueryResult status{};
    ASSERT_EQ(get("cuMemAlloc", &fn, 12000, 0, &status), CUDA_SUCCESS);
    EXPECT_EQ(fn, dlsym(d.cuda, "cuMemAlloc_v2"));
    EXPECT_EQ(status, CU_GET_PROC_ADDRESS_SUCCESS);
    ASSERT_EQ(get("cuGetProcAddress", &fn, 12000, 0, &status), CUDA_SUCCESS);
    EXPECT_EQ(fn, dlsym(d.cuda, "cuGetProcAddress_v2"));
    EXPECT_EQ(get("cuHamiNoSuchEntryPoint", &fn, 12000, 0, &status), CUDA_ERROR_NOT_FOUND);
    EXPECT_EQ(status, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    EXPECT_EQ(get("cuMemCreate", &fn, 10000, 0, &status), CUDA_ERROR_NOT_FOUND);
    EXPECT_EQ(status, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
  });
}

}  // namespace
}  // namespace hami::sim::testing
