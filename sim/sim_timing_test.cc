// Simulated kernel time through the C ABI: launches are asynchronous and take
// blocks x HAMI_SIM_NS_PER_BLOCK, synchronization waits for them, events time them, NVML reports
// the busy fraction, and processes sharing a GPU are serialized. Bounds are generous (CI noise).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"
#include "sim/sim_test_util.h"

namespace hami::sim::testing {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

class SimTiming : public ::testing::Test {
 protected:
  void TearDown() override { std::remove(state_.c_str()); }
  // Variables are applied in order, so `extra` overrides the defaults.
  Env Machine(const Env& extra = {}) {
    Env env = {{"HAMI_SIM_GPUS", "2xA100-40GB"},
               {"HAMI_SIM_STATE", state_},
               {"HAMI_SIM_NS_PER_BLOCK", "1000"},  // 1000 blocks = 1 ms
               {"HAMI_SIM_UTIL_WINDOW_MS", "<unset>"},
               {"CUDA_VISIBLE_DEVICES", "<unset>"}};
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  }
  std::string state_ = TempStatePath();
};

// Initializes, makes device 0's primary context current and returns a kernel handle.
CUfunction Kernel(const Driver& d) {
  EXPECT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
  CUcontext ctx = nullptr;
  EXPECT_EQ(CU(d, cuDevicePrimaryCtxRetain)(&ctx, 0), CUDA_SUCCESS);
  EXPECT_EQ(CU(d, cuCtxSetCurrent)(ctx), CUDA_SUCCESS);
  static const char kImage[] = "simulated cubin";
  CUmodule module = nullptr;
  EXPECT_EQ(CU(d, cuModuleLoadData)(&module, kImage), CUDA_SUCCESS);
  CUfunction f = nullptr;
  EXPECT_EQ(CU(d, cuModuleGetFunction)(&f, module, "busy"), CUDA_SUCCESS);
  return f;
}

CUresult LaunchBlocks(const Driver& d, CUfunction f, unsigned blocks, CUstream stream = nullptr) {
  return CU(d, cuLaunchKernel)(f, blocks, 1, 1, 128, 1, 1, 0, stream, nullptr, nullptr);
}

TEST_F(SimTiming, LaunchIsAsynchronousAndSynchronizeWaitsForIt) {
  EXPECT_EQ(RunInChild(
                Machine(),
                [] {
                  Driver d = LoadDriver();
                  CUfunction f = Kernel(d);
                  CUevent start = nullptr, stop = nullptr;
                  ASSERT_EQ(CU(d, cuEventCreate)(&start, 0), CUDA_SUCCESS);
                  ASSERT_EQ(CU(d, cuEventCreate)(&stop, 0), CUDA_SUCCESS);
                  auto t0 = Clock::now();
                  ASSERT_EQ(CU(d, cuEventRecord)(start, nullptr), CUDA_SUCCESS);
                  ASSERT_EQ(LaunchBlocks(d, f, 60000), CUDA_SUCCESS);  // 60 ms
                  ASSERT_EQ(CU(d, cuEventRecord)(stop, nullptr), CUDA_SUCCESS);
                  double launch_ms = MsSince(t0);
                  EXPECT_LT(launch_ms, 20.0);
                  EXPECT_EQ(CU(d, cuStreamQuery)(nullptr), CUDA_ERROR_NOT_READY);
                  float elapsed = 0;
                  EXPECT_EQ(CU(d, cuEventElapsedTime)(&elapsed, start, stop), CUDA_ERROR_NOT_READY);
                  ASSERT_EQ(CU(d, cuStreamSynchronize)(nullptr), CUDA_SUCCESS);
                  double sync_ms = MsSince(t0);
                  EXPECT_GE(sync_ms, 60.0);
                  EXPECT_LT(sync_ms, 60.0 + 200.0);
                  EXPECT_EQ(CU(d, cuStreamQuery)(nullptr), CUDA_SUCCESS);
                  ASSERT_EQ(CU(d, cuEventElapsedTime)(&elapsed, start, stop), CUDA_SUCCESS);
                  EXPECT_NEAR(elapsed, 60.0, 1.0);
                  std::printf(
                      "launch returned after %.3f ms; synchronize after %.1f ms; events %.2f ms\n",
                      launch_ms, sync_ms, elapsed);
                }),
            0);
}

TEST_F(SimTiming, LaunchValidationLikeTheDriver) {
  EXPECT_EQ(
      RunInChild(
          Machine(),
          [] {
            Driver d = LoadDriver();
            CUfunction f = Kernel(d);
            auto launch = CU(d, cuLaunchKernel);
            EXPECT_EQ(launch(f, 0, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr),
                      CUDA_ERROR_INVALID_VALUE);
            EXPECT_EQ(launch(f, 1, 1, 1, 2048, 1, 1, 0, nullptr, nullptr, nullptr),
                      CUDA_ERROR_INVALID_VALUE);
            EXPECT_EQ(launch(f, 1, 70000, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr),
                      CUDA_ERROR_INVALID_VALUE);
            EXPECT_EQ(launch(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr),
                      CUDA_ERROR_INVALID_HANDLE);
            EXPECT_EQ(
                launch(f, 1, 1, 1, 1, 1, 1, 0, reinterpret_cast<CUstream>(0x77), nullptr, nullptr),
                CUDA_ERROR_INVALID_HANDLE);
            EXPECT_EQ(
                CU(d, cuLaunchCooperativeKernel)(f, 1000, 1, 1, 1024, 1, 1, 0, nullptr, nullptr),
                CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE);  // 108 SMs x 2 blocks of 1024 threads
            EXPECT_EQ(
                CU(d, cuLaunchCooperativeKernel)(f, 216, 1, 1, 1024, 1, 1, 0, nullptr, nullptr),
                CUDA_SUCCESS);
            CUlaunchConfig config{};
            config.gridDimX = config.gridDimY = config.gridDimZ = 1;
            config.blockDimX = config.blockDimY = config.blockDimZ = 1;
            EXPECT_EQ(CU(d, cuLaunchKernelEx)(&config, f, nullptr, nullptr), CUDA_SUCCESS);
            EXPECT_EQ(CU(d, cuLaunchKernelEx)(nullptr, f, nullptr, nullptr),
                      CUDA_ERROR_INVALID_VALUE);
          }),
      0);
}

TEST_F(SimTiming, GraphLaunchRunsItsKernels) {
  EXPECT_EQ(
      RunInChild(
          Machine(),
          [] {
            Driver d = LoadDriver();
            CUfunction f = Kernel(d);
            CUgraph graph = nullptr;
            ASSERT_EQ(CU(d, cuGraphCreate)(&graph, 0), CUDA_SUCCESS);
            CUDA_KERNEL_NODE_PARAMS_v2 params{};
            params.func = f;
            params.gridDimX = 20000;  // 20 ms per node
            params.gridDimY = params.gridDimZ = 1;
            params.blockDimX = params.blockDimY = params.blockDimZ = 1;
            CUgraphNode a = nullptr, b = nullptr;
            ASSERT_EQ(CU(d, cuGraphAddKernelNode_v2)(&a, graph, nullptr, 0, &params), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuGraphAddKernelNode_v2)(&b, graph, &a, 1, &params), CUDA_SUCCESS);
            CUgraphExec exec = nullptr;
            ASSERT_EQ(CU(d, cuGraphInstantiateWithFlags)(&exec, graph, 0), CUDA_SUCCESS);
            auto t0 = Clock::now();
            ASSERT_EQ(CU(d, cuGraphLaunch)(exec, nullptr), CUDA_SUCCESS);
            ASSERT_EQ(CU(d, cuCtxSynchronize)(), CUDA_SUCCESS);
            double ms = MsSince(t0);
            EXPECT_GE(ms, 40.0);
            EXPECT_LT(ms, 40.0 + 200.0);
          }),
      0);
}

TEST_F(SimTiming, NvmlUtilizationReportsTheBusyFraction) {
  EXPECT_EQ(
      RunInChild(
          Machine({{"HAMI_SIM_UTIL_WINDOW_MS", "200"}}),
          [] {
            Driver d = LoadDriver();
            CUfunction f = Kernel(d);
            ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
            nvmlDevice_t busy = nullptr, idle = nullptr;
            NVML(d, nvmlDeviceGetHandleByIndex_v2)(0, &busy);
            NVML(d, nvmlDeviceGetHandleByIndex_v2)(1, &idle);
            for (int i = 0; i < 3; ++i) {
              ASSERT_EQ(LaunchBlocks(d, f, 100000), CUDA_SUCCESS);  // 300 ms
            }
            ASSERT_EQ(CU(d, cuCtxSynchronize)(), CUDA_SUCCESS);
            nvmlUtilization_t util{};
            ASSERT_EQ(NVML(d, nvmlDeviceGetUtilizationRates)(busy, &util), NVML_SUCCESS);
            EXPECT_GE(util.gpu, 95u);
            ASSERT_EQ(NVML(d, nvmlDeviceGetUtilizationRates)(idle, &util), NVML_SUCCESS);
            EXPECT_EQ(util.gpu, 0u);
            nvmlProcessUtilizationSample_t samples[4];
            unsigned n = 4;
            ASSERT_EQ(NVML(d, nvmlDeviceGetProcessUtilization)(busy, samples, &n, 0), NVML_SUCCESS);
            ASSERT_EQ(n, 1u);
            EXPECT_EQ(samples[0].pid, static_cast<unsigned>(getpid()));
            EXPECT_GE(samples[0].smUtil, 95u);
            n = 4;
            EXPECT_EQ(NVML(d, nvmlDeviceGetProcessUtilization)(idle, samples, &n, 0),
                      NVML_ERROR_NOT_FOUND);

            // Half duty cycle: 5 ms of work per 10 ms of host time, measured over the 200 ms
            // window.
            auto t0 = Clock::now();
            for (int i = 0; i < 30; ++i) {
              ASSERT_EQ(LaunchBlocks(d, f, 5000), CUDA_SUCCESS);
              ASSERT_EQ(CU(d, cuCtxSynchronize)(), CUDA_SUCCESS);
              while (MsSince(t0) < 10.0 * (i + 1)) usleep(200);  // pacing the workload, not a wait
            }
            ASSERT_EQ(NVML(d, nvmlDeviceGetUtilizationRates)(busy, &util), NVML_SUCCESS);
            EXPECT_GE(util.gpu, 35u);
            EXPECT_LE(util.gpu, 65u);
            std::printf(
                "busy window utilization 100%% expected >=95; half duty cycle measured %u%%\n",
                util.gpu);
          }),
      0);
}

TEST_F(SimTiming, ProcessesOnOneGpuAreSerialized) {
  Env env = Machine();
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t children[2];
  for (pid_t& child : children) {
    child = fork();
    if (child == 0) {
      close(go[1]);
      int rc = RunInChild(env, [&] {
        Driver d = LoadDriver();
        CUfunction f = Kernel(d);
        char c;
        (void)!read(go[0], &c, 1);  // both start when the parent closes the pipe
        auto t0 = Clock::now();
        ASSERT_EQ(LaunchBlocks(d, f, 100000), CUDA_SUCCESS);  // 100 ms each
        ASSERT_EQ(CU(d, cuCtxSynchronize)(), CUDA_SUCCESS);
        double ms = MsSince(t0);
        // One of the two waits for the other: it finishes after about 200 ms.
        std::printf("pid %d: finished after %.1f ms\n", getpid(), ms);
        _exit(ms >= 190.0 ? 2 : (ms >= 100.0 ? 0 : 1));
      });
      _exit(rc);
    }
  }
  close(go[0]);
  close(go[1]);
  int codes[2];
  for (int i = 0; i < 2; ++i) {
    int status = 0;
    waitpid(children[i], &status, 0);
    codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // Exactly one finished after ~100 ms (exit 0) and the other after ~200 ms (exit 2).
  EXPECT_EQ(codes[0] + codes[1], 2) << codes[0] << " " << codes[1];
  EXPECT_TRUE((codes[0] == 0 && codes[1] == 2) || (codes[0] == 2 && codes[1] == 0));
}

}  // namespace
}  // namespace hami::sim::testing
