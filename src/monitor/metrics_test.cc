#include "monitor/metrics.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "monitor/collector.h"

namespace hami::monitor {
namespace {

// A node with one A100, one container using it (two processes NVML sees on it), one pod with a
// realized MIG allocation.
Snapshot Sample() {
  HostGpu g;
  g.index = 0;
  g.uuid = "GPU-aaaaaaaa-1111-2222-3333-444444444444";
  g.name = "A100-SXM4-40GB";
  g.memory_total = 40ull << 30;
  g.memory_used = 3ull << 30;
  g.utilization_gpu = 42;
  g.utilization_memory = 7;
  g.temperature_c = 51;
  g.power_watts = 187.5;
  // NVML's per-process view: the container's two processes and one of another (not exported).
  g.process_sm_util = std::map<int32_t, unsigned>{{4101, 20}, {4102, 5}, {999, 17}};
  RegionSample r;
  r.dir = "uid-1_cuda";
  r.pod_uid = "uid-1";
  r.container = "cuda";
  DeviceReading d;
  d.uuid = d.uuid_label = g.uuid;
  d.uuid_valid = true;
  d.limit = 3000ull << 20;
  d.sm_limit = 30;
  d.context = 4ull << 20;
  d.module = 1ull << 20;
  d.buffer = 1000ull << 20;
  d.total = 1006ull << 20;
  d.sm_util = 25;
  r.reading.devices = {d};
  r.reading.priority = 1;
  r.reading.recent_kernel = -1;
  r.reading.utilization_switch = 1;
  r.reading.live_processes = 2;
  r.reading.pids = {4101, 4102};
  r.reading.last_kernel_time = 1700000000;
  PodRef pod{
      "uid-1",
      "team-a",
      "trainer",
      {"cuda"},
      R"([{"containerIndex":0,"deviceIndex":0,"gpuUUID":"GPU-aaaaaaaa-1111-2222-3333-444444444444","profile":"1g.5gb","placement":{"start":0,"size":1},"migUUID":"MIG-1","gpuInstanceID":3,"computeInstanceID":0}])"};
  ContainerGrant grant;
  grant.uuids = {g.uuid};
  grant.memory_limits = {3000ull << 20};
  grant.sm_limits = {30};
  pod.grants["cuda"] = grant;
  MonitorStats stats;
  stats.regions_by_layout = {{"hami-cpp", 1}};
  stats.region_faults = {{"foreign_device", 3}};
  stats.region_errors = 2;
  stats.feedback_rounds = 9;
  stats.last_scan_seconds = 0.25;
  stats.pods_synced = true;
  return BuildSnapshot("node-1", 1700000012, {g}, {r}, std::vector<PodRef>{pod}, stats);
}

std::string Golden(const std::string& name, const std::string& got) {
  const std::string path = std::string(HAMI_MONITOR_TESTDATA) + "/" + name;
  if (std::getenv("HAMI_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << got;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Per-process samples come from pids a region lists and NVML names on the container's GPU; a pid
// two regions claim is attributed to neither.
TEST(BuildSnapshot, ProcessesAreAttributedByTheRegionsPids) {
  Snapshot s = Sample();
  ASSERT_EQ(s.processes.size(), 2u);
  EXPECT_EQ(s.processes[0].pid, 4101);
  EXPECT_EQ(s.processes[0].sm_util, 20u);
  EXPECT_EQ(s.processes[0].pod, "trainer");
  EXPECT_EQ(s.processes[1].pid, 4102);
  const std::string text = RenderMetrics(s, {});
  EXPECT_NE(text.find("hami_container_gpu_utilization_ratio{namespace=\"team-a\",pod=\"trainer\","
                      "container=\"cuda\",vdevice_index=\"0\",device_uuid=\"GPU-aaaaaaaa-1111-2222-"
                      "3333-444444444444\",zone=\"vGPU\"} 25"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("pid=\"999\""), std::string::npos);

  RegionSample a;
  a.pod_uid = "uid-a";
  a.container = "c";
  DeviceReading d;
  d.uuid = d.uuid_label = "GPU-x";
  d.uuid_valid = true;
  a.reading.devices = {d};
  a.reading.pids = {7, 8};
  RegionSample b = a;
  b.pod_uid = "uid-b";
  b.reading.pids = {8};  // claims a's process
  HostGpu g;
  g.uuid = "GPU-x";
  g.process_sm_util = std::map<int32_t, unsigned>{{7, 30}, {8, 40}};
  Snapshot two = BuildSnapshot("n", 0, {g}, {a, b}, std::nullopt, {});
  ASSERT_EQ(two.processes.size(), 1u);
  EXPECT_EQ(two.processes[0].pid, 7);
  EXPECT_EQ(two.processes[0].pod, "uid-a");
}

TEST(RenderMetrics, GoldenText) {
  RenderOptions o;
  o.build = {"1.2.3", "abc123", "2024-01-01", "gcc-12", "linux/amd64"};
  const std::string got = RenderMetrics(Sample(), o);
  EXPECT_EQ(got, Golden("metrics_golden.txt", got));
}

TEST(RenderMetrics, LegacyGoldenText) {
  RenderOptions o;
  o.legacy = true;
  const std::string got = RenderMetrics(Sample(), o);
  EXPECT_EQ(got, Golden("metrics_legacy_golden.txt", got));
}

TEST(MetricNames, UpstreamNamesPresentAndLegacyOnlyWhenAsked) {
  const auto names = MetricNames(false);
  for (const char* upstream :
       {"hami_host_gpu_memory_used_bytes", "hami_host_gpu_utilization_ratio",
        "hami_host_gpu_memory_controller_utilization_ratio", "hami_vgpu_memory_used_bytes",
        "hami_container_device_memory_bytes", "hami_vgpu_memory_limit_bytes",
        "hami_container_device_utilization_ratio", "hami_vgpu_memory_context_bytes",
        "hami_vgpu_memory_module_bytes", "hami_vgpu_memory_buffer_bytes",
        "hami_container_last_kernel_elapsed_seconds", "hami_mig_device_info", "hami_build_info"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), upstream), names.end()) << upstream;
  }
  EXPECT_EQ(std::find(names.begin(), names.end(), "HostGPUMemoryUsage"), names.end());
  const auto legacy = MetricNames(true);
  for (const char* old :
       {"HostGPUMemoryUsage", "HostCoreUtilization", "vGPU_device_memory_usage_in_bytes",
        "vGPU_device_memory_limit_in_bytes", "Device_memory_desc_of_container",
        "Device_utilization_desc_of_container", "Device_last_kernel_of_container", "MigInfo"}) {
    EXPECT_NE(std::find(legacy.begin(), legacy.end(), old), legacy.end()) << old;
  }
}

// Issue 14: a region claiming 2^64 bytes used was exported as is.
TEST(BuildSnapshot, ValuesOutsidePhysicalBoundsAreNotExported) {
  Snapshot s = Sample();
  RegionSample r{"uid-1_cuda", "uid-1", "cuda", s.containers[0].reading};
  r.reading.devices[0].total = UINT64_MAX;
  r.reading.devices[0].uuid = r.reading.devices[0].uuid_label = s.gpus[0].uuid;
  PodRef pod{"uid-1", "team-a", "trainer", {"cuda"}, ""};
  pod.grants["cuda"] = {{s.gpus[0].uuid}, {}, {3000ull << 20}, {30}, 1};
  for (const auto& pods : {std::optional<std::vector<PodRef>>(), std::optional(std::vector{pod})}) {
    const Snapshot got = BuildSnapshot("node-1", 1700000012, s.gpus, {r}, pods, {});
    ASSERT_EQ(got.containers.size(), 1u);
    const std::string text = RenderMetrics(got, {});
    EXPECT_EQ(text.find("hami_vgpu_memory_used_bytes{"), std::string::npos) << text;
    EXPECT_EQ(text.find("18446744073709551615"), std::string::npos);
    EXPECT_EQ(text.find("1.8446744073709552e+19"), std::string::npos);
    EXPECT_NE(text.find("hami_container_processes{"), std::string::npos) << "container kept";
  }
}

TEST(BuildSnapshot, JoinRules) {
  RegionSample known{"u1_a", "u1", "a", {}};
  RegionSample init{"u1_setup", "u1", "setup", {}};
  RegionSample other_ctr{"u1_zzz", "u1", "zzz", {}};
  RegionSample unknown_pod{"u9_a", "u9", "a", {}};
  PodRef pod{"u1", "ns", "p", {"setup", "a"}, ""};
  pod.grants["setup"].uuids = {"GPU-x"};
  pod.grants["a"].uuids = {"GPU-x"};
  // no pod list: everything, pod = UID
  Snapshot s = BuildSnapshot("n", 0, {}, {known, unknown_pod}, std::nullopt, {});
  ASSERT_EQ(s.containers.size(), 2u);
  EXPECT_EQ(s.containers[0].pod, "u1");
  EXPECT_EQ(s.containers[0].namespace_name, "");
  EXPECT_FALSE(s.containers[0].pod_known);
  // pod list: only containers of listed pods, by name
  s = BuildSnapshot("n", 0, {}, {known, init, other_ctr, unknown_pod}, std::vector<PodRef>{pod},
                    {});
  ASSERT_EQ(s.containers.size(), 2u);
  EXPECT_EQ(s.containers[0].container, "a");
  EXPECT_EQ(s.containers[0].pod, "p");
  EXPECT_EQ(s.containers[1].container, "setup");
}

// Issue 18: a pod Koordinator or KAI placed carries no grant of ours. Its region is exported under
// hami_unverified_* only, with the scheduler that placed it, after the physical checks: a slot
// naming a GPU this node does not have, or more memory than the GPU has, is dropped.
TEST(BuildSnapshot, AnotherSchedulersPodIsExportedOnlyAsUnverified) {
  HostGpu g;
  g.uuid = "GPU-aaaaaaaa-1111-2222-3333-444444444444";
  g.memory_total = 40ull << 30;
  PodRef koord{"u2", "ns", "koord", {"main"}, ""};
  koord.scheduler_name = "koord-scheduler";
  RegionSample r{"u2_main", "u2", "main", {}};
  DeviceReading ok;
  ok.uuid = ok.uuid_label = g.uuid;
  ok.uuid_valid = true;
  ok.limit = 4ull << 30;
  ok.total = 1ull << 30;
  ok.sm_limit = 50;
  ok.sm_util = 30;
  DeviceReading foreign = ok;
  foreign.uuid = foreign.uuid_label = "GPU-bbbbbbbb-1111-2222-3333-444444444444";
  DeviceReading huge = ok;
  huge.total = 41ull << 30;
  r.reading.devices = {ok, foreign};
  RegionSample big{"u2_big", "u2", "main", {}};
  big.reading.devices = {huge};
  koord.containers.emplace_back("big");
  big.container = "big";
  Snapshot s = BuildSnapshot("n", 0, {g}, {r, big}, std::vector<PodRef>{koord}, {});
  EXPECT_TRUE(s.containers.empty()) << "nothing in the verified families, smi or the web UI";
  ASSERT_EQ(s.unverified.size(), 2u);
  const ContainerSample& main = s.unverified[1];
  EXPECT_EQ(main.container, "main");
  EXPECT_EQ(main.scheduler, "koord-scheduler");
  EXPECT_TRUE(main.reading.devices[0].uuid_valid);
  EXPECT_FALSE(main.reading.devices[1].uuid_valid) << "not a GPU of this node";
  EXPECT_FALSE(s.unverified[0].reading.devices[0].uuid_valid) << "more than the GPU holds";
  const std::string text = RenderMetrics(s, {});
  const std::string labels =
      "{namespace=\"ns\",pod=\"koord\",container=\"main\",vdevice_index=\"0\",device_uuid=\"" +
      g.uuid + "\",scheduler=\"koord-scheduler\",zone=\"vGPU\"}";
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"hami_unverified_vgpu_memory_used_bytes", "1073741824"},
           {"hami_unverified_vgpu_memory_limit_bytes", "4294967296"},
           {"hami_unverified_vgpu_core_limit_ratio", "50"},
           {"hami_unverified_container_device_utilization_ratio", "30"}}) {
    EXPECT_NE(text.find(name + labels + " " + value), std::string::npos) << name << "\n" << text;
  }
  EXPECT_EQ(text.find("vdevice_index=\"1\""), std::string::npos);
  EXPECT_EQ(text.find("container=\"big\""), std::string::npos);
  EXPECT_EQ(text.find("hami_vgpu_memory_used_bytes{"), std::string::npos);
}

}  // namespace
}  // namespace hami::monitor
