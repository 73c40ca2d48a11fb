// The shared-region file layout: byte-for-byte upstream HAMi-core's `shared_region_t` (v1, minor
// 2).
//
// WIRE: every offset and size below is read by upstream's v1 monitor (HAMi pkg/monitor/nvidia/v1)
// and by ours. Never move a field; our extra state lives only in words upstream's readers ignore
// (documented in docs/wire/shared-region.md):
//   * owner_pid + sem (offset 16, 40 bytes): our robust process-shared mutex (upstream's
//     semaphore is never taken by a reader);
//   * ProcSlot::unused[0]: start time of the slot's process (liveness = pid + start time);
//   * procs[kControlSlot]: the last slot never holds a process. Its pid, status and every
//     used[].total stay 0 (so a reader summing all 1024 slots still gets the right numbers); its
//     used[d].unused[] and device_util[d].unused[] words hold per-device state (see accessors).
// Plain data only: shared fields are accessed through std::atomic_ref.
// x86_64 glibc (LP64, sem_t = 32 bytes, pthread_mutex_t = 40 bytes).
#pragma once

#include <pthread.h>
#include <semaphore.h>

#include <cstddef>
#include <cstdint>

namespace hami::region {

inline constexpr int32_t kMagic = 19920718;         // WIRE: MULTIPROCESS_SHARED_REGION_MAGIC_FLAG
inline constexpr uint32_t kMajorVersion = 1;        // WIRE
inline constexpr uint32_t kMinorVersion = 2;        // WIRE
inline constexpr int kMaxDevices = 16;              // WIRE: CUDA_DEVICE_MAX_COUNT
inline constexpr int kMaxSlots = 1024;              // WIRE: SHARED_REGION_MAX_PROCESS_NUM
inline constexpr int kControlSlot = kMaxSlots - 1;  // ours: never holds a process
inline constexpr int kUuidLen = 96;                 // WIRE

// WIRE: device_memory_t, 64 bytes.
struct DeviceMemory {
  uint64_t context_size;
  uint64_t module_size;
  uint64_t data_size;
  uint64_t offset;
  uint64_t total;  // what every reader sums
  uint64_t unused[3];
};

// WIRE: device_util_t, 48 bytes.
struct DeviceUtil {
  uint64_t dec_util;
  uint64_t enc_util;
  uint64_t sm_util;
  uint64_t unused[3];
};

// WIRE: SlotStatus values of ProcSlot::status.
inline constexpr int32_t kSlotDead = 0;
inline constexpr int32_t kSlotRunning = 1;
inline constexpr int32_t kSlotSuspended = 2;

// WIRE: shrreg_proc_slot_t, 1960 bytes.
struct ProcSlot {
  int32_t pid;      // container-namespace pid; 0 = free
  int32_t hostpid;  // written by the monitor
  DeviceMemory used[kMaxDevices];
  uint64_t monitorused[kMaxDevices];
  DeviceUtil device_util[kMaxDevices];
  int32_t status;
  int32_t pad0;
  uint64_t seqlock;    // odd while a writer updates used[]
  uint64_t unused[2];  // ours: [0] = process start time (clock ticks since boot), [1] = 0
};

// WIRE: shared_region_t, 2,008,952 bytes.
struct SharedRegion {
  int32_t initialized_flag;
  uint32_t major_version;
  uint32_t minor_version;
  int32_t sm_init_flag;
  uint64_t owner_pid;
  sem_t sem;  // upstream's lock; we never take it (kept zero-initialised for readers)
  uint64_t device_num;
  char uuids[kMaxDevices][kUuidLen];
  uint64_t limit[kMaxDevices];     // bytes, 0 = unlimited
  uint64_t sm_limit[kMaxDevices];  // percent, 0 or >= 100 = unlimited
  ProcSlot procs[kMaxSlots];
  int32_t proc_num;
  int32_t utilization_switch;  // 1 = enforce the SM limit (monitor-controlled)
  int32_t recent_kernel;       // < 0: monitor blocks launches; launches set 2
  int32_t priority;            // CUDA_TASK_PRIORITY
  uint64_t last_kernel_time;   // unix seconds
  sem_t sem_postinit;          // unused by us
};

static_assert(sizeof(sem_t) == 32);
static_assert(sizeof(DeviceMemory) == 64);
static_assert(offsetof(DeviceMemory, context_size) == 0);
static_assert(offsetof(DeviceMemory, module_size) == 8);
static_assert(offsetof(DeviceMemory, data_size) == 16);
static_assert(offsetof(DeviceMemory, offset) == 24);
static_assert(offsetof(DeviceMemory, total) == 32);
static_assert(offsetof(DeviceMemory, unused) == 40);
static_assert(sizeof(DeviceUtil) == 48);
static_assert(offsetof(DeviceUtil, dec_util) == 0);
static_assert(offsetof(DeviceUtil, enc_util) == 8);
static_assert(offsetof(DeviceUtil, sm_util) == 16);
static_assert(offsetof(DeviceUtil, unused) == 24);
static_assert(sizeof(ProcSlot) == 1960);
static_assert(offsetof(ProcSlot, pid) == 0);
static_assert(offsetof(ProcSlot, hostpid) == 4);
static_assert(offsetof(ProcSlot, used) == 8);
static_assert(offsetof(ProcSlot, monitorused) == 1032);
static_assert(offsetof(ProcSlot, device_util) == 1160);
static_assert(offsetof(ProcSlot, status) == 1928);
static_assert(offsetof(ProcSlot, seqlock) == 1936);
static_assert(offsetof(ProcSlot, unused) == 1944);
static_assert(sizeof(SharedRegion) == 2008952);
static_assert(offsetof(SharedRegion, initialized_flag) == 0);
static_assert(offsetof(SharedRegion, major_version) == 4);
static_assert(offsetof(SharedRegion, minor_version) == 8);
static_assert(offsetof(SharedRegion, sm_init_flag) == 12);
static_assert(offsetof(SharedRegion, owner_pid) == 16);
static_assert(offsetof(SharedRegion, sem) == 24);
static_assert(offsetof(SharedRegion, device_num) == 56);
static_assert(offsetof(SharedRegion, uuids) == 64);
static_assert(offsetof(SharedRegion, limit) == 1600);
static_assert(offsetof(SharedRegion, sm_limit) == 1728);
static_assert(offsetof(SharedRegion, procs) == 1856);
static_assert(offsetof(SharedRegion, proc_num) == 2008896);
static_assert(offsetof(SharedRegion, utilization_switch) == 2008900);
static_assert(offsetof(SharedRegion, recent_kernel) == 2008904);
static_assert(offsetof(SharedRegion, priority) == 2008908);
static_assert(offsetof(SharedRegion, last_kernel_time) == 2008912);
static_assert(offsetof(SharedRegion, sem_postinit) == 2008920);
static_assert(sizeof(pthread_mutex_t) <= sizeof(uint64_t) + sizeof(sem_t));
static_assert(alignof(pthread_mutex_t) <= alignof(uint64_t));

// ---- Our state, in words upstream readers ignore. All accessed atomically. ----

inline constexpr uint64_t kControlMagic = 0x48414d4963707031ULL;  // "HAMIcpp1"

// The robust mutex overlaying owner_pid + sem. Guards every used[].total, every Reserved() and
// slot reaping; never held across a driver call.
inline pthread_mutex_t& RegionMutex(SharedRegion& r) {
  return *reinterpret_cast<pthread_mutex_t*>(&r.owner_pid);
}
inline ProcSlot& ControlSlot(SharedRegion& r) { return r.procs[kControlSlot]; }
// Set once our control state is initialised (distinguishes files written by upstream).
inline uint64_t& ControlMagic(SharedRegion& r) { return ControlSlot(r).unused[0]; }
// 1 + the highest slot index ever claimed: scans stop there.
inline uint64_t& HighWater(SharedRegion& r) { return ControlSlot(r).unused[1]; }
// Sum of used[d].total over live slots, kept under RegionMutex.
inline uint64_t& Reserved(SharedRegion& r, int d) { return ControlSlot(r).used[d].unused[0]; }
// Shared compute bucket of device d (GCRA theoretical arrival time, CLOCK_MONOTONIC ns).
inline uint64_t& BucketTat(SharedRegion& r, int d) { return ControlSlot(r).used[d].unused[1]; }
// Cost units per second granted to the container on device d (0 = not yet calibrated).
inline uint64_t& BucketRate(SharedRegion& r, int d) { return ControlSlot(r).used[d].unused[2]; }
// Time of the last utilization sample on device d; a CAS on it elects the sampling process.
inline uint64_t& BucketSampleNs(SharedRegion& r, int d) {
  return ControlSlot(r).device_util[d].unused[0];
}
// Last sampled utilization (percent) of device d, for diagnostics.
inline uint64_t& BucketLastUtil(SharedRegion& r, int d) {
  return ControlSlot(r).device_util[d].unused[1];
}
// Cost units (threads) launched on device d by the whole container, cumulative (wraps); with the
// utilization over the same window it gives the GPU time per unit (shim/limit/token_bucket.h).
inline uint64_t& BucketUnits(SharedRegion& r, int d) {
  return ControlSlot(r).device_util[d].unused[2];
}
// Process start time (clock ticks since boot, /proc/<pid>/stat field 22) of a slot's owner.
inline uint64_t& SlotStartTime(ProcSlot& s) { return s.unused[0]; }

// Size of the file we create: upstream writes one byte past the struct.
inline constexpr size_t kFileSize = sizeof(SharedRegion) + 1;

}  // namespace hami::region
