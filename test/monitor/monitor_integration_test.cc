// hami-monitor end to end on one machine: the real binary, real CUDA probe processes under
// LD_PRELOAD=libvgpu.so on the simulated driver (two simulated A100s shared by the processes of a
// test), and — for the pod join, the grants, priority feedback and cleanup — a FakeKubeApi served
// over HTTP so the monitor uses its real Kubernetes client (monitor_fixture.h). Label: integration.
#include "region/region.h"
#include "test/monitor/monitor_fixture.h"

namespace hami::monitor::it {
namespace {

TEST_F(MonitorIT, ContainerMemoryAppearsWithinOneCollectionPeriod) {
  const int port = StartMonitor("1s");
  ASSERT_GT(port, 0);
  Child a = Probe("uid-a_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "100", "3"}, 1, "1000m");
  ASSERT_NE(a.ReadUntil("held=3").find("held=3"), std::string::npos);
  const auto held_at = steady_clock::now();
  const std::vector<std::string> labels = {"pod=\"uid-a\"", "container=\"main\""};
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        auto used = Sample(text, "hami_vgpu_memory_used_bytes", labels);
        return used && *used >= 300 * kMiB;
      },
      milliseconds(5000)))
      << text;
  const double seen_ms =
      std::chrono::duration<double, std::milli>(steady_clock::now() - held_at).count();
  std::printf("[ measured ] allocation visible in /metrics after %.0f ms (period 1000 ms)\n",
              seen_ms);
  EXPECT_LE(seen_ms, 1000 + 500) << "not within one collection period";
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_limit_bytes", labels), 1000 * kMiB);
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", labels), 300 * kMiB);
  EXPECT_EQ(Sample(text, "hami_container_processes", labels), 1);
  EXPECT_GE(*Sample(text, "hami_host_gpu_memory_used_bytes", {"node=\"node-it\""}), 300 * kMiB);
  EXPECT_EQ(Sample(text, "hami_monitor_regions", {"layout=\"hami-cpp\""}), 1);

  // A second container on the same GPU; then the first exits and its usage goes.
  Child b = Probe("uid-b_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "50", "1"}, 1, "500m");
  b.ReadUntil("held=");
  EXPECT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        auto used = Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"uid-b\""});
        return used && *used == 50 * kMiB;
      },
      milliseconds(3000)))
      << text;
  EXPECT_EQ(a.Wait(), 0);
  EXPECT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        return Sample(text, "hami_vgpu_memory_used_bytes", labels) == 0.0;
      },
      milliseconds(3000)))
      << text;
  EXPECT_EQ(b.Wait(), 0);
}

TEST_F(MonitorIT, LowPriorityContainerIsBlockedWhileHighPriorityIsActive) {
  const std::string kubeconfig = StartApi();
  ASSERT_FALSE(kubeconfig.empty());
  const std::string low_uid = CreatePod("low", kGpuA, 1000, 1);
  const std::string high_uid = CreatePod("high", kGpuA, 1000, 0);
  const int port = StartMonitor("200ms", {"--kubeconfig", kubeconfig});
  ASSERT_GT(port, 0);
  ASSERT_TRUE(WaitFor([&] { return Sample(Scrape(port), "hami_monitor_pods_synced", {}) == 1; },
                      milliseconds(5000)));
  Child low = Probe(low_uid + "_main", {HAMI_SM_PROBE, "kernel", "0", "6000", "800"}, 1, "1000m");
  const std::string low_path = RegionPath(low_uid + "_main");
  region::RegionFile low_region;
  ASSERT_TRUE(
      WaitFor([&] { return low_region.OpenReadOnly(low_path.c_str()) == region::Error::kOk; },
              milliseconds(5000)));
  std::atomic_ref<int32_t> recent(low_region.get()->recent_kernel);
  // Alone on the GPU: never blocked.
  std::this_thread::sleep_for(milliseconds(800));
  EXPECT_GE(recent.load(), 0);
  Child high = Probe(high_uid + "_main", {HAMI_SM_PROBE, "kernel", "0", "2000", "800"}, 0, "1000m");
  const auto high_started = steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return recent.load() == -1; }, milliseconds(3000)))
      << "low priority never blocked";
  std::printf(
      "[ measured ] low priority blocked %.0f ms after the high one started\n",
      std::chrono::duration<double, std::milli>(steady_clock::now() - high_started).count());
  const std::string text = Scrape(port);
  EXPECT_EQ(Sample(text, "hami_container_blocked", {"pod=\"low\""}), 1) << text;
  EXPECT_EQ(Sample(text, "hami_container_blocked", {"pod=\"high\""}), 0) << text;
  EXPECT_EQ(Sample(text, "hami_container_priority", {"pod=\"high\""}), 0) << text;
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
  ASSERT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        auto rounds = Sample(text, "hami_monitor_feedback_rounds_total", {});
        return rounds && *rounds >= 6;
      },
      milliseconds(5000)))
      << text;
  EXPECT_EQ(Sample(text, "hami_monitor_region_errors_total", {}), 1);
  EXPECT_EQ(CountLines(ReadFile(log_), {"skipping shared region", "uid-bad_main", "bad magic"}), 1)
      << ReadFile(log_);
  EXPECT_EQ(Sample(text, "hami_monitor_regions", {"layout=\"hami-cpp\""}), 0);
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {}), std::nullopt);
}

TEST_F(MonitorIT, JoinsPodsThroughTheApiAndRemovesDirectoriesOfDeletedPods) {
  auto server = std::make_unique<fakes::FakeApiServer>(&api_);
  const int api_port = server->Start();
  const std::string kubeconfig = (root_ / "kubeconfig").string();
  ASSERT_TRUE(server->WriteKubeconfig(kubeconfig));
  // The fake assigns UIDs on create; directories are named after them.
  const std::string uid1 = CreatePod("p1", kGpuA, 100, -1, true);
  const std::string uid2 = CreatePod("p2", kGpuA, 100, -1, false);
  Child p1 = Probe(uid1 + "_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "10", "1"}, 1, "100m");
  Child p2 = Probe(uid2 + "_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "20", "1"}, 1, "100m");
  p1.ReadUntil("held=");
  p2.ReadUntil("held=");
  EXPECT_EQ(p1.Wait(), 0);
  const int port = StartMonitor("200ms", {"--kubeconfig", kubeconfig, "--resync-interval", "1s"});
  ASSERT_GT(port, 0);
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        return Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"p2\""}) == 20 * kMiB &&
               Sample(text, "hami_vgpu_memory_limit_bytes", {"pod=\"p1\""}).has_value();
      },
      milliseconds(8000)))
      << text;
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {"namespace=\"team-a\"", "pod=\"p2\""}),
            20 * kMiB);
  EXPECT_EQ(Sample(text, "hami_monitor_pods_synced", {}), 1);

  // Delete p1: its directory goes once it is older than the resync interval.
  ASSERT_TRUE(api_.Delete(k8s::PodsPath("team-a", "p1")).ok());
  const auto deleted_at = steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return !fs::exists(root_ / "hook/containers" / (uid1 + "_main")); },
                      milliseconds(5000)));
  std::printf("[ measured ] directory removed %.0f ms after the pod was deleted (resync 1 s)\n",
              std::chrono::duration<double, std::milli>(steady_clock::now() - deleted_at).count());
  EXPECT_TRUE(fs::exists(root_ / "hook/containers" / (uid2 + "_main")));
  // The monitor logs right after removing the directory: wait for the line, then count it.
  WaitFor(
      [&] {
        return CountLines(ReadFile(log_), {"removed directory", uid1 + "_main"}) > 0;
      },
      milliseconds(2000));
  EXPECT_EQ(CountLines(ReadFile(log_), {"removed directory", uid1 + "_main"}), 1);

  // API server down: the monitor keeps exporting; back on the same port: it reconnects.
  server->Stop();
  server.reset();
  std::this_thread::sleep_for(milliseconds(600));
  text = Scrape(port);
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"p2\""}), 20 * kMiB) << text;
  EXPECT_TRUE(fs::exists(root_ / "hook/containers" / (uid2 + "_main")));
  const std::string uid3 = CreatePod("p3", kGpuA, 100);
  Child p3 = Probe(uid3 + "_main", {HAMI_SHIM_PROBE, "dlsym", "hold", "30", "1"}, 1, "100m");
  p3.ReadUntil("held=");
  server = std::make_unique<fakes::FakeApiServer>(&api_);
  ASSERT_EQ(server->Start(api_port), api_port);
  EXPECT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        return Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"p3\""}) == 30 * kMiB;
      },
      milliseconds(40000)))
      << text;
  EXPECT_EQ(p2.Wait(), 0);
  EXPECT_EQ(p3.Wait(), 0);
}

}  // namespace
}  // namespace hami::monitor::it
