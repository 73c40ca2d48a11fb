#include "monitor/smi.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "monitor/collector.h"
#include "monitor/metrics.h"

namespace hami::monitor {
namespace {

constexpr uint64_t kMiB = 1048576;
constexpr char kUuid0[] = "GPU-aaaaaaaa-1111-2222-3333-444444444444";
constexpr char kUuid1[] = "GPU-bbbbbbbb-1111-2222-3333-444444444444";

std::string Golden(const std::string& name, const std::string& got) {
  const std::string path = std::string(HAMI_MONITOR_TESTDATA) + "/" + name;
  if (std::getenv("HAMI_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << got;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RegionSample Region(const std::string& uid, const std::string& ctr, uint64_t limit_mib,
                    uint64_t used_mib, uint64_t sm_limit, int32_t recent) {
  RegionSample r{uid + "_" + ctr, uid, ctr, {}};
  DeviceReading d;
  d.uuid = d.uuid_label = kUuid0;
  d.uuid_valid = true;
  d.limit = limit_mib * kMiB;
  d.total = used_mib * kMiB;
  d.sm_limit = sm_limit;
  d.sm_util = 12;
  r.reading.devices = {d};
  r.reading.recent_kernel = recent;
  return r;
}

Snapshot NodeSnapshot() {
  HostGpu g0{0, kUuid0, "A100-SXM4-40GB", 40ull << 30, 5ull << 30, 55, 3, 50, 200.0};
  HostGpu g1{1, kUuid1, "A100-SXM4-40GB", 40ull << 30, 0, 0, 0, 30, 60.0};
  std::vector<PodRef> pods = {{"u1", "team-a", "trainer", {"main"}, ""},
                              {"u2", "team-b", "notebook", {"jupyter"}, ""}};
  pods[0].grants["main"] = {{kUuid0}, {}, {10000 * kMiB}, {60}, 1};
  pods[1].grants["jupyter"] = {{kUuid0}, {}, {5000 * kMiB}, {0}, 1};
  return BuildSnapshot(
      "node-1", 0, {g0, g1},
      {Region("u1", "main", 10000, 4000, 60, 2), Region("u2", "jupyter", 5000, 1000, 0, -1)}, pods,
      {});
}

TEST(Smi, UsageBar) {
  EXPECT_EQ(UsageBar(25, 50, 100, 10), "[###==.....]");
  EXPECT_EQ(UsageBar(0, 0, 100, 4), "[....]");
  EXPECT_EQ(UsageBar(100, 100, 100, 4), "[####]");
  EXPECT_EQ(UsageBar(std::nullopt, 50, 100, 4), "[??..]");
  EXPECT_EQ(UsageBar(200, 100, 100, 4), "[####]") << "clamped";
  EXPECT_EQ(UsageBar(5, 0, 0, 4), "[####]") << "no total: relative to the largest value";
}

TEST(Smi, NodeViewGolden) {
  const std::string got = RenderSmi(ViewFromSnapshot(NodeSnapshot(), "HAMi smi: node node-1"));
  EXPECT_EQ(got, Golden("smi_node_golden.txt", got));
}

TEST(Smi, ScrapedMetricsGiveTheSameView) {
  const std::string text = RenderMetrics(NodeSnapshot(), {});
  auto samples = ParsePrometheusText(text);
  ASSERT_TRUE(samples.ok()) << samples.error().message();
  const Snapshot rebuilt = SnapshotFromMetrics(*samples, "node-1");
  EXPECT_EQ(RenderSmi(ViewFromSnapshot(rebuilt, "t")),
            RenderSmi(ViewFromSnapshot(NodeSnapshot(), "t")));
}

TEST(Smi, SliceUtilizationIsWhatNvmlMeasuredWhereItMeasures) {
  Snapshot s = NodeSnapshot();
  s.gpus[0].process_sm_util = std::map<int32_t, unsigned>{{101, 30}, {102, 25}};
  s.processes = {{"team-a", "trainer", "main", 0, kUuid0, 101, 30},
                 {"team-a", "trainer", "main", 0, kUuid0, 103, 5}};
  const SmiView direct = ViewFromSnapshot(s, "t");
  ASSERT_EQ(direct.gpus[0].slices.size(), 2u);
  EXPECT_EQ(direct.gpus[0].slices[0].utilization, 35.0) << "trainer: its processes' NVML samples";
  EXPECT_EQ(direct.gpus[0].slices[1].utilization, 0.0)
      << "notebook: NVML saw none of its processes";
  auto samples = ParsePrometheusText(RenderMetrics(s, {}));
  ASSERT_TRUE(samples.ok()) << samples.error().message();
  EXPECT_EQ(RenderSmi(ViewFromSnapshot(SnapshotFromMetrics(*samples, "node-1"), "t")),
            RenderSmi(direct))
      << "a scraped monitor gives the same numbers";
}

TEST(Smi, ScrapedDeviceIndexBeyondAnyRegionIsDropped) {
  auto samples = ParsePrometheusText(
      "hami_vgpu_memory_limit_bytes{namespace=\"a\",pod=\"p\",container=\"c\","
      "vdevice_index=\"99999999999\",device_uuid=\"GPU-a\"} 7\n"
      "hami_vgpu_memory_limit_bytes{namespace=\"a\",pod=\"p\",container=\"c\","
      "vdevice_index=\"16\",device_uuid=\"GPU-a\"} 7\n"
      "hami_vgpu_memory_limit_bytes{namespace=\"a\",pod=\"p\",container=\"c\","
      "vdevice_index=\"1\",device_uuid=\"GPU-a\"} 7\n");
  ASSERT_TRUE(samples.ok()) << samples.error().message();
  const Snapshot s = SnapshotFromMetrics(*samples, "n");
  ASSERT_EQ(s.containers.size(), 1u);
  ASSERT_EQ(s.containers[0].reading.devices.size(), 2u) << "index 1 kept; 16 and beyond dropped";
  EXPECT_EQ(s.containers[0].reading.devices[1].limit, 7u);
}

TEST(Smi, ScrapedValuesOutOfRangeSaturate) {
  auto samples = ParsePrometheusText(
      "hami_host_gpu_memory_used_bytes{node=\"n\",device_index=\"99999999999999\","
      "device_uuid=\"GPU-a\"} 1e300\n"
      "hami_host_gpu_memory_total_bytes{node=\"n\",device_index=\"0\",device_uuid=\"GPU-a\"} -5\n"
      "hami_host_gpu_utilization_ratio{node=\"n\",device_index=\"0\",device_uuid=\"GPU-a\"} NaN\n");
  ASSERT_TRUE(samples.ok()) << samples.error().message();
  const Snapshot s = SnapshotFromMetrics(*samples, "n");
  ASSERT_EQ(s.gpus.size(), 1u);
  EXPECT_EQ(s.gpus[0].memory_used, UINT64_MAX);
  EXPECT_EQ(s.gpus[0].memory_total, 0u);
  EXPECT_EQ(s.gpus[0].utilization_gpu, 0u);
}

TEST(Smi, ParsePrometheusText) {
  auto ok = ParsePrometheusText(
      "# HELP x y\nx{a=\"1\",b=\"q\\\"uo\\\\te\\n\"} 3.5\nplain 7 1700000000\n\n");
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].labels.at("b"), "q\"uo\\te\n");
  EXPECT_EQ((*ok)[0].value, 3.5);
  EXPECT_EQ((*ok)[1].name, "plain");
  for (const char* bad : {"x{a=1} 2", "x{a=\"1\" 2", "x", "x abc", "{a=\"b\"} 1"}) {
    auto r = ParsePrometheusText(std::string("ok 1\n") + bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("line 2"), std::string::npos) << r.error().message();
  }
}

nlohmann::json Node(const std::string& name, const std::string& reg) {
  return {{"kind", "Node"},
          {"metadata", {{"name", name}, {"annotations", {{"hami.io/node-nvidia-register", reg}}}}}};
}

nlohmann::json Pod(const std::string& ns, const std::string& name, const std::string& node,
                   const std::string& allocated, const std::string& phase = "Running") {
  return {{"kind", "Pod"},
          {"metadata",
           {{"namespace", ns},
            {"name", name},
            {"uid", name + "-uid"},
            {"annotations", {{"hami.io/vgpu-devices-allocated", allocated}}}}},
          {"spec", {{"nodeName", node}, {"containers", {{{"name", "main"}}, {{"name", "side"}}}}}},
          {"status", {{"phase", phase}}}};
}

TEST(Smi, ClusterViewGoldenWithAndWithoutMonitor) {
  const std::string reg =
      std::string(R"([{"id":")") + kUuid0 +
      R"(","count":10,"devmem":40960,"devcore":100,"type":"NVIDIA-A100-SXM4-40GB","health":true,"index":0},{"id":")" +
      kUuid1 +
      R"(","count":10,"devmem":40960,"devcore":100,"type":"NVIDIA-A100-SXM4-40GB","health":true,"index":1}])";
  std::vector<nlohmann::json> nodes = {Node("node-1", reg),
                                       Node("node-2", "garbage"),
                                       {{"kind", "Node"}, {"metadata", {{"name", "cpu-only"}}}}};
  std::vector<nlohmann::json> pods = {
      Pod("team-a", "trainer", "node-1", std::string(kUuid0) + ",NVIDIA,10000,60:;;"),
      Pod("team-b", "notebook", "node-1", std::string(kUuid0) + ",NVIDIA,5000,0:;;"),
      Pod("team-c", "done", "node-1", std::string(kUuid1) + ",NVIDIA,5000,0:;;", "Succeeded"),
      Pod("team-c", "broken", "node-1", "GPU-x,NVIDIA,zz,0:;")};
  std::vector<std::string> errors;
  SmiView view = ViewFromCluster(nodes, pods, vendor::Registry(), &errors);
  ASSERT_EQ(errors.size(), 2u);
  view.notes.emplace_back(
      "node-1: monitor http://node-1:9394/metrics unreachable: used values unknown");
  std::string got = RenderSmi(view);
  EXPECT_EQ(got, Golden("smi_cluster_golden.txt", got));
  view.notes.clear();
  MergeMonitorSnapshot(NodeSnapshot(), "node-1", &view);
  got = RenderSmi(view);
  EXPECT_EQ(got, Golden("smi_cluster_merged_golden.txt", got));
}

nlohmann::json MigPod(const std::string& ns, const std::string& name, const std::string& allocated,
                      const std::string& migs, const std::string& phase = "Running") {
  nlohmann::json pod = Pod(ns, name, "node-1", allocated, phase);
  pod["metadata"]["annotations"]["hami.io/vgpu-mig-allocations"] = migs;
  return pod;
}

std::string MigEntry(int container, const std::string& profile, int start, int size,
                     const std::string& mig_uuid = "", int gi = -1) {
  std::string e = R"({"containerIndex":)" + std::to_string(container) +
                  R"(,"deviceIndex":0,"gpuUUID":")" + kUuid0 + R"(","profile":")" + profile +
                  R"(","placement":{"start":)" + std::to_string(start) + R"(,"size":)" +
                  std::to_string(size) + "}";
  if (!mig_uuid.empty()) {
    e += R"(,"migUUID":")" + mig_uuid + R"(","gpuInstanceID":)" + std::to_string(gi) +
         R"(,"computeInstanceID":0)";
  }
  return e + "}";
}

// GPU 0 in MIG mode, GPU 1 shared through HAMi-core.
std::string MigRegister() {
  return std::string(R"([{"id":")") + kUuid0 +
         R"(","count":7,"devmem":81920,"devcore":100,"type":"NVIDIA-A100-SXM4-80GB","mode":"mig",)"
         R"("migProfiles":[{"name":"1g.10gb","memoryMB":9728,"core":14,"sliceCount":1,"placements":[]},)"
         R"({"name":"3g.40gb","memoryMB":40192,"core":42,"sliceCount":3,"placements":[{"start":0,"size":4},{"start":4,"size":4}]}],)"
         R"("health":true,"index":0},{"id":")" +
         kUuid1 +
         R"(","count":10,"devmem":81920,"devcore":100,"type":"NVIDIA-A100-SXM4-80GB","health":true,"index":1}])";
}

TEST(Smi, ClusterViewListsMigInstancesUnderTheirGpu) {
  const std::string mig0 = std::string(kUuid0) + ",NVIDIA,9728,14";
  const std::string mig3 = std::string(kUuid0) + ",NVIDIA,40192,42";
  std::vector<nlohmann::json> pods = {
      // Container 1 ("side") holds a realized 1g.10gb at slice 6 and a 3g.40gb still pending.
      MigPod("team-a", "trainer", ";" + mig0 + ":" + mig3 + ":;",
             "[" + MigEntry(1, "1g.10gb", 6, 1, "MIG-11111111-2222-3333-4444-555555555555", 13) +
                 "," + MigEntry(1, "3g.40gb", 0, 4) + "]"),
      MigPod(
          "team-b", "notebook", mig0 + ":;;",
          "[" + MigEntry(0, "1g.10gb", 5, 1, "MIG-66666666-7777-8888-9999-000000000000", 14) + "]"),
      MigPod("team-c", "done", mig0 + ":;;",
             "[" + MigEntry(0, "1g.10gb", 4, 1, "MIG-done", 9) + "]", "Succeeded"),
      Pod("team-d", "shared", "node-1", std::string(kUuid1) + ",NVIDIA,5000,30:;;")};
  std::vector<std::string> errors;
  const SmiView view =
      ViewFromCluster({Node("node-1", MigRegister())}, pods, vendor::Registry(), &errors);
  EXPECT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(view.gpus.size(), 2u);
  const SmiGpu& mig = view.gpus[0];
  EXPECT_EQ(mig.mode, "mig");
  ASSERT_EQ(mig.instances.size(), 3u) << "the finished pod's instance is gone";
  // Ordered by placement, whichever pod holds them.
  EXPECT_EQ(mig.instances[0].profile, "3g.40gb");
  EXPECT_EQ(mig.instances[0].instance_uuid, "") << "pending";
  EXPECT_EQ(mig.instances[0].container, 1);
  EXPECT_EQ(mig.instances[0].container_name, "side");
  EXPECT_EQ(mig.instances[1].pod, "notebook");
  EXPECT_EQ(mig.instances[1].placement_start, 5);
  EXPECT_EQ(mig.instances[2].instance_uuid, "MIG-11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(mig.instances[2].placement_size, 1);
  EXPECT_TRUE(view.gpus[1].instances.empty());

  const std::string got = RenderSmi(view);
  EXPECT_EQ(got, Golden("smi_cluster_mig_golden.txt", got));
  EXPECT_NE(got.find("  mig 3g.40gb    0+4    pending "), std::string::npos) << got;
  EXPECT_EQ(got.find("MIG-done"), std::string::npos);
}

TEST(Smi, MigInstancesOnlyOnMigModeGpus) {
  // An allocation entry naming a GPU that is not in MIG mode lists nothing: its line stays as is.
  const std::string shared = std::string(kUuid1) + ",NVIDIA,5000,30:;;";
  std::string entry = MigEntry(0, "1g.10gb", 0, 1, "MIG-x", 1);
  entry.replace(entry.find(kUuid0), std::string(kUuid0).size(), kUuid1);
  std::vector<std::string> errors;
  const SmiView with = ViewFromCluster({Node("node-1", MigRegister())},
                                       {MigPod("team-d", "shared", shared, "[" + entry + "]")},
                                       vendor::Registry(), &errors);
  const SmiView without =
      ViewFromCluster({Node("node-1", MigRegister())}, {Pod("team-d", "shared", "node-1", shared)},
                      vendor::Registry(), &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(with.gpus.size(), 2u);
  EXPECT_TRUE(with.gpus[1].instances.empty());
  EXPECT_EQ(RenderSmi(with), RenderSmi(without));
}

TEST(Smi, RenderInstanceLine) {
  SmiGpu g;
  g.node = "n";
  g.index = 0;
  g.uuid = kUuid0;
  g.type = "T";
  g.memory_total = 80ull << 30;
  g.mode = "mig";
  g.instances.push_back({"7g.80gb", 0, 8, "", "", "bare-pod", 2, ""});
  const std::string got = RenderSmi(SmiView{"t", {g}, {}});
  EXPECT_NE(got.find("\n  mig 7g.80gb    0+8    pending" + std::string(33, ' ') +
                     " bare-pod container 2\n"),
            std::string::npos)
      << got;
}

TEST(Smi, ContainerViewShowsOnlyTheSlice) {
  RegionSample r = Region("u1", "main", 3000, 1200, 30, 2);
  HostGpu g{0, kUuid0, "A100-SXM4-40GB", 40ull << 30, 20ull << 30, 90, 0, {}, {}};
  const std::string got = RenderSmi(ViewFromRegion(r.reading, {g}, "HAMi smi: this container"));
  EXPECT_EQ(got, Golden("smi_container_golden.txt", got));
  EXPECT_EQ(got.find("20.0Gi"), std::string::npos) << "the host's usage is not shown";
}

}  // namespace
}  // namespace hami::monitor
