#include "shim/loader.h"

#include <dlfcn.h>
#include <pthread.h>

#include <atomic>
#include <cstring>

#include "shim/log.h"

namespace hami::shim {
namespace {

constexpr int kCudaCount = static_cast<int>(CudaFn::kCount);
constexpr int kNvmlCount = static_cast<int>(NvmlFn::kCount);

const char* const kCudaNames[] = {
#define CUDA_HOOK(sym, family, since, ptsz) #sym,
#define CUDA_REAL(sym) #sym,
#include "shim/symbols/cuda.def"
#undef CUDA_HOOK
#undef CUDA_REAL
};

struct CudaHookInfo {
  void* hook;  // nullptr for CUDA_REAL entries
  const char* family;
  int since;
  int ptsz;
};

const CudaHookInfo kCudaHooks[] = {
#define CUDA_HOOK(sym, family, since, ptsz) {reinterpret_cast<void*>(&::sym), #family, since, ptsz},
#define CUDA_REAL(sym) {nullptr, nullptr, 0, 0},
#include "shim/symbols/cuda.def"
#undef CUDA_HOOK
#undef CUDA_REAL
};

const char* const kNvmlNames[] = {
#define NVML_HOOK(sym) #sym,
#define NVML_REAL(sym) #sym,
#include "shim/symbols/nvml.def"
#undef NVML_HOOK
#undef NVML_REAL
};

void* const kNvmlHooks[] = {
#define NVML_HOOK(sym) reinterpret_cast<void*>(&::sym),
#define NVML_REAL(sym) nullptr,
#include "shim/symbols/nvml.def"
#undef NVML_HOOK
#undef NVML_REAL
};

static_assert(sizeof(kCudaNames) / sizeof(kCudaNames[0]) == kCudaCount);
static_assert(sizeof(kCudaHooks) / sizeof(kCudaHooks[0]) == kCudaCount);
static_assert(sizeof(kNvmlNames) / sizeof(kNvmlNames[0]) == kNvmlCount);

void* g_cuda[kCudaCount];
void* g_nvml[kNvmlCount];
std::atomic<bool> g_cuda_loaded{false};
std::atomic<bool> g_nvml_loaded{false};
bool g_cuda_ok = false;
bool g_nvml_ok = false;
pthread_once_t g_cuda_once = PTHREAD_ONCE_INIT;
pthread_once_t g_nvml_once = PTHREAD_ONCE_INIT;

// real pointer -> hook, open addressing, insert-only (written inside the pthread_once loads).
constexpr int kMapSize = 256;
std::atomic<void*> g_map_key[kMapSize];
std::atomic<void*> g_map_hook[kMapSize];
static_assert(kMapSize > 2 * (kCudaCount + kNvmlCount));

size_t Slot(void* p) {
  uint64_t x = reinterpret_cast<uintptr_t>(p);
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 32;
  return static_cast<size_t>(x) & (kMapSize - 1);
}

void MapInsert(void* real, void* hook) {
  if (real == nullptr || hook == nullptr) return;
  for (size_t i = Slot(real);; i = (i + 1) & (kMapSize - 1)) {
    void* k = g_map_key[i].load(std::memory_order_acquire);
    if (k == real) return;
    if (k == nullptr) {
      g_map_hook[i].store(hook, std::memory_order_relaxed);
      g_map_key[i].store(real, std::memory_order_release);
      return;
    }
  }
}

using DlsymFn = void* (*)(void*, const char*);
// Read and written with the __atomic builtins, not std::atomic: GetRealDlsym is early (loader.h),
// and an uninstrumented function cannot inline std::atomic's instrumented members.
DlsymFn g_real_dlsym = nullptr;

HAMI_SHIM_EARLY DlsymFn GetRealDlsym() {
  DlsymFn f = __atomic_load_n(&g_real_dlsym, __ATOMIC_ACQUIRE);
  if (f != nullptr) return f;
  static const char* const kVersions[] = {"GLIBC_2.34", "GLIBC_2.2.5", "GLIBC_2.17"};
  for (const char* v : kVersions) {
    f = reinterpret_cast<DlsymFn>(dlvsym(RTLD_NEXT, "dlsym", v));
    if (f != nullptr) break;
  }
  __atomic_store_n(&g_real_dlsym, f, __ATOMIC_RELEASE);
  return f;
}

void* OpenLibrary(const char* name) {
  // Prefer a copy the application already loaded; otherwise load it without polluting the
  // global namespace.
  void* h = dlopen(name, RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) h = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  return h;
}

void LoadCudaOnce() {
  void* h = OpenLibrary("libcuda.so.1");
  if (h != nullptr) {
    for (int i = 0; i < kCudaCount; ++i) {
      g_cuda[i] = RealDlsym(h, kCudaNames[i]);
      MapInsert(g_cuda[i], kCudaHooks[i].hook);
    }
    g_cuda_ok = true;
  } else {
    SHIM_INFO("libcuda.so.1 not loadable: %s", dlerror());
  }
  g_cuda_loaded.store(true, std::memory_order_release);
}

void LoadNvmlOnce() {
  void* h = OpenLibrary("libnvidia-ml.so.1");
  if (h != nullptr) {
    for (int i = 0; i < kNvmlCount; ++i) {
      g_nvml[i] = RealDlsym(h, kNvmlNames[i]);
      MapInsert(g_nvml[i], kNvmlHooks[i]);
    }
    g_nvml_ok = true;
  } else {
    SHIM_INFO("libnvidia-ml.so.1 not loadable: %s", dlerror());
  }
  g_nvml_loaded.store(true, std::memory_order_release);
}

}  // namespace

HAMI_SHIM_EARLY void* RealDlsym(void* handle, const char* name) {
  DlsymFn f = GetRealDlsym();
  return f != nullptr ? f(handle, name) : nullptr;
}

void* CudaReal(CudaFn fn) {
  if (!g_cuda_loaded.load(std::memory_order_acquire)) pthread_once(&g_cuda_once, LoadCudaOnce);
  return g_cuda[static_cast<int>(fn)];
}

void* NvmlReal(NvmlFn fn) {
  if (!g_nvml_loaded.load(std::memory_order_acquire)) pthread_once(&g_nvml_once, LoadNvmlOnce);
  return g_nvml[static_cast<int>(fn)];
}

bool CudaAvailable() {
  CudaReal(CudaFn::k_cuInit);
  return g_cuda_ok;
}

bool NvmlAvailable() {
  NvmlReal(NvmlFn::k_nvmlInit_v2);
  return g_nvml_ok;
}

void* HookForReal(void* real) {
  if (real == nullptr) return nullptr;
  for (size_t i = Slot(real);; i = (i + 1) & (kMapSize - 1)) {
    void* k = g_map_key[i].load(std::memory_order_acquire);
    if (k == nullptr) return nullptr;
    if (k == real) return g_map_hook[i].load(std::memory_order_relaxed);
  }
}

void* HookForDlsym(void* real, const char* name) {
  if (void* h = HookForReal(real)) return h;
  const bool cuda = name[0] == 'c';
  if (cuda ? g_cuda_loaded.load(std::memory_order_acquire)
           : g_nvml_loaded.load(std::memory_order_acquire)) {
    return nullptr;
  }
  void* resident = dlopen(cuda ? "libcuda.so.1" : "libnvidia-ml.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (resident == nullptr) return nullptr;
  dlclose(resident);
  if (cuda) {
    CudaAvailable();
  } else {
    NvmlAvailable();
  }
  return HookForReal(real);
}

void* ProcAddressAnswer(const char* name, void* real, int cuda_version, uint64_t flags) {
  if (real == nullptr || name == nullptr) return real;
  CudaAvailable();
  if (void* h = HookForReal(real)) return h;
  // The driver answered with a pointer we do not know (an internal alias): pick our variant of
  // the family the way the driver does — newest `since` <= cuda_version, ptsz per flags.
  int want_ptsz = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) ? 1 : 0;
  bool family_has_ptsz = false;
  for (const CudaHookInfo& h : kCudaHooks) {
    if (h.hook != nullptr && h.ptsz && std::strcmp(h.family, name) == 0) family_has_ptsz = true;
  }
  if (!family_has_ptsz) want_ptsz = 0;
  const CudaHookInfo* best = nullptr;
  for (int i = 0; i < kCudaCount; ++i) {
    const CudaHookInfo& h = kCudaHooks[i];
    if (h.hook == nullptr || std::strcmp(h.family, name) != 0) continue;
    if (h.since > cuda_version || h.ptsz != want_ptsz || g_cuda[i] == nullptr) continue;
    if (best == nullptr || h.since > best->since) best = &h;
  }
  return best != nullptr ? best->hook : real;
}

}  // namespace hami::shim
