// Decide for one pod against N nodes × 8 GPUs at ~50% occupancy, single thread.
// Target (issue 2): 5000 × 8 under 2 ms per decision, cost linear in nodes.
#include <benchmark/benchmark.h>

#include <random>

#include "sched/decide.h"
#include "test/builders/sched_builders.h"

namespace {

using hami::sched::NodeState;

std::vector<NodeState> Cluster(int nodes) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> slots(0, 9), mem(0, 16000), cores(0, 100);
  std::vector<NodeState> out;
  out.reserve(nodes);
  for (int n = 0; n < nodes; ++n) {
    hami::testing::NodeBuilder b("node-" + std::to_string(n));
    b.Gpus(8, 32768, n % 2 ? "NVIDIA-A100-SXM4-40GB" : "NVIDIA-Tesla V100-PCIE-32GB", 0);
    for (int g = 0; g < 8; ++g) {
      // ~50% occupancy on average: half of memory, cores and slots.
      b.Use(g, slots(rng), mem(rng) * 2, cores(rng));
    }
    out.push_back(b.Build());
  }
  return out;
}

void BM_Decide(benchmark::State& state, const char* gpu_policy, hami::sched::NodePolicy node) {
  auto nodes = Cluster(static_cast<int>(state.range(0)));
  std::vector<const NodeState*> ptrs;
  ptrs.reserve(nodes.size());
  for (const auto& n : nodes) ptrs.push_back(&n);
  auto pod = hami::testing::PodWith(
      {hami::testing::RequestBuilder().Gpu(1).MemMiB(3000).Cores(30).Build()});
  pod.policy.gpu = hami::sched::ParseGpuPolicy(gpu_policy);
  pod.policy.node = node;
  for (auto _ : state) {
    auto decision = hami::sched::Decide(ptrs, pod, nullptr);
    benchmark::DoNotOptimize(decision);
  }
  state.SetComplexityN(state.range(0));
  state.counters["nodes"] = static_cast<double>(state.range(0));
}

void BM_DecideBinpackSpread(benchmark::State& state) {
  BM_Decide(state, "spread", hami::sched::NodePolicy::kBinpack);
}
void BM_DecideSpreadBinpack(benchmark::State& state) {
  BM_Decide(state, "binpack", hami::sched::NodePolicy::kSpread);
}

BENCHMARK(BM_DecideBinpackSpread)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(5000)
    ->Unit(benchmark::kMicrosecond)
    ->Complexity(benchmark::oN);
BENCHMARK(BM_DecideSpreadBinpack)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(5000)
    ->Unit(benchmark::kMicrosecond)
    ->Complexity(benchmark::oN);

}  // namespace

BENCHMARK_MAIN();
