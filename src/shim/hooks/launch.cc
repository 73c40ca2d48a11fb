// Launch hooks: every launch path (plain, Ex, cooperative, graph, and their per-thread-stream
// variants) passes Runtime::BeforeLaunch — the monitor's priority block and, under an SM limit,
// the container's shared token bucket. Without a limit the added cost is two loads and a branch.
// WIRE: driver ABI names.
#include "shim/hooks/hook_util.h"

using hami::shim::Runtime;

namespace {

inline uint64_t Threads(unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz) {
  return static_cast<uint64_t>(gx) * gy * gz * (static_cast<uint64_t>(bx) * by * bz);
}

}  // namespace

extern "C" {

#define HAMI_LAUNCH_KERNEL(sym)                                                               \
  CUresult sym(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, \
               unsigned bz, unsigned shmem, CUstream stream, void** params, void** extra) {   \
    HAMI_REAL_OR_FAIL(sym);                                                                   \
    Runtime::Get().BeforeLaunch(Threads(gx, gy, gz, bx, by, bz));                             \
    return real(f, gx, gy, gz, bx, by, bz, shmem, stream, params, extra);                     \
  }
HAMI_LAUNCH_KERNEL(cuLaunchKernel)
HAMI_LAUNCH_KERNEL(cuLaunchKernel_ptsz)
#undef HAMI_LAUNCH_KERNEL

#define HAMI_LAUNCH_COOP(sym)                                                                 \
  CUresult sym(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, \
               unsigned bz, unsigned shmem, CUstream stream, void** params) {                 \
    HAMI_REAL_OR_FAIL(sym);                                                                   \
    Runtime::Get().BeforeLaunch(Threads(gx, gy, gz, bx, by, bz));                             \
    return real(f, gx, gy, gz, bx, by, bz, shmem, stream, params);                            \
  }
HAMI_LAUNCH_COOP(cuLaunchCooperativeKernel)
HAMI_LAUNCH_COOP(cuLaunchCooperativeKernel_ptsz)
#undef HAMI_LAUNCH_COOP

#define HAMI_LAUNCH_EX(sym)                                                                     \
  CUresult sym(const CUlaunchConfig* config, CUfunction f, void** params, void** extra) {       \
    HAMI_REAL_OR_FAIL(sym);                                                                     \
    if (config != nullptr) {                                                                    \
      Runtime::Get().BeforeLaunch(Threads(config->gridDimX, config->gridDimY, config->gridDimZ, \
                                          config->blockDimX, config->blockDimY,                 \
                                          config->blockDimZ));                                  \
    }                                                                                           \
    return real(config, f, params, extra);                                                      \
  }
HAMI_LAUNCH_EX(cuLaunchKernelEx)
HAMI_LAUNCH_EX(cuLaunchKernelEx_ptsz)
#undef HAMI_LAUNCH_EX

// A graph's kernels are not inspected: each launch is charged one full wave of the device.
// Its memory nodes were charged at instantiation; the launch may grow the driver's graph pool
// beyond that (memory it keeps cached), which is settled after it (hooks/graph.cc).
#define HAMI_GRAPH_LAUNCH(sym)                      \
  CUresult sym(CUgraphExec exec, CUstream stream) { \
    HAMI_REAL_OR_FAIL(sym);                         \
    Runtime::Get().BeforeLaunch(Runtime::kOneWave); \
    const CUresult r = real(exec, stream);          \
    hami::shim::SettleGraphMemory();                \
    return r;                                       \
  }
HAMI_GRAPH_LAUNCH(cuGraphLaunch)
HAMI_GRAPH_LAUNCH(cuGraphLaunch_ptsz)
#undef HAMI_GRAPH_LAUNCH

}  // extern "C"
