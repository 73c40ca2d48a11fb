#include "sim/sim_test_util.h"

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

namespace hami::sim::testing {
namespace {

void* Resolve(void* lib, const char* name) {
  void* fn = lib == nullptr ? nullptr : dlsym(lib, name);
  EXPECT_NE(fn, nullptr) << "missing symbol " << name;
  return fn;
}

}  // namespace

void* Driver::Cuda(const char* name) const { return Resolve(cuda, name); }
void* Driver::Nvml(const char* name) const { return Resolve(nvml, name); }

Driver LoadDriver() {
  const char* which = std::getenv("HAMI_TEST_DRIVER");
  bool system = which != nullptr && std::string(which) == "system";
  std::string dir = system ? "" : std::string(HAMI_SIM_LIB_DIR) + "/";
  Driver d;
  d.cuda = dlopen((dir + "libcuda.so.1").c_str(), RTLD_NOW | RTLD_LOCAL);
  d.nvml = dlopen((dir + "libnvidia-ml.so.1").c_str(), RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(d.cuda, nullptr) << dlerror();
  EXPECT_NE(d.nvml, nullptr) << dlerror();
  return d;
}

void ApplyEnv(const Env& env) {
  for (const auto& [name, value] : env) {
    if (value == "<unset>") {
      unsetenv(name.c_str());
    } else {
      setenv(name.c_str(), value.c_str(), 1);
    }
  }
}

int RunInChild(const Env& env, const std::function<void()>& body) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = fork();
  if (child == 0) {
    ApplyEnv(env);
    body();
    std::fflush(stdout);
    _exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string TempStatePath() {
  static std::atomic<int> counter{0};
  return "/tmp/hami-sim-it-" + std::to_string(getpid()) + "-" + std::to_string(counter++) +
         ".state";
}

void SimMachineTest::TearDown() { std::remove(state_.c_str()); }

Env SimMachineTest::Machine(const std::string& gpus, const Env& extra) const {
  Env env = {{"HAMI_SIM_GPUS", gpus},
             {"HAMI_SIM_STATE", state_},
             {"HAMI_SIM_MIG", "<unset>"},
             {"CUDA_VISIBLE_DEVICES", "<unset>"},
             {"HAMI_SIM_CONTEXT_MIB", "<unset>"}};
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace hami::sim::testing
