// hami-sim-workload: a stand-in for a container's CUDA application on a simulated node (the demo
// runs one per pod, docs/local-cluster.md): holds --mem-mib of device memory on CUDA device 0 and
// keeps the GPU busy about --busy percent of the time with kernels, until SIGTERM/SIGINT.
//
//   hami-sim-workload [--mem-mib N (default 1024)] [--busy P (default 30)]
//
// Loads libcuda.so.1 from the loader path (the simulated driver; under LD_PRELOAD=libvgpu.so the
// container's limits apply). Prints "ready mem_mib=N busy=P" once it holds the memory; exit 1 when
// a driver call fails, 2 on bad usage.
#include <dlfcn.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "gpuapi/cuda_functions.h"

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

template <typename T>
T Sym(void* lib, const char* name) {
  return reinterpret_cast<T>(dlsym(lib, name));
}

int Fail(const char* what, int rc) {
  std::fprintf(stderr, "hami-sim-workload: %s failed: %d\n", what, rc);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  long mem_mib = 1024, busy = 30;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--mem-mib") == 0) {
      mem_mib = std::strtol(argv[++i], nullptr, 10);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--busy") == 0) {
      busy = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: hami-sim-workload [--mem-mib N] [--busy PERCENT]\n");
      return 2;
    }
  }
  if (mem_mib < 0 || busy < 0 || busy > 100) return 2;
  void* cuda = dlopen("libcuda.so.1", RTLD_NOW);
  if (cuda == nullptr) return Fail("dlopen libcuda.so.1", 0);
  auto init = Sym<decltype(&cuInit)>(cuda, "cuInit");
  auto retain = Sym<decltype(&cuDevicePrimaryCtxRetain)>(cuda, "cuDevicePrimaryCtxRetain");
  auto set_current = Sym<decltype(&cuCtxSetCurrent)>(cuda, "cuCtxSetCurrent");
  auto alloc = Sym<decltype(&cuMemAlloc_v2)>(cuda, "cuMemAlloc_v2");
  auto load = Sym<decltype(&cuModuleLoadData)>(cuda, "cuModuleLoadData");
  auto get_function = Sym<decltype(&cuModuleGetFunction)>(cuda, "cuModuleGetFunction");
  auto launch = Sym<decltype(&cuLaunchKernel)>(cuda, "cuLaunchKernel");
  auto sync = Sym<decltype(&cuCtxSynchronize)>(cuda, "cuCtxSynchronize");
  if (!init || !retain || !set_current || !alloc || !load || !get_function || !launch || !sync) {
    return Fail("dlsym", 0);
  }
  CUcontext ctx = nullptr;
  CUmodule module = nullptr;
  CUfunction kernel = nullptr;
  CUdeviceptr ptr = 0;
  static const char kImage[] = "hami-sim-workload";
  if (int rc = init(0); rc != CUDA_SUCCESS) return Fail("cuInit", rc);
  if (int rc = retain(&ctx, 0); rc != CUDA_SUCCESS) return Fail("cuDevicePrimaryCtxRetain", rc);
  if (int rc = set_current(ctx); rc != CUDA_SUCCESS) return Fail("cuCtxSetCurrent", rc);
  if (mem_mib > 0) {
    if (int rc = alloc(&ptr, static_cast<size_t>(mem_mib) << 20); rc != CUDA_SUCCESS) {
      return Fail("cuMemAlloc", rc);
    }
  }
  if (int rc = load(&module, kImage); rc != CUDA_SUCCESS) return Fail("cuModuleLoadData", rc);
  if (int rc = get_function(&kernel, module, "spin"); rc != CUDA_SUCCESS) {
    return Fail("cuModuleGetFunction", rc);
  }
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  std::printf("ready mem_mib=%ld busy=%ld\n", mem_mib, busy);
  std::fflush(stdout);
  // Each 100 ms period: `busy` ms of kernels (1000 blocks at the default 1 us per block), then
  // idle.
  while (!g_stop) {
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long ms = 0; ms < busy && !g_stop; ++ms) {
      if (int rc = launch(kernel, 1000, 1, 1, 128, 1, 1, 0, nullptr, nullptr, nullptr);
          rc != CUDA_SUCCESS) {
        return Fail("cuLaunchKernel", rc);
      }
    }
    sync();
    timespec end{start.tv_sec, start.tv_nsec + 100 * 1000000L};
    if (end.tv_nsec >= 1000000000L) {
      end.tv_sec += 1;
      end.tv_nsec -= 1000000000L;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, nullptr);
  }
  return 0;
}
