// Simulated driver entry points: graph memory nodes and the per-device graph memory pool.
//
// As with the driver: an alloc node's address is fixed when the node is added (only address
// space, no physical memory); physical memory is taken from the device's graph pool when a graph
// holding the node is launched, growing the pool (charged to the GPU) when it does not hold
// enough. A free node (or cuMemFree / cuMemFreeAsync of the address) returns the memory to the
// pool, which keeps it reserved for the next launch until cuDeviceGraphMemTrim gives back what no
// live allocation uses. Destroying a graph or an exec does not shrink the pool. Not modelled:
// CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH (relaunching with live allocations is refused),
// reuse of one allocation's address by another graph, child graphs.
#include <algorithm>
#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"

using hami::sim::Graph;
using hami::sim::GraphAlloc;
using hami::sim::GraphMemOp;
using hami::sim::KernelNode;
using hami::sim::ObjKind;
using hami::sim::Process;

namespace {

using Lock = std::lock_guard<std::mutex>;

// The node behind a handle when it belongs to one of the process's graphs, else nullptr.
KernelNode* FindNode(Process& p, CUgraphNode handle, Graph** owner = nullptr) {
  KernelNode* found = nullptr;
  p.ForEachObject([&](hami::sim::Object* o) {
    if (found != nullptr || o->kind != ObjKind::kGraph) return;
    auto* g = static_cast<Graph*>(o);
    for (KernelNode& n : g->nodes) {
      if (reinterpret_cast<CUgraphNode>(&n) == handle) {
        found = &n;
        if (owner != nullptr) *owner = g;
      }
    }
  });
  return found;
}

// Validates a new node's graph and dependencies (every dependency a node of that graph).
CUresult CheckAdd(Process& p, CUgraphNode* node, CUgraph graph, const CUgraphNode* deps,
                  size_t num_deps, Graph** out) {
  Graph* g = p.Find<Graph>(graph, ObjKind::kGraph);
  if (g == nullptr || node == nullptr || (num_deps > 0 && deps == nullptr)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  for (size_t i = 0; i < num_deps; ++i) {
    Graph* owner = nullptr;
    if (FindNode(p, deps[i], &owner) == nullptr || owner != g) return CUDA_ERROR_INVALID_VALUE;
  }
  *out = g;
  return CUDA_SUCCESS;
}

CUgraphNode Append(Graph* g, const KernelNode& n) {
  g->nodes.push_back(n);
  return reinterpret_cast<CUgraphNode>(&g->nodes.back());
}

}  // namespace

namespace hami::sim {

CUresult Process::RunGraphMemOps(const std::vector<GraphMemOp>& ops) {
  // Check the whole launch first: physical growth per device, allocations not live already.
  uint64_t need[kMaxGpus] = {};
  uint64_t used[kMaxGpus];
  std::copy(std::begin(graph_used), std::end(graph_used), used);
  for (const GraphMemOp& op : ops) {
    auto it = graph_allocs.find(op.dptr);
    if (it == graph_allocs.end() || (op.alloc && it->second.live)) return CUDA_ERROR_INVALID_VALUE;
    if (op.alloc) {
      used[op.device] += it->second.bytes;  // whole pages, as the pool maps them
      need[op.device] = std::max(need[op.device], used[op.device]);
    } else {
      used[op.device] -= std::min(used[op.device], it->second.bytes);
    }
  }
  int grown = 0;
  for (; grown < device_count(); ++grown) {
    if (need[grown] <= graph_reserved[grown]) continue;
    if (!Charge(grown, need[grown] - graph_reserved[grown])) break;
  }
  if (grown < device_count()) {  // the GPU is full: undo the growth taken so far
    for (int d = 0; d < grown; ++d) {
      if (need[d] > graph_reserved[d]) Uncharge(d, need[d] - graph_reserved[d]);
    }
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  for (int d = 0; d < device_count(); ++d) {
    graph_reserved[d] = std::max(graph_reserved[d], need[d]);
    graph_reserved_high[d] = std::max(graph_reserved_high[d], graph_reserved[d]);
  }
  for (const GraphMemOp& op : ops) {
    GraphAlloc& a = graph_allocs[op.dptr];
    if (op.alloc) {
      a.live = true;
      graph_used[a.device] += a.bytes;
      graph_used_high[a.device] = std::max(graph_used_high[a.device], graph_used[a.device]);
    } else if (a.live) {
      a.live = false;
      graph_used[a.device] -= a.bytes;
    }
  }
  return CUDA_SUCCESS;
}

bool Process::FreeGraphAlloc(CUdeviceptr dptr) {
  auto it = graph_allocs.find(dptr);
  if (it == graph_allocs.end() || !it->second.live) return false;
  it->second.live = false;
  graph_used[it->second.device] -= it->second.bytes;
  return true;
}

}  // namespace hami::sim

extern "C" {

CUresult cuGraphAddMemAllocNode(CUgraphNode* node, CUgraph graph, const CUgraphNode* dependencies,
                                size_t num_dependencies, CUDA_MEM_ALLOC_NODE_PARAMS* params) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Graph* g = nullptr;
  if (CUresult r = CheckAdd(p, node, graph, dependencies, num_dependencies, &g);
      r != CUDA_SUCCESS) {
    return r;
  }
  if (params == nullptr || params->bytesize == 0 ||
      params->poolProps.allocType != CU_MEM_ALLOCATION_TYPE_PINNED ||
      params->poolProps.location.type != CU_MEM_LOCATION_TYPE_DEVICE) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const int dev = params->poolProps.location.id;
  if (!p.ValidDevice(dev)) return CUDA_ERROR_INVALID_DEVICE;
  const uint64_t bytes = hami::sim::PhysicalCharge(params->bytesize);
  auto va = p.DeviceVa(dev).Allocate(bytes, hami::sim::kLargePage);
  if (!va) return CUDA_ERROR_OUT_OF_MEMORY;
  p.graph_allocs[*va] = GraphAlloc{dev, bytes, false};
  KernelNode n;
  n.type = CU_GRAPH_NODE_TYPE_MEM_ALLOC;
  n.device = dev;
  n.bytes = params->bytesize;
  n.dptr = *va;
  params->dptr = *va;
  *node = Append(g, n);
  return CUDA_SUCCESS;
}

CUresult cuGraphAddMemFreeNode(CUgraphNode* node, CUgraph graph, const CUgraphNode* dependencies,
                               size_t num_dependencies, CUdeviceptr dptr) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Graph* g = nullptr;
  if (CUresult r = CheckAdd(p, node, graph, dependencies, num_dependencies, &g);
      r != CUDA_SUCCESS) {
    return r;
  }
  auto it = p.graph_allocs.find(dptr);
  if (it == p.graph_allocs.end()) return CUDA_ERROR_INVALID_VALUE;
  KernelNode n;
  n.type = CU_GRAPH_NODE_TYPE_MEM_FREE;
  n.device = it->second.device;
  n.dptr = dptr;
  *node = Append(g, n);
  return CUDA_SUCCESS;
}

CUresult cuGraphMemAllocNodeGetParams(CUgraphNode node, CUDA_MEM_ALLOC_NODE_PARAMS* params_out) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  const KernelNode* n = FindNode(p, node);
  if (n == nullptr || params_out == nullptr || n->type != CU_GRAPH_NODE_TYPE_MEM_ALLOC) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  *params_out = CUDA_MEM_ALLOC_NODE_PARAMS{};
  params_out->poolProps.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
  params_out->poolProps.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  params_out->poolProps.location.id = n->device;
  params_out->bytesize = n->bytes;
  params_out->dptr = n->dptr;
  return CUDA_SUCCESS;
}

CUresult cuGraphGetNodes(CUgraph graph, CUgraphNode* nodes, size_t* num_nodes) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Graph* g = p.Find<Graph>(graph, ObjKind::kGraph);
  if (g == nullptr || num_nodes == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (nodes != nullptr) {  // as the driver: fills min(*num_nodes, count), then stores the count
    size_t i = 0;
    for (KernelNode& n : g->nodes) {
      if (i == *num_nodes) break;
      nodes[i++] = reinterpret_cast<CUgraphNode>(&n);
    }
  }
  *num_nodes = g->nodes.size();
  return CUDA_SUCCESS;
}

CUresult cuGraphNodeGetType(CUgraphNode node, CUgraphNodeType* type) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  const KernelNode* n = FindNode(p, node);
  if (n == nullptr || type == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *type = n->type;
  return CUDA_SUCCESS;
}

CUresult cuGraphInstantiateWithParams(CUgraphExec* exec, CUgraph graph,
                                      CUDA_GRAPH_INSTANTIATE_PARAMS* params) {
  if (params == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const CUresult r = cuGraphInstantiateWithFlags(exec, graph, params->flags);
  params->result_out = r == CUDA_SUCCESS ? 0 : 1;  // CUDA_GRAPH_INSTANTIATE_SUCCESS / _ERROR
  params->hErrNode_out = nullptr;
  return r;
}

CUresult cuDeviceGetGraphMemAttribute(CUdevice device, CUgraphMem_attribute attr, void* value) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (!p.ValidDevice(device)) return CUDA_ERROR_INVALID_DEVICE;
  if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto* out = static_cast<cuuint64_t*>(value);
  switch (attr) {
    case CU_GRAPH_MEM_ATTR_USED_MEM_CURRENT:
      *out = p.graph_used[device];
      break;
    case CU_GRAPH_MEM_ATTR_USED_MEM_HIGH:
      *out = p.graph_used_high[device];
      break;
    case CU_GRAPH_MEM_ATTR_RESERVED_MEM_CURRENT:
      *out = p.graph_reserved[device];
      break;
    case CU_GRAPH_MEM_ATTR_RESERVED_MEM_HIGH:
      *out = p.graph_reserved_high[device];
      break;
    default:
      return CUDA_ERROR_INVALID_VALUE;
  }
  return CUDA_SUCCESS;
}

CUresult cuDeviceGraphMemTrim(CUdevice device) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (!p.ValidDevice(device)) return CUDA_ERROR_INVALID_DEVICE;
  p.Uncharge(device, p.graph_reserved[device] - p.graph_used[device]);
  p.graph_reserved[device] = p.graph_used[device];
  return CUDA_SUCCESS;
}

}  // extern "C"
