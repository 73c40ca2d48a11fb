// libvgpu's single runtime object (the one global the architecture allows): configuration read
// from the environment, the mapped shared region, this process's slot, what it accounted, and
// per-device compute state. Hooks translate arguments and call into it.
//
// Lifetime: created on the first hooked call (Get()), never destroyed; the slot is released by a
// library destructor at exit and re-claimed in a forked child on its first hooked call.
// Initialisation does not touch the driver: an NVML-only process never loads libcuda.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "region/region.h"
#include "shim/alloc_table.h"
#include "shim/limit/env_parse.h"
#include "shim/limit/token_bucket.h"

namespace hami::shim {

// WIRE: environment variables read here are documented in docs/libvgpu.md.
struct Config {
  uint64_t mem_limit[region::kMaxDevices] = {};  // bytes, 0 = none
  uint32_t sm_limit[region::kMaxDevices] = {};   // percent, 0 = none
  limit::CorePolicy policy = limit::CorePolicy::kDefault;
  int32_t priority = 1;
  uint64_t context_overhead = 0;  // HAMI_CONTEXT_OVERHEAD: bytes counted per device with a context
  bool context_overhead_set = false;  // unset: measured from NVML around the first context
  char region_path[256] = "/tmp/cudevshr.cache";
  bool any_sm_limit = false;
};

// Reads the environment; malformed values are logged as errors and ignored (see docs).
Config ReadConfig();

class Runtime {
 public:
  static Runtime& Get();

  const Config& config() const { return config_; }
  region::SharedRegion& region() { return *region_; }

  // Memory accounting on CUDA device `dev` (container-visible ordinal). Reserve is atomic across
  // the container; false means over the limit.
  bool Reserve(int dev, uint64_t bytes, region::UsageKind kind, bool force = false);
  void Unreserve(int dev, uint64_t bytes, region::UsageKind kind);
  uint64_t Limit(int dev) const;
  uint64_t Used(int dev);

  AllocTable& allocs() { return *allocs_; }    // device pointers (plain, pitch, managed, async)
  AllocTable& arrays() { return *arrays_; }    // CUarray handles
  AllocTable& vmm() { return *vmm_; }          // CUmemGenericAllocationHandle
  AllocTable& contexts() { return *contexts_; }  // explicit CUcontext -> device

  // Context overhead. Before creating a context, hooks ask FirstContextOn(dev) and, if so, take
  // DeviceUsedByDriver(dev); after success they call ContextRef(dev, +1, that value). The first
  // context on a device counts the overhead (configured, or measured as the driver's usage
  // growth), the last ContextRef(dev, -1, 0) returns it.
  bool FirstContextOn(int dev);
  uint64_t DeviceUsedByDriver(int dev);
  void ContextRef(int dev, int delta, uint64_t used_before);

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
  void LaunchSlowPath(uint64_t threads);
  void Throttle(int dev, uint64_t threads);
  uint64_t SampleUtilization(int dev);

  Config config_;
  region::RegionFile file_;
  region::SharedRegion* region_ = nullptr;
  int slot_ = -1;
  AllocTable* allocs_;
  AllocTable* arrays_;
  AllocTable* vmm_;
  AllocTable* contexts_;
  std::mutex ctx_mu_;
  int ctx_refs_[region::kMaxDevices] = {};
  uint64_t ctx_bytes_[region::kMaxDevices] = {};
  std::atomic<int64_t> last_kernel_second_{0};

  struct DeviceCompute {
    std::atomic<bool> ready{false};
    uint64_t initial_rate = 0;
    uint64_t wave = 0;  // sm_count x max_threads_per_sm
    void* nvml = nullptr;
    std::atomic<uint64_t> last_record_ns{0};
    std::mutex history_mu;          // guards history
    limit::LaunchHistory history;   // the container's unit counter over the last window
  };
  std::mutex compute_mu_;
  DeviceCompute compute_[region::kMaxDevices];
};

// Current context's device ordinal, or -1 without a context.
int CurrentDevice();

}  // namespace hami::shim
