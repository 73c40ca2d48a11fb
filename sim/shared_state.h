// SharedState: the simulated machine's physical state, shared by every process on the host.
//
// A file (HAMI_SIM_STATE, default /dev/shm/hami-sim-<config digest>.state) mapped MAP_SHARED holds,
// per GPU, the physical memory in use (one atomic counter, reserved with compare-and-swap so
// concurrent processes can never overcommit) and the busy timeline (guarded by a process-shared
// robust mutex, so a process killed while holding it does not block the others); and one slot per
// process with the memory and contexts it holds on each GPU. A process's slot is reclaimed (its
// memory returned) when it exits normally, and by any other process that finds it dead (pid gone,
// zombie, or reused with another start time) when memory runs out or usage is read.
//
// Thread-safe and multi-process-safe. Not copyable; unmaps on destruction.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "sim/config.h"
#include "sim/timeline.h"

namespace hami::sim {

inline constexpr int kMaxSlots = 1024;

struct DeviceShared {
  std::atomic<uint64_t> used_bytes;
  uint64_t total_bytes;
  alignas(64) pthread_mutex_t timeline_mu;  // robust, process-shared
  Timeline timeline;
};

struct ProcSlot {
  std::atomic<int32_t> pid;  // 0 free; > 0 owner; -1 being claimed or reclaimed
  uint32_t reserved;
  std::atomic<uint64_t> start_time;  // owner's start time in clock ticks (guards pid reuse)
  std::atomic<uint64_t> used[kMaxGpus];
  std::atomic<uint32_t> contexts[kMaxGpus];
};

struct StateFile {
  uint64_t magic;
  uint32_t version;
  uint32_t gpu_count;
  uint64_t digest;
  DeviceShared devices[kMaxGpus];
  ProcSlot slots[kMaxSlots];
};

// One process's view of a GPU's users.
struct ProcessUsage {
  int32_t pid;
  uint64_t used_bytes;
};

class SharedState {
 public:
  // Maps (creating or re-initialising when it describes another configuration and no live process
  // uses it) the state file at `path` for `gpus`.
  static base::Result<std::unique_ptr<SharedState>> Open(const std::string& path,
                                                         const std::vector<GpuSpec>& gpus);
  ~SharedState();
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  int gpu_count() const { return static_cast<int>(file_->gpu_count); }
  uint64_t TotalBytes(int dev) const { return file_->devices[dev].total_bytes; }
  uint64_t UsedBytes(int dev) const;

  // Takes a free slot for process `pid` (reclaiming dead ones if none is free); -1 when full.
  int ClaimSlot(int32_t pid);
  // Returns everything the slot holds and frees it.
  void ReleaseSlot(int slot);

  // Charges `bytes` of GPU `dev` to `slot` if they fit (after reclaiming dead processes once).
  bool Reserve(int slot, int dev, uint64_t bytes);
  void Unreserve(int slot, int dev, uint64_t bytes);
  void AddContext(int slot, int dev, int delta);

  // Returns memory of processes that are gone; the number of slots reclaimed.
  int ReclaimDead();
  // Live processes holding a context or memory on `dev`.
  std::vector<ProcessUsage> Processes(int dev);

  // Timeline operations (see timeline.h), under the device's shared mutex.
  Span Enqueue(int dev, int64_t now_ns, int64_t duration_ns, int32_t pid);
  int64_t BusyNs(int dev, int64_t from_ns, int64_t to_ns, int32_t pid);
  std::vector<int32_t> ActivePids(int dev, int64_t from_ns, int64_t to_ns);
  int64_t BusyUntil(int dev);

 private:
  SharedState(StateFile* file, size_t size) : file_(file), size_(size) {}
  void ReturnSlotUsage(ProcSlot& slot);
  class TimelineLock;

  StateFile* file_;
  size_t size_;
};

// True when process `pid` exists, is not a zombie and (if start_time != 0) started at start_time.
bool ProcessAlive(int32_t pid, uint64_t start_time);
// Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22); 0 if unknown.
uint64_t ProcessStartTime(int32_t pid);

// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNowNs();
// Sleeps until CLOCK_MONOTONIC reaches `deadline_ns`.
void SleepUntilNs(int64_t deadline_ns);

}  // namespace hami::sim
