// A compute-bound CUDA "application" for sm_limit_test: it launches kernels in a busy loop through
// one launch path and reports the GPU utilization it achieved. Run under LD_PRELOAD=libvgpu.so
// against the simulated driver, whose kernels take exactly grid blocks x HAMI_SIM_NS_PER_BLOCK of
// simulated GPU time, so the busy time of the measured interval is known exactly:
//
//   sm_probe <path> <warmup_ms> <measure_ms> <grid>
//     path: kernel | ex | coop | graph (a graph of two kernel nodes of <grid> blocks each)
//
// The loop runs <warmup_ms> unmeasured (the controller settles), synchronizes, then runs
// <measure_ms> and synchronizes again; every kernel launched in between executed in between, so
//   util = blocks launched x ns_per_block / interval.
// It also prints the longest pause between two consecutive launch returns (CLOCK_MONOTONIC ns, the
// clock the test uses too), which shows a launch blocked by the monitor's priority block.
// Output: "key=value" lines; exit 0, or 1 when a driver call failed.
#include <dlfcn.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"

namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

void* lib = nullptr;

template <typename T>
T Sym(const char* name) {
  void* p = dlsym(lib, name);
  if (p == nullptr) {
    std::printf("error=missing_%s\n", name);
    std::exit(1);
  }
  return reinterpret_cast<T>(p);
}

#define CALL(expr)                                                                     \
  do {                                                                                 \
    CUresult rc_ = (expr);                                                             \
    if (rc_ != CUDA_SUCCESS) {                                                         \
      std::printf("error=%s rc=%d line=%d\n", #expr, static_cast<int>(rc_), __LINE__); \
      std::exit(1);                                                                    \
    }                                                                                  \
  } while (0)

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sm_probe kernel|ex|coop|graph warmup_ms measure_ms grid\n");
    return 2;
  }
  const char* path = argv[1];
  const uint64_t warmup_ns = std::strtoull(argv[2], nullptr, 10) * 1000000ull;
  const uint64_t measure_ns = std::strtoull(argv[3], nullptr, 10) * 1000000ull;
  const unsigned grid = static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10));
  const char* nspb = std::getenv("HAMI_SIM_NS_PER_BLOCK");
  const uint64_t ns_per_block = nspb != nullptr ? std::strtoull(nspb, nullptr, 10) : 1000;
  constexpr unsigned kBlock = 256;

  lib = dlopen("libcuda.so.1", RTLD_NOW);
  if (lib == nullptr) {
    std::printf("error=no_libcuda\n");
    return 1;
  }
  auto init = Sym<decltype(&cuInit)>("cuInit");
  auto device_get = Sym<decltype(&cuDeviceGet)>("cuDeviceGet");
  auto retain = Sym<decltype(&cuDevicePrimaryCtxRetain)>("cuDevicePrimaryCtxRetain");
  auto set_current = Sym<decltype(&cuCtxSetCurrent)>("cuCtxSetCurrent");
  auto sync = Sym<decltype(&cuCtxSynchronize)>("cuCtxSynchronize");
  auto load_data = Sym<decltype(&cuModuleLoadData)>("cuModuleLoadData");
  auto get_function = Sym<decltype(&cuModuleGetFunction)>("cuModuleGetFunction");
  auto launch = Sym<decltype(&cuLaunchKernel)>("cuLaunchKernel");
  auto launch_ex = Sym<decltype(&cuLaunchKernelEx)>("cuLaunchKernelEx");
  auto launch_coop = Sym<decltype(&cuLaunchCooperativeKernel)>("cuLaunchCooperativeKernel");
  auto event_create = Sym<decltype(&cuEventCreate)>("cuEventCreate");
  auto event_record = Sym<decltype(&cuEventRecord)>("cuEventRecord");
  auto event_sync = Sym<decltype(&cuEventSynchronize)>("cuEventSynchronize");
  auto graph_create = Sym<decltype(&cuGraphCreate)>("cuGraphCreate");
  auto graph_add_kernel_node = Sym<decltype(&cuGraphAddKernelNode)>("cuGraphAddKernelNode");
  auto graph_instantiate =
      Sym<decltype(&cuGraphInstantiateWithFlags)>("cuGraphInstantiateWithFlags");
  auto graph_launch = Sym<decltype(&cuGraphLaunch)>("cuGraphLaunch");

  CUdevice dev;
  CUcontext ctx;
  CUmodule mod;
  CUfunction fn;
  CALL(init(0));
  CALL(device_get(&dev, 0));
  CALL(retain(&ctx, dev));
  CALL(set_current(ctx));
  static const char kImage[] = "sm_probe";
  CALL(load_data(&mod, kImage));
  CALL(get_function(&fn, mod, "busy"));

  uint64_t blocks_per_launch = grid;
  CUgraphExec exec = nullptr;
  if (std::strcmp(path, "graph") == 0) {
    CUgraph g;
    CALL(graph_create(&g, 0));
    CUDA_KERNEL_NODE_PARAMS p{};
    p.func = fn;
    p.gridDimX = grid;
    p.gridDimY = p.gridDimZ = 1;
    p.blockDimX = kBlock;
    p.blockDimY = p.blockDimZ = 1;
    CUgraphNode a, b;
    CALL(graph_add_kernel_node(&a, g, nullptr, 0, &p));
    CALL(graph_add_kernel_node(&b, g, &a, 1, &p));
    CALL(graph_instantiate(&exec, g, 0));
    blocks_per_launch = 2ull * grid;
  } else if (std::strcmp(path, "kernel") != 0 && std::strcmp(path, "ex") != 0 &&
             std::strcmp(path, "coop") != 0) {
    std::printf("error=unknown_path\n");
    return 2;
  }
  CUlaunchConfig cfg{};
  cfg.gridDimX = grid;
  cfg.gridDimY = cfg.gridDimZ = 1;
  cfg.blockDimX = kBlock;
  cfg.blockDimY = cfg.blockDimZ = 1;

  auto launch_once = [&] {
    if (exec != nullptr) {
      CALL(graph_launch(exec, nullptr));
    } else if (path[0] == 'e') {
      CALL(launch_ex(&cfg, fn, nullptr, nullptr));
    } else if (path[0] == 'c') {
      CALL(launch_coop(fn, grid, 1, 1, kBlock, 1, 1, 0, nullptr, nullptr));
    } else {
      CALL(launch(fn, grid, 1, 1, kBlock, 1, 1, 0, nullptr, nullptr, nullptr));
    }
  };

  // Keeps at most two batches of launches queued (like an application that synchronizes every
  // step, double-buffered), so an unthrottled loop keeps the GPU busy while the host wakes up but
  // cannot queue seconds of work past the end of the interval.
  constexpr int kSyncEvery = 4;
  CUevent batch_done[2];
  CALL(event_create(&batch_done[0], 0));
  CALL(event_create(&batch_done[1], 0));
  uint64_t batches = 0;
  uint64_t longest_gap = 0, gap_from = 0, gap_to = 0;
  uint64_t prev = NowNs();
  auto loop = [&](uint64_t until_ns) {
    uint64_t launches = 0;
    while (NowNs() < until_ns) {
      launch_once();
      ++launches;
      const uint64_t t = NowNs();
      if (t - prev > longest_gap) {
        longest_gap = t - prev;
        gap_from = prev;
        gap_to = t;
      }
      prev = t;
      if (launches % kSyncEvery == 0) {
        CALL(event_record(batch_done[batches % 2], nullptr));
        if (batches > 0) CALL(event_sync(batch_done[(batches + 1) % 2]));  // the batch before
        ++batches;
      }
    }
    batches = 0;
    CALL(sync());
    return launches;
  };

  const uint64_t start = NowNs();
  loop(start + warmup_ns);
  const uint64_t t0 = NowNs();
  const uint64_t launches = loop(t0 + measure_ns);
  const uint64_t t1 = NowNs();
  const uint64_t busy_ns = launches * blocks_per_launch * ns_per_block;

  // The device's own view (busy fraction over the simulator's utilization window).
  unsigned nvml_util = 0;
  if (void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW)) {
    auto n_init = reinterpret_cast<decltype(&nvmlInit_v2)>(dlsym(nvml, "nvmlInit_v2"));
    auto n_handle = reinterpret_cast<decltype(&nvmlDeviceGetHandleByIndex_v2)>(
        dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
    auto n_util = reinterpret_cast<decltype(&nvmlDeviceGetUtilizationRates)>(
        dlsym(nvml, "nvmlDeviceGetUtilizationRates"));
    nvmlDevice_t h;
    nvmlUtilization_t u{};
    if (n_init != nullptr && n_handle != nullptr && n_util != nullptr && n_init() == NVML_SUCCESS &&
        n_handle(0, &h) == NVML_SUCCESS && n_util(h, &u) == NVML_SUCCESS) {
      nvml_util = u.gpu;
    }
  }
  std::printf("launches=%llu\n", static_cast<unsigned long long>(launches));
  std::printf("interval_ns=%llu\n", static_cast<unsigned long long>(t1 - t0));
  std::printf("busy_ns=%llu\n", static_cast<unsigned long long>(busy_ns));
  std::printf("util_x100=%llu\n",
              static_cast<unsigned long long>(busy_ns * 10000 / (t1 - t0 > 0 ? t1 - t0 : 1)));
  std::printf("nvml_util=%u\n", nvml_util);
  std::printf("start_ns=%llu\n", static_cast<unsigned long long>(start));
  std::printf("t0_ns=%llu\nt1_ns=%llu\n", static_cast<unsigned long long>(t0),
              static_cast<unsigned long long>(t1));
  std::printf("longest_gap_ns=%llu\ngap_from_ns=%llu\ngap_to_ns=%llu\n",
              static_cast<unsigned long long>(longest_gap),
              static_cast<unsigned long long>(gap_from), static_cast<unsigned long long>(gap_to));
  return 0;
}
