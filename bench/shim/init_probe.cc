// One CUDA process start for startup_bench.sh: prints the ns from main() to the first successful
// allocation (cuInit + primary context + cuMemAlloc), which includes libvgpu's lazy init (region
// open, slot claim) when preloaded.
#include <dlfcn.h>
#include <time.h>

#include <cstdio>

#include "gpuapi/cuda_functions.h"

static long long NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main() {
  const long long t0 = NowNs();
  void* lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (lib == nullptr) return 2;
  auto init = reinterpret_cast<decltype(&cuInit)>(dlsym(lib, "cuInit"));
  auto get = reinterpret_cast<decltype(&cuDeviceGet)>(dlsym(lib, "cuDeviceGet"));
  auto retain =
      reinterpret_cast<decltype(&cuDevicePrimaryCtxRetain)>(dlsym(lib, "cuDevicePrimaryCtxRetain"));
  auto set = reinterpret_cast<decltype(&cuCtxSetCurrent)>(dlsym(lib, "cuCtxSetCurrent"));
  auto alloc = reinterpret_cast<decltype(&cuMemAlloc_v2)>(dlsym(lib, "cuMemAlloc_v2"));
  CUdevice dev;
  CUcontext ctx;
  CUdeviceptr p;
  if (init(0) || get(&dev, 0) || retain(&ctx, dev) || set(ctx) || alloc(&p, 1 << 20)) return 1;
  std::printf("%lld\n", NowNs() - t0);
  return 0;
}
