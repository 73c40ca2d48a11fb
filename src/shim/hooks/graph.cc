// Graph memory node hooks: the alloc nodes of a graph are charged, each rounded to its device's
// allocation granularity, on the device they allocate on, from the instantiation of an exec
// holding them until that exec is destroyed — and beyond, for as long as the driver's graph
// memory pool reports it still reserves the memory (limit/graph_ledger.h). The nodes are read
// from the graph itself at instantiation (cuGraphGetNodes, child graphs included), so nodes added
// by stream capture count the same as cuGraphAddMemAllocNode's. WIRE: driver ABI names.
#include "shim/hooks/hook_util.h"
#include "shim/log.h"

using hami::shim::GraphLedger;
using hami::shim::Runtime;
using hami::shim::UsageKind;

namespace {

constexpr int kMaxNesting = 16;  // child graphs deeper than this are refused under a limit

// Adds the footprint of every alloc node of `graph` (and of its child graphs) to `out`;
// false when the graph cannot be read.
bool AddFootprint(CUgraph graph, int depth, GraphLedger::PerDevice* out) {
  auto get_nodes = CU_REAL(cuGraphGetNodes);
  auto get_type = CU_REAL(cuGraphNodeGetType);
  auto get_alloc = CU_REAL(cuGraphMemAllocNodeGetParams);
  auto get_child = CU_REAL(cuGraphChildGraphNodeGetGraph);
  if (depth > kMaxNesting || get_nodes == nullptr || get_type == nullptr) return false;
  size_t count = 0;
  if (get_nodes(graph, nullptr, &count) != CUDA_SUCCESS) return false;
  std::vector<CUgraphNode> nodes(count);
  if (count != 0 && get_nodes(graph, nodes.data(), &count) != CUDA_SUCCESS) return false;
  nodes.resize(std::min(count, nodes.size()));
  for (CUgraphNode node : nodes) {
    CUgraphNodeType type;
    if (get_type(node, &type) != CUDA_SUCCESS) return false;
    if (type == CU_GRAPH_NODE_TYPE_GRAPH) {
      CUgraph child = nullptr;
      if (get_child == nullptr || get_child(node, &child) != CUDA_SUCCESS ||
          !AddFootprint(child, depth + 1, out)) {
        return false;
      }
    } else if (type == CU_GRAPH_NODE_TYPE_MEM_ALLOC) {
      CUDA_MEM_ALLOC_NODE_PARAMS params{};
      if (get_alloc == nullptr || get_alloc(node, &params) != CUDA_SUCCESS) return false;
      CUmemAllocationProp prop{};
      prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
      prop.location = params.poolProps.location;
      size_t gran = 0;
      auto g = CU_REAL(cuMemGetAllocationGranularity);
      if (g == nullptr || g(&gran, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM) != CUDA_SUCCESS) {
        gran = 0;
      }
      (*out)[params.poolProps.location.id] += hami::shim::limit::RoundUp(
          params.bytesize, gran != 0 ? gran : hami::shim::limit::kLargePage);
    }
  }
  return true;
}

// What the driver's graph pool reserves on `dev` (0 when it cannot tell).
uint64_t DriverReserved(int dev) {
  auto get = CU_REAL(cuDeviceGetGraphMemAttribute);
  cuuint64_t v = 0;
  if (get == nullptr || get(dev, CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT, &v) != CUDA_SUCCESS) {
    return 0;
  }
  return v;
}

// Caller holds the ledger's mutex. Brings `dev`'s charge to its target. The memory is already
// taken when this runs, so growth is charged even above the limit (later allocations are then
// refused) and logged.
void Settle(Runtime& rt, GraphLedger& ledger, int dev) {
  const uint64_t target = ledger.Target(dev, DriverReserved(dev));
  uint64_t& charged = ledger.Charged(dev);
  if (target > charged) {
    if (!rt.Reserve(dev, target - charged, UsageKind::kData)) {
      SHIM_WARN("graph memory on device %d grew to %llu bytes, above the limit", dev,
                static_cast<unsigned long long>(target));
      rt.Reserve(dev, target - charged, UsageKind::kData, /*force=*/true);
    }
  } else if (target < charged) {
    rt.Unreserve(dev, charged - target, UsageKind::kData);
  }
  charged = target;
}

// Instantiates `graph` through `call` after charging its alloc nodes; refuses over the limit.
template <typename Call>
CUresult Instantiate(CUgraphExec* exec, CUgraph graph, Call&& call) {
  Runtime& rt = Runtime::Get();
  GraphLedger::PerDevice footprint;
  if (!AddFootprint(graph, 0, &footprint)) {
    if (rt.MayRunUnaccounted() || exec == nullptr) return call();
    SHIM_ERROR("cannot read the memory nodes of graph %p: instantiation refused", (void*)graph);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  if (footprint.empty()) return call();
  GraphLedger& ledger = rt.graphs();
  std::lock_guard<std::mutex> lock(ledger.mu());
  GraphLedger::PerDevice taken;  // what was reserved for this exec, per device
  for (const auto& [dev, bytes] : footprint) {
    const uint64_t target = ledger.Target(dev, DriverReserved(dev), bytes);
    uint64_t& charged = ledger.Charged(dev);
    const uint64_t more = target > charged ? target - charged : 0;
    if (more != 0 && !rt.Reserve(dev, more, UsageKind::kData)) {
      for (const auto& [d, b] : taken) {
        rt.Unreserve(d, b, UsageKind::kData);
        ledger.Charged(d) -= b;
      }
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
    charged += more;
    taken[dev] = more;
  }
  const CUresult r = call();
  if (r == CUDA_SUCCESS && exec != nullptr) {
    ledger.AddExec(reinterpret_cast<uint64_t>(*exec), footprint);
  }
  for (const auto& [dev, bytes] : footprint) Settle(rt, ledger, dev);
  return r;
}

}  // namespace

namespace hami::shim {

// After a graph launch: the graph pool may have grown beyond what instantiation charged.
void SettleGraphMemory() {
  Runtime& rt = Runtime::Get();
  GraphLedger& ledger = rt.graphs();
  std::lock_guard<std::mutex> lock(ledger.mu());
  for (int dev : ledger.Devices()) Settle(rt, ledger, dev);
}

}  // namespace hami::shim

extern "C" {

CUresult cuGraphInstantiate_v2(CUgraphExec* exec, CUgraph graph, CUgraphNode* error_node,
                               char* log_buffer, size_t buffer_size) {
  HAMI_REAL_OR_FAIL(cuGraphInstantiate_v2);
  return Instantiate(exec, graph,
                     [&] { return real(exec, graph, error_node, log_buffer, buffer_size); });
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec* exec, CUgraph graph, unsigned long long flags) {
  HAMI_REAL_OR_FAIL(cuGraphInstantiateWithFlags);
  return Instantiate(exec, graph, [&] { return real(exec, graph, flags); });
}

#define HAMI_INSTANTIATE_WITH_PARAMS(sym)                                                 \
  CUresult sym(CUgraphExec* exec, CUgraph graph, CUDA_GRAPH_INSTANTIATE_PARAMS* params) { \
    HAMI_REAL_OR_FAIL(sym);                                                               \
    return Instantiate(exec, graph, [&] { return real(exec, graph, params); });           \
  }
HAMI_INSTANTIATE_WITH_PARAMS(cuGraphInstantiateWithParams)
HAMI_INSTANTIATE_WITH_PARAMS(cuGraphInstantiateWithParams_ptsz)
#undef HAMI_INSTANTIATE_WITH_PARAMS

CUresult cuGraphExecDestroy(CUgraphExec exec) {
  HAMI_REAL_OR_FAIL(cuGraphExecDestroy);
  Runtime& rt = Runtime::Get();
  GraphLedger& ledger = rt.graphs();
  std::lock_guard<std::mutex> lock(ledger.mu());
  const CUresult r = real(exec);
  if (r != CUDA_SUCCESS) return r;
  // The pool keeps what it reserved for the exec until trimmed: Settle keeps that charged.
  for (const auto& [dev, bytes] : ledger.RemoveExec(reinterpret_cast<uint64_t>(exec))) {
    Settle(rt, ledger, dev);
  }
  return r;
}

CUresult cuDeviceGraphMemTrim(CUdevice device) {
  HAMI_REAL_OR_FAIL(cuDeviceGraphMemTrim);
  Runtime& rt = Runtime::Get();
  GraphLedger& ledger = rt.graphs();
  std::lock_guard<std::mutex> lock(ledger.mu());
  const CUresult r = real(device);
  if (r == CUDA_SUCCESS) Settle(rt, ledger, device);
  return r;
}

}  // extern "C"
