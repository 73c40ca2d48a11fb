// The simulated CUDA driver's per-process state and the helpers its entry points share.
//
// One Process object per process (a forked child starts with a fresh, uninitialised one, as the
// driver does not survive fork): configuration read by cuInit, the mapping of the shared machine
// state with this process's slot, and every handle the process created. Handles are pointers to
// objects registered here and are validated on every use, so a stale or foreign handle yields an
// error code rather than a crash. Current contexts are a per-thread stack.
//
// Thread-safety: entry points hold Process::mu while touching process state and never while
// sleeping for simulated work; lock order is Process::mu, then a device's timeline or MIG mutex.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpuapi/cuda_types.h"
#include "sim/address_space.h"
#include "sim/config.h"
#include "sim/shared_state.h"

namespace hami::sim {

enum class ObjKind {
  kContext,
  kStream,
  kEvent,
  kModule,
  kFunction,
  kGraph,
  kGraphExec,
  kPool,
  kArray,
  kMipmappedArray
};

struct Object {
  explicit Object(ObjKind k) : kind(k) {}
  virtual ~Object() = default;
  ObjKind kind;
};

struct Context : Object {
  Context() : Object(ObjKind::kContext) {}
  uint64_t id = 0;  // unique in the process, never reused
  int device = 0;   // CUDA ordinal
  int phys = 0;     // index into the machine's GPUs / shared state
  bool primary = false;
  bool active = false;  // primary: retained at least once since the last release/reset
  unsigned flags = 0;
  int retains = 0;
  uint64_t charged = 0;        // context overhead charged to the GPU
  uint64_t limit_charged = 0;  // device memory of limits raised above their defaults
  int64_t last_end_ns = 0;     // end of the latest work queued from this context
  int64_t legacy_end_ns = 0;
  // cuCtxGetLimit/SetLimit values, indexed by CUlimit (driver defaults).
  size_t limits[CU_LIMIT_PERSISTING_L2_CACHE_SIZE + 1] = {1024, 1 << 20, 8 << 20, 2, 2048, 64, 0};
};

struct Stream : Object {
  Stream() : Object(ObjKind::kStream) {}
  Context* ctx = nullptr;
  unsigned flags = 0;
  int priority = 0;
  int64_t last_end_ns = 0;
};

struct Event : Object {
  Event() : Object(ObjKind::kEvent) {}
  Context* ctx = nullptr;
  unsigned flags = 0;
  bool recorded = false;
  int64_t time_ns = 0;
};

struct Function;
struct Module : Object {
  Module() : Object(ObjKind::kModule) {}
  Context* ctx = nullptr;
  std::map<std::string, Function*> functions;
};

struct Function : Object {
  Function() : Object(ObjKind::kFunction) {}
  Module* module = nullptr;
  std::string name;
};

// A graph node: a kernel (blocks > 0), or a memory node (graph memory, cuda_graph_mem.cc).
struct KernelNode {
  uint64_t blocks = 0;
  CUgraphNodeType type = CU_GRAPH_NODE_TYPE_KERNEL;
  int device = -1;       // memory nodes: CUDA ordinal of the allocation
  uint64_t bytes = 0;    // alloc node: bytes requested
  CUdeviceptr dptr = 0;  // alloc node: its fixed address; free node: the address it frees
};

// One memory operation of an instantiated graph, in node order.
struct GraphMemOp {
  bool alloc = true;
  int device = -1;
  uint64_t bytes = 0;
  CUdeviceptr dptr = 0;
};

// An allocation made by a graph alloc node: its address is fixed when the node is added; it is
// live from a launch of a graph holding it until a free node, cuMemFree or cuMemFreeAsync.
struct GraphAlloc {
  int device = -1;
  uint64_t bytes = 0;
  bool live = false;
};

struct Graph : Object {
  Graph() : Object(ObjKind::kGraph) {}
  std::deque<KernelNode> nodes;  // deque: node handles are stable addresses
};

struct GraphExec : Object {
  GraphExec() : Object(ObjKind::kGraphExec) {}
  Context* ctx = nullptr;
  std::vector<uint64_t> kernel_blocks;
  std::vector<GraphMemOp> mem_ops;
};

// The exporter of an imported pool (cuda_share.cc): pointers exported from that pool only.
struct PoolOrigin {
  int32_t pid = 0;
  uint64_t start_time = 0;
  uint64_t pool_id = 0;
};

// A pool's physical memory is `used` (live allocations) plus `cached` (freed blocks it keeps, up
// to the release threshold); the GPU is charged both. An imported pool
// (cuMemPoolImportFromShareableHandle) holds no memory and serves no allocations, only
// cuMemPoolImportPointer.
struct Pool : Object {
  Pool() : Object(ObjKind::kPool) {}
  int device = 0;
  bool is_default = false;
  bool destroyed = false;  // cuMemPoolDestroy ran; lives on until its allocations are freed
  uint64_t used = 0, used_high = 0;
  uint64_t cached = 0, reserved_high = 0;
  uint64_t release_threshold = 0;
  int reuse[3] = {1, 1, 1};
  CUmemAllocationHandleType handle_types = CU_MEM_HANDLE_TYPE_NONE;  // as created
  int export_fd = -1;  // the memfd behind this pool's exported handles (share_record.h)
  bool imported = false;
  PoolOrigin origin;  // imported pools only
};

struct Array : Object {
  Array() : Object(ObjKind::kArray) {}
  Context* ctx = nullptr;
  CUDA_ARRAY3D_DESCRIPTOR desc{};
  uint64_t charged = 0;
};

// Each mip level is an array; level arrays belong to the mipmapped array (never destroyed alone).
struct MipmappedArray : Object {
  MipmappedArray() : Object(ObjKind::kMipmappedArray) {}
  Context* ctx = nullptr;
  CUDA_ARRAY3D_DESCRIPTOR desc{};
  unsigned levels = 0;
  uint64_t charged = 0;
  std::vector<Array*> level_arrays;
};

// A VMM handle: its memory is gone with the last reference, mapping and importer. An imported
// handle (cuMemImportFromShareableHandle) takes no memory of its own: one from another process
// shares the exporter's (charged there), one from this process holds a reference on `source`.
struct VmmHandle {
  uint64_t size = 0;
  int device = -1;  // CUDA ordinal; -1: host-located, no device charge
  CUmemAllocationProp prop{};
  int refs = 1;  // cuMemCreate (or the import) + cuMemRetainAllocationHandle - cuMemRelease
  int mappings = 0;
  int importers = 0;     // handles imported from it in this process that are not gone yet
  int export_fd = -1;    // the memfd behind this handle's exported fds, revoked with the memory
  bool foreign = false;  // imported from another process
  CUmemGenericAllocationHandle source = 0;  // imported from this process: the exported handle
};

struct VmmMapping {
  uint64_t size = 0;
  CUmemGenericAllocationHandle handle = 0;
  int device = 0;  // CUDA ordinal, or -1 for host memory
};

// A stream as the entry points see it: its context and where its completion time is kept.
struct StreamRef {
  Context* ctx = nullptr;
  int64_t* end_ns = nullptr;
  bool legacy = false;  // the legacy default stream also waits for the context's other work
  int64_t SyncTarget() const { return legacy ? ctx->last_end_ns : *end_ns; }
};

class Process {
 public:
  // The calling process's state.
  static Process& Get();

  std::mutex mu;

  // cuInit: reads HAMI_SIM_* once; later calls return the first result.
  CUresult Init();
  // The part of Init that needs the shared state: visible devices, the slot, the MIG binding.
  CUresult AttachDevices(const std::string& path);
  // CUDA_SUCCESS after a successful cuInit, else CUDA_ERROR_NOT_INITIALIZED.
  CUresult Ready() const { return initialized_ ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED; }
  bool no_device() const { return init_result_ == CUDA_ERROR_NO_DEVICE; }
  int device_count() const { return static_cast<int>(visible_.size()); }
  bool ValidDevice(int ordinal) const { return ordinal >= 0 && ordinal < device_count(); }
  // The device as CUDA reports it (a MIG device: its name, UUID, memory and SMs).
  const GpuSpec& Spec(int ordinal) const { return specs_[ordinal]; }
  // The physical GPU (a MIG device's parent): index into the machine's GPUs / shared state.
  int Phys(int ordinal) const { return visible_[ordinal].phys; }
  bool IsMig(int ordinal) const { return visible_[ordinal].gi >= 0; }
  // Device memory as cuMemGetInfo reports it: a MIG device's is its GPU instance's.
  uint64_t TotalBytes(int ordinal);
  uint64_t UsedBytes(int ordinal);
  const SimOptions& options() const { return options_; }
  SharedState& shared() { return *shared_; }
  int32_t pid() const { return pid_; }

  // Physical memory of GPU `ordinal` for this process; false when the GPU (a MIG device: its GPU
  // instance) is full.
  bool Charge(int ordinal, uint64_t bytes);
  void Uncharge(int ordinal, uint64_t bytes);
  // Returns the memory of dead processes, at most every 50 ms (for usage queries; allocation
  // failures always reclaim).
  void ReclaimDeadPeriodically();

  // Handle registry.
  template <typename T>
  T* Add(std::unique_ptr<T> object) {
    T* raw = object.get();
    objects_[raw] = std::move(object);
    return raw;
  }
  template <typename T>
  T* Find(const void* handle, ObjKind kind) {
    auto it = objects_.find(handle);
    return it != objects_.end() && it->second->kind == kind ? static_cast<T*>(it->second.get())
                                                            : nullptr;
  }
  void Remove(const void* handle) { objects_.erase(handle); }
  template <typename Visit>
  void ForEachObject(Visit visit) {
    for (auto& [handle, object] : objects_) visit(object.get());
  }

  // Contexts.
  Context* NewContext(int ordinal, bool primary, unsigned flags);
  Context* Primary(int ordinal);
  // Charges the context overhead and marks it active; false when the GPU is full.
  bool Activate(Context* ctx);
  // Frees everything the context owns (allocations, arrays, modules, streams, events) and its
  // overhead; the context object stays registered (primary) or is removed by the caller.
  void Deactivate(Context* ctx);
  // Top of the calling thread's context stack if it is still a live, active context.
  Context* Current();
  std::vector<std::pair<Context*, uint64_t>>& ThreadStack();
  Context* ValidContext(CUcontext handle);

  // Resolves a stream handle (NULL, CU_STREAM_LEGACY, CU_STREAM_PER_THREAD or created) for work
  // submitted from the current context. `per_thread` is true for the _ptsz entry points.
  CUresult ResolveStream(CUstream handle, bool per_thread, StreamRef* out);
  // Queues `blocks` thread blocks of work on `stream`; returns when they finish.
  int64_t EnqueueBlocks(const StreamRef& stream, uint64_t blocks);

  // Device memory bookkeeping.
  AllocationTable allocations;
  AddressSpace& DeviceVa(int ordinal) { return device_va_[ordinal]; }
  AddressSpace vmm_va{kVmmVaBase, kVmmVaSpan};
  // Allocates `size` bytes of kind `kind` on `ordinal` for `owner`; OOM or CUDA_SUCCESS. A pool
  // allocation (owner is a Pool) is served from the pool's cached memory when it holds enough.
  CUresult AllocateDevice(int ordinal, uint64_t size, AllocKind kind, const void* owner,
                          CUdeviceptr* out);
  // Frees the allocation at `base` (which must exist); a pool allocation goes back to its pool.
  void FreeDevice(uint64_t base);
  // True when [ptr, ptr + bytes) lies inside one allocation or one VMM mapping.
  bool ValidDeviceRange(uint64_t ptr, uint64_t bytes) const;
  // True when `ptr` is inside one of the simulated device address windows.
  static bool InDeviceWindow(uint64_t ptr) {
    return ptr >= kDeviceVaBase && ptr < kVmmVaBase + kVmmVaSpan;
  }

  Pool* DefaultPool(int ordinal);
  Pool* current_pool[kMaxGpus] = {};

  std::map<uintptr_t, size_t> host_allocs;      // cuMemAllocHost / cuMemHostAlloc
  std::map<uintptr_t, size_t> host_registered;  // cuMemHostRegister
  std::map<CUmemGenericAllocationHandle, VmmHandle> vmm_handles;
  CUmemGenericAllocationHandle next_vmm_handle = 1;
  std::map<uint64_t, uint64_t> va_reservations;  // start -> size
  std::map<uint64_t, VmmMapping> vmm_mappings;   // start -> mapping
  // Graph memory (cuda_graph_mem.cc): per device, the physical memory the graph pool reserves
  // (charged to the GPU; kept after a graph frees it, until cuDeviceGraphMemTrim) and what live
  // graph allocations use of it.
  uint64_t graph_reserved[kMaxGpus] = {}, graph_reserved_high[kMaxGpus] = {};
  uint64_t graph_used[kMaxGpus] = {}, graph_used_high[kMaxGpus] = {};
  std::map<CUdeviceptr, GraphAlloc> graph_allocs;
  // Runs an exec's memory operations at launch: alloc nodes take memory from the graph pool,
  // growing it (OOM: nothing changes), free nodes give it back to the pool.
  CUresult RunGraphMemOps(const std::vector<GraphMemOp>& ops);
  // Frees a live graph allocation outside its graph (cuMemFree / cuMemFreeAsync); false when
  // `dptr` is not one.
  bool FreeGraphAlloc(CUdeviceptr dptr);

  // Returns the physical memory of a VMM handle once it is released, unmapped and no import of
  // it in this process is left; revokes its export.
  void MaybeFreeVmmHandle(CUmemGenericAllocationHandle handle);
  // Releases a pool's cached memory above max(keep, used); removes a destroyed pool once empty.
  void TrimPool(Pool* pool, uint64_t keep);

  // Called in a forked child: start over uninitialised.
  static void ResetAfterFork();
  // Returns this process's slot (all its memory) to the machine; called at exit.
  void ReleaseSlot();
  uint64_t generation() const { return generation_; }

 private:
  Process();

  bool initialized_ = false;
  bool init_attempted_ = false;
  CUresult init_result_ = CUDA_ERROR_NOT_INITIALIZED;
  std::vector<GpuSpec> gpus_;
  std::vector<VisibleDevice> visible_;
  std::vector<GpuSpec> specs_;  // per CUDA ordinal
  SimOptions options_;
  std::unique_ptr<SharedState> shared_;
  int slot_ = -1;
  int32_t pid_ = 0;
  uint64_t next_context_id_ = 1;
  uint64_t generation_ = 0;
  int64_t last_reclaim_ns_ = 0;
  std::unordered_map<const void*, std::unique_ptr<Object>> objects_;
  Context* primary_[kMaxGpus] = {};
  Pool* default_pool_[kMaxGpus] = {};
  std::vector<AddressSpace> device_va_;
};

// Blocks the calling thread until simulated time `end_ns` (no-op when already past).
void WaitUntil(int64_t end_ns);

}  // namespace hami::sim
