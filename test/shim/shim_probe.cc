// A CUDA "application" run under LD_PRELOAD=libvgpu.so against the simulated driver by
// shim_integration_test. It reaches the driver the ways real programs do: dlopen + dlsym
// (mode "dlsym") or, like the CUDA runtime, only through cuGetProcAddress_v2 (mode "procaddr").
// Each command prints facts as "key=value" lines and exits 0 on success, 1 on a failed check.
#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"

namespace {

struct Api {
  decltype(&cuInit) Init;
  decltype(&cuDeviceGet) DeviceGet;
  decltype(&cuDevicePrimaryCtxRetain) PrimaryCtxRetain;
  decltype(&cuCtxSetCurrent) CtxSetCurrent;
  decltype(&cuMemAlloc_v2) MemAlloc;
  decltype(&cuMemFree_v2) MemFree;
  decltype(&cuMemGetInfo_v2) MemGetInfo;
  decltype(&cuDeviceTotalMem_v2) DeviceTotalMem;
  decltype(&cuMemAllocPitch_v2) MemAllocPitch;
  decltype(&cuMemAllocManaged) MemAllocManaged;
  decltype(&cuArrayCreate_v2) ArrayCreate;
  decltype(&cuArrayDestroy) ArrayDestroy;
  decltype(&cuMemAllocAsync) MemAllocAsync;
  decltype(&cuMemFreeAsync) MemFreeAsync;
  decltype(&cuMemCreate) MemCreate;
  decltype(&cuMemRelease) MemRelease;
  decltype(&cuMemGetAllocationGranularity) Granularity;
  decltype(&cuLaunchKernel) LaunchKernel;
};

bool g_failed = false;
#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stdout, "check_failed=%s line=%d\n", #cond, __LINE__); \
      g_failed = true;                                                    \
    }                                                                     \
  } while (0)

template <typename T>
void Resolve(T* out, void* lib, decltype(&cuGetProcAddress_v2) gpa, const char* name, int flags) {
  void* p = nullptr;
  if (gpa != nullptr) {
    CUdriverProcAddressQueryResult st;
    if (gpa(name, &p, 12080, flags, &st) != CUDA_SUCCESS) p = nullptr;
  } else {
    std::string sym = name;
    // dlsym callers name the versioned ABI symbol.
    for (const char* v : {"cuMemAlloc", "cuMemFree", "cuMemGetInfo", "cuDeviceTotalMem",
                          "cuMemAllocPitch", "cuArrayCreate"}) {
      if (sym == v) sym += "_v2";
    }
    p = dlsym(lib, sym.c_str());
  }
  *out = reinterpret_cast<T>(p);
}

// True when `p` lives in libvgpu.so (i.e. the caller got the hook, not the driver).
bool InShim(void* p) {
  Dl_info info;
  if (p == nullptr || dladdr(p, &info) == 0 || info.dli_fname == nullptr) return false;
  const char* base = std::strrchr(info.dli_fname, '/');
  return std::strstr(base != nullptr ? base + 1 : info.dli_fname, "libvgpu") != nullptr;
}

Api Load(const char* mode, bool* all_hooked) {
  void* lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (lib == nullptr) {
    std::printf("error=no_libcuda\n");
    std::exit(2);
  }
  decltype(&cuGetProcAddress_v2) gpa = nullptr;
  if (std::strcmp(mode, "procaddr") == 0) {
    gpa = reinterpret_cast<decltype(gpa)>(dlsym(lib, "cuGetProcAddress_v2"));
  }
  Api a{};
  const int ptds = CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
  Resolve(&a.Init, lib, gpa, "cuInit", 0);
  Resolve(&a.DeviceGet, lib, gpa, "cuDeviceGet", 0);
  Resolve(&a.PrimaryCtxRetain, lib, gpa, "cuDevicePrimaryCtxRetain", 0);
  Resolve(&a.CtxSetCurrent, lib, gpa, "cuCtxSetCurrent", 0);
  Resolve(&a.MemAlloc, lib, gpa, "cuMemAlloc", 0);
  Resolve(&a.MemFree, lib, gpa, "cuMemFree", 0);
  Resolve(&a.MemGetInfo, lib, gpa, "cuMemGetInfo", 0);
  Resolve(&a.DeviceTotalMem, lib, gpa, "cuDeviceTotalMem", 0);
  Resolve(&a.MemAllocPitch, lib, gpa, "cuMemAllocPitch", 0);
  Resolve(&a.MemAllocManaged, lib, gpa, "cuMemAllocManaged", 0);
  Resolve(&a.ArrayCreate, lib, gpa, "cuArrayCreate", 0);
  Resolve(&a.ArrayDestroy, lib, gpa, "cuArrayDestroy", 0);
  Resolve(&a.MemAllocAsync, lib, gpa, "cuMemAllocAsync", gpa ? ptds : 0);
  Resolve(&a.MemFreeAsync, lib, gpa, "cuMemFreeAsync", gpa ? ptds : 0);
  Resolve(&a.MemCreate, lib, gpa, "cuMemCreate", 0);
  Resolve(&a.MemRelease, lib, gpa, "cuMemRelease", 0);
  Resolve(&a.Granularity, lib, gpa, "cuMemGetAllocationGranularity", 0);
  Resolve(&a.LaunchKernel, lib, gpa, "cuLaunchKernel", gpa ? ptds : 0);
  *all_hooked = InShim(reinterpret_cast<void*>(a.MemAlloc)) &&
                InShim(reinterpret_cast<void*>(a.MemFree)) &&
                InShim(reinterpret_cast<void*>(a.MemGetInfo)) &&
                InShim(reinterpret_cast<void*>(a.MemAllocAsync)) &&
                InShim(reinterpret_cast<void*>(a.MemCreate)) &&
                !InShim(reinterpret_cast<void*>(a.DeviceGet));  // pass-through stays the driver's
  if (gpa != nullptr) {
    // The per-thread-stream request must be answered with the ptsz hook, not the legacy one.
    void* legacy = nullptr;
    CUdriverProcAddressQueryResult st;
    gpa("cuLaunchKernel", &legacy, 12080, 0, &st);
    std::printf("ptsz_distinct=%d\n", legacy != reinterpret_cast<void*>(a.LaunchKernel) ? 1 : 0);
    std::printf("launch_hooked=%d\n", InShim(reinterpret_cast<void*>(a.LaunchKernel)) ? 1 : 0);
  }
  return a;
}

void Setup(const Api& a) {
  CUdevice dev;
  CUcontext ctx;
  if (a.Init(0) != CUDA_SUCCESS || a.DeviceGet(&dev, 0) != CUDA_SUCCESS ||
      a.PrimaryCtxRetain(&ctx, dev) != CUDA_SUCCESS || a.CtxSetCurrent(ctx) != CUDA_SUCCESS) {
    std::printf("error=no_context\n");
    std::exit(2);
  }
}

const size_t kMiB = 1 << 20;

// Allocates `chunk` until refused through `alloc`; returns bytes obtained, frees via `release`.
template <typename Alloc, typename Release>
size_t FillAndDrain(const char* path, size_t chunk, Alloc alloc, Release release) {
  std::vector<uint64_t> got;
  CUresult last = CUDA_SUCCESS;
  for (int i = 0; i < 4096; ++i) {
    uint64_t h = 0;
    last = alloc(&h);
    if (last != CUDA_SUCCESS) break;
    got.push_back(h);
  }
  std::printf("%s_bytes=%zu %s_error=%d\n", path, got.size() * chunk, path, last);
  CHECK(last == CUDA_ERROR_OUT_OF_MEMORY);
  for (uint64_t h : got) CHECK(release(h) == CUDA_SUCCESS);
  return got.size() * chunk;
}

int Paths(const Api& a) {
  size_t free = 0, total = 0, devtotal = 0;
  CHECK(a.MemGetInfo(&free, &total) == CUDA_SUCCESS);
  CHECK(a.MemGetInfo(nullptr, nullptr) == CUDA_SUCCESS);  // NULL-safe
  CHECK(a.DeviceTotalMem(&devtotal, 0) == CUDA_SUCCESS);
  std::printf("total=%zu free=%zu device_total=%zu\n", total, free, devtotal);
  const size_t c = 64 * kMiB;
  FillAndDrain(
      "alloc", c, [&](uint64_t* h) { return a.MemAlloc(reinterpret_cast<CUdeviceptr*>(h), c); },
      [&](uint64_t h) { return a.MemFree(h); });
  FillAndDrain(
      "managed", c,
      [&](uint64_t* h) { return a.MemAllocManaged(reinterpret_cast<CUdeviceptr*>(h), c, 1); },
      [&](uint64_t h) { return a.MemFree(h); });
  FillAndDrain(
      "pitch", c,
      [&](uint64_t* h) {
        size_t pitch;
        return a.MemAllocPitch(reinterpret_cast<CUdeviceptr*>(h), &pitch, 8192, 8192, 4);
      },
      [&](uint64_t h) { return a.MemFree(h); });
  FillAndDrain(
      "array", c,
      [&](uint64_t* h) {
        CUDA_ARRAY_DESCRIPTOR d{4096, 4096, CU_AD_FORMAT_FLOAT, 1};
        return a.ArrayCreate(reinterpret_cast<CUarray*>(h), &d);
      },
      [&](uint64_t h) { return a.ArrayDestroy(std::bit_cast<CUarray>(h)); });
  FillAndDrain(
      "async", c,
      [&](uint64_t* h) { return a.MemAllocAsync(reinterpret_cast<CUdeviceptr*>(h), c, nullptr); },
      [&](uint64_t h) { return a.MemFreeAsync(h, nullptr); });
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = 0;
  size_t gran = 0;
  a.Granularity(&gran, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM);
  std::printf("granularity=%zu\n", gran);
  // The driver only accepts whole granules (an unaligned size is CUDA_ERROR_INVALID_VALUE).
  CHECK(gran > 0 && c % gran == 0);
  FillAndDrain(
      "vmm", c,
      [&](uint64_t* h) {
        return a.MemCreate(reinterpret_cast<CUmemGenericAllocationHandle*>(h), c, &prop, 0);
      },
      [&](uint64_t h) { return a.MemRelease(h); });
  size_t free2 = 0;
  CHECK(a.MemGetInfo(&free2, &total) == CUDA_SUCCESS);
  std::printf("free_after=%zu\n", free2);
  CHECK(free2 == free);
  // A pointer libvgpu never saw is forwarded to the driver (its error code, not ours).
  CUresult unknown = a.MemFree(0xdead0000);
  std::printf("unknown_free=%d\n", unknown);
  CHECK(unknown != CUDA_SUCCESS && unknown != CUDA_ERROR_OUT_OF_MEMORY);
  return g_failed ? 1 : 0;
}

// Allocates `chunk` MiB `count` times and holds them (prints "held" then waits for SIGKILL or
// stdin EOF); used by the concurrency and kill tests.
int Hold(const Api& a, size_t chunk_mib, int count) {
  int ok = 0;
  for (int i = 0; i < count; ++i) {
    CUdeviceptr p;
    if (a.MemAlloc(&p, chunk_mib * kMiB) == CUDA_SUCCESS) ++ok;
  }
  std::printf("held=%d\n", ok);
  std::fflush(stdout);
  char buf[1];
  while (read(0, buf, 1) > 0) {
  }
  return 0;
}

// `rounds` times: grab as many `chunk`-MiB blocks as the limit allows, then free them all.
int Hammer(const Api& a, size_t chunk_mib, int rounds) {
  long total = 0;
  for (int r = 0; r < rounds; ++r) {
    std::vector<CUdeviceptr> got;
    for (;;) {
      CUdeviceptr p;
      CUresult e = a.MemAlloc(&p, chunk_mib * kMiB);
      if (e != CUDA_SUCCESS) {
        CHECK(e == CUDA_ERROR_OUT_OF_MEMORY);
        break;
      }
      got.push_back(p);
    }
    total += static_cast<long>(got.size());
    for (CUdeviceptr p : got) CHECK(a.MemFree(p) == CUDA_SUCCESS);
  }
  std::printf("granted=%ld\n", total);
  return g_failed ? 1 : 0;
}

// Allocates and frees in a tight loop forever (to be SIGKILLed mid-allocation).
int Churn(const Api& a, size_t chunk_mib) {
  std::printf("churning=1\n");
  std::fflush(stdout);
  for (;;) {
    CUdeviceptr p;
    if (a.MemAlloc(&p, chunk_mib * kMiB) == CUDA_SUCCESS) a.MemFree(p);
  }
}

int Info(const Api& a) {
  size_t free = 0, total = 0;
  CHECK(a.MemGetInfo(&free, &total) == CUDA_SUCCESS);
  std::printf("total=%zu free=%zu\n", total, free);
  return g_failed ? 1 : 0;
}

// What nvidia-smi sees: NVML memory info of device 0 through dlopen/dlsym (no CUDA in this
// process).
int Nvml() {
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW);
  if (lib == nullptr) return 2;
  auto init = reinterpret_cast<decltype(&nvmlInit_v2)>(dlsym(lib, "nvmlInit_v2"));
  auto get = reinterpret_cast<decltype(&nvmlDeviceGetHandleByIndex_v2)>(
      dlsym(lib, "nvmlDeviceGetHandleByIndex_v2"));
  void* info_sym = dlsym(lib, "nvmlDeviceGetMemoryInfo");
  auto info = reinterpret_cast<decltype(&nvmlDeviceGetMemoryInfo)>(info_sym);
  auto info2 = reinterpret_cast<decltype(&nvmlDeviceGetMemoryInfo_v2)>(
      dlsym(lib, "nvmlDeviceGetMemoryInfo_v2"));
  nvmlDevice_t dev;
  nvmlMemory_t m{};
  nvmlMemory_v2_t m2{};
  m2.version = nvmlMemory_v2;
  CHECK(init() == NVML_SUCCESS);
  CHECK(get(0, &dev) == NVML_SUCCESS);
  CHECK(info(dev, &m) == NVML_SUCCESS);
  CHECK(info2(dev, &m2) == NVML_SUCCESS);
  std::printf("nvml_hooked=%d nvml_total=%llu nvml_free=%llu nvml_used=%llu nvml2_total=%llu\n",
              InShim(info_sym) ? 1 : 0, m.total, m.free, m.used, m2.total);
  return g_failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "nvml") == 0) return Nvml();
  if (argc < 3) {
    std::fprintf(stderr, "usage: shim_probe dlsym|procaddr paths|hold|hammer|churn|info [args]\n");
    return 2;
  }
  bool hooked = false;
  Api a = Load(argv[1], &hooked);
  std::printf("hooked=%d\n", hooked ? 1 : 0);
  Setup(a);
  const std::string cmd = argv[2];
  int rc = 2;
  if (cmd == "paths") rc = Paths(a);
  if (cmd == "info") rc = Info(a);
  if (cmd == "hold") rc = Hold(a, std::atoi(argv[3]), std::atoi(argv[4]));
  if (cmd == "hammer") rc = Hammer(a, std::atoi(argv[3]), std::atoi(argv[4]));
  if (cmd == "churn") rc = Churn(a, std::atoi(argv[3]));
  std::fflush(stdout);
  return rc != 0 ? rc : (hooked ? 0 : 1);
}
