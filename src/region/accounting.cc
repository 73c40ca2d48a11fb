// Slot claiming, reservations and reaping on the shared region (region.h, "Accounting contract").
//
// Every check is made against what the slots say at that instant, summed under the lock: the
// Reserved() words are only a cache for readers, so a process that rewrites them gains nothing.
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstddef>

#include "region/region.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HAMI_REGION_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define HAMI_REGION_TSAN 1
#endif
#ifdef HAMI_REGION_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace hami::region {
namespace {

template <typename T>
std::atomic_ref<T> A(T& v) {
  return std::atomic_ref<T>(v);
}

uint64_t& KindField(DeviceMemory& m, int kind) {
  switch (kind) {
    case 0:
      return m.context_size;
    case 1:
      return m.module_size;
    default:
      break;
  }
  return m.data_size;
}

uint64_t SatAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t SatSub(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

bool ValidSlot(int slot) { return slot >= 0 && slot < kControlSlot; }
bool ValidDev(int dev) { return dev >= 0 && dev < kMaxDevices; }

// 1 + the highest slot holding a pid, by a full scan (never trusts HighWater).
int FullScanBound(SharedRegion& r) {
  for (int i = kControlSlot - 1; i >= 0; --i) {
    if (A(r.procs[i].pid).load(std::memory_order_relaxed) != 0) return i + 1;
  }
  return 0;
}

// Sum of used[dev].total over every claimed slot (saturating); refreshes the Reserved() cache.
// Scans all slots, never stopping at HighWater: a scribbler lowering it must not hide the usage
// of the slots above (a pid load per slot: about +0.5 us per reservation, measured 0.8 -> 1.3-1.5
// us for a reserve + release pair with every other slot free).
uint64_t SumLocked(SharedRegion& r, int dev) {
  uint64_t sum = 0;
  const int n = kControlSlot;
  for (int i = 0; i < n; ++i) {
    ProcSlot& s = r.procs[i];
    if (A(s.pid).load(std::memory_order_relaxed) == 0) continue;
    sum = SatAdd(sum, A(s.used[dev].total).load(std::memory_order_relaxed));
  }
  A(Reserved(r, dev)).store(sum, std::memory_order_release);
  return sum;
}

// Writes one device's usage of a slot from `kinds` (total = their sum) inside a seqlock bump.
// Returns the total the slot held before.
uint64_t WriteSlotLocked(ProcSlot& s, int dev, const uint64_t kinds[kUsageKinds]) {
  DeviceMemory& m = s.used[dev];
  const uint64_t before = A(m.total).load(std::memory_order_relaxed);
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
  for (int k = 0; k < kUsageKinds; ++k)
    A(KindField(m, k)).store(kinds[k], std::memory_order_relaxed);
  A(m.total).store(SatAdd(SatAdd(kinds[0], kinds[1]), kinds[2]), std::memory_order_relaxed);
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
  return before;
}

// Frees a slot whose owner is gone or leaving; caller holds the lock.
void FreeSlotLocked(SharedRegion& r, int i) {
  ProcSlot& s = r.procs[i];
  static constexpr uint64_t kZero[kUsageKinds] = {};
  for (int d = 0; d < kMaxDevices; ++d) {
    const uint64_t t = WriteSlotLocked(s, d, kZero);
    A(Reserved(r, d))
        .store(SatSub(A(Reserved(r, d)).load(std::memory_order_relaxed), t),
               std::memory_order_release);
  }
  A(s.status).store(kSlotDead, std::memory_order_relaxed);
  A(s.hostpid).store(0, std::memory_order_relaxed);
  A(SlotStartTime(s)).store(0, std::memory_order_relaxed);
  A(s.pid).store(0, std::memory_order_release);
}

// Scans every slot (a lowered HighWater hides nothing from it) and raises HighWater again over
// the highest slot still held.
int ReapLocked(SharedRegion& r, LivenessFn alive) {
  int reaped = 0;
  const int n = kControlSlot;
  for (int i = 0; i < n; ++i) {
    ProcSlot& s = r.procs[i];
    int32_t pid = A(s.pid).load(std::memory_order_acquire);
    if (pid == 0) continue;
    if (alive(pid, A(SlotStartTime(s)).load(std::memory_order_acquire))) continue;
    FreeSlotLocked(r, i);
    ++reaped;
  }
  const int held = FullScanBound(r);
  uint64_t hw = A(HighWater(r)).load();
  while (hw < static_cast<uint64_t>(held) && !A(HighWater(r)).compare_exchange_weak(hw, held)) {
  }
  return reaped;
}

// After a lock owner died mid-update: drop dead slots, rebuild the totals, close seqlocks.
void RecoverLocked(SharedRegion& r, LivenessFn alive) {
  ReapLocked(r, alive);
  for (int d = 0; d < kMaxDevices; ++d) SumLocked(r, d);
  for (int i = 0; i < kControlSlot; ++i) {
    uint64_t seq = A(r.procs[i].seqlock).load(std::memory_order_relaxed);
    if (seq & 1) A(r.procs[i].seqlock).store(seq + 1, std::memory_order_release);
  }
}

void InitMutex(pthread_mutex_t* m) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(m, &attr);
  pthread_mutexattr_destroy(&attr);
}

// glibc's kind word of a mutex (type, robust, process-shared and elision bits; x86_64 layout).
static_assert(offsetof(pthread_mutex_t, __data.__kind) == 16);
int KindOf(const pthread_mutex_t* m) {
  return std::atomic_ref<int>(const_cast<int&>(m->__data.__kind)).load(std::memory_order_relaxed);
}

// The kind InitMutex gives (robust, process-shared, normal), as this glibc encodes it.
int OurKind() {
  static const int kind = [] {
    pthread_mutex_t m;
    InitMutex(&m);
    const int k = KindOf(&m);
    pthread_mutex_destroy(&m);
    return k;
  }();
  return kind;
}

// Scoped robust lock, waited for at most kLockTimeoutNs. `acquired()` is false on timeout, on a
// failed TryLock, or when the mutex bytes are unusable: glibc refuses them (EINVAL), or their kind
// is not the one InitRegion wrote. glibc picks its lock path from the kind word without checking
// it; with the lock-elision bit it runs RTM instructions, which kill the process with SIGILL on a
// CPU without TSX (fuzz finding region_file_fuzz crash-8e06c84b517f4f9a), and the priority-
// inheritance and -protection paths act on other threads' priorities. Someone writing the word
// between this check and the lock or unlock (a process of the same container, racing) still can.
class Lock {
 public:
  Lock(SharedRegion& r, LivenessFn alive, bool try_only) : r_(r) {
    pthread_mutex_t* m = &RegionMutex(r);
    if (KindOf(m) != OurKind()) return;
    int rc = try_only ? pthread_mutex_trylock(m) : TimedLock(m);
    if (rc == ENOTRECOVERABLE) {
      // Only reachable if a recoverer unlocked without marking consistent (nobody holds it).
      InitMutex(m);
      rc = TimedLock(m);
    }
    if (rc == EOWNERDEAD) {
      RecoverLocked(r, alive);
      pthread_mutex_consistent(m);
      rc = 0;
    }
    acquired_ = (rc == 0);
  }
  ~Lock() {
    if (acquired_) pthread_mutex_unlock(&RegionMutex(r_));
  }
  bool acquired() const { return acquired_; }

 private:
  static int TimedLock(pthread_mutex_t* m) {
    timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += static_cast<time_t>(kLockTimeoutNs / 1'000'000'000);
    deadline.tv_nsec += static_cast<long>(kLockTimeoutNs % 1'000'000'000);
    if (deadline.tv_nsec >= 1'000'000'000) {
      deadline.tv_sec += 1;
      deadline.tv_nsec -= 1'000'000'000;
    }
    const int rc = pthread_mutex_timedlock(m, &deadline);
#ifdef HAMI_REGION_TSAN
    // EOWNERDEAD hands us the lock, but ThreadSanitizer's pthread_mutex_timedlock interceptor
    // records an acquisition only for 0 (its lock and trylock interceptors know EOWNERDEAD): tell
    // it, or our unlock after recovery reads as "unlock of an unlocked mutex".
    if (rc == EOWNERDEAD) {
      __tsan_mutex_pre_lock(m, __tsan_mutex_try_lock);
      __tsan_mutex_post_lock(m, __tsan_mutex_try_lock, 0);
    }
#endif
    return rc;
  }
  SharedRegion& r_;
  bool acquired_ = false;
};

void RaiseWater(SharedRegion& r, int i) {
  uint64_t hw = A(HighWater(r)).load();
  const uint64_t water = static_cast<uint64_t>(i) + 1;
  while (hw < water && !A(HighWater(r)).compare_exchange_weak(hw, water)) {
  }
  int32_t pn = A(r.proc_num).load();
  while (pn < i + 1 && !A(r.proc_num).compare_exchange_weak(pn, i + 1)) {
  }
}

// Makes the account's slot say what the account says, after applying pending releases. A slot
// that no longer names this process is replaced by a freshly claimed one carrying the ledger.
// Counts one repair per call that found the slot rewritten or taken.
Verdict SyncOwnLocked(SharedRegion& r, Account& a, LivenessFn alive) {
  ProcSlot* s = &r.procs[a.slot];
  bool repaired = false;
  if (A(s->pid).load(std::memory_order_acquire) != a.pid) {
    int fresh = ClaimSlot(r, a.pid, a.start_time);
    if (fresh < 0 && ReapLocked(r, alive) > 0) fresh = ClaimSlot(r, a.pid, a.start_time);
    if (fresh < 0) return Verdict::kSlotLost;
    a.slot = fresh;
    s = &r.procs[fresh];
    repaired = true;
  }
  for (int d = 0; d < kMaxDevices; ++d) {
    bool rewritten = A(s->used[d].total).load(std::memory_order_relaxed) != a.Total(d);
    bool released = false;
    for (int k = 0; k < kUsageKinds; ++k) {
      rewritten |= A(KindField(s->used[d], k)).load(std::memory_order_relaxed) != a.used[d][k];
      const uint64_t pend = A(a.pending[d][k]).exchange(0, std::memory_order_relaxed);
      a.used[d][k] = SatSub(a.used[d][k], pend);
      released |= pend != 0;
    }
    if (!rewritten && !released) continue;
    repaired |= rewritten;
    WriteSlotLocked(*s, d, a.used[d]);
    SumLocked(r, d);
  }
  RaiseWater(r, a.slot);
  if (repaired) ++a.repairs;
  return Verdict::kGranted;
}

bool Fits(uint64_t cur, uint64_t bytes, uint64_t limit) {
  return bytes <= limit && cur <= limit - bytes;
}

}  // namespace

int ClaimSlot(SharedRegion& r, int32_t pid, uint64_t start_time) {
  for (int i = 0; i < kControlSlot; ++i) {
    ProcSlot& s = r.procs[i];
    int32_t expected = 0;
    if (A(s.pid).load(std::memory_order_relaxed) != 0) continue;
    if (!A(s.pid).compare_exchange_strong(expected, pid, std::memory_order_acq_rel)) continue;
    A(SlotStartTime(s)).store(start_time, std::memory_order_release);
    A(s.hostpid).store(0, std::memory_order_relaxed);
    A(s.status).store(kSlotRunning, std::memory_order_release);
    RaiseWater(r, i);
    return i;
  }
  return -1;
}

bool ClaimFor(SharedRegion& r, Account& a, int32_t pid, uint64_t start_time, LivenessFn alive) {
  a = Account{};
  int slot = ClaimSlot(r, pid, start_time);
  if (slot < 0 && ReapDead(r, alive) > 0) slot = ClaimSlot(r, pid, start_time);
  if (slot < 0) return false;
  a.slot = slot;
  a.pid = pid;
  a.start_time = start_time;
  // A free slot may still carry words someone wrote into it: start from zero, recount.
  Lock lock(r, alive, false);
  static constexpr uint64_t kZero[kUsageKinds] = {};
  for (int d = 0; d < kMaxDevices; ++d) WriteSlotLocked(r.procs[slot], d, kZero);
  if (lock.acquired()) {
    for (int d = 0; d < kMaxDevices; ++d) SumLocked(r, d);
  }
  return true;
}

void ReleaseSlot(SharedRegion& r, int slot) {
  if (!ValidSlot(slot)) return;
  Lock lock(r, ProcessAlive, false);
  if (!lock.acquired()) return;  // the slot stays claimed; reapers free it once we are gone
  FreeSlotLocked(r, slot);
}

Verdict TryReserve(SharedRegion& r, Account& a, int dev, uint64_t bytes, UsageKind kind,
                   uint64_t limit, bool force, LivenessFn alive) {
  if (!ValidDev(dev)) return Verdict::kBadDevice;
  if (!ValidSlot(a.slot)) return Verdict::kNoSlot;
  Lock lock(r, alive, false);
  if (!lock.acquired()) return Verdict::kLockTimeout;
  if (Verdict v = SyncOwnLocked(r, a, alive); v != Verdict::kGranted) return v;
  if (!force && limit != 0) {
    uint64_t cur = SumLocked(r, dev);
    if (!Fits(cur, bytes, limit) || !Fits(a.Total(dev), bytes, limit)) {
      if (ReapLocked(r, alive) == 0) return Verdict::kOverLimit;
      cur = SumLocked(r, dev);
      if (!Fits(cur, bytes, limit)) return Verdict::kOverLimit;
    }
  }
  const int k = static_cast<int>(kind);
  a.used[dev][k] = SatAdd(a.used[dev][k], bytes);
  WriteSlotLocked(r.procs[a.slot], dev, a.used[dev]);
  A(Reserved(r, dev))
      .store(SatAdd(A(Reserved(r, dev)).load(std::memory_order_relaxed), bytes),
             std::memory_order_release);
  return Verdict::kGranted;
}

Verdict Unreserve(SharedRegion& r, Account& a, int dev, uint64_t bytes, UsageKind kind,
                  LivenessFn alive) {
  if (!ValidDev(dev)) return Verdict::kBadDevice;
  if (!ValidSlot(a.slot)) return Verdict::kNoSlot;
  const int k = static_cast<int>(kind);
  Lock lock(r, alive, false);
  if (!lock.acquired()) {
    A(a.pending[dev][k]).fetch_add(bytes, std::memory_order_relaxed);
    return Verdict::kLockTimeout;
  }
  if (Verdict v = SyncOwnLocked(r, a, alive); v != Verdict::kGranted) return v;
  const uint64_t n = std::min(bytes, a.used[dev][k]);
  a.used[dev][k] -= n;
  WriteSlotLocked(r.procs[a.slot], dev, a.used[dev]);
  A(Reserved(r, dev))
      .store(SatSub(A(Reserved(r, dev)).load(std::memory_order_relaxed), n),
             std::memory_order_release);
  return Verdict::kGranted;
}

uint64_t UsedBytes(const SharedRegion& r, int dev) {
  if (!ValidDev(dev)) return 0;
  return A(const_cast<SharedRegion&>(r).procs[kControlSlot].used[dev].unused[0]).load();
}

uint64_t SumOfSlots(const SharedRegion& r, int dev) {
  if (!ValidDev(dev)) return 0;
  uint64_t sum = 0;
  for (auto& slot : const_cast<SharedRegion&>(r).procs) {
    sum = SatAdd(sum, A(slot.used[dev].total).load());
  }
  return sum;
}

int ReapDead(SharedRegion& r, LivenessFn alive) {
  Lock lock(r, alive, false);
  if (!lock.acquired()) return -1;
  return ReapLocked(r, alive);
}

int TryReapDead(SharedRegion& r, LivenessFn alive) {
  Lock lock(r, alive, true);
  if (!lock.acquired()) return -1;
  return ReapLocked(r, alive);
}

}  // namespace hami::region
