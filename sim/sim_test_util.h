// Helpers for tests that drive a driver library through dlopen, each scenario in its own process.
//
// The driver reads its configuration once per process (at cuInit/nvmlInit), so every scenario runs
// in a forked child with its own environment: RunInChild() sets the variables, loads the
// libraries fresh and reports the child's gtest failures through its exit status.
// By default the simulated libraries under HAMI_SIM_LIB_DIR are loaded; HAMI_TEST_DRIVER=system
// loads the real libcuda.so.1/libnvidia-ml.so.1 from the loader path instead.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace hami::sim::testing {

struct Driver {
  void* cuda = nullptr;
  void* nvml = nullptr;
  // The address of `name` in the CUDA (or NVML) library; fails the test when absent.
  void* Cuda(const char* name) const;
  void* Nvml(const char* name) const;
};

// Loads both libraries (RTLD_NOW | RTLD_LOCAL).
Driver LoadDriver();

using Env = std::vector<std::pair<std::string, std::string>>;

// Sets `env` in this process's environment (a value "<unset>" unsets it).
void ApplyEnv(const Env& env);

// Runs `body` in a forked child whose environment has `env` set (a value "<unset>" unsets it);
// returns the child's exit status (0 when none of its expectations failed).
int RunInChild(const Env& env, const std::function<void()>& body);

// A fresh path for a shared-state file, removed by the caller.
std::string TempStatePath();

// A fixture for tests that run scenarios on a simulated machine: each test gets its own
// shared-state path (removed after it).
class SimMachineTest : public ::testing::Test {
 protected:
  void TearDown() override;

  // The environment of a machine with HAMI_SIM_GPUS=`gpus` and this test's state file;
  // HAMI_SIM_MIG, CUDA_VISIBLE_DEVICES and HAMI_SIM_CONTEXT_MIB unset. Variables are applied in
  // order, so `extra` overrides these.
  Env Machine(const std::string& gpus, const Env& extra = {}) const;

  const std::string state_ = TempStatePath();
};

}  // namespace hami::sim::testing

// Calls a CUDA/NVML entry point of `driver` by name with its declared prototype.
#define CU(driver, fn) (reinterpret_cast<decltype(&(fn))>((driver).Cuda(#fn)))
#define NVML(driver, fn) (reinterpret_cast<decltype(&(fn))>((driver).Nvml(#fn)))
