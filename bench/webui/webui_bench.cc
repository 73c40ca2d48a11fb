// The web UI's API at 1000 nodes x 8 GPUs with 8000 pods (one slice each) and every monitor
// answered: the model build (once per change, at most every second), /api/v1/overview and a
// sorted /api/v1/nodes page (per request). Run: _output/bin/bench/webui_bench.
#include <benchmark/benchmark.h>

#include "codec/json_util.h"
#include "webui/api_json.h"
#include "webui/test_cluster.h"

namespace hami::webui {
namespace {

constexpr int kNodes = 1000;
constexpr int kGpus = 8;

struct Cluster {
  std::vector<nlohmann::json> nodes, pods;
  MonitorReports monitors;
  std::map<std::string, PendingEntry> pending;
  vendor::Registry registry;

  Cluster() {
    for (int n = 0; n < kNodes; ++n) {
      const std::string name = "node-" + std::to_string(n);
      nodes.push_back(testing::GpuNode(
          name, kGpus, "10.0." + std::to_string(n / 250) + "." + std::to_string(n % 250)));
      monitor::Snapshot s;
      s.node = name;
      for (int g = 0; g < kGpus; ++g) {
        pods.push_back(testing::SlicePod("ns-" + std::to_string(n % 50),
                                         "pod-" + std::to_string(n) + "-" + std::to_string(g), name,
                                         testing::Uuid(name, g), 4000, 25));
        monitor::HostGpu h;
        h.index = g;
        h.uuid = testing::Uuid(name, g);
        h.memory_total = 40960ULL << 20;
        h.memory_used = static_cast<uint64_t>(1000 + n) << 20;
        h.utilization_gpu = static_cast<unsigned>((n + g) % 100);
        s.gpus.push_back(h);
      }
      monitors[name] = {s, true, 1, ""};
    }
  }
  ClusterModel Build() const {
    return BuildModel({nodes, pods, monitors, pending, 1, 1}, registry);
  }
};

const Cluster& TheCluster() {
  static const Cluster cluster;
  return cluster;
}

void BM_BuildModel(benchmark::State& state) {
  const Cluster& c = TheCluster();
  for (auto _ : state) benchmark::DoNotOptimize(c.Build());
}
BENCHMARK(BM_BuildModel)->Unit(benchmark::kMillisecond);

void BM_Overview(benchmark::State& state) {
  const ClusterModel model = TheCluster().Build();
  for (auto _ : state) benchmark::DoNotOptimize(codec::DumpJson(OverviewJson(model, {})));
}
BENCHMARK(BM_Overview)->Unit(benchmark::kMicrosecond);

void BM_NodesPage(benchmark::State& state) {
  const ClusterModel model = TheCluster().Build();
  for (auto _ : state) {
    auto page = NodesJson(model, "sort=utilization&order=desc&page=3&pageSize=50");
    benchmark::DoNotOptimize(codec::DumpJson(*page));
  }
}
BENCHMARK(BM_NodesPage)->Unit(benchmark::kMicrosecond);

void BM_PodsSearch(benchmark::State& state) {
  const ClusterModel model = TheCluster().Build();
  for (auto _ : state) {
    auto page = PodsJson(model, "search=pod-99&sort=memory&order=desc", {});
    benchmark::DoNotOptimize(codec::DumpJson(*page));
  }
}
BENCHMARK(BM_PodsSearch)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hami::webui
BENCHMARK_MAIN();
