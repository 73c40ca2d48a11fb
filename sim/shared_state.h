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
// MIG (sim/mig_state.cc): per GPU, the MIG mode and fixed tables of GPU instances (indexed by
// their id) and their compute instances, guarded by a second robust mutex. A row changes as
// kMigWriting -> fields -> kMigLive (created) or kMigFree (destroyed); a process killed in between
// leaves kMigWriting, which the next holder of the mutex (EOWNERDEAD) turns into kMigFree. A
// process running on a MIG device records it in its slot (`mig`); the memory a GPU instance uses
// is the sum over the slots bound to it, so it needs no counter of its own that a crash could skew.
//
// Thread-safe and multi-process-safe. Not copyable; unmaps on destruction.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "gpuapi/nvml_types.h"
#include "sim/config.h"
#include "sim/mig_profiles.h"
#include "sim/timeline.h"

namespace hami::sim {

inline constexpr int kMaxSlots = 1024;

enum : uint32_t { kMigFree = 0, kMigWriting = 1, kMigLive = 2 };

struct ComputeInstanceShared {
  uint32_t state;        // kMig*
  uint32_t profile;      // compute-instance profile id (its NVML constant)
  uint32_t start, size;  // compute slices inside the GPU instance
  uint32_t stamp;        // unique per GPU: tells one incarnation of an id from the next
  uint32_t reserved;
};

struct GpuInstanceShared {
  uint32_t state;        // kMig*
  uint32_t profile_id;   // GiProfile::id
  uint32_t start, size;  // memory slices
  uint64_t memory_bytes;
  ComputeInstanceShared cis[kMaxComputeInstances];  // indexed by compute-instance id
};

struct MigShared {
  alignas(64) pthread_mutex_t mu;  // robust, process-shared
  uint32_t current_mode;           // NVML_DEVICE_MIG_*
  uint32_t pending_mode;
  uint32_t next_stamp;
  uint32_t reserved;
  GpuInstanceShared gis[kMaxGpuInstances];  // indexed by GPU-instance id
};

// XID events of a GPU (sim/fault_state.cc): a ring of the last kXidRing, numbered from 1. A
// writer takes the next number, fills the record, then publishes its number in `seq`; a reader
// trusts a record only while `seq` holds the number it wants (before and after reading it).
inline constexpr uint64_t kXidRing = 64;

struct XidRecordShared {
  std::atomic<uint64_t> seq;  // the event's number; 0 never written
  std::atomic<uint64_t> xid;
  std::atomic<int64_t> time_us;  // CLOCK_REALTIME
};

struct FaultShared {
  std::atomic<uint64_t> posted;  // events taken so far (the last one's number)
  std::atomic<uint32_t> lost;    // 1: the GPU is lost (NVML_ERROR_GPU_IS_LOST) until cleared
  std::atomic<uint32_t> reserved;
  XidRecordShared ring[kXidRing];
};

struct DeviceShared {
  std::atomic<uint64_t> used_bytes;
  uint64_t total_bytes;
  alignas(64) pthread_mutex_t timeline_mu;  // robust, process-shared
  Timeline timeline;
  MigShared mig;
  FaultShared fault;
};

struct ProcSlot {
  std::atomic<int32_t> pid;  // 0 free; > 0 owner; -1 being claimed or reclaimed
  uint32_t reserved;
  std::atomic<uint64_t> start_time;  // owner's start time in clock ticks (guards pid reuse)
  std::atomic<uint64_t> used[kMaxGpus];
  std::atomic<uint32_t> contexts[kMaxGpus];
  // The MIG device the process runs on: bit 63 set, GPU << 48, GPU instance << 40, compute
  // instance << 32, the compute instance's stamp; 0 none. Its usage is used[GPU].
  std::atomic<uint64_t> mig;
};

// ProcSlot::mig, packed and unpacked.
struct MigBinding {
  int dev = 0;
  unsigned gi = 0;
  unsigned ci = 0;
  uint32_t stamp = 0;
};
inline uint64_t PackMigBinding(const MigBinding& b) {
  return (1ull << 63) | (uint64_t(b.dev & 0xff) << 48) | (uint64_t(b.gi & 0xff) << 40) |
         (uint64_t(b.ci & 0xff) << 32) | b.stamp;
}
inline std::optional<MigBinding> UnpackMigBinding(uint64_t v) {
  if ((v >> 63) == 0) return std::nullopt;
  return MigBinding{static_cast<int>((v >> 48) & 0xff), static_cast<unsigned>((v >> 40) & 0xff),
                    static_cast<unsigned>((v >> 32) & 0xff), static_cast<uint32_t>(v)};
}

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
  int gpu_instance = -1;  // the MIG device it runs on, -1 none
  int compute_instance = -1;
};

// One XID event as posted.
struct XidEvent {
  uint64_t seq = 0;
  uint64_t xid = 0;
  int64_t time_us = 0;
};

struct GpuInstanceRecord {
  unsigned id = 0;
  unsigned profile_id = 0;
  MigPlacement placement;
  uint64_t memory_bytes = 0;
};

struct ComputeInstanceRecord {
  unsigned id = 0;
  unsigned profile = 0;
  MigPlacement placement;
  uint32_t stamp = 0;
};

struct MigModeValues {
  unsigned current = NVML_DEVICE_MIG_DISABLE;
  unsigned pending = NVML_DEVICE_MIG_DISABLE;
};

class SharedState {
 public:
  // Maps (creating or re-initialising when it describes another configuration and no live process
  // uses it) the state file at `path` for `gpus`. A fresh state starts the GPUs in bit mask
  // `mig_enabled` in MIG mode.
  static base::Result<std::unique_ptr<SharedState>> Open(const std::string& path,
                                                         const std::vector<GpuSpec>& gpus,
                                                         uint32_t mig_enabled = 0);
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

  // MIG of GPU `dev` (sim/mig_state.cc). Every call that changes instances needs MIG mode on
  // (NVML_ERROR_NOT_SUPPORTED otherwise) and returns NVML codes.
  MigModeValues MigMode(int dev);
  // Requests `mode` and returns the activation status: NVML_SUCCESS when it is applied at once,
  // NVML_ERROR_IN_USE when a process holds memory or a context on the GPU, or (disabling) GPU
  // instances exist; then only the pending mode changes.
  nvmlReturn_t SetMigMode(int dev, unsigned mode);
  // Creates a GPU instance of `profile` at `placement` (or the first free one); its id in *id.
  // NVML_ERROR_INSUFFICIENT_RESOURCES when it overlaps an instance or the profile's instance count
  // is reached.
  nvmlReturn_t CreateGpuInstance(int dev, const MigModel& model, const GiProfile& profile,
                                 std::optional<MigPlacement> placement, unsigned* id);
  // NVML_ERROR_IN_USE while it has compute instances or a process runs on it.
  nvmlReturn_t DestroyGpuInstance(int dev, unsigned id);
  // Live GPU instances, by ascending id.
  std::vector<GpuInstanceRecord> GpuInstances(int dev);
  nvmlReturn_t CreateComputeInstance(int dev, unsigned gi, const CiProfile& profile, unsigned* id);
  // NVML_ERROR_IN_USE while a process runs on it.
  nvmlReturn_t DestroyComputeInstance(int dev, unsigned gi, unsigned ci);
  // Live compute instances of GPU instance `gi`, by ascending id.
  std::vector<ComputeInstanceRecord> ComputeInstances(int dev, unsigned gi);
  // Memory that processes running on GPU instance `gi` hold.
  uint64_t MigUsedBytes(int dev, unsigned gi);
  // Records that `slot` runs on compute instance `ci` of `gi` as it was when stamped `stamp`;
  // false when that instance is gone.
  bool BindMig(int slot, int dev, unsigned gi, unsigned ci, uint32_t stamp);
  // Reserve() for a slot bound to a MIG device of `dev`: also within its GPU instance's memory.
  bool ReserveMig(int slot, int dev, uint64_t bytes);
  // AddContext(slot, dev, 1) for a bound slot; false when its instance is gone.
  bool AddMigContext(int slot, int dev);

  // XID faults of GPU `dev` (sim/fault_state.cc). PostXid marks the GPU lost first when `lost`,
  // then publishes the event (so whoever sees the event also sees the GPU lost); its number.
  uint64_t PostXid(int dev, uint64_t xid, bool lost, int64_t time_us);
  // Clears the lost mark (a simulated GPU reset); the events stay in the ring.
  void ClearFault(int dev);
  bool Lost(int dev) const;
  // The number of the last event posted on `dev` (0: none yet).
  uint64_t LastXidSeq(int dev) const;
  // Event number `seq` of `dev`. nullopt when it is not posted yet or was overwritten (the
  // oldest still readable is then LastXidSeq - kXidRing + 1).
  std::optional<XidEvent> XidAt(int dev, uint64_t seq) const;

 private:
  SharedState(StateFile* file, size_t size) : file_(file), size_(size) {}
  void ReturnSlotUsage(ProcSlot& slot);
  // True when a live slot runs on GPU instance `gi` (and compute instance `ci` unless -1).
  bool MigInUse(int dev, unsigned gi, int ci);
  bool MigBindingLive(int slot, int dev);
  class TimelineLock;
  class MigLock;

  StateFile* file_;
  size_t size_;
};

// The MIG device whose UUID is `uuid` among the live compute instances of the GPUs in MIG mode.
std::optional<VisibleDevice> FindMigDevice(SharedState& state, const std::vector<GpuSpec>& gpus,
                                           std::string_view uuid);
// The description of MIG device `device` of `parent` (MigDeviceSpec); nullopt when it is gone.
std::optional<GpuSpec> MigDeviceSpec(SharedState& state, const GpuSpec& parent,
                                     const VisibleDevice& device);

// True when `path` holds a state file of this layout version for exactly `gpus` (read without
// mapping, creating or re-initializing it).
bool StateFileDescribes(const std::string& path, const std::vector<GpuSpec>& gpus);

// True when process `pid` exists, is not a zombie and (if start_time != 0) started at start_time.
bool ProcessAlive(int32_t pid, uint64_t start_time);
// Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22); 0 if unknown.
uint64_t ProcessStartTime(int32_t pid);

// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNowNs();
// Sleeps until CLOCK_MONOTONIC reaches `deadline_ns`.
void SleepUntilNs(int64_t deadline_ns);

}  // namespace hami::sim
