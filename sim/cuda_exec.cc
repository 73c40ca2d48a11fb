// Simulated driver entry points: streams, events, modules, kernel launches and graphs.
//
// A launch is asynchronous: it queues gridX*gridY*gridZ x HAMI_SIM_NS_PER_BLOCK of work on the
// GPU's shared timeline (serialized with every other process's work on that GPU) and returns;
// synchronization sleeps until the queued work's simulated end.
#include <unistd.h>

#include <mutex>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_process.h"
#include "sim/device_attributes.h"

using hami::sim::Context;
using hami::sim::Event;
using hami::sim::Function;
using hami::sim::Graph;
using hami::sim::GraphExec;
using hami::sim::KernelNode;
using hami::sim::Module;
using hami::sim::ObjKind;
using hami::sim::Process;
using hami::sim::Stream;
using hami::sim::StreamRef;

namespace {

using Lock = std::lock_guard<std::mutex>;

struct LaunchShape {
  unsigned grid[3];
  unsigned block[3];
  unsigned shared_mem;
  bool cooperative;
};

CUresult ValidateShape(const Process& p, const Context& ctx, const LaunchShape& s) {
  for (int i = 0; i < 3; ++i) {
    if (s.grid[i] == 0 || s.block[i] == 0) return CUDA_ERROR_INVALID_VALUE;
  }
  uint64_t threads = static_cast<uint64_t>(s.block[0]) * s.block[1] * s.block[2];
  if (s.grid[0] > 2147483647u || s.grid[1] > 65535 || s.grid[2] > 65535 || s.block[0] > 1024 ||
      s.block[1] > 1024 || s.block[2] > 64 || threads > 1024) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const hami::sim::GpuSpec& gpu = p.Spec(ctx.device);
  if (static_cast<int>(s.shared_mem) > hami::sim::SharedMemoryOptin(gpu)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  uint64_t blocks = static_cast<uint64_t>(s.grid[0]) * s.grid[1] * s.grid[2];
  if (s.cooperative && blocks > hami::sim::MaxResidentBlocks(gpu, static_cast<unsigned>(threads))) {
    return CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE;
  }
  return CUDA_SUCCESS;
}

CUresult Launch(CUfunction f, const LaunchShape& shape, CUstream stream, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (p.Current() == nullptr && stream == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  Function* fn = p.Find<Function>(f, ObjKind::kFunction);
  if (fn == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  if (CUresult r = ValidateShape(p, *ref.ctx, shape); r != CUDA_SUCCESS) return r;
  p.EnqueueBlocks(ref, static_cast<uint64_t>(shape.grid[0]) * shape.grid[1] * shape.grid[2]);
  return CUDA_SUCCESS;
}

CUresult LaunchEx(const CUlaunchConfig* config, CUfunction f, bool per_thread) {
  if (config == nullptr || (config->numAttrs > 0 && config->attrs == nullptr)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  LaunchShape shape{{config->gridDimX, config->gridDimY, config->gridDimZ},
                    {config->blockDimX, config->blockDimY, config->blockDimZ},
                    config->sharedMemBytes,
                    false};
  for (unsigned i = 0; i < config->numAttrs; ++i) {
    if (config->attrs[i].id == CU_LAUNCH_ATTRIBUTE_COOPERATIVE) {
      shape.cooperative = config->attrs[i].value.cooperative != 0;
    }
  }
  return Launch(f, shape, config->hStream, per_thread);
}

CUresult StreamSync(CUstream stream, bool per_thread) {
  int64_t until = 0;
  {
    Process& p = Process::Get();
    Lock lock(p.mu);
    if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
    StreamRef ref;
    if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
    until = ref.SyncTarget();
  }
  hami::sim::WaitUntil(until);
  return CUDA_SUCCESS;
}

CUresult StreamQuery(CUstream stream, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  return ref.SyncTarget() > hami::sim::MonotonicNowNs() ? CUDA_ERROR_NOT_READY : CUDA_SUCCESS;
}

CUresult StreamWaitEvent(CUstream stream, CUevent event, unsigned flags, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  Event* e = p.Find<Event>(event, ObjKind::kEvent);
  if (e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  if (flags > 1) return CUDA_ERROR_INVALID_VALUE;
  if (e->recorded) *ref.end_ns = std::max(*ref.end_ns, e->time_ns);  // later work starts after it
  return CUDA_SUCCESS;
}

CUresult EventRecord(CUevent event, CUstream stream, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Event* e = p.Find<Event>(event, ObjKind::kEvent);
  if (e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  e->recorded = true;
  e->time_ns = std::max(hami::sim::MonotonicNowNs(), ref.SyncTarget());
  return CUDA_SUCCESS;
}

CUresult AddKernelNode(CUgraphNode* node, CUgraph graph, const CUgraphNode* dependencies,
                       size_t num_dependencies, CUfunction func, const unsigned grid[3]) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Graph* g = p.Find<Graph>(graph, ObjKind::kGraph);
  if (g == nullptr || node == nullptr || (num_dependencies > 0 && dependencies == nullptr) ||
      p.Find<Function>(func, ObjKind::kFunction) == nullptr) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  for (size_t i = 0; i < num_dependencies; ++i) {
    bool member = false;
    for (const KernelNode& n : g->nodes)
      member |= reinterpret_cast<CUgraphNode>(const_cast<KernelNode*>(&n)) == dependencies[i];
    if (!member) return CUDA_ERROR_INVALID_VALUE;
  }
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0) return CUDA_ERROR_INVALID_VALUE;
  g->nodes.push_back(KernelNode{static_cast<uint64_t>(grid[0]) * grid[1] * grid[2]});
  *node = reinterpret_cast<CUgraphNode>(&g->nodes.back());
  return CUDA_SUCCESS;
}

CUresult GraphLaunch(CUgraphExec exec, CUstream stream, bool per_thread) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  GraphExec* e = p.Find<GraphExec>(exec, ObjKind::kGraphExec);
  if (e == nullptr) return CUDA_ERROR_INVALID_VALUE;
  StreamRef ref;
  if (CUresult r = p.ResolveStream(stream, per_thread, &ref); r != CUDA_SUCCESS) return r;
  if (CUresult r = p.RunGraphMemOps(e->mem_ops); r != CUDA_SUCCESS) return r;
  uint64_t blocks = 0;
  for (uint64_t b : e->kernel_blocks) blocks += b;  // nodes run one after another
  if (blocks > 0) p.EnqueueBlocks(ref, blocks);
  return CUDA_SUCCESS;
}

CUresult LoadModule(CUmodule* module, const void* image) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (module == nullptr || image == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto m = std::make_unique<Module>();
  m->ctx = ctx;
  *module = reinterpret_cast<CUmodule>(p.Add(std::move(m)));
  return CUDA_SUCCESS;
}

}  // namespace

extern "C" {

CUresult cuStreamCreateWithPriority(CUstream* stream, unsigned int flags, int priority) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (stream == nullptr || flags > CU_STREAM_NON_BLOCKING) return CUDA_ERROR_INVALID_VALUE;
  auto s = std::make_unique<Stream>();
  s->ctx = ctx;
  s->flags = flags;
  s->priority = std::clamp(priority, -5, 0);  // greatest (-5) .. least (0) priority
  *stream = reinterpret_cast<CUstream>(p.Add(std::move(s)));
  return CUDA_SUCCESS;
}

CUresult cuStreamCreate(CUstream* stream, unsigned int flags) {
  return cuStreamCreateWithPriority(stream, flags, 0);
}

CUresult cuStreamDestroy_v2(CUstream stream) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (p.Find<Stream>(stream, ObjKind::kStream) == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  p.Remove(stream);  // queued work still completes on the GPU timeline
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream stream) { return StreamSync(stream, false); }
CUresult cuStreamSynchronize_ptsz(CUstream stream) { return StreamSync(stream, true); }
CUresult cuStreamQuery(CUstream stream) { return StreamQuery(stream, false); }
CUresult cuStreamQuery_ptsz(CUstream stream) { return StreamQuery(stream, true); }
CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned int flags) {
  return StreamWaitEvent(stream, event, flags, false);
}
CUresult cuStreamWaitEvent_ptsz(CUstream stream, CUevent event, unsigned int flags) {
  return StreamWaitEvent(stream, event, flags, true);
}

CUresult cuEventCreate(CUevent* event, unsigned int flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (event == nullptr || flags > 0x7) return CUDA_ERROR_INVALID_VALUE;
  auto e = std::make_unique<Event>();
  e->ctx = ctx;
  e->flags = flags;
  *event = reinterpret_cast<CUevent>(p.Add(std::move(e)));
  return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(CUevent event) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (p.Find<Event>(event, ObjKind::kEvent) == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  p.Remove(event);
  return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent event, CUstream stream) { return EventRecord(event, stream, false); }
CUresult cuEventRecord_ptsz(CUevent event, CUstream stream) {
  return EventRecord(event, stream, true);
}

CUresult cuEventQuery(CUevent event) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Event* e = p.Find<Event>(event, ObjKind::kEvent);
  if (e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  return e->recorded && e->time_ns > hami::sim::MonotonicNowNs() ? CUDA_ERROR_NOT_READY
                                                                 : CUDA_SUCCESS;
}

CUresult cuEventSynchronize(CUevent event) {
  int64_t until = 0;
  {
    Process& p = Process::Get();
    Lock lock(p.mu);
    if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
    Event* e = p.Find<Event>(event, ObjKind::kEvent);
    if (e == nullptr) return CUDA_ERROR_INVALID_HANDLE;
    until = e->recorded ? e->time_ns : 0;
  }
  hami::sim::WaitUntil(until);
  return CUDA_SUCCESS;
}

CUresult cuEventElapsedTime(float* milliseconds, CUevent start, CUevent end) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (milliseconds == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Event* a = p.Find<Event>(start, ObjKind::kEvent);
  Event* b = p.Find<Event>(end, ObjKind::kEvent);
  if (a == nullptr || b == nullptr || !a->recorded || !b->recorded ||
      ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING) != 0) {
    return CUDA_ERROR_INVALID_HANDLE;
  }
  int64_t now = hami::sim::MonotonicNowNs();
  if (a->time_ns > now || b->time_ns > now) return CUDA_ERROR_NOT_READY;
  *milliseconds = static_cast<float>(b->time_ns - a->time_ns) / 1e6f;
  return CUDA_SUCCESS;
}

CUresult cuModuleLoadData(CUmodule* module, const void* image) { return LoadModule(module, image); }
CUresult cuModuleLoadFatBinary(CUmodule* module, const void* fat_cubin) {
  return LoadModule(module, fat_cubin);
}
CUresult cuModuleLoadDataEx(CUmodule* module, const void* image, unsigned int num_options,
                            CUjit_option* options, void** option_values) {
  if (num_options > 0 && (options == nullptr || option_values == nullptr)) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  return LoadModule(module, image);
}

CUresult cuModuleLoad(CUmodule* module, const char* fname) {
  if (fname == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (access(fname, R_OK) != 0) return CUDA_ERROR_FILE_NOT_FOUND;
  return LoadModule(module, fname);
}

CUresult cuModuleUnload(CUmodule module) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Module* m = p.Find<Module>(module, ObjKind::kModule);
  if (m == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  for (auto& [name, fn] : m->functions) p.Remove(fn);
  p.Remove(m);
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction* hfunc, CUmodule module, const char* name) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (hfunc == nullptr || name == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Module* m = p.Find<Module>(module, ObjKind::kModule);
  if (m == nullptr) return CUDA_ERROR_INVALID_HANDLE;
  if (name[0] == '\0') return CUDA_ERROR_NOT_FOUND;
  Function*& fn = m->functions[name];
  if (fn == nullptr) {
    auto created = std::make_unique<Function>();
    created->module = m;
    created->name = name;
    fn = p.Add(std::move(created));
  }
  *hfunc = reinterpret_cast<CUfunction>(fn);
  return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                        unsigned int bx, unsigned int by, unsigned int bz, unsigned int shared_mem,
                        CUstream stream, void** kernel_params, void** extra) {
  return Launch(f, {{gx, gy, gz}, {bx, by, bz}, shared_mem, false}, stream, false);
}

CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                             unsigned int bx, unsigned int by, unsigned int bz,
                             unsigned int shared_mem, CUstream stream, void** kernel_params,
                             void** extra) {
  return Launch(f, {{gx, gy, gz}, {bx, by, bz}, shared_mem, false}, stream, true);
}

CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** kernel_params,
                          void** extra) {
  return LaunchEx(config, f, false);
}

CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig* config, CUfunction f, void** kernel_params,
                               void** extra) {
  return LaunchEx(config, f, true);
}

CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                                   unsigned int bx, unsigned int by, unsigned int bz,
                                   unsigned int shared_mem, CUstream stream, void** kernel_params) {
  return Launch(f, {{gx, gy, gz}, {bx, by, bz}, shared_mem, true}, stream, false);
}

CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned int gx, unsigned int gy,
                                        unsigned int gz, unsigned int bx, unsigned int by,
                                        unsigned int bz, unsigned int shared_mem, CUstream stream,
                                        void** kernel_params) {
  return Launch(f, {{gx, gy, gz}, {bx, by, bz}, shared_mem, true}, stream, true);
}

CUresult cuGraphCreate(CUgraph* graph, unsigned int flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (graph == nullptr || flags != 0) return CUDA_ERROR_INVALID_VALUE;
  *graph = reinterpret_cast<CUgraph>(p.Add(std::make_unique<Graph>()));
  return CUDA_SUCCESS;
}

CUresult cuGraphDestroy(CUgraph graph) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (p.Find<Graph>(graph, ObjKind::kGraph) == nullptr) return CUDA_ERROR_INVALID_VALUE;
  p.Remove(graph);
  return CUDA_SUCCESS;
}

CUresult cuGraphAddKernelNode(CUgraphNode* node, CUgraph graph, const CUgraphNode* dependencies,
                              size_t num_dependencies, const CUDA_KERNEL_NODE_PARAMS* params) {
  if (params == nullptr) return CUDA_ERROR_INVALID_VALUE;
  unsigned grid[3] = {params->gridDimX, params->gridDimY, params->gridDimZ};
  return AddKernelNode(node, graph, dependencies, num_dependencies, params->func, grid);
}

CUresult cuGraphAddKernelNode_v2(CUgraphNode* node, CUgraph graph, const CUgraphNode* dependencies,
                                 size_t num_dependencies,
                                 const CUDA_KERNEL_NODE_PARAMS_v2* params) {
  if (params == nullptr) return CUDA_ERROR_INVALID_VALUE;
  unsigned grid[3] = {params->gridDimX, params->gridDimY, params->gridDimZ};
  return AddKernelNode(node, graph, dependencies, num_dependencies, params->func, grid);
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec* exec, CUgraph graph, unsigned long long flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Graph* g = p.Find<Graph>(graph, ObjKind::kGraph);
  if (g == nullptr || exec == nullptr || flags > 0xF) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  auto e = std::make_unique<GraphExec>();
  e->ctx = ctx;
  for (const KernelNode& n : g->nodes) {
    if (n.type == CU_GRAPH_NODE_TYPE_KERNEL) e->kernel_blocks.push_back(n.blocks);
    if (n.type == CU_GRAPH_NODE_TYPE_MEM_ALLOC || n.type == CU_GRAPH_NODE_TYPE_MEM_FREE) {
      e->mem_ops.push_back({n.type == CU_GRAPH_NODE_TYPE_MEM_ALLOC, n.device, n.bytes, n.dptr});
    }
  }
  *exec = reinterpret_cast<CUgraphExec>(p.Add(std::move(e)));
  return CUDA_SUCCESS;
}

CUresult cuGraphExecDestroy(CUgraphExec exec) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (p.Find<GraphExec>(exec, ObjKind::kGraphExec) == nullptr) return CUDA_ERROR_INVALID_VALUE;
  p.Remove(exec);
  return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec exec, CUstream stream) {
  return GraphLaunch(exec, stream, false);
}
CUresult cuGraphLaunch_ptsz(CUgraphExec exec, CUstream stream) {
  return GraphLaunch(exec, stream, true);
}

}  // extern "C"
