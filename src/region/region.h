// Opening, validating and mutating the shared region (layout.h) — used by libvgpu and the monitor.
//
// Ownership: a RegionFile owns one mmap of the file; the SharedRegion it points to is shared with
// every process of the container. No exceptions, no logging: calls return an Error and the caller
// decides what to say. Thread-safety: all functions on a mapped region are safe to call from many
// threads and processes at once; they synchronise through the region's robust mutex and atomics.
//
// Accounting contract (the fix for upstream's check-then-add overshoot):
//   * Reserved(d) == sum of procs[i].used[d].total over live slots, always, because both are only
//     changed together under RegionMutex; TryReserve checks and adds in one critical section, so
//     concurrent reservations can never exceed limit[d] together.
//   * A process killed at any instant, even inside the critical section, is recovered from: the
//     next locker gets EOWNERDEAD, reaps every dead slot and recomputes Reserved() from the slots.
//   * Slots never move. A slot is claimed by CAS on its pid (no lock), freed (usage subtracted,
//     pid set to 0 last) by its owner on exit or by a reaper once pid + start time show it dead.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "region/layout.h"

namespace hami::region {

enum class Error {
  kOk = 0,
  kOpen,        // open/fstat failed (errno kept in RegionFile::last_errno)
  kNotRegular,  // the path is not a regular file
  kTooSmall,    // file shorter than the v1 struct
  kForeign,     // bad magic or major version: not a v1 shared region
  kNotOurs,     // a v1 region without our control state (written by upstream libvgpu)
  kMap,         // mmap failed
  kLock,        // fcntl lock failed
  kFull,        // all process slots are taken
};
const char* ErrorName(Error e);

// Limits and settings the creator writes into a fresh region.
struct RegionConfig {
  uint64_t limit[kMaxDevices] = {};     // bytes, 0 = unlimited
  uint64_t sm_limit[kMaxDevices] = {};  // percent, 0 = unlimited
  int32_t priority = 1;                 // CUDA_TASK_PRIORITY
};

// Result of attaching to an existing region whose limits differ from ours.
enum class Attach { kCreated, kAttached, kLimitsRewritten, kLimitsDiffer };

// Checks that `size` bytes at `data` hold a v1 region (magic, major version, size).
// Never reads past `size`.
Error Validate(const void* data, size_t size);

class RegionFile {
 public:
  RegionFile() = default;
  RegionFile(RegionFile&& other) noexcept;
  RegionFile& operator=(RegionFile&& other) noexcept;
  RegionFile(const RegionFile&) = delete;
  RegionFile& operator=(const RegionFile&) = delete;
  ~RegionFile();

  // Opens (creating if needed, mode 0666 filtered by the caller's umask, O_NOFOLLOW) and maps the
  // region read-write; initialises it under an fcntl write lock when it is new, foreign-but-v1
  // or not yet ours. When no live process is registered, a config whose limits differ replaces
  // the file's (so a reused file never keeps stale limits); otherwise the file's limits win.
  Error OpenShared(const char* path, const RegionConfig& config, Attach* attach);
  // A private anonymous region (the fallback when the file cannot be used): limits still hold
  // within this process.
  Error OpenPrivate(const RegionConfig& config);
  // Maps an existing file read-only and validates it (for monitors and tests).
  Error OpenReadOnly(const char* path);

  SharedRegion* get() const { return region_; }
  bool writable() const { return writable_; }
  int last_errno() const { return last_errno_; }

 private:
  void Reset();
  SharedRegion* region_ = nullptr;
  size_t mapped_ = 0;
  bool writable_ = false;
  int last_errno_ = 0;
};

// Liveness of a slot's owner: true while a process with this pid and start time exists.
// start_time 0 means "unknown": the pid alone decides.
using LivenessFn = bool (*)(int32_t pid, uint64_t start_time);
bool ProcessAlive(int32_t pid, uint64_t start_time);
// Start time of `pid` (clock ticks since boot) or 0 when unreadable.
uint64_t ProcessStartTime(int32_t pid);

// Initialises a zeroed region: versions, limits, robust mutex, control magic, magic last.
void InitRegion(SharedRegion& r, const RegionConfig& config);

// Claims a free slot for (pid, start_time); returns its index or -1 when all are taken.
int ClaimSlot(SharedRegion& r, int32_t pid, uint64_t start_time);
// Frees `slot`: subtracts its usage from the totals and releases it.
void ReleaseSlot(SharedRegion& r, int slot);

// What an amount of device memory is, for the per-slot breakdown.
enum class UsageKind { kContext = 0, kModule = 1, kData = 2 };

// Atomically checks Reserved(dev) + bytes <= limit[dev] (or no limit) and adds `bytes` to the
// slot's usage. Over the limit it reaps dead slots once and retries. `force` adds even over the
// limit (used for context overhead, which the driver has already taken). Returns false when
// denied. dev outside [0, kMaxDevices) is accounted as unlimited and not recorded.
bool TryReserve(SharedRegion& r, int slot, int dev, uint64_t bytes, UsageKind kind, bool force,
                LivenessFn alive = ProcessAlive);
// Returns `bytes` previously reserved by `slot` (clamped at what the slot holds).
void Unreserve(SharedRegion& r, int slot, int dev, uint64_t bytes, UsageKind kind,
               LivenessFn alive = ProcessAlive);

// Bytes in use on `dev` by all live processes of the container (the running total).
uint64_t UsedBytes(const SharedRegion& r, int dev);
// The v1 readers' view: sum of used[dev].total over all 1024 slots.
uint64_t SumOfSlots(const SharedRegion& r, int dev);

// Frees every slot whose owner is dead; returns how many. Takes the lock.
int ReapDead(SharedRegion& r, LivenessFn alive = ProcessAlive);
// Same, but gives up at once (returns -1) when another process holds the lock.
int TryReapDead(SharedRegion& r, LivenessFn alive = ProcessAlive);

}  // namespace hami::region
