// An interactive CUDA "application" run under LD_PRELOAD=libvgpu.so against the simulated driver
// by the escape and property tests: it obtains device memory through every path the driver
// offers, one command per stdin line, and answers one line per command on stdout.
//
// Protocol (every answer ends with '\n' and is flushed):
//   start-up                  -> "setup=<CUresult of cuInit..cuCtxSetCurrent on device 0>"
//   a <kind> <bytes> [dev]    -> "ok <id>" | "err <CUresult>"   (kinds: see Allocate)
//   f <id>                    -> "ok" | "err <CUresult>"
//   fork <bytes>              -> "child_setup=<r> child_alloc=<r>" (from the forked child)
//   heap <bytes>              -> "ok" | "err <CUresult>"   (cuCtxSetLimit, device malloc heap)
//   info                      -> "free=<bytes> total=<bytes>"
//   nvml                      -> "nfree=<bytes> ntotal=<bytes> nused=<bytes> rc=<nvmlReturn_t>":
//                                nvmlDeviceGetMemoryInfo of NVML device 0
//   t <id>                    -> "ok" | "err <CUresult>": touches a held pointer: cuMemsetD8 over
//                                its whole size, then a kernel given the pointer, synchronized
//   pm <id>                   -> "managed=<0|1>" | "err <CUresult>":
//   CU_POINTER_ATTRIBUTE_IS_MANAGED g <n> <bytes> <free>      -> "ok <id>" | "err <CUresult>": a
//   graph of n alloc nodes of `bytes`
//                                on device 0 (each followed by its free node when free is 1),
//                                instantiated; the exec is held (f destroys it)
//   l <id>                    -> "ok" | "err <CUresult>": launches a held graph exec, synchronizes
//   trim                      -> "ok" | "err <CUresult>": cuDeviceGraphMemTrim(0)
//   x <id>                    -> "h <hex>" | "err <CUresult>": cuIpcGetMemHandle of a held pointer
//   i <hex>                   -> "ok <id>" | "err <CUresult>": cuIpcOpenMemHandle_v2 (f closes it)
//   sx <id> <socket>          -> "ok" | "err <CUresult>": exports a held vmmx handle
//                                (cuMemExportToShareableHandle) or poolx pointer (its pool's
//                                cuMemPoolExportToShareableHandle + cuMemPoolExportPointer) as a
//                                file descriptor sent over the inherited Unix socket (SCM_RIGHTS)
//   iv <socket>               -> "ok <id>" | "err <CUresult>": receives a descriptor and imports
//                                the VMM handle (cuMemImportFromShareableHandle; f releases it)
//   ip <socket>               -> "ok <id>" | "err <CUresult>": receives a pool descriptor and its
//                                pointer's data, imports the pool and the pointer
//                                (cuMemPoolImportPointer; f frees it with cuMemFreeAsync)
//   m <id> <bytes>            -> "ok <id>" | "err <CUresult>": maps `bytes` of a held VMM handle
//                                at a new reservation (f unmaps it)
//   q                         -> exits 0 (everything still held is left to process exit)
// The probe never checks limits itself: it reports what the driver (through libvgpu) answered.
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"
#include "sim/fd_passing.h"

namespace {

#define PROBE_FNS(X)                    \
  X(cuInit)                             \
  X(cuDeviceGet)                        \
  X(cuDevicePrimaryCtxRetain)           \
  X(cuCtxSetCurrent)                    \
  X(cuCtxGetCurrent)                    \
  X(cuCtxCreate_v2)                     \
  X(cuCtxDestroy_v2)                    \
  X(cuMemAlloc_v2)                      \
  X(cuMemFree_v2)                       \
  X(cuMemAllocManaged)                  \
  X(cuMemAllocPitch_v2)                 \
  X(cuArrayCreate_v2)                   \
  X(cuArray3DCreate_v2)                 \
  X(cuArrayDestroy)                     \
  X(cuMipmappedArrayCreate)             \
  X(cuMipmappedArrayDestroy)            \
  X(cuMemAllocAsync)                    \
  X(cuMemFreeAsync)                     \
  X(cuMemPoolCreate)                    \
  X(cuMemAllocFromPoolAsync)            \
  X(cuMemCreate)                        \
  X(cuMemRelease)                       \
  X(cuMemAddressReserve)                \
  X(cuMemAddressFree)                   \
  X(cuMemMap)                           \
  X(cuMemUnmap)                         \
  X(cuMemGetInfo_v2)                    \
  X(cuCtxSetLimit)                      \
  X(cuGraphCreate)                      \
  X(cuGraphDestroy)                     \
  X(cuGraphAddMemAllocNode)             \
  X(cuGraphAddMemFreeNode)              \
  X(cuGraphInstantiateWithFlags)        \
  X(cuGraphLaunch)                      \
  X(cuGraphExecDestroy)                 \
  X(cuDeviceGraphMemTrim)               \
  X(cuCtxSynchronize)                   \
  X(cuIpcGetMemHandle)                  \
  X(cuIpcOpenMemHandle_v2)              \
  X(cuIpcCloseMemHandle)                \
  X(cuMemExportToShareableHandle)       \
  X(cuMemImportFromShareableHandle)     \
  X(cuMemPoolExportToShareableHandle)   \
  X(cuMemPoolImportFromShareableHandle) \
  X(cuMemPoolExportPointer)             \
  X(cuMemPoolImportPointer)             \
  X(cuMemsetD8_v2)                      \
  X(cuModuleLoadData)                   \
  X(cuModuleGetFunction)                \
  X(cuLaunchKernel)                     \
  X(cuPointerGetAttribute)

struct Api {
// NOLINTNEXTLINE(bugprone-macro-parentheses): f names the member being declared
#define PROBE_FIELD(f) decltype(&::f) f = nullptr;
  PROBE_FNS(PROBE_FIELD)
#undef PROBE_FIELD
};

Api g;

// One thing the probe holds and how to give it back.
struct Held {
  char kind[16] = "";
  uint64_t handle = 0;  // pointer, array, context or VA start
  uint64_t size = 0;    // VMM mapping size
  uint64_t bytes = 0;   // as asked for
  bool live = false;
};
std::vector<Held> g_held;

// A held handle as the driver's pointer-typed handle `T` (the probe holds every handle as a
// number).
template <typename T>
T As(uint64_t handle) {
  return reinterpret_cast<T>(handle);  // NOLINT(performance-no-int-to-ptr)
}
CUmemoryPool g_pools[16] = {};
CUmemoryPool g_shareable_pools[16] = {};  // created with POSIX file descriptor handles
CUcontext g_primary = nullptr;

void Load() {
  void* lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (lib == nullptr) {
    std::printf("setup=no_libcuda\n");
    std::exit(2);
  }
#define PROBE_LOAD(f) g.f = reinterpret_cast<decltype(&::f)>(dlsym(lib, #f));
  PROBE_FNS(PROBE_LOAD)
#undef PROBE_LOAD
}

CUresult Setup() {
  CUdevice dev;
  CUresult r = g.cuInit(0);
  if (r == CUDA_SUCCESS) r = g.cuDeviceGet(&dev, 0);
  if (r == CUDA_SUCCESS) r = g.cuDevicePrimaryCtxRetain(&g_primary, dev);
  if (r == CUDA_SUCCESS) r = g.cuCtxSetCurrent(g_primary);
  return r;
}

CUresult PoolOn(int dev, CUmemoryPool* pool, bool shareable = false) {
  CUmemoryPool& slot = shareable ? g_shareable_pools[dev] : g_pools[dev];
  if (slot != nullptr) {
    *pool = slot;
    return CUDA_SUCCESS;
  }
  CUmemPoolProps props{};
  props.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
  props.handleTypes =
      shareable ? CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR : CU_MEM_HANDLE_TYPE_NONE;
  props.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  props.location.id = dev;
  const CUresult r = g.cuMemPoolCreate(&slot, &props);
  *pool = slot;
  return r;
}

// Maps a fresh VMM handle of `bytes` on `dev` and releases the handle at once (still mapped).
CUresult VmmMapped(uint64_t bytes, int dev, Held* h) {
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = dev;
  const uint64_t size = (bytes + (2u << 20) - 1) / (2u << 20) * (2u << 20);
  CUmemGenericAllocationHandle mem;
  CUresult r = g.cuMemCreate(&mem, size, &prop, 0);
  if (r != CUDA_SUCCESS) return r;
  CUdeviceptr va = 0;
  r = g.cuMemAddressReserve(&va, size, 0, 0, 0);
  if (r == CUDA_SUCCESS) r = g.cuMemMap(va, size, 0, mem, 0);
  g.cuMemRelease(mem);  // normal practice: the mapping keeps the memory alive
  if (r != CUDA_SUCCESS) return r;
  h->handle = va;
  h->size = size;
  return r;
}

CUresult GraphExec(unsigned n, uint64_t bytes, bool with_free, int dev, Held* h);

// A graph of one alloc node (and its free node) on `dev`, instantiated and launched once: its
// memory stays in the graph pool until the exec is destroyed and the pool trimmed (Free).
CUresult GraphLaunched(uint64_t bytes, int dev, Held* h) {
  CUresult r = GraphExec(1, bytes, true, dev, h);
  if (r != CUDA_SUCCESS) return r;
  const auto exec = As<CUgraphExec>(h->handle);
  r = g.cuGraphLaunch(exec, nullptr);
  if (r == CUDA_SUCCESS) r = g.cuCtxSynchronize();
  if (r != CUDA_SUCCESS) {
    g.cuGraphExecDestroy(exec);
    g.cuDeviceGraphMemTrim(dev);
  }
  h->size = static_cast<uint64_t>(dev);
  return r;
}

// Kinds: mem, managed, pitch, array, array3d, mipmap, async, pool, vmm, ctx, graph, and the
// exportable vmmx (an unmapped VMM handle) and poolx (from a pool with POSIX file descriptor
// handles). Arrays are float rows of 4 KiB (`bytes` rounded to whole rows); `dev` matters for
// pool, vmm and ctx.
CUresult Allocate(const char* kind, uint64_t bytes, int dev, Held* h) {
  auto* out = reinterpret_cast<CUdeviceptr*>(&h->handle);
  const size_t rows = bytes / 4096 != 0 ? bytes / 4096 : 1;
  if (!std::strcmp(kind, "mem")) return g.cuMemAlloc_v2(out, bytes);
  if (!std::strcmp(kind, "managed")) return g.cuMemAllocManaged(out, bytes, 1);
  if (!std::strcmp(kind, "pitch")) {
    size_t pitch;
    return g.cuMemAllocPitch_v2(out, &pitch, 4096, rows, 4);
  }
  if (!std::strcmp(kind, "array")) {
    CUDA_ARRAY_DESCRIPTOR d{1024, rows, CU_AD_FORMAT_FLOAT, 1};
    return g.cuArrayCreate_v2(reinterpret_cast<CUarray*>(&h->handle), &d);
  }
  CUDA_ARRAY3D_DESCRIPTOR d3{};
  d3.Width = 1024;
  d3.Height = rows;
  d3.Format = CU_AD_FORMAT_FLOAT;
  d3.NumChannels = 1;
  if (!std::strcmp(kind, "array3d")) {
    d3.Depth = 1;
    return g.cuArray3DCreate_v2(reinterpret_cast<CUarray*>(&h->handle), &d3);
  }
  if (!std::strcmp(kind, "mipmap")) {
    return g.cuMipmappedArrayCreate(reinterpret_cast<CUmipmappedArray*>(&h->handle), &d3, 3);
  }
  if (!std::strcmp(kind, "async")) return g.cuMemAllocAsync(out, bytes, nullptr);
  if (!std::strcmp(kind, "pool")) {
    CUmemoryPool pool;
    const CUresult r = PoolOn(dev, &pool);
    return r != CUDA_SUCCESS ? r : g.cuMemAllocFromPoolAsync(out, bytes, pool, nullptr);
  }
  if (!std::strcmp(kind, "vmm")) return VmmMapped(bytes, dev, h);
  if (!std::strcmp(kind, "poolx")) {
    CUmemoryPool pool;
    const CUresult r = PoolOn(dev, &pool, true);
    h->size = static_cast<uint64_t>(dev);
    return r != CUDA_SUCCESS ? r : g.cuMemAllocFromPoolAsync(out, bytes, pool, nullptr);
  }
  if (!std::strcmp(kind, "vmmx")) {
    CUmemAllocationProp prop{};
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.requestedHandleTypes = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = dev;
    CUmemGenericAllocationHandle handle = 0;
    const CUresult r =
        g.cuMemCreate(&handle, (bytes + (2u << 20) - 1) / (2u << 20) * (2u << 20), &prop, 0);
    h->handle = handle;
    return r;
  }
  if (!std::strcmp(kind, "graph")) return GraphLaunched(bytes, dev, h);
  if (!std::strcmp(kind, "ctx")) {
    CUcontext ctx;
    const CUresult r = g.cuCtxCreate_v2(&ctx, 0, dev);
    if (r == CUDA_SUCCESS) h->handle = reinterpret_cast<uint64_t>(ctx);
    g.cuCtxSetCurrent(g_primary);  // cuCtxCreate made it current
    return r;
  }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult Free(Held& h) {
  const char* k = h.kind;
  if (!std::strcmp(k, "array") || !std::strcmp(k, "array3d")) {
    return g.cuArrayDestroy(As<CUarray>(h.handle));
  }
  if (!std::strcmp(k, "mipmap")) {
    return g.cuMipmappedArrayDestroy(As<CUmipmappedArray>(h.handle));
  }
  if (!std::strcmp(k, "async") || !std::strcmp(k, "pool") || !std::strcmp(k, "poolx") ||
      !std::strcmp(k, "pooli")) {
    return g.cuMemFreeAsync(h.handle, nullptr);
  }
  if (!std::strcmp(k, "vmmx") || !std::strcmp(k, "vmmi")) return g.cuMemRelease(h.handle);
  if (!std::strcmp(k, "vmm")) {
    const CUresult r = g.cuMemUnmap(h.handle, h.size);
    g.cuMemAddressFree(h.handle, h.size);
    return r;
  }
  if (!std::strcmp(k, "ctx")) return g.cuCtxDestroy_v2(As<CUcontext>(h.handle));
  if (!std::strcmp(k, "gexec")) {
    return g.cuGraphExecDestroy(As<CUgraphExec>(h.handle));
  }
  if (!std::strcmp(k, "graph")) {
    const CUresult r = g.cuGraphExecDestroy(As<CUgraphExec>(h.handle));
    return r != CUDA_SUCCESS ? r : g.cuDeviceGraphMemTrim(static_cast<CUdevice>(h.size));
  }
  if (!std::strcmp(k, "ipc")) return g.cuIpcCloseMemHandle(h.handle);
  return g.cuMemFree_v2(h.handle);
}

// A graph of `n` alloc nodes of `bytes` on `dev`, each followed by its free node when
// `with_free`.
CUresult GraphExec(unsigned n, uint64_t bytes, bool with_free, int dev, Held* h) {
  CUgraph graph;
  CUresult r = g.cuGraphCreate(&graph, 0);
  if (r != CUDA_SUCCESS) return r;
  CUgraphNode prev = nullptr;
  for (unsigned i = 0; i < n && r == CUDA_SUCCESS; ++i) {
    CUDA_MEM_ALLOC_NODE_PARAMS params{};
    params.poolProps.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
    params.poolProps.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    params.poolProps.location.id = dev;
    params.bytesize = bytes;
    CUgraphNode node;
    r = g.cuGraphAddMemAllocNode(&node, graph, prev ? &prev : nullptr, prev ? 1 : 0, &params);
    prev = node;
    if (r == CUDA_SUCCESS && with_free) {
      r = g.cuGraphAddMemFreeNode(&node, graph, &prev, 1, params.dptr);
      prev = node;
    }
  }
  CUgraphExec exec = nullptr;
  if (r == CUDA_SUCCESS) r = g.cuGraphInstantiateWithFlags(&exec, graph, 0);
  g.cuGraphDestroy(graph);
  h->handle = reinterpret_cast<uint64_t>(exec);
  return r;
}

void Remember(const Held& h) {
  g_held.push_back(h);
  g_held.back().live = true;
  std::printf("ok %zu\n", g_held.size() - 1);
}

// Answers a command: "ok" (holding `h` when given: "ok <id>") or "err <CUresult>".
void Reply(CUresult r, const Held* h = nullptr) {
  if (r != CUDA_SUCCESS) {
    std::printf("err %d\n", r);
  } else if (h != nullptr) {
    Remember(*h);
  } else {
    std::printf("ok\n");
  }
}

// sx: exports a held vmmx handle or poolx pointer over `sock`.
CUresult Export(const Held& h, int sock) {
  int fd = -1;
  CUmemPoolPtrExportData data{};
  CUresult r = CUDA_ERROR_INVALID_VALUE;
  if (!std::strcmp(h.kind, "vmmx")) {
    r = g.cuMemExportToShareableHandle(&fd, h.handle, CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0);
  } else if (!std::strcmp(h.kind, "poolx")) {
    r = g.cuMemPoolExportPointer(&data, h.handle);
    if (r == CUDA_SUCCESS) {
      r = g.cuMemPoolExportToShareableHandle(&fd, g_shareable_pools[h.size],
                                             CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR, 0);
    }
  }
  if (r != CUDA_SUCCESS) return r;
  const bool sent = hami::sim::SendFd(sock, fd, &data, sizeof(data));
  close(fd);
  return sent ? CUDA_SUCCESS : CUDA_ERROR_OPERATING_SYSTEM;
}

// iv / ip: imports the VMM handle, or the pool and its pointer, that arrives on `sock`.
CUresult Import(bool pool, int sock, Held* h) {
  CUmemPoolPtrExportData data{};
  const int fd = hami::sim::ReceiveFd(sock, &data, sizeof(data));
  if (fd < 0) return CUDA_ERROR_OPERATING_SYSTEM;
  void* os_handle = As<void*>(static_cast<uint64_t>(fd));  // the int travels in the void*
  const auto type = CU_MEM_HANDLE_TYPE_POSIX_FILE_DESCRIPTOR;
  std::snprintf(h->kind, sizeof(h->kind), pool ? "pooli" : "vmmi");
  CUresult r = CUDA_SUCCESS;
  if (!pool) {
    CUmemGenericAllocationHandle handle = 0;
    r = g.cuMemImportFromShareableHandle(&handle, os_handle, type);
    h->handle = handle;
  } else {
    CUmemoryPool imported = nullptr;
    r = g.cuMemPoolImportFromShareableHandle(&imported, os_handle, type, 0);
    CUdeviceptr ptr = 0;
    if (r == CUDA_SUCCESS) r = g.cuMemPoolImportPointer(&ptr, imported, &data);
    h->handle = ptr;
  }
  close(fd);
  return r;
}

// m: maps `bytes` of VMM handle `handle` at a new reservation.
CUresult MapHandle(uint64_t handle, uint64_t bytes, Held* h) {
  CUdeviceptr va = 0;
  CUresult r = g.cuMemAddressReserve(&va, bytes, 0, 0, 0);
  if (r == CUDA_SUCCESS) r = g.cuMemMap(va, bytes, 0, handle, 0);
  if (r != CUDA_SUCCESS) {
    if (va != 0) g.cuMemAddressFree(va, bytes);
    return r;
  }
  std::snprintf(h->kind, sizeof(h->kind), "vmm");
  h->handle = va;
  h->size = bytes;
  return r;
}

// The sharing commands: sx, iv, ip, m; false when `line` is none of them.
bool ShareCommand(const char* line) {
  unsigned id = 0;
  int sock = -1;
  unsigned long long bytes = 0;
  Held h;
  CUresult r = CUDA_SUCCESS;
  const auto held = [&id] { return id < g_held.size() && g_held[id].live; };
  if (std::sscanf(line, "sx %u %d", &id, &sock) == 2) {
    Reply(held() ? Export(g_held[id], sock) : CUDA_ERROR_INVALID_VALUE);
    return true;
  }
  if (std::sscanf(line, "iv %d", &sock) == 1 || std::sscanf(line, "ip %d", &sock) == 1) {
    r = Import(line[1] == 'p', sock, &h);
  } else if (std::sscanf(line, "m %u %llu", &id, &bytes) == 2) {
    r = held() ? MapHandle(g_held[id].handle, bytes, &h) : CUDA_ERROR_INVALID_VALUE;
  } else {
    return false;
  }
  Reply(r, &h);
  return true;
}

// t: what a program does with its memory: a memset over all of it and a kernel reading it.
CUresult Touch(const Held& h) {
  static CUfunction kernel = nullptr;
  CUresult r = CUDA_SUCCESS;
  if (kernel == nullptr) {
    CUmodule module;
    r = g.cuModuleLoadData(&module, "touch");
    if (r == CUDA_SUCCESS) r = g.cuModuleGetFunction(&kernel, module, "touch");
  }
  if (r == CUDA_SUCCESS) r = g.cuMemsetD8_v2(h.handle, 0xab, h.bytes);
  CUdeviceptr ptr = h.handle;
  uint64_t n = h.bytes;
  void* params[] = {&ptr, &n};
  if (r == CUDA_SUCCESS)
    r = g.cuLaunchKernel(kernel, 64, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr);
  return r == CUDA_SUCCESS ? g.cuCtxSynchronize() : r;
}

// nvml: the memory NVML reports for device 0 (libvgpu's view when it is preloaded).
void NvmlInfo() {
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW);
  auto init = lib ? reinterpret_cast<decltype(&nvmlInit_v2)>(dlsym(lib, "nvmlInit_v2")) : nullptr;
  auto get = lib ? reinterpret_cast<decltype(&nvmlDeviceGetHandleByIndex_v2)>(
                       dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"))
                 : nullptr;
  auto info = lib ? reinterpret_cast<decltype(&nvmlDeviceGetMemoryInfo)>(
                        dlsym(lib, "nvmlDeviceGetMemoryInfo"))
                  : nullptr;
  nvmlMemory_t m{};
  nvmlDevice_t dev = nullptr;
  nvmlReturn_t r = NVML_ERROR_LIBRARY_NOT_FOUND;
  if (init != nullptr && get != nullptr && info != nullptr) {
    r = init();
    if (r == NVML_SUCCESS) r = get(0, &dev);
    if (r == NVML_SUCCESS) r = info(dev, &m);
  }
  std::printf("nfree=%llu ntotal=%llu nused=%llu rc=%d\n", m.free, m.total, m.used, r);
}

void Fork(uint64_t bytes) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    const CUresult setup = Setup();
    CUdeviceptr p = 0;
    const CUresult alloc = g.cuMemAlloc_v2(&p, bytes);
    std::printf("child_setup=%d child_alloc=%d\n", setup, alloc);
    std::fflush(stdout);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
}

void Command(const char* line) {
  char kind[16] = "";
  unsigned long long bytes = 0;
  int dev = 0;
  unsigned id = 0;
  if (std::sscanf(line, "a %15s %llu %d", kind, &bytes, &dev) >= 2) {
    Held h;
    std::snprintf(h.kind, sizeof(h.kind), "%s", kind);
    h.bytes = bytes;
    Reply(dev >= 0 && dev < 16 ? Allocate(kind, bytes, dev, &h) : CUDA_ERROR_INVALID_VALUE, &h);
  } else if (std::sscanf(line, "f %u", &id) == 1) {
    if (id >= g_held.size() || !g_held[id].live) {
      std::printf("err -1\n");
      return;
    }
    const CUresult r = Free(g_held[id]);
    g_held[id].live = false;
    Reply(r);
  } else if (unsigned n = 0, with_free = 0;
             std::sscanf(line, "g %u %llu %u", &n, &bytes, &with_free) == 3) {
    Held h;
    std::snprintf(h.kind, sizeof(h.kind), "gexec");
    Reply(GraphExec(n, bytes, with_free != 0, 0, &h), &h);
  } else if (std::sscanf(line, "l %u", &id) == 1) {
    CUresult r = id < g_held.size() && g_held[id].live
                     ? g.cuGraphLaunch(As<CUgraphExec>(g_held[id].handle), nullptr)
                     : CUDA_ERROR_INVALID_VALUE;
    if (r == CUDA_SUCCESS) r = g.cuCtxSynchronize();
    Reply(r);
  } else if (!std::strncmp(line, "trim", 4)) {
    Reply(g.cuDeviceGraphMemTrim(0));
  } else if (std::sscanf(line, "x %u", &id) == 1) {
    CUipcMemHandle handle;
    const CUresult r = id < g_held.size() && g_held[id].live
                           ? g.cuIpcGetMemHandle(&handle, g_held[id].handle)
                           : CUDA_ERROR_INVALID_VALUE;
    if (r != CUDA_SUCCESS) {
      std::printf("err %d\n", r);
      return;
    }
    std::printf("h ");
    for (unsigned char byte : handle.reserved) std::printf("%02x", byte);
    std::printf("\n");
  } else if (line[0] == 'i' && line[1] == ' ') {
    CUipcMemHandle handle{};
    for (size_t i = 0; i < sizeof(handle.reserved); ++i) {
      unsigned byte = 0;
      if (std::sscanf(line + 2 + 2 * i, "%2x", &byte) != 1) break;
      handle.reserved[i] = static_cast<char>(byte);
    }
    Held h;
    std::snprintf(h.kind, sizeof(h.kind), "ipc");
    const CUresult r = g.cuIpcOpenMemHandle_v2(reinterpret_cast<CUdeviceptr*>(&h.handle), handle,
                                               CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
    Reply(r, &h);
  } else if (std::sscanf(line, "fork %llu", &bytes) == 1) {
    Fork(bytes);
  } else if (std::sscanf(line, "heap %llu", &bytes) == 1) {
    Reply(g.cuCtxSetLimit(CU_LIMIT_MALLOC_HEAP_SIZE, bytes));
  } else if (!std::strncmp(line, "info", 4)) {
    size_t free = 0, total = 0;
    const CUresult r = g.cuMemGetInfo_v2(&free, &total);
    std::printf("free=%zu total=%zu rc=%d\n", free, total, r);
  } else if (!std::strncmp(line, "nvml", 4)) {
    NvmlInfo();
  } else if (std::sscanf(line, "t %u", &id) == 1) {
    Reply(id < g_held.size() && g_held[id].live ? Touch(g_held[id]) : CUDA_ERROR_INVALID_VALUE);
  } else if (std::sscanf(line, "pm %u", &id) == 1) {
    unsigned managed = 0;
    const CUresult r =
        id < g_held.size() && g_held[id].live
            ? g.cuPointerGetAttribute(&managed, CU_POINTER_ATTRIBUTE_IS_MANAGED, g_held[id].handle)
            : CUDA_ERROR_INVALID_VALUE;
    if (r == CUDA_SUCCESS) {
      std::printf("managed=%u\n", managed);
    } else {
      std::printf("err %d\n", r);
    }
  } else if (!ShareCommand(line)) {
    std::printf("err -2\n");
  }
}

}  // namespace

int main() {
  Load();
  std::printf("setup=%d\n", Setup());
  std::fflush(stdout);
  char line[256];
  while (std::fgets(line, sizeof(line), stdin) != nullptr) {
    if (line[0] == 'q') break;
    Command(line);
    std::fflush(stdout);
  }
  return 0;
}
