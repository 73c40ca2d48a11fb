// Decide over N nodes mixing vendors, each node registered through the real vendor seam
// (vendor::NodeStateFromNode) exactly as its device plugin writes it, 8 devices per node at ~50%
// occupancy, single thread. Issue 12's target: no more per node than the NVIDIA-only figure of
// decide_bench (the seam adds no virtual call per device for vendors without a device hook).
//
//   MixedNodes/<vendor>: nodes cycle NVIDIA, Hygon DCU, Cambricon MLU, Ascend 910B3; the pod asks
//                        one vendor, so 3 of 4 nodes are refused at once (NodeInsufficientDevice)
//   MixedDevices:        every node carries 4 NVIDIA GPUs and 4 Hygon DCUs; an NVIDIA pod
//   NvidiaOnly:          decide_bench's cluster through the seam, the baseline in this binary
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"

namespace {

using hami::sched::NodeState;
namespace vendor = hami::vendor;

enum class Kind { kNvidia, kDcu, kMlu, kAscend, kNvidiaAndDcu };

std::string NvidiaRegister(const std::string& node, int first, int count) {
  std::string out = "[";
  for (int i = first; i < first + count; ++i) {
    out +=
        std::string(i > first ? "," : "") + R"({"id":")" + node + "-gpu-" + std::to_string(i) +
        R"(","index":)" + std::to_string(i) +
        R"(,"count":10,"devmem":32768,"devcore":100,"type":"NVIDIA-A100-SXM4-40GB","mode":"hami-core","health":true})";
  }
  return out + "]";
}

std::string DcuRegister(const std::string& node, int first, int count) {
  std::string out;
  for (int i = first; i < first + count; ++i) {
    out += node + "-dcu-" + std::to_string(i) + ",4,65520,100,DCU-K100_AI,0,true," +
           std::to_string(i) + ",hami-core:";
  }
  return out;
}

std::string AscendRegister(const std::string& node) {
  std::string out = "[";
  for (int i = 0; i < 8; ++i) {
    out +=
        std::string(i ? "," : "") + R"({"id":")" + node + "-npu-" + std::to_string(i) +
        R"(","index":)" + std::to_string(i) +
        R"(,"count":4,"devmem":65536,"devcore":20,"type":"Ascend910B3","health":true,"custominfo":{"NetworkID":)" +
        std::to_string(i / 4) + "}}";
  }
  return out + "]";
}

hami::codec::NodeObject Node(const std::string& name, Kind kind) {
  hami::codec::NodeObject node;
  node.name = name;
  switch (kind) {
    case Kind::kNvidia:
      node.annotations["hami.io/node-nvidia-register"] = NvidiaRegister(name, 0, 8);
      break;
    case Kind::kDcu:
      node.annotations["hami.io/node-dcu-register"] = DcuRegister(name, 0, 8);
      break;
    case Kind::kMlu:
      node.capacity["cambricon.com/mlu.smlu.vcore"] = "800";
      node.capacity["cambricon.com/mlu.smlu.vmemory"] = "768";
      break;
    case Kind::kAscend:
      node.annotations["hami.io/node-register-Ascend910B3"] = AscendRegister(name);
      break;
    case Kind::kNvidiaAndDcu:
      node.annotations["hami.io/node-nvidia-register"] = NvidiaRegister(name, 0, 4);
      node.annotations["hami.io/node-dcu-register"] = DcuRegister(name, 4, 4);
      break;
  }
  return node;
}

const vendor::Registry& Registry() {
  static const vendor::Registry registry = std::move(
      vendor::Registry::Create(vendor::DeviceConfig{}, {{"enable-ascend", "true"}}).value());
  return registry;
}

// `kinds` cycled over `n` nodes; every device at ~50% of its slots, memory and cores.
std::vector<NodeState> Cluster(int n, const std::vector<Kind>& kinds) {
  std::mt19937 rng(42);
  std::vector<NodeState> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto state = vendor::NodeStateFromNode(
        Node("node-" + std::to_string(i), kinds[i % kinds.size()]), Registry());
    for (auto& d : state.value().devices) {
      std::uniform_int_distribution<int> slots(0, d.info.count - 1), half(0, 100);
      d.usage.used = slots(rng);
      d.usage.usedmem = static_cast<int64_t>(d.info.devmem) * half(rng) / 200;
      d.usage.usedcores = static_cast<int64_t>(d.info.devcore) * half(rng) / 200;
    }
    out.push_back(std::move(state.value()));
  }
  return out;
}

hami::sched::PodInput PodAsking(std::map<std::string, std::string> limits) {
  hami::model::Pod pod;
  pod.name = "bench";
  pod.containers.push_back(hami::model::testing::MakeContainer("c", std::move(limits)));
  auto input = vendor::BuildPodInput(pod, Registry(), hami::sched::Policy{});
  return std::move(input.value());
}

void Run(benchmark::State& state, const std::vector<NodeState>& nodes,
         const hami::sched::PodInput& pod) {
  std::vector<const NodeState*> ptrs;
  ptrs.reserve(nodes.size());
  for (const auto& n : nodes) ptrs.push_back(&n);
  for (auto _ : state) {
    auto decision = hami::sched::Decide(ptrs, pod, nullptr);
    benchmark::DoNotOptimize(decision);
  }
  state.counters["nodes"] = static_cast<double>(nodes.size());
  state.counters["ns_per_node"] = benchmark::Counter(
      static_cast<double>(nodes.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

const std::map<std::string, std::string> kNvidiaPod = {
    {"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "3000"}, {"nvidia.com/gpucores", "30"}};

void BM_NvidiaOnly(benchmark::State& state) {
  Run(state, Cluster(static_cast<int>(state.range(0)), {Kind::kNvidia}), PodAsking(kNvidiaPod));
}

void BM_MixedNodes(benchmark::State& state, std::map<std::string, std::string> limits) {
  Run(state,
      Cluster(static_cast<int>(state.range(0)),
              {Kind::kNvidia, Kind::kDcu, Kind::kMlu, Kind::kAscend}),
      PodAsking(std::move(limits)));
}

void BM_MixedDevices(benchmark::State& state) {
  Run(state, Cluster(static_cast<int>(state.range(0)), {Kind::kNvidiaAndDcu}),
      PodAsking(kNvidiaPod));
}

BENCHMARK(BM_NvidiaOnly)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MixedNodes, nvidia, kNvidiaPod)->Arg(5000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MixedNodes, dcu,
                  {{"hygon.com/dcunum", "1"},
                   {"hygon.com/dcumem", "3000"},
                   {"hygon.com/dcucores", "30"}})
    ->Arg(5000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MixedNodes, mlu,
                  {{"cambricon.com/vmlu", "1"},
                   {"cambricon.com/mlu.smlu.vmemory", "10"},
                   {"cambricon.com/mlu.smlu.vcore", "30"}})
    ->Arg(5000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MixedNodes, ascend,
                  {{"huawei.com/Ascend910B3", "1"}, {"huawei.com/Ascend910B3-memory", "16384"}})
    ->Arg(5000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MixedDevices)->Arg(5000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
