// libvgpu's single runtime object (the one global the architecture allows): configuration read
// from the environment, the mapped shared region, this process's account in it, what it charged
// through each path, and per-device compute state. Hooks translate arguments and call into it.
//
// Fail closed: when a limit is configured (or a limit variable is unreadable) and libvgpu cannot
// enforce it — malformed limit variable, unusable or foreign region file, file lock not obtained,
// no free process slot (also in a forked child), slot taken over — the runtime is *broken*: one
// error line says why, cuInit answers CUDA_ERROR_NOT_PERMITTED and every hook that would obtain
// device memory answers CUDA_ERROR_OUT_OF_MEMORY without reaching the driver. The one exception:
// a process without any limit variable runs as before (there is nothing to enforce).
//
// Limits: each process enforces the limits of its own environment; the region's limit[] words are
// what the monitor reads and are adopted only for devices the environment sets no limit for.
//
// Lifetime: created on the first hooked call (Get()), never destroyed; the slot is released by a
// library destructor at exit and re-claimed in a forked child on its first hooked call.
// Initialisation does not touch the driver: an NVML-only process never loads libcuda.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "region/region.h"
#include "shim/alloc_table.h"
#include "shim/config.h"
#include "shim/driver_call.h"
#include "shim/limit/graph_ledger.h"
#include "shim/limit/pool_ledger.h"
#include "shim/limit/token_bucket.h"
#include "shim/limit/vmm_ledger.h"

namespace hami::shim {

class Runtime {
 public:
  static Runtime& Get();

  const Config& config() const { return config_; }
  region::SharedRegion& region() { return *region_; }

  // Why libvgpu cannot enforce, or nullptr while it can.
  const char* broken() const { return broken_.load(std::memory_order_acquire); }

  // Memory accounting on CUDA device `dev` (container-visible ordinal), atomic across the
  // container. False means denied (over the limit, broken, region lock not obtained, or a device
  // outside the region while limits apply); the reason is logged.
  bool Reserve(int dev, uint64_t bytes, region::UsageKind kind, bool force = false);
  void Unreserve(int dev, uint64_t bytes, region::UsageKind kind);
  // This process's limit on `dev` (0 = none).
  uint64_t Limit(int dev) const;
  uint64_t Used(int dev);
  // Whether a call whose device cannot be told may go to the driver unaccounted: no limit
  // applies to this process and nothing is broken.
  bool MayRunUnaccounted() const { return !enforcing_ && broken() == nullptr; }
  // Whether any limit applies to this process (or one was meant to).
  bool enforcing() const { return enforcing_; }
  // Whether an allocation on `dev` that the GPU has no room for is backed by host memory
  // (CUDA_OVERSUBSCRIBE): only under a limit, which then bounds device and host memory together,
  // and never while broken.
  bool Oversubscribes(int dev) const {
    return config_.oversubscribe && Limit(dev) != 0 && broken() == nullptr;
  }

  AllocTable& allocs() { return *allocs_; }   // device pointers (plain, pitch, managed, imports)
  AllocTable& arrays() { return *arrays_; }   // CUarray and CUmipmappedArray handles
  VmmLedger& vmm() { return *vmm_; }          // VMM handles and their mappings
  PoolLedger& pools() { return *pools_; }     // memory pools and their allocations
  GraphLedger& graphs() { return *graphs_; }  // graph memory nodes of instantiated graphs

  // Context overhead: every context the process holds costs device memory (the primary context
  // of each device while retained, each explicit context), plus what cuCtxSetLimit grows.
  // `call` creates / retains / releases / destroys it; the charge is taken before (denied over
  // the limit) or, while the overhead is still unknown, measured around the first one.
  CUresult RetainPrimary(int dev, DriverCall call, CUcontext* pctx);
  CUresult ReleasePrimary(int dev, DriverCall call, bool reset);
  CUresult CreateContext(int dev, DriverCall call, CUcontext* pctx);
  CUresult DestroyContext(CUcontext ctx, DriverCall call);
  CUresult SetContextLimit(CUlimit limit, size_t value, DriverCall call);

  // After a successful cuInit: records device UUIDs in the region for NVML and the monitor.
  void OnCudaInit();
  // CUDA ordinal of an NVML device handle, or -1.
  int CudaIndexForNvml(void* nvml_device);

  // Launch cost of a launch whose size is unknown (graphs): one full wave of the device.
  static constexpr uint64_t kOneWave = 0;

  // Everything a launch must do before reaching the driver: the monitor's priority block, the
  // kernel timestamp and, when an SM limit applies, the shared token bucket. `threads` = grid
  // blocks x threads per block.
  void BeforeLaunch(uint64_t threads) {
    region::SharedRegion& r = *region_;
    if (std::atomic_ref<int32_t>(r.recent_kernel).load(std::memory_order_relaxed) != 2 ||
        config_.any_sm_limit) {
      LaunchSlowPath(threads);
    }
  }

  // Re-registers after fork (called by the atfork child handler).
  void AfterForkInChild();
  // Releases the slot (library destructor).
  void Shutdown();

 private:
  Runtime();
  void Attach();
  void AdoptRegionLimits();
  void Break(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
  bool Charge(int dev, uint64_t bytes, region::UsageKind kind, bool force);
  CUresult ChargeNewContext(int dev, DriverCall call, uint64_t* charged);
  void ForgetContext(uint64_t ctx_key);
  uint64_t LimitCost(int dev, CUlimit limit, size_t value);
  void LaunchSlowPath(uint64_t threads);
  void Throttle(int dev, uint64_t threads);
  uint64_t SampleUtilization(int dev);

  Config config_;
  bool enforcing_ = false;  // a limit applies (or was meant to): failures must fail closed
  uint64_t limit_[region::kMaxDevices] = {};  // enforced limits (environment, else the region's)
  region::RegionFile file_;
  region::SharedRegion* region_ = nullptr;
  std::mutex account_mu_;  // guards account_ outside the region lock (slot moves, fork)
  region::Account account_;
  uint64_t reported_repairs_ = 0;
  char broken_text_[320] = "";
  std::atomic<const char*> broken_{nullptr};
  AllocTable* allocs_;
  AllocTable* arrays_;
  VmmLedger* vmm_;
  PoolLedger* pools_;
  GraphLedger* graphs_;

  struct ContextCharge {
    int dev = -1;
    uint64_t overhead = 0;  // charged for the context itself
    uint64_t grown = 0;     // charged for limits raised above the driver's defaults
  };
  std::mutex ctx_mu_;  // guards everything below, held across context-changing driver calls
  uint64_t overhead_[region::kMaxDevices] = {};
  bool overhead_known_[region::kMaxDevices] = {};
  int primary_refs_[region::kMaxDevices] = {};
  uint64_t primary_key_[region::kMaxDevices] = {};
  std::unordered_map<uint64_t, ContextCharge>* contexts_;  // CUcontext -> charge (primary too)

  std::atomic<int64_t> last_kernel_second_{0};
  struct DeviceCompute {
    std::atomic<bool> ready{false};
    uint64_t initial_rate = 0;
    uint64_t wave = 0;  // sm_count x max_threads_per_sm
    void* nvml = nullptr;
    std::atomic<uint64_t> last_record_ns{0};
    std::mutex history_mu;         // guards history
    limit::LaunchHistory history;  // the container's unit counter over the last window
  };
  std::mutex compute_mu_;
  DeviceCompute compute_[region::kMaxDevices];
};

// Current context's device ordinal, or -1 without a context.
int CurrentDevice();
// Current context as a table key (0 without one).
uint64_t CurrentContextKey();

}  // namespace hami::shim
