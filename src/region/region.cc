#include "region/region.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

namespace hami::region {
namespace {

template <typename T>
std::atomic_ref<T> A(T& v) {
  return std::atomic_ref<T>(v);
}
template <typename T>
T Load(const T& v) {
  return std::atomic_ref<T>(const_cast<T&>(v)).load(std::memory_order_acquire);
}

uint64_t& KindField(DeviceMemory& m, UsageKind kind) {
  switch (kind) {
    case UsageKind::kContext: return m.context_size;
    case UsageKind::kModule: return m.module_size;
    case UsageKind::kData: break;
  }
  return m.data_size;
}

uint64_t SubClamped(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

int ScanBound(const SharedRegion& r) {
  uint64_t hw = Load(const_cast<SharedRegion&>(r).procs[kControlSlot].unused[1]);
  return static_cast<int>(std::min<uint64_t>(hw, kControlSlot));
}

// Frees a slot whose owner is gone or leaving; caller holds the lock.
void FreeSlotLocked(SharedRegion& r, int i) {
  ProcSlot& s = r.procs[i];
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
  for (int d = 0; d < kMaxDevices; ++d) {
    DeviceMemory& m = s.used[d];
    uint64_t t = A(m.total).load(std::memory_order_relaxed);
    A(Reserved(r, d)).store(SubClamped(A(Reserved(r, d)).load(std::memory_order_relaxed), t),
                            std::memory_order_release);
    A(m.total).store(0, std::memory_order_relaxed);
    A(m.context_size).store(0, std::memory_order_relaxed);
    A(m.module_size).store(0, std::memory_order_relaxed);
    A(m.data_size).store(0, std::memory_order_relaxed);
  }
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
  A(s.status).store(kSlotDead, std::memory_order_relaxed);
  A(s.hostpid).store(0, std::memory_order_relaxed);
  A(SlotStartTime(s)).store(0, std::memory_order_relaxed);
  A(s.pid).store(0, std::memory_order_release);
}

int ReapLocked(SharedRegion& r, LivenessFn alive) {
  int reaped = 0;
  const int n = ScanBound(r);
  for (int i = 0; i < n; ++i) {
    ProcSlot& s = r.procs[i];
    int32_t pid = A(s.pid).load(std::memory_order_acquire);
    if (pid == 0) continue;
    if (alive(pid, A(SlotStartTime(s)).load(std::memory_order_acquire))) continue;
    FreeSlotLocked(r, i);
    ++reaped;
  }
  return reaped;
}

// After a lock owner died mid-update: drop dead slots, then rebuild the totals from the slots.
void RecoverLocked(SharedRegion& r, LivenessFn alive) {
  ReapLocked(r, alive);
  const int n = ScanBound(r);
  for (int d = 0; d < kMaxDevices; ++d) {
    uint64_t sum = 0;
    for (int i = 0; i < n; ++i) sum += A(r.procs[i].used[d].total).load(std::memory_order_relaxed);
    A(Reserved(r, d)).store(sum, std::memory_order_release);
  }
  for (int i = 0; i < n; ++i) {
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

// Scoped robust lock. `acquired` is false only for a failed TryLock.
class Lock {
 public:
  Lock(SharedRegion& r, LivenessFn alive, bool try_only) : r_(r) {
    pthread_mutex_t* m = &RegionMutex(r);
    int rc = try_only ? pthread_mutex_trylock(m) : pthread_mutex_lock(m);
    if (rc == EBUSY) return;
    if (rc == ENOTRECOVERABLE) {
      // Only reachable if a recoverer unlocked without marking consistent; rebuild the mutex.
      InitMutex(m);
      rc = pthread_mutex_lock(m);
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
  SharedRegion& r_;
  bool acquired_ = false;
};

bool ValidSlot(int slot) { return slot >= 0 && slot < kControlSlot; }
bool ValidDev(int dev) { return dev >= 0 && dev < kMaxDevices; }

bool LimitsEqual(const SharedRegion& r, const RegionConfig& c) {
  for (int d = 0; d < kMaxDevices; ++d) {
    if (r.limit[d] != c.limit[d] || r.sm_limit[d] != c.sm_limit[d]) return false;
  }
  return true;
}

void WriteLimits(SharedRegion& r, const RegionConfig& c) {
  for (int d = 0; d < kMaxDevices; ++d) {
    A(r.limit[d]).store(c.limit[d], std::memory_order_relaxed);
    A(r.sm_limit[d]).store(c.sm_limit[d], std::memory_order_relaxed);
    A(BucketRate(r, d)).store(0, std::memory_order_relaxed);
  }
  A(r.priority).store(c.priority, std::memory_order_release);
}

bool AnyLive(SharedRegion& r) {
  const int n = ScanBound(r);
  for (int i = 0; i < n; ++i) {
    int32_t pid = A(r.procs[i].pid).load(std::memory_order_acquire);
    if (pid != 0 && ProcessAlive(pid, A(SlotStartTime(r.procs[i])).load())) return true;
  }
  return false;
}

bool IsOurs(const SharedRegion& r) {
  return Validate(&r, sizeof(SharedRegion)) == Error::kOk &&
         Load(const_cast<SharedRegion&>(r).procs[kControlSlot].unused[0]) == kControlMagic;
}

}  // namespace

const char* ErrorName(Error e) {
  switch (e) {
    case Error::kOk: return "ok";
    case Error::kOpen: return "cannot open";
    case Error::kNotRegular: return "not a regular file";
    case Error::kTooSmall: return "file too small for a v1 region";
    case Error::kForeign: return "not a v1 shared region (magic/version)";
    case Error::kNotOurs: return "v1 region without HAMi-cpp control state";
    case Error::kMap: return "mmap failed";
    case Error::kLock: return "fcntl lock failed";
    case Error::kFull: return "all process slots taken";
  }
  return "unknown";
}

Error Validate(const void* data, size_t size) {
  if (data == nullptr || size < sizeof(SharedRegion)) return Error::kTooSmall;
  const auto* r = static_cast<const SharedRegion*>(data);
  if (Load(r->initialized_flag) != kMagic) return Error::kForeign;
  if (r->major_version != kMajorVersion) return Error::kForeign;
  return Error::kOk;
}

uint64_t ProcessStartTime(int32_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  // Fields after ')': 3 state ... 22 starttime.
  int field = 2;
  for (; *p != '\0'; ++p) {
    if (*p != ' ') continue;
    ++field;
    if (field == 3 && (p[1] == 'Z' || p[1] == 'X')) return 0;
    if (field == 22) return std::strtoull(p + 1, nullptr, 10);
  }
  return 0;
}

bool ProcessAlive(int32_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  if (access(path, F_OK) != 0) {
    // No /proc entry: trust kill(2) (covers a missing /proc mount).
    return kill(pid, 0) == 0 || errno == EPERM;
  }
  uint64_t now = ProcessStartTime(pid);
  if (now == 0) return false;  // zombie, or vanished meanwhile
  return start_time == 0 || now == start_time;
}

void InitRegion(SharedRegion& r, const RegionConfig& config) {
  std::memset(static_cast<void*>(&r), 0, sizeof(SharedRegion));
  r.major_version = kMajorVersion;
  r.minor_version = kMinorVersion;
  InitMutex(&RegionMutex(r));
  WriteLimits(r, config);
  r.utilization_switch = 1;
  r.recent_kernel = 2;
  r.proc_num = 0;
  A(ControlMagic(r)).store(kControlMagic, std::memory_order_release);
  A(r.initialized_flag).store(kMagic, std::memory_order_release);
}

int ClaimSlot(SharedRegion& r, int32_t pid, uint64_t start_time) {
  for (int i = 0; i < kControlSlot; ++i) {
    ProcSlot& s = r.procs[i];
    int32_t expected = 0;
    if (A(s.pid).load(std::memory_order_relaxed) != 0) continue;
    if (!A(s.pid).compare_exchange_strong(expected, pid, std::memory_order_acq_rel)) continue;
    A(SlotStartTime(s)).store(start_time, std::memory_order_release);
    A(s.hostpid).store(0, std::memory_order_relaxed);
    A(s.status).store(kSlotRunning, std::memory_order_release);
    uint64_t hw = A(HighWater(r)).load();
    while (hw < static_cast<uint64_t>(i + 1) &&
           !A(HighWater(r)).compare_exchange_weak(hw, i + 1)) {
    }
    int32_t pn = A(r.proc_num).load();
    while (pn < i + 1 && !A(r.proc_num).compare_exchange_weak(pn, i + 1)) {
    }
    return i;
  }
  return -1;
}

void ReleaseSlot(SharedRegion& r, int slot) {
  if (!ValidSlot(slot)) return;
  Lock lock(r, ProcessAlive, false);
  FreeSlotLocked(r, slot);
}

bool TryReserve(SharedRegion& r, int slot, int dev, uint64_t bytes, UsageKind kind, bool force,
                LivenessFn alive) {
  if (!ValidDev(dev) || !ValidSlot(slot)) return true;
  Lock lock(r, alive, false);
  const uint64_t limit = A(r.limit[dev]).load(std::memory_order_acquire);
  for (int attempt = 0; !force && limit != 0; ++attempt) {
    const uint64_t cur = A(Reserved(r, dev)).load(std::memory_order_relaxed);
    if (bytes <= limit && cur <= limit - bytes) break;
    if (attempt > 0 || ReapLocked(r, alive) == 0) return false;
  }
  ProcSlot& s = r.procs[slot];
  DeviceMemory& m = s.used[dev];
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
  A(m.total).fetch_add(bytes, std::memory_order_relaxed);
  A(KindField(m, kind)).fetch_add(bytes, std::memory_order_relaxed);
  A(Reserved(r, dev)).fetch_add(bytes, std::memory_order_release);
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
  return true;
}

void Unreserve(SharedRegion& r, int slot, int dev, uint64_t bytes, UsageKind kind,
               LivenessFn alive) {
  if (!ValidDev(dev) || !ValidSlot(slot)) return;
  Lock lock(r, alive, false);
  ProcSlot& s = r.procs[slot];
  DeviceMemory& m = s.used[dev];
  const uint64_t n = std::min(bytes, A(m.total).load(std::memory_order_relaxed));
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
  A(m.total).fetch_sub(n, std::memory_order_relaxed);
  uint64_t& f = KindField(m, kind);
  A(f).store(SubClamped(A(f).load(std::memory_order_relaxed), n), std::memory_order_relaxed);
  A(Reserved(r, dev)).store(SubClamped(A(Reserved(r, dev)).load(std::memory_order_relaxed), n),
                            std::memory_order_release);
  A(s.seqlock).fetch_add(1, std::memory_order_acq_rel);
}

uint64_t UsedBytes(const SharedRegion& r, int dev) {
  if (!ValidDev(dev)) return 0;
  return Load(const_cast<SharedRegion&>(r).procs[kControlSlot].used[dev].unused[0]);
}

uint64_t SumOfSlots(const SharedRegion& r, int dev) {
  if (!ValidDev(dev)) return 0;
  uint64_t sum = 0;
  for (int i = 0; i < kMaxSlots; ++i) sum += Load(r.procs[i].used[dev].total);
  return sum;
}

int ReapDead(SharedRegion& r, LivenessFn alive) {
  Lock lock(r, alive, false);
  return ReapLocked(r, alive);
}

int TryReapDead(SharedRegion& r, LivenessFn alive) {
  Lock lock(r, alive, true);
  if (!lock.acquired()) return -1;
  return ReapLocked(r, alive);
}

// ---- RegionFile ----

RegionFile::RegionFile(RegionFile&& o) noexcept { *this = std::move(o); }

RegionFile& RegionFile::operator=(RegionFile&& o) noexcept {
  if (this != &o) {
    Reset();
    region_ = o.region_;
    mapped_ = o.mapped_;
    writable_ = o.writable_;
    last_errno_ = o.last_errno_;
    o.region_ = nullptr;
    o.mapped_ = 0;
  }
  return *this;
}

RegionFile::~RegionFile() { Reset(); }

void RegionFile::Reset() {
  if (region_ != nullptr) munmap(region_, mapped_);
  region_ = nullptr;
  mapped_ = 0;
}

namespace {

// fcntl record lock on the whole file; released on close or by the kernel when the owner dies.
bool FileLock(int fd, short type) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  while (fcntl(fd, F_SETLKW, &fl) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

}  // namespace

Error RegionFile::OpenShared(const char* path, const RegionConfig& config, Attach* attach) {
  Reset();
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) {
    last_errno_ = errno;
    return Error::kOpen;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    last_errno_ = errno;
    close(fd);
    return Error::kNotRegular;
  }
  // Only an empty file (ours, just created, or a creator that died before sizing it) is sized
  // here; a shorter non-empty file is someone else's and is left alone.
  bool locked = false;
  if (st.st_size < static_cast<off_t>(kFileSize)) {
    if (!FileLock(fd, F_WRLCK)) {
      last_errno_ = errno;
      close(fd);
      return Error::kLock;
    }
    locked = true;
    if (fstat(fd, &st) != 0) {
      last_errno_ = errno;
      close(fd);
      return Error::kOpen;
    }
    if (st.st_size != 0 && st.st_size < static_cast<off_t>(kFileSize)) {
      close(fd);
      return Error::kTooSmall;
    }
    if (st.st_size == 0 && ftruncate(fd, kFileSize) != 0) {
      last_errno_ = errno;
      close(fd);
      return Error::kOpen;
    }
  }
  void* p = mmap(nullptr, sizeof(SharedRegion), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    last_errno_ = errno;
    close(fd);
    return Error::kMap;
  }
  region_ = static_cast<SharedRegion*>(p);
  mapped_ = sizeof(SharedRegion);
  writable_ = true;
  Attach result = Attach::kAttached;
  if (!locked && IsOurs(*region_) && LimitsEqual(*region_, config)) {
    close(fd);
    if (attach) *attach = result;
    return Error::kOk;
  }
  if (!locked && !FileLock(fd, F_WRLCK)) {
    last_errno_ = errno;
    close(fd);
    Reset();
    return Error::kLock;
  }
  if (!IsOurs(*region_)) {
    // Initialise only a blank file or a v1 region (upstream-written); never clobber a stranger.
    const int32_t flag = Load(region_->initialized_flag);
    if (flag != 0 && flag != kMagic) {
      close(fd);
      Reset();
      return Error::kForeign;
    }
    InitRegion(*region_, config);
    result = Attach::kCreated;
  } else if (!LimitsEqual(*region_, config)) {
    if (AnyLive(*region_)) {
      result = Attach::kLimitsDiffer;
    } else {
      WriteLimits(*region_, config);
      result = Attach::kLimitsRewritten;
    }
  }
  close(fd);  // drops the fcntl lock
  if (attach) *attach = result;
  return Error::kOk;
}

Error RegionFile::OpenPrivate(const RegionConfig& config) {
  Reset();
  void* p = mmap(nullptr, sizeof(SharedRegion), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    last_errno_ = errno;
    return Error::kMap;
  }
  region_ = static_cast<SharedRegion*>(p);
  mapped_ = sizeof(SharedRegion);
  writable_ = true;
  InitRegion(*region_, config);
  return Error::kOk;
}

Error RegionFile::OpenReadOnly(const char* path) {
  Reset();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    last_errno_ = errno;
    return Error::kOpen;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Error::kNotRegular;
  }
  if (st.st_size < static_cast<off_t>(sizeof(SharedRegion))) {
    close(fd);
    return Error::kTooSmall;
  }
  void* p = mmap(nullptr, sizeof(SharedRegion), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    last_errno_ = errno;
    return Error::kMap;
  }
  region_ = static_cast<SharedRegion*>(p);
  mapped_ = sizeof(SharedRegion);
  writable_ = false;
  Error e = Validate(region_, mapped_);
  if (e != Error::kOk) Reset();
  return e;
}

}  // namespace hami::region
