// Per-call cost of libvgpu's interception vs the direct driver call, on the simulated driver,
// in one run. Both pointers come from the same process: the direct one from the simulated
// libcuda, the hooked one from libvgpu.so (whose real table points at that same libcuda).
// Run: shim_bench (HAMI_SIM_GPUS defaults to 1xA100-80GB; paths are compiled in; libvgpu runs
// with CUDA_DEVICE_MEMORY_LIMIT=60g and CUDA_OVERSUBSCRIBE=true).
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "gpuapi/cuda_functions.h"

namespace {

struct Driver {
  void* sim = nullptr;
  void* shim = nullptr;
  bool ok = false;
  CUfunction fn = nullptr;
};

Driver& Get() {
  static Driver d = [] {
    Driver x;
    setenv("HAMI_SIM_GPUS", "1xA100-80GB", 0);
    std::string state = "/tmp/hami_shim_bench_" + std::to_string(getpid()) + ".sim";
    setenv("HAMI_SIM_STATE", state.c_str(), 0);
    std::string region = "/tmp/hami_shim_bench_" + std::to_string(getpid()) + ".cache";
    setenv("CUDA_DEVICE_MEMORY_SHARED_CACHE", region.c_str(), 0);
    setenv("CUDA_DEVICE_MEMORY_LIMIT", "60g", 0);
    setenv("CUDA_OVERSUBSCRIBE", "true", 0);  // spills only once the GPU is full (BM_Spilled...)
    x.sim = dlopen(HAMI_SIM_LIBDIR "/libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    dlopen(HAMI_SIM_LIBDIR "/libnvidia-ml.so.1", RTLD_NOW | RTLD_GLOBAL);
    x.shim = dlopen(HAMI_LIBVGPU, RTLD_NOW | RTLD_LOCAL);
    if (x.sim == nullptr || x.shim == nullptr) return x;
    auto init = reinterpret_cast<decltype(&cuInit)>(dlsym(x.shim, "cuInit"));
    auto get = reinterpret_cast<decltype(&cuDeviceGet)>(dlsym(x.sim, "cuDeviceGet"));
    auto retain = reinterpret_cast<decltype(&cuDevicePrimaryCtxRetain)>(
        dlsym(x.shim, "cuDevicePrimaryCtxRetain"));
    auto set = reinterpret_cast<decltype(&cuCtxSetCurrent)>(dlsym(x.sim, "cuCtxSetCurrent"));
    CUdevice dev;
    CUcontext ctx;
    x.ok = init(0) == CUDA_SUCCESS && get(&dev, 0) == CUDA_SUCCESS &&
           retain(&ctx, dev) == CUDA_SUCCESS && set(ctx) == CUDA_SUCCESS;
    auto load = reinterpret_cast<decltype(&cuModuleLoadData)>(dlsym(x.sim, "cuModuleLoadData"));
    auto getfn =
        reinterpret_cast<decltype(&cuModuleGetFunction)>(dlsym(x.sim, "cuModuleGetFunction"));
    CUmodule mod;
    static const char kImage[] = "hami-sim-module";
    if (load && getfn && load(&mod, kImage) == CUDA_SUCCESS) getfn(&x.fn, mod, "noop");
    return x;
  }();
  return d;
}

template <typename T>
T Fn(bool hooked, const char* name) {
  Driver& d = Get();
  return reinterpret_cast<T>(dlsym(hooked ? d.shim : d.sim, name));
}

void BM_cuLaunchKernel(benchmark::State& state) {
  Driver& d = Get();
  if (!d.ok || d.fn == nullptr) {
    state.SkipWithError("simulated driver or kernel not available");
    return;
  }
  auto launch = Fn<decltype(&cuLaunchKernel)>(state.range(0), "cuLaunchKernel");
  auto sync = Fn<decltype(&cuCtxSynchronize)>(false, "cuCtxSynchronize");
  for (auto _ : state) {
    benchmark::DoNotOptimize(launch(d.fn, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr));
  }
  if (sync) sync();
  state.SetLabel(state.range(0) ? "hooked" : "direct");
}
BENCHMARK(BM_cuLaunchKernel)->Arg(0)->Arg(1);

// Alloc + free of 4 KiB with `live` other allocations outstanding (cost must not grow with it).
void BM_cuMemAllocFree(benchmark::State& state) {
  Driver& d = Get();
  if (!d.ok) {
    state.SkipWithError("simulated driver not available");
    return;
  }
  const bool hooked = state.range(0);
  auto alloc = Fn<decltype(&cuMemAlloc_v2)>(hooked, "cuMemAlloc_v2");
  auto free_fn = Fn<decltype(&cuMemFree_v2)>(hooked, "cuMemFree_v2");
  std::vector<CUdeviceptr> live(state.range(1));
  for (auto& p : live) alloc(&p, 4096);
  for (auto _ : state) {
    CUdeviceptr p;
    if (alloc(&p, 4096) != CUDA_SUCCESS) {
      state.SkipWithError("alloc failed");
      break;
    }
    free_fn(p);
  }
  for (auto p : live) free_fn(p);
  state.SetLabel(std::string(hooked ? "hooked" : "direct") +
                 " live=" + std::to_string(state.range(1)));
}
BENCHMARK(BM_cuMemAllocFree)->ArgsProduct({{0, 1}, {0, 1000, 100000}});

// Alloc + free of 2 MiB through libvgpu while the GPU is full (filled behind libvgpu's back, so
// the container's limit still has room): every allocation is refused by the driver and spilled
// to managed memory (arg 1), vs the same call while the GPU has room (arg 0). libvgpu's CPU cost
// only: the simulated driver moves no data.
void BM_SpilledAllocFree(benchmark::State& state) {
  Driver& d = Get();
  if (!d.ok) {
    state.SkipWithError("simulated driver not available");
    return;
  }
  auto alloc = Fn<decltype(&cuMemAlloc_v2)>(true, "cuMemAlloc_v2");
  auto free_fn = Fn<decltype(&cuMemFree_v2)>(true, "cuMemFree_v2");
  auto direct_alloc = Fn<decltype(&cuMemAlloc_v2)>(false, "cuMemAlloc_v2");
  auto direct_free = Fn<decltype(&cuMemFree_v2)>(false, "cuMemFree_v2");
  auto info = Fn<decltype(&cuMemGetInfo_v2)>(false, "cuMemGetInfo_v2");
  CUdeviceptr filler = 0;
  size_t free = 0, total = 0;
  if (state.range(0) && (info(&free, &total) != CUDA_SUCCESS ||
                         direct_alloc(&filler, free / (2 << 20) * (2 << 20)) != CUDA_SUCCESS)) {
    state.SkipWithError("could not fill the GPU");
    return;
  }
  for (auto _ : state) {
    CUdeviceptr p;
    if (alloc(&p, 2 << 20) != CUDA_SUCCESS) {
      state.SkipWithError("alloc failed");
      break;
    }
    free_fn(p);
  }
  if (filler != 0) direct_free(filler);
  state.SetLabel(state.range(0) ? "spilled" : "device");
}
BENCHMARK(BM_SpilledAllocFree)->Arg(0)->Arg(1);

void BM_cuMemGetInfo(benchmark::State& state) {
  Driver& d = Get();
  if (!d.ok) {
    state.SkipWithError("simulated driver not available");
    return;
  }
  auto info = Fn<decltype(&cuMemGetInfo_v2)>(state.range(0), "cuMemGetInfo_v2");
  size_t f, t;
  for (auto _ : state) benchmark::DoNotOptimize(info(&f, &t));
  state.SetLabel(state.range(0) ? "hooked" : "direct");
}
BENCHMARK(BM_cuMemGetInfo)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
