// Opening, validating and mutating the shared region (layout.h) — used by libvgpu and the monitor.
//
// Ownership: a RegionFile owns one mmap of the file; the SharedRegion it points to is shared with
// every process of the container, and every one of them can write any byte of it. No exceptions,
// no logging: calls return an Error / Verdict and the caller decides what to say.
// Thread-safety: all functions on a mapped region are safe to call from many threads and
// processes at once; they synchronise through the region's robust mutex and atomics. An Account
// belongs to one process; calls that take it are serialised by the region lock.
//
// Accounting contract (the fix for upstream's check-then-add overshoot):
//   * Reserved(d) == sum of procs[i].used[d].total over claimed slots while every writer follows
//     the protocol; TryReserve checks and adds in one critical section against the *caller's*
//     limit, so concurrent reservations can never exceed it together.
//   * The region is not trusted (hostile-tenant hardening): the limit comes from the caller, never
//     from the file; each process mirrors its own slot in a private Ledger and, under the lock,
//     repairs its slot (and Reserved) from it when the two differ; a Reserved below the caller's
//     own usage, or an over-limit answer, triggers a recount from the slots. A lock that cannot be
//     taken within kLockTimeoutNs denies (never proceeds unlocked).
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
  kLock,        // fcntl lock not obtained within kLockTimeoutNs
  kFull,        // all process slots are taken
  kCorrupt,     // our region, but a header word is impossible (see CheckHeader)
};
const char* ErrorName(Error e);

// How long a process waits for the region's mutex or the file's fcntl lock before giving up
// (and denying). Legitimate holders keep them for microseconds (a full reap: milliseconds).
inline constexpr uint64_t kLockTimeoutNs = 2'000'000'000;

// Limits and settings the creator writes into a fresh region (what the monitor reads).
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

// Checks the header words of a region of ours that no honest writer can produce: control magic,
// a control slot that holds a process, a high water or proc_num outside the slot range, a
// device_num above kMaxDevices. kOk, kNotOurs or kCorrupt.
Error CheckHeader(const SharedRegion& r);

class RegionFile {
 public:
  RegionFile() = default;
  RegionFile(RegionFile&& other) noexcept;
  RegionFile& operator=(RegionFile&& other) noexcept;
  RegionFile(const RegionFile&) = delete;
  RegionFile& operator=(const RegionFile&) = delete;
  ~RegionFile();

  // Opens (creating if needed, mode 0666 filtered by the caller's umask, O_NOFOLLOW) and maps the
  // region read-write; initialises it under an fcntl write lock (waited for at most
  // kLockTimeoutNs) when it is new, or a v1 region of upstream's that no live process uses.
  // Refuses (never rewrites) a file that is not a regular file, is shorter than the struct and
  // not empty, is not a v1 region, fails CheckHeader, or is upstream's with live processes.
  // When no live process is registered, a config whose limits differ replaces the file's (a
  // reused file never keeps stale limits); otherwise the file's are left alone (kLimitsDiffer).
  Error OpenShared(const char* path, const RegionConfig& config, Attach* attach);
  // A private anonymous region (for tests and tools; libvgpu never falls back to it).
  Error OpenPrivate(const RegionConfig& config);
  // Maps an existing file read-only and validates it (for monitors and tests).
  Error OpenReadOnly(const char* path);

  SharedRegion* get() const { return region_; }
  bool writable() const { return writable_; }
  int last_errno() const { return last_errno_; }

 private:
  void Reset();
  Error InitOrAdopt(int fd, bool locked, const RegionConfig& config, Attach* attach);
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

// What an amount of device memory is, for the per-slot breakdown.
enum class UsageKind { kContext = 0, kModule = 1, kData = 2 };
inline constexpr int kUsageKinds = 3;

// One process's own accounting, kept in its private memory: which slot it owns and what it has
// charged there, per device and kind. The region is checked against it, never the reverse.
// `pending` holds releases that could not take the lock yet; they are applied at the next call
// that does. Not thread-safe by itself: only touched under the region lock.
struct Account {
  int slot = -1;
  int32_t pid = 0;
  uint64_t start_time = 0;
  uint64_t used[kMaxDevices][kUsageKinds] = {};
  uint64_t pending[kMaxDevices][kUsageKinds] = {};
  uint64_t repairs = 0;  // times the slot or Reserved() had to be restored (tampering or a bug)

  uint64_t Total(int dev) const { return used[dev][0] + used[dev][1] + used[dev][2]; }
};

// The outcome of a reservation.
enum class Verdict {
  kGranted,
  kOverLimit,    // Reserved(dev) + bytes would exceed the limit
  kNoSlot,       // the account holds no slot: nothing can be accounted
  kBadDevice,    // dev outside [0, kMaxDevices)
  kLockTimeout,  // the region mutex was not obtained within kLockTimeoutNs, or is unusable
  kSlotLost,     // the account's slot now names another process (rewritten by someone)
};
const char* VerdictName(Verdict v);

// Claims a free slot for (pid, start_time); returns its index or -1 when all are taken.
int ClaimSlot(SharedRegion& r, int32_t pid, uint64_t start_time);
// Claims a slot for `account` (ClaimSlot, then once more after reaping dead slots) and resets its
// usage. False when every slot is taken.
bool ClaimFor(SharedRegion& r, Account& account, int32_t pid, uint64_t start_time,
              LivenessFn alive = ProcessAlive);
// Frees `slot`: subtracts its usage from the totals and releases it.
void ReleaseSlot(SharedRegion& r, int slot);

// Atomically checks Reserved(dev) + bytes <= limit (0 = no limit) and adds `bytes` to the
// account's slot and ledger. Over the limit it reaps dead slots, recounts Reserved(dev) from the
// slots and retries once. `force` adds even over the limit (overhead the driver already took).
Verdict TryReserve(SharedRegion& r, Account& account, int dev, uint64_t bytes, UsageKind kind,
                   uint64_t limit, bool force, LivenessFn alive = ProcessAlive);
// Returns `bytes` previously reserved (clamped at what the account holds of that kind). When the
// lock cannot be taken the release is kept pending (kLockTimeout) and applied later.
Verdict Unreserve(SharedRegion& r, Account& account, int dev, uint64_t bytes, UsageKind kind,
                  LivenessFn alive = ProcessAlive);

// Bytes in use on `dev` by all live processes of the container (the running total, as written).
uint64_t UsedBytes(const SharedRegion& r, int dev);
// The v1 readers' view: sum of used[dev].total over all 1024 slots.
uint64_t SumOfSlots(const SharedRegion& r, int dev);

// Frees every slot whose owner is dead; returns how many (-1: lock not obtained).
int ReapDead(SharedRegion& r, LivenessFn alive = ProcessAlive);
// Same, but gives up at once (returns -1) when another process holds the lock.
int TryReapDead(SharedRegion& r, LivenessFn alive = ProcessAlive);

}  // namespace hami::region
