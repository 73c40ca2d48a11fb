// libvgpu.so on the simulated driver: every test runs shim_probe (a CUDA application) as a child
// process with LD_PRELOAD=libvgpu.so and LD_LIBRARY_PATH at the simulated libcuda/libnvidia-ml,
// each with its own region file and simulator state, and checks what the application observed,
// what the simulated GPU physically holds, and what the shared region says (v1 reader).
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test/shim/probe_child.h"

#include "gpuapi/nvml_functions.h"
#include "region/region.h"

namespace {

using hami::test::Child;
using hami::test::kMiB;

class ShimTest : public hami::test::ProbeTest {
 protected:
  ShimTest() : ProbeTest("hami_shim_it_") {}

  static Child Spawn(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, bool capture_stderr = false) {
    return ProbeTest::Spawn(HAMI_SHIM_PROBE, args, env, capture_stderr);
  }
  static std::pair<int, std::string> Run(const std::vector<std::string>& args,
                                         const std::map<std::string, std::string>& env,
                                         bool capture_stderr = false) {
    return ProbeTest::Run(HAMI_SHIM_PROBE, args, env, capture_stderr);
  }
};

TEST_F(ShimTest, EveryAllocationPathHonoursTheLimitViaDlsym) {
  auto [rc, out] = Run({"dlsym", "paths"}, Env("1020m"));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(Value(out, "hooked"), 1u) << out;
  EXPECT_EQ(Value(out, "total"), 1020 * kMiB);
  EXPECT_EQ(Value(out, "free"), 1020 * kMiB);
  EXPECT_EQ(Value(out, "device_total"), 1020 * kMiB);
  // 64 MiB pieces: 15 fit under 1020 MiB, the 16th is refused with CUDA_ERROR_OUT_OF_MEMORY.
  for (const char* path : {"alloc", "managed", "pitch", "array", "async"}) {
    EXPECT_EQ(Value(out, std::string(path) + "_bytes"), 15 * 64 * kMiB) << path << "\n" << out;
    EXPECT_EQ(Value(out, std::string(path) + "_error"), 2u) << path;
  }
  // 63 MiB + 1 B VMM pieces count as 64 MiB (granularity), so 15 fit, not 16.
  EXPECT_EQ(Value(out, "vmm_bytes"), 15 * 64 * kMiB) << out;
  EXPECT_EQ(Value(out, "free_after"), 1020 * kMiB);
}

TEST_F(ShimTest, ResolvingEverythingThroughCuGetProcAddressLikeTheRuntime) {
  auto [rc, out] = Run({"procaddr", "paths"}, Env("1020m"));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(Value(out, "hooked"), 1u);
  EXPECT_EQ(Value(out, "ptsz_distinct"), 1u) << "per-thread-stream request got the legacy hook";
  EXPECT_EQ(Value(out, "launch_hooked"), 1u);
  EXPECT_EQ(Value(out, "alloc_bytes"), 15 * 64 * kMiB);
  EXPECT_EQ(Value(out, "async_bytes"), 15 * 64 * kMiB);
  EXPECT_EQ(Value(out, "vmm_bytes"), 15 * 64 * kMiB);
}

TEST_F(ShimTest, NvmlReportsTheLimitLikeNvidiaSmi) {
  auto [rc, out] = Run({"nvml"}, Env("3000m"));
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(Value(out, "nvml_hooked"), 1u);
  EXPECT_EQ(Value(out, "nvml_total"), 3000 * kMiB);
  EXPECT_EQ(Value(out, "nvml2_total"), 3000 * kMiB);
  EXPECT_EQ(Value(out, "nvml_used") + Value(out, "nvml_free"), 3000 * kMiB);
}

// Finding "a limit env of abc, -5, 1e99 or 0 means no limit": a limit variable that is set but
// unreadable now fails closed (one error line, cuInit refused, no device memory), while every
// valid spelling of the env contract keeps working.
TEST_F(ShimTest, MalformedLimitsFailClosedAndValidFormsStillWork) {
  for (const char* bad : {"abc", "-5", "1e99", "0", "1.5g", ""}) {
    auto env = Env("");
    env["CUDA_DEVICE_MEMORY_LIMIT"] = bad;
    unlink(region_path_.c_str());
    auto [rc, out] = Run({"dlsym", "info"}, env, /*capture_stderr=*/true);
    EXPECT_NE(rc, 0) << bad << ": " << out;
    EXPECT_NE(out.find("error=no_context"), std::string::npos) << bad << ": " << out;
    EXPECT_NE(out.find("cannot enforce the GPU limits: CUDA_DEVICE_MEMORY_LIMIT=\""),
              std::string::npos)
        << bad << ": " << out;
    EXPECT_EQ(out.find("total="), std::string::npos) << bad << ": " << out;
  }
  // A malformed variable next to a valid one still fails closed (which one was meant?).
  auto env = Env("");
  env["CUDA_DEVICE_MEMORY_LIMIT"] = "garbage";
  env["CUDA_DEVICE_MEMORY_LIMIT_0"] = "2147483648";
  unlink(region_path_.c_str());
  EXPECT_NE(Run({"dlsym", "info"}, env, true).first, 0);

  const std::pair<const char*, uint64_t> good[] = {{"1Gi", 1024 * kMiB},
                                                   {"3000MB", 3000 * kMiB},
                                                   {"2GiB", 2048 * kMiB},
                                                   {"2147483648", 2048 * kMiB},
                                                   {"1500m", 1500 * kMiB}};
  for (const auto& [text, bytes] : good) {
    env = Env("");
    env["CUDA_DEVICE_MEMORY_LIMIT"] = text;  // upstream reads "1Gi" as 1 byte
    unlink(region_path_.c_str());
    auto r = Run({"dlsym", "info"}, env, true);
    EXPECT_EQ(r.first, 0) << text << ": " << r.second;
    EXPECT_EQ(Value(r.second, "total"), bytes) << text << ": " << r.second;
    EXPECT_EQ(r.second.find("HAMI-core"), std::string::npos) << "quiet by default: " << r.second;
  }
}

// Upstream's check-then-add lets concurrent processes overshoot together; ours must not, ever.
TEST_F(ShimTest, SixteenProcessesAllocatingConcurrentlyNeverExceedTheLimit) {
  const uint64_t kLimit = 1024 * kMiB;
  setenv("HAMI_SIM_GPUS", "1xA100-40GB", 1);
  setenv("HAMI_SIM_STATE", sim_state_.c_str(), 1);
  void* nvml = dlopen(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(nvml, nullptr) << dlerror();
  auto init = reinterpret_cast<decltype(&nvmlInit_v2)>(dlsym(nvml, "nvmlInit_v2"));
  auto get = reinterpret_cast<decltype(&nvmlDeviceGetHandleByIndex_v2)>(
      dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
  auto info =
      reinterpret_cast<decltype(&nvmlDeviceGetMemoryInfo)>(dlsym(nvml, "nvmlDeviceGetMemoryInfo"));
  ASSERT_EQ(init(), NVML_SUCCESS);
  nvmlDevice_t dev;
  ASSERT_EQ(get(0, &dev), NVML_SUCCESS);
  nvmlMemory_t base{};
  ASSERT_EQ(info(dev, &base), NVML_SUCCESS);

  std::vector<Child> kids;
  kids.reserve(16);
  for (int i = 0; i < 16; ++i)
    kids.push_back(Spawn({"dlsym", "hammer", "48", "100"}, Env("1024m")));
  // Independent witness: the simulated GPU's physical usage, polled while they run.
  std::atomic<bool> done{false};
  uint64_t max_used = 0;
  std::thread watcher([&] {
    while (!done.load()) {
      nvmlMemory_t m{};
      if (info(dev, &m) == NVML_SUCCESS)
        max_used = std::max<uint64_t>(max_used, m.used - base.used);
    }
  });
  uint64_t granted = 0;
  for (Child& c : kids) {
    std::string out = ReadUntil(c, "granted=");
    EXPECT_EQ(Wait(c), 0) << out;
    granted += Value(out, "granted");
  }
  done = true;
  watcher.join();
  EXPECT_GT(max_used, 0u);
  EXPECT_LE(max_used, kLimit) << "physical usage exceeded the container limit";
  EXPECT_GE(granted, 100u * (1024 / 48));  // every round someone got the room
  hami::region::RegionFile f;
  ASSERT_EQ(f.OpenReadOnly(region_path_.c_str()), hami::region::Error::kOk);
  EXPECT_EQ(hami::region::SumOfSlots(*f.get(), 0), 0u);
  EXPECT_EQ(hami::region::UsedBytes(*f.get(), 0), 0u);
}

// A process SIGKILLed at a random instant of its allocate/free loop (possibly inside the region
// lock) must not block the others, and its usage must come back.
TEST_F(ShimTest, SigkillMidAllocationNeitherBlocksNorLeaks) {
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    Child churn = Spawn({"dlsym", "churn", "300"}, Env("512m"));
    ReadUntil(churn, "churning=1");
    Child holder = Spawn({"dlsym", "hold", "200", "1"}, Env("512m"));  // alive, holds 200 MiB
    ASSERT_NE(ReadUntil(holder, "held=").find("held=1"), std::string::npos);
    // Deliberately random timing: the kill must land at an arbitrary point of the loop.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    kill(churn.pid, SIGKILL);
    Wait(churn);
    const auto t0 = std::chrono::steady_clock::now();
    Child next = Spawn({"dlsym", "hold", "312", "1"}, Env("512m"));  // exactly what is left
    std::string out = ReadUntil(next, "held=");
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    EXPECT_NE(out.find("held=1"), std::string::npos) << "round " << round << ": " << out;
    EXPECT_LT(elapsed, std::chrono::seconds(1)) << "round " << round;
    hami::region::RegionFile f;
    ASSERT_EQ(f.OpenReadOnly(region_path_.c_str()), hami::region::Error::kOk);
    EXPECT_EQ(hami::region::SumOfSlots(*f.get(), 0), 512 * kMiB);
    EXPECT_EQ(Wait(next), 0);
    EXPECT_EQ(Wait(holder), 0);
    EXPECT_EQ(hami::region::SumOfSlots(*f.get(), 0), 0u);
  }
}

TEST_F(ShimTest, ExportsArePinnedToTheSymbolLists) {
  FILE* p = popen("nm -D --defined-only " HAMI_LIBVGPU " | awk '{print $3}' | sort", "r");
  ASSERT_NE(p, nullptr);
  std::string got;
  char line[256];
  while (std::fgets(line, sizeof(line), p)) got += line;
  pclose(p);
  std::vector<std::string> want;
  std::string list = HAMI_SHIM_EXPORTS;
  for (size_t s = 0, e; s < list.size(); s = e + 1) {
    e = list.find(' ', s);
    if (e == std::string::npos) e = list.size();
    want.push_back(list.substr(s, e - s));
  }
  std::sort(want.begin(), want.end());
  std::string expect;
  for (auto& w : want) expect += w + "\n";
  EXPECT_EQ(got, expect);
}

}  // namespace
