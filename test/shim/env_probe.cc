// A CUDA "application" for the peer-scheduler env tests (koordinator_env_test, kai_env_test): run
// under LD_PRELOAD=libvgpu.so against the simulated driver with exactly the environment a peer
// scheduler injects, it reports what every visible device looks like to the application:
//
//   env_probe <chunk_mib>
//
// For each CUDA device d (its primary context made current): cuMemGetInfo and cuDeviceTotalMem,
// then cuMemAlloc of <chunk_mib> MiB until refused (the bytes granted and the refusal's CUresult),
// everything freed again. Then, through NVML, each NVML device's memory total.
// Output: "key=value" lines (dev<d>_total, dev<d>_free, dev<d>_device_total, dev<d>_granted,
// dev<d>_error, cuda_count, nvml_count, nvml<i>_total); exit 0, or 2 when a call failed.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"

namespace {

void* Sym(void* lib, const char* name) {
  void* p = dlsym(lib, name);
  if (p == nullptr) {
    std::printf("error=missing_%s\n", name);
    std::exit(2);
  }
  return p;
}

#define SYM(lib, fn) reinterpret_cast<decltype(&(fn))>(Sym((lib), #fn))

int Cuda(size_t chunk) {
  void* lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (lib == nullptr) return 2;
  auto init = SYM(lib, cuInit);
  auto count = SYM(lib, cuDeviceGetCount);
  auto get = SYM(lib, cuDeviceGet);
  auto retain = SYM(lib, cuDevicePrimaryCtxRetain);
  auto set_current = SYM(lib, cuCtxSetCurrent);
  auto mem_info = SYM(lib, cuMemGetInfo_v2);
  auto total_mem = SYM(lib, cuDeviceTotalMem_v2);
  auto alloc = SYM(lib, cuMemAlloc_v2);
  auto release = SYM(lib, cuMemFree_v2);
  int n = 0;
  if (init(0) != CUDA_SUCCESS || count(&n) != CUDA_SUCCESS) {
    std::printf("error=cuInit\n");
    return 2;
  }
  std::printf("cuda_count=%d\n", n);
  for (int d = 0; d < n; ++d) {
    CUdevice dev;
    CUcontext ctx;
    if (get(&dev, d) != CUDA_SUCCESS || retain(&ctx, dev) != CUDA_SUCCESS ||
        set_current(ctx) != CUDA_SUCCESS) {
      std::printf("error=no_context dev=%d\n", d);
      return 2;
    }
    size_t free = 0, total = 0, device_total = 0;
    mem_info(&free, &total);
    total_mem(&device_total, dev);
    std::vector<CUdeviceptr> held;
    CUresult last = CUDA_SUCCESS;
    while (held.size() < 4096) {
      CUdeviceptr p;
      last = alloc(&p, chunk);
      if (last != CUDA_SUCCESS) break;
      held.push_back(p);
    }
    for (CUdeviceptr p : held) release(p);
    std::printf(
        "dev%d_total=%zu dev%d_free=%zu dev%d_device_total=%zu dev%d_granted=%zu dev%d_error=%d\n",
        d, total, d, free, d, device_total, d, held.size() * chunk, d, static_cast<int>(last));
  }
  return 0;
}

int Nvml() {
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW);
  if (lib == nullptr) return 2;
  auto init = SYM(lib, nvmlInit_v2);
  auto count = SYM(lib, nvmlDeviceGetCount_v2);
  auto get = SYM(lib, nvmlDeviceGetHandleByIndex_v2);
  auto info = SYM(lib, nvmlDeviceGetMemoryInfo);
  unsigned n = 0;
  if (init() != NVML_SUCCESS || count(&n) != NVML_SUCCESS) return 2;
  std::printf("nvml_count=%u\n", n);
  for (unsigned i = 0; i < n; ++i) {
    nvmlDevice_t dev;
    nvmlMemory_t m{};
    if (get(i, &dev) != NVML_SUCCESS || info(dev, &m) != NVML_SUCCESS) return 2;
    std::printf("nvml%u_total=%llu\n", i, m.total);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: env_probe <chunk_mib>\n");
    return 2;
  }
  const size_t chunk = std::strtoull(argv[1], nullptr, 10) << 20;
  const int rc = Cuda(chunk);
  if (rc != 0) return rc;
  return Nvml();
}
