// hami-monitor end to end on one machine: the real binary, real CUDA probe processes under
// LD_PRELOAD=libvgpu.so on the simulated driver (one simulated A100 shared by all processes of a
// test), and — for the pod join and cleanup — a FakeKubeApi served over HTTP so the monitor uses its
// real Kubernetes client. Label: integration.
#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "region/region.h"
#include "test/fakes/fake_api_server.h"
#include "test/monitor/monitor_harness.h"

namespace hami::monitor::it {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr double kMiB = 1048576.0;

class MonitorIT : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* f : {HAMI_SIM_LIBDIR "/libcuda.so.1", HAMI_LIBVGPU, HAMI_MONITOR_BIN}) {
      if (access(f, R_OK) != 0) GTEST_SKIP() << f << " not built";
    }
    root_ = fs::temp_directory_path() /
            ("hami_monitor_it_" + std::string(::testing::UnitTest::GetInstance()
                                                  ->current_test_info()->name()) +
             "_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "hook/containers");
    log_ = (root_ / "monitor.log").string();
  }
  void TearDown() override {
    for (Child* c : {&monitor_}) {
      c->Kill();
      c->Wait();
    }
    if (HasFailure()) std::printf("--- monitor log ---\n%s\n", ReadFile(log_).c_str());
    fs::remove_all(root_);
  }

  Env SimEnv() {
    return {{"LD_LIBRARY_PATH", HAMI_SIM_LIBDIR},
            {"HAMI_SIM_GPUS", "1xA100-40GB"},
            {"HAMI_SIM_STATE", (root_ / "sim.state").string()},
            {"HAMI_SIM_NS_PER_BLOCK", "5000"},
            {"HOME", root_.string()}};
  }

  // Starts hami-monitor; returns its metrics port (0 on failure).
  int StartMonitor(const std::string& interval, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {HAMI_MONITOR_BIN, "--hook-path", (root_ / "hook").string(),
                                     "--metrics-bind-address", "127.0.0.1:0", "--node-name",
                                     "node-it", "--feedback-interval", interval};
    argv.insert(argv.end(), extra.begin(), extra.end());
    monitor_ = Spawn(argv, SimEnv(), log_);
    int port = 0;
    WaitFor([&] {
      const std::string log = ReadFile(log_);
      const size_t at = log.find("msg=\"serving metrics\"");
      if (at == std::string::npos) return false;
      port = std::atoi(log.c_str() + log.find("port=", at) + 5);
      return true;
    }, milliseconds(10000));
    return port;
  }

  std::string Dir(const std::string& name) {
    fs::create_directories(root_ / "hook/containers" / name);
    return (root_ / "hook/containers" / name).string();
  }

  // A CUDA process of container `dir` (created on demand) under libvgpu.
  Child Probe(const std::string& dir, const std::vector<std::string>& args, int priority,
              const std::string& memory_limit = "") {
    Env env = SimEnv();
    env["LD_PRELOAD"] = HAMI_LIBVGPU;
    env["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = Dir(dir) + "/vgpu.cache";
    env["CUDA_TASK_PRIORITY"] = std::to_string(priority);
    env["HAMI_CONTEXT_OVERHEAD"] = "0";
    if (!memory_limit.empty()) env["CUDA_DEVICE_MEMORY_LIMIT_0"] = memory_limit;
    std::vector<std::string> argv = args;
    return Spawn(argv, env);
  }

  fs::path root_;
  std::string log_;
  Child monitor_;
};

TEST_F(MonitorIT, ContainerMemoryAppearsWithinOneCollectionPeriod) {
  const int port = StartMonitor("1s");
  ASSERT_GT(port, 0);
  Child a = Probe("uid-a_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "100", "3"}, 1, "1000m");
  ASSERT_NE(a.ReadUntil("held=3").find("held=3"), std::string::npos);
  const auto held_at = steady_clock::now();
  const std::vector<std::string> labels = {"pod=\"uid-a\"", "container=\"main\""};
  std::string text;
  ASSERT_TRUE(WaitFor([&] {
    text = Scrape(port);
    auto used = Sample(text, "hami_vgpu_memory_used_bytes", labels);
    return used && *used >= 300 * kMiB;
  }, milliseconds(5000))) << text;
  const double seen_ms =
      std::chrono::duration<double, std::milli>(steady_clock::now() - held_at).count();
  std::printf("[ measured ] allocation visible in /metrics after %.0f ms (period 1000 ms)\n", seen_ms);
  EXPECT_LE(seen_ms, 1000 + 500) << "not within one collection period";
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_limit_bytes", labels), 1000 * kMiB);
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", labels), 300 * kMiB);
  EXPECT_EQ(Sample(text, "hami_container_processes", labels), 1);
  EXPECT_GE(*Sample(text, "hami_host_gpu_memory_used_bytes", {"node=\"node-it\""}), 300 * kMiB);
  EXPECT_EQ(Sample(text, "hami_monitor_regions", {"layout=\"hami-cpp\""}), 1);

  // A second container on the same GPU; then the first exits and its usage goes.
  Child b = Probe("uid-b_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "50", "1"}, 1, "500m");
  b.ReadUntil("held=");
  EXPECT_TRUE(WaitFor([&] {
    text = Scrape(port);
    auto used = Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"uid-b\""});
    return used && *used == 50 * kMiB;
  }, milliseconds(3000))) << text;
  EXPECT_EQ(a.Wait(), 0);
  EXPECT_TRUE(WaitFor([&] {
    text = Scrape(port);
    return Sample(text, "hami_vgpu_memory_used_bytes", labels) == 0.0;
  }, milliseconds(3000))) << text;
  EXPECT_EQ(b.Wait(), 0);
}

TEST_F(MonitorIT, LowPriorityContainerIsBlockedWhileHighPriorityIsActive) {
  const int port = StartMonitor("200ms");
  ASSERT_GT(port, 0);
  Child low = Probe("uid-low_main", {HAMI_SM_PROBE, "kernel", "0", "6000", "800"}, 1);
  const std::string low_path = (root_ / "hook/containers/uid-low_main/vgpu.cache").string();
  region::RegionFile low_region;
  ASSERT_TRUE(WaitFor([&] { return low_region.OpenReadOnly(low_path.c_str()) == region::Error::kOk; },
                      milliseconds(5000)));
  std::atomic_ref<int32_t> recent(low_region.get()->recent_kernel);
  // Alone on the GPU: never blocked.
  std::this_thread::sleep_for(milliseconds(800));
  EXPECT_GE(recent.load(), 0);
  Child high = Probe("uid-high_main", {HAMI_SM_PROBE, "kernel", "0", "2000", "800"}, 0);
  const auto high_started = steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return recent.load() == -1; }, milliseconds(3000)))
      << "low priority never blocked";
  std::printf("[ measured ] low priority blocked %.0f ms after the high one started\n",
              std::chrono::duration<double, std::milli>(steady_clock::now() - high_started).count());
  const std::string text = Scrape(port);
  EXPECT_EQ(Sample(text, "hami_container_blocked", {"pod=\"uid-low\""}), 1) << text;
  EXPECT_EQ(Sample(text, "hami_container_blocked", {"pod=\"uid-high\""}), 0) << text;
  EXPECT_EQ(Sample(text, "hami_container_priority", {"pod=\"uid-high\""}), 0) << text;
  // Blocked for as long as the high one launches.
  std::this_thread::sleep_for(milliseconds(600));
  EXPECT_EQ(recent.load(), -1);
  EXPECT_EQ(high.Wait(), 0);
  const auto high_done = steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return recent.load() >= 0; }, milliseconds(3000)))
      << "low priority never unblocked";
  std::printf("[ measured ] unblocked %.0f ms after the high one exited\n",
              std::chrono::duration<double, std::milli>(steady_clock::now() - high_done).count());
  const std::string out = low.ReadAll();
  EXPECT_EQ(low.Wait(), 0) << out;
  // The low probe's longest pause between two launches covers the block.
  const auto gap = std::strtoull(out.c_str() + out.find("longest_gap_ns=") + 15, nullptr, 10);
  EXPECT_GE(gap, 500'000'000ull) << out;
}

TEST_F(MonitorIT, CorruptRegionIsSkippedWithOneLogLine) {
  std::vector<char> junk(4096);
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 31);
  std::ofstream(Dir("uid-bad_main") + "/x.cache").write(junk.data(), junk.size());
  const int port = StartMonitor("100ms");
  ASSERT_GT(port, 0);
  std::string text;
  ASSERT_TRUE(WaitFor([&] {
    text = Scrape(port);
    auto rounds = Sample(text, "hami_monitor_feedback_rounds_total", {});
    return rounds && *rounds >= 6;
  }, milliseconds(5000))) << text;
  EXPECT_EQ(Sample(text, "hami_monitor_region_errors_total", {}), 1);
  EXPECT_EQ(CountLines(ReadFile(log_), {"skipping shared region", "uid-bad_main", "bad magic"}), 1)
      << ReadFile(log_);
  EXPECT_EQ(Sample(text, "hami_monitor_regions", {"layout=\"hami-cpp\""}), 0);
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {}), std::nullopt);
}

nlohmann::json PodJson(const std::string& name, const std::string& uid, bool by_label) {
  nlohmann::json pod = {{"apiVersion", "v1"}, {"kind", "Pod"},
                        {"metadata", {{"name", name}, {"namespace", "team-a"}}},
                        {"spec", {{"containers", {{{"name", "main"}}}}}}};
  if (by_label) pod["metadata"]["labels"] = {{"hami.io/vgpu-node", "node-it"}};
  else pod["spec"]["nodeName"] = "node-it";
  return pod;
}

TEST_F(MonitorIT, JoinsPodsThroughTheApiAndRemovesDirectoriesOfDeletedPods) {
  fakes::FakeKubeApi api;
  auto server = std::make_unique<fakes::FakeApiServer>(&api);
  const int api_port = server->Start();
  const std::string kubeconfig = (root_ / "kubeconfig").string();
  ASSERT_TRUE(server->WriteKubeconfig(kubeconfig));
  // The fake assigns UIDs on create; directories are named after them.
  auto create = [&](const std::string& name, bool by_label) {
    auto created = api.Create(k8s::PodsPath("team-a"), PodJson(name, "", by_label));
    EXPECT_TRUE(created.ok());
    return created.ok() ? (*created)["metadata"]["uid"].get<std::string>() : std::string("none");
  };
  const std::string uid1 = create("p1", true), uid2 = create("p2", false);
  Child p1 = Probe(uid1 + "_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "10", "1"}, 1, "100m");
  Child p2 = Probe(uid2 + "_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "20", "1"}, 1, "100m");
  p1.ReadUntil("held=");
  p2.ReadUntil("held=");
  EXPECT_EQ(p1.Wait(), 0);
  const int port = StartMonitor("200ms", {"--kubeconfig", kubeconfig, "--resync-interval", "1s"});
  ASSERT_GT(port, 0);
  std::string text;
  ASSERT_TRUE(WaitFor([&] {
    text = Scrape(port);
    return Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"p2\""}) == 20 * kMiB &&
           Sample(text, "hami_vgpu_memory_limit_bytes", {"pod=\"p1\""}).has_value();
  }, milliseconds(8000))) << text;
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {"namespace=\"team-a\"", "pod=\"p2\""}),
            20 * kMiB);
  EXPECT_EQ(Sample(text, "hami_monitor_pods_synced", {}), 1);

  // Delete p1: its directory goes once it is older than the resync interval.
  ASSERT_TRUE(api.Delete(k8s::PodsPath("team-a", "p1")).ok());
  const auto deleted_at = steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return !fs::exists(root_ / "hook/containers" / (uid1 + "_main")); },
                      milliseconds(5000)));
  std::printf("[ measured ] directory removed %.0f ms after the pod was deleted (resync 1 s)\n",
              std::chrono::duration<double, std::milli>(steady_clock::now() - deleted_at).count());
  EXPECT_TRUE(fs::exists(root_ / "hook/containers" / (uid2 + "_main")));
  // The monitor logs right after removing the directory: wait for the line, then count it.
  WaitFor([&] { return CountLines(ReadFile(log_), {"removed directory", uid1 + "_main"}) > 0; },
          milliseconds(2000));
  EXPECT_EQ(CountLines(ReadFile(log_), {"removed directory", uid1 + "_main"}), 1);

  // API server down: the monitor keeps exporting; back on the same port: it reconnects.
  server->Stop();
  server.reset();
  std::this_thread::sleep_for(milliseconds(600));
  text = Scrape(port);
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"p2\""}), 20 * kMiB) << text;
  EXPECT_TRUE(fs::exists(root_ / "hook/containers" / (uid2 + "_main")));
  const std::string uid3 = create("p3", true);
  Child p3 = Probe(uid3 + "_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "30", "1"}, 1, "100m");
  p3.ReadUntil("held=");
  server = std::make_unique<fakes::FakeApiServer>(&api);
  ASSERT_EQ(server->Start(api_port), api_port);
  EXPECT_TRUE(WaitFor([&] {
    text = Scrape(port);
    return Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"p3\""}) == 30 * kMiB;
  }, milliseconds(40000))) << text;
  EXPECT_EQ(p2.Wait(), 0);
  EXPECT_EQ(p3.Wait(), 0);
}

}  // namespace
}  // namespace hami::monitor::it
