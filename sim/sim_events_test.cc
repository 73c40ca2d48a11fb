// The simulated NVML's event API and fault injection through the C ABI, with hami-sim-ctl
// posting into the shared state from outside: an XID reaches every process registered on that
// GPU (and no other), XID 79 leaves the GPU lost until cleared, and per-process utilization
// splits a GPU's busy time between the processes that shared it.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"
#include "sim/sim_test_util.h"

namespace hami::sim::testing {
namespace {

constexpr char kGpus[] = "2xT4-16GB";

// Runs `body` in a child process with `env` without waiting for it.
pid_t Spawn(const Env& env, const std::function<void()>& body) {
  std::fflush(stdout);
  pid_t child = fork();
  if (child == 0) _exit(RunInChild(env, body));
  return child;
}

int Join(pid_t child) {
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class SimEvents : public SimMachineTest {
 protected:
  // Runs hami-sim-ctl with this machine's environment; its exit status.
  int Ctl(const std::string& args) const {
    std::string command = std::string("HAMI_SIM_GPUS=") + kGpus + " HAMI_SIM_STATE=" + state_ +
                          " " + HAMI_SIM_CTL + " " + args + " >/dev/null";
    int rc = std::system(command.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
};

// A child that registers for XIDs on GPU `index`, tells the parent through `ready`, then waits up
// to `wait_ms`; exits 0 when what it got matches `want_xid` (0: a timeout).
pid_t Waiter(const Env& env, unsigned index, int ready, unsigned wait_ms,
             unsigned long long want_xid) {
  return Spawn(env, [=] {
    Driver d = LoadDriver();
    ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
    nvmlDevice_t dev = nullptr;
    ASSERT_EQ(NVML(d, nvmlDeviceGetHandleByIndex_v2)(index, &dev), NVML_SUCCESS);
    nvmlEventSet_t set = nullptr;
    ASSERT_EQ(NVML(d, nvmlEventSetCreate)(&set), NVML_SUCCESS);
    unsigned long long supported = 0;
    ASSERT_EQ(NVML(d, nvmlDeviceGetSupportedEventTypes)(dev, &supported), NVML_SUCCESS);
    EXPECT_EQ(supported, static_cast<unsigned long long>(nvmlEventTypeXidCriticalError));
    ASSERT_EQ(NVML(d, nvmlDeviceRegisterEvents)(dev, nvmlEventTypeXidCriticalError, set),
              NVML_SUCCESS);
    (void)!write(ready, "r", 1);
    nvmlEventData_t data{};
    nvmlReturn_t rc = NVML(d, nvmlEventSetWait_v2)(set, &data, wait_ms);
    if (want_xid == 0) {
      EXPECT_EQ(rc, NVML_ERROR_TIMEOUT);
    } else {
      ASSERT_EQ(rc, NVML_SUCCESS);
      EXPECT_EQ(data.device, dev);
      EXPECT_EQ(data.eventType, static_cast<unsigned long long>(nvmlEventTypeXidCriticalError));
      EXPECT_EQ(data.eventData, want_xid);
      EXPECT_EQ(data.gpuInstanceId, NVML_VALUE_NOT_AVAILABLE_UINT);
    }
    EXPECT_EQ(NVML(d, nvmlEventSetFree)(set), NVML_SUCCESS);
    EXPECT_EQ(NVML(d, nvmlEventSetFree)(set), NVML_ERROR_INVALID_ARGUMENT);
  });
}

TEST_F(SimEvents, XidReachesEveryProcessRegisteredOnThatGpu) {
  Env env = Machine(kGpus);
  ASSERT_EQ(RunInChild(env, [] { ASSERT_EQ(NVML(LoadDriver(), nvmlInit_v2)(), NVML_SUCCESS); }),
            0);  // creates the state file
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t a = Waiter(env, 0, ready[1], 10000, 48);
  pid_t b = Waiter(env, 0, ready[1], 10000, 48);
  pid_t other = Waiter(env, 1, ready[1], 300, 0);
  char c;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(Ctl("xid --gpu 0 --code 48"), 0);
  EXPECT_EQ(Join(a), 0);
  EXPECT_EQ(Join(b), 0);
  EXPECT_EQ(Join(other), 0);
  close(ready[0]);
  close(ready[1]);
}

TEST_F(SimEvents, SetsSeeOnlyEventsAfterRegistrationAndTimeOut) {
  Env env = Machine(kGpus);
  ASSERT_EQ(RunInChild(env, [] { ASSERT_EQ(NVML(LoadDriver(), nvmlInit_v2)(), NVML_SUCCESS); }), 0);
  EXPECT_EQ(Ctl("xid --gpu 0 --code 31"), 0);  // before anyone registered
  EXPECT_EQ(
      RunInChild(
          env,
          [] {
            Driver d = LoadDriver();
            ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
            nvmlDevice_t dev = nullptr;
            NVML(d, nvmlDeviceGetHandleByIndex_v2)(0, &dev);
            nvmlEventSet_t set = nullptr;
            ASSERT_EQ(NVML(d, nvmlEventSetCreate)(&set), NVML_SUCCESS);
            EXPECT_EQ(NVML(d, nvmlDeviceRegisterEvents)(dev, nvmlEventTypeDoubleBitEccError, set),
                      NVML_ERROR_NOT_SUPPORTED);
            ASSERT_EQ(NVML(d, nvmlDeviceRegisterEvents)(dev, nvmlEventTypeXidCriticalError, set),
                      NVML_SUCCESS);
            nvmlEventData_t data{};
            auto t0 = std::chrono::steady_clock::now();
            EXPECT_EQ(NVML(d, nvmlEventSetWait_v2)(set, &data, 100), NVML_ERROR_TIMEOUT);
            EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
            EXPECT_EQ(NVML(d, nvmlEventSetWait_v2)(set, nullptr, 0), NVML_ERROR_INVALID_ARGUMENT);
            NVML(d, nvmlEventSetFree)(set);
          }),
      0);
}

TEST_F(SimEvents, Xid79LeavesTheGpuLostUntilCleared) {
  Env env = Machine(kGpus);
  auto memory_rc = [&](unsigned index) {
    return RunInChild(env, [index] {
      Driver d = LoadDriver();
      ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
      nvmlDevice_t dev = nullptr;
      ASSERT_EQ(NVML(d, nvmlDeviceGetHandleByIndex_v2)(index, &dev), NVML_SUCCESS);
      char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
      EXPECT_EQ(NVML(d, nvmlDeviceGetUUID)(dev, uuid, sizeof(uuid)), NVML_SUCCESS);
      nvmlMemory_t memory{};
      _exit(static_cast<int>(NVML(d, nvmlDeviceGetMemoryInfo)(dev, &memory)));
    });
  };
  EXPECT_EQ(Ctl("status"), 1);  // no state file yet: refused, nothing created
  ASSERT_EQ(memory_rc(0), NVML_SUCCESS);
  EXPECT_EQ(Ctl("xid --gpu 0 --code 43"), 0);  // not lost
  EXPECT_EQ(memory_rc(0), NVML_SUCCESS);
  EXPECT_EQ(Ctl("xid --gpu 0 --code 79"), 0);
  EXPECT_EQ(memory_rc(0), NVML_ERROR_GPU_IS_LOST);
  EXPECT_EQ(memory_rc(1), NVML_SUCCESS);
  EXPECT_EQ(Ctl("xid --gpu 1 --code 48 --lost"), 0);
  EXPECT_EQ(memory_rc(1), NVML_ERROR_GPU_IS_LOST);
  EXPECT_EQ(Ctl("clear --gpu 0"), 0);
  EXPECT_EQ(memory_rc(0), NVML_SUCCESS);
  EXPECT_EQ(Ctl("xid --gpu 5 --code 79"), 1);
  EXPECT_EQ(Ctl("xid --gpu 0"), 2);
}

// Two processes keep GPU 0 busy in turn; the per-process samples name both, each with about half
// of the window, and add up to the GPU's utilization.
TEST_F(SimEvents, ProcessUtilizationSplitsTheGpuBetweenProcesses) {
  Env env = Machine(kGpus, {{"HAMI_SIM_NS_PER_BLOCK", "1000"}, {"HAMI_SIM_UTIL_WINDOW_MS", "400"}});
  int done[2];
  ASSERT_EQ(pipe(done), 0);
  auto worker = [&] {
    return Spawn(env, [&] {
      Driver d = LoadDriver();
      ASSERT_EQ(CU(d, cuInit)(0), CUDA_SUCCESS);
      CUcontext ctx = nullptr;
      ASSERT_EQ(CU(d, cuDevicePrimaryCtxRetain)(&ctx, 0), CUDA_SUCCESS);
      ASSERT_EQ(CU(d, cuCtxSetCurrent)(ctx), CUDA_SUCCESS);
      static const char kImage[] = "simulated cubin";
      CUmodule module = nullptr;
      ASSERT_EQ(CU(d, cuModuleLoadData)(&module, kImage), CUDA_SUCCESS);
      CUfunction f = nullptr;
      ASSERT_EQ(CU(d, cuModuleGetFunction)(&f, module, "busy"), CUDA_SUCCESS);
      for (int i = 0; i < 60; ++i) {  // 60 x 10 ms, serialized with the other worker
        ASSERT_EQ(CU(d, cuLaunchKernel)(f, 10000, 1, 1, 128, 1, 1, 0, nullptr, nullptr, nullptr),
                  CUDA_SUCCESS);
        ASSERT_EQ(CU(d, cuCtxSynchronize)(), CUDA_SUCCESS);
      }
      char c;
      (void)!read(done[0], &c, 1);  // stay alive until the parent has sampled
    });
  };
  pid_t a = worker();
  pid_t b = worker();
  usleep(700 * 1000);  // both have run for most of a window (the workload's pace, not a wait)
  EXPECT_EQ(RunInChild(env,
                       [&] {
                         Driver d = LoadDriver();
                         ASSERT_EQ(NVML(d, nvmlInit_v2)(), NVML_SUCCESS);
                         nvmlDevice_t dev = nullptr;
                         NVML(d, nvmlDeviceGetHandleByIndex_v2)(0, &dev);
                         unsigned n = 0;
                         ASSERT_EQ(NVML(d, nvmlDeviceGetProcessUtilization)(dev, nullptr, &n, 0),
                                   NVML_ERROR_INSUFFICIENT_SIZE);
                         ASSERT_EQ(n, 2u);
                         nvmlProcessUtilizationSample_t samples[2];
                         ASSERT_EQ(NVML(d, nvmlDeviceGetProcessUtilization)(dev, samples, &n, 0),
                                   NVML_SUCCESS);
                         ASSERT_EQ(n, 2u);
                         EXPECT_NE(samples[0].pid, samples[1].pid);
                         for (const auto& sample : samples) {
                           EXPECT_GE(sample.smUtil, 30u) << sample.pid;
                           EXPECT_LE(sample.smUtil, 70u) << sample.pid;
                         }
                         std::printf("per-process smUtil %u%% and %u%%\n", samples[0].smUtil,
                                     samples[1].smUtil);
                       }),
            0);
  (void)!write(done[1], "dd", 2);
  EXPECT_EQ(Join(a), 0);
  EXPECT_EQ(Join(b), 0);
  close(done[0]);
  close(done[1]);
}

}  // namespace
}  // namespace hami::sim::testing
