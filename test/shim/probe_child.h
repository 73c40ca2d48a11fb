// ProbeTest: runs probe programs under LD_PRELOAD=libvgpu.so on the simulated driver as child
// processes (environment, stdin/stdout pipes, line-oriented conversation) and reads the simulated
// GPU's physical memory use through the simulated NVML loaded in the test process (an independent
// witness: libvgpu is not loaded here). Needs HAMI_LIBVGPU and HAMI_SIM_LIBDIR defined.
#pragma once

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "gpuapi/nvml_functions.h"
#include "test/shim/sim_fixture.h"

namespace hami::test {

inline constexpr uint64_t kMiB = 1 << 20;

struct Child {
  pid_t pid = -1;
  int out = -1;         // child's stdout
  int in = -1;          // child's stdin
  std::string pending;  // read but not yet consumed by ReadLine
};

class ProbeTest : public SimDriverTest {
 protected:
  explicit ProbeTest(std::string prefix) : SimDriverTest(std::move(prefix)) {}

  // The base environment: libvgpu preloaded, the simulated driver, this test's files, context
  // overhead 0; `limit` (when not empty) as CUDA_DEVICE_MEMORY_LIMIT_0.
  std::map<std::string, std::string> Env(const std::string& limit,
                                         const std::string& gpus = "1xA100-40GB") {
    std::map<std::string, std::string> env = {
        {"LD_PRELOAD", HAMI_LIBVGPU},
        {"LD_LIBRARY_PATH", HAMI_SIM_LIBDIR},
        {"HAMI_SIM_GPUS", gpus},
        {"HAMI_SIM_STATE", sim_state_},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", region_path_},
        {"HAMI_CONTEXT_OVERHEAD", "0"},
    };
    if (!limit.empty()) env["CUDA_DEVICE_MEMORY_LIMIT_0"] = limit;
    return env;
  }

  static Child Spawn(const std::string& program, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, bool capture_stderr = false) {
    int out[2], in[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);  // no other child may inherit them
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    Child c;
    c.pid = fork();
    if (c.pid == 0) {
      dup2(out[1], 1);
      if (capture_stderr) dup2(out[1], 2);
      dup2(in[0], 0);
      close(out[0]);
      close(in[1]);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::vector<std::string> copy = args;
      std::string prog = program;
      std::vector<char*> argv{prog.data()};
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    c.out = out[0];
    c.in = in[1];
    return c;
  }

  // Reads the child's stdout until `needle` appears (or EOF); returns what was read.
  static std::string ReadUntil(Child& c, const std::string& needle) {
    std::string text = std::move(c.pending);
    c.pending.clear();
    char buf[4096];
    while (needle.empty() || text.find(needle) == std::string::npos) {
      ssize_t n = read(c.out, buf, sizeof(buf));
      if (n <= 0) break;
      text.append(buf, n);
    }
    return text;
  }

  // One line of the child's stdout (without '\n'); "" at EOF.
  static std::string ReadLine(Child& c) {
    char buf[4096];
    size_t nl;
    while ((nl = c.pending.find('\n')) == std::string::npos) {
      ssize_t n = read(c.out, buf, sizeof(buf));
      if (n <= 0) return std::exchange(c.pending, std::string());
      c.pending.append(buf, n);
    }
    std::string line = c.pending.substr(0, nl);
    c.pending.erase(0, nl + 1);
    return line;
  }

  // Sends one command line and returns the answer line.
  static std::string Ask(Child& c, const std::string& command) {
    const std::string line = command + "\n";
    EXPECT_EQ(write(c.in, line.data(), line.size()), static_cast<ssize_t>(line.size()));
    return ReadLine(c);
  }

  static int Wait(Child& c) {
    if (c.in >= 0) close(c.in);
    c.in = -1;
    int st = 0;
    waitpid(c.pid, &st, 0);
    close(c.out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  static int Kill(Child& c) {
    kill(c.pid, SIGKILL);
    return Wait(c);
  }

  // Runs to completion with stdin closed; (exit status, stdout).
  static std::pair<int, std::string> Run(const std::string& program,
                                         const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env,
                                         bool capture_stderr = false) {
    Child c = Spawn(program, args, env, capture_stderr);
    close(c.in);
    c.in = -1;
    std::string out = ReadUntil(c, "");
    const int rc = Wait(c);
    return {rc, out};
  }

  static uint64_t Value(const std::string& out, const std::string& key) {
    size_t p = out.find(key + "=");
    if (p == std::string::npos) return UINT64_MAX;
    return std::strtoull(out.c_str() + p + key.size() + 1, nullptr, 10);
  }

  // Physical bytes used on simulated GPU `index` (of `gpus`), read without libvgpu.
  uint64_t PhysicalUsed(int index, const std::string& gpus = "1xA100-40GB") {
    setenv("HAMI_SIM_GPUS", gpus.c_str(), 1);
    setenv("HAMI_SIM_STATE", sim_state_.c_str(), 1);
    void* nvml = dlopen(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (nvml == nullptr) return UINT64_MAX;
    auto init = reinterpret_cast<decltype(&nvmlInit_v2)>(dlsym(nvml, "nvmlInit_v2"));
    auto get = reinterpret_cast<decltype(&nvmlDeviceGetHandleByIndex_v2)>(
        dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
    auto info = reinterpret_cast<decltype(&nvmlDeviceGetMemoryInfo)>(
        dlsym(nvml, "nvmlDeviceGetMemoryInfo"));
    auto shutdown = reinterpret_cast<decltype(&nvmlShutdown)>(dlsym(nvml, "nvmlShutdown"));
    nvmlDevice_t dev;
    nvmlMemory_t m{};
    if (init() != NVML_SUCCESS) return UINT64_MAX;
    const bool ok = get(index, &dev) == NVML_SUCCESS && info(dev, &m) == NVML_SUCCESS;
    // Shut down again: the next call (maybe another test's machine) attaches afresh.
    shutdown();
    return ok ? m.used : UINT64_MAX;
  }
};

}  // namespace hami::test
