// RegionFile: opening, creating and mapping the region file (region.h).
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "region/region.h"

namespace hami::region {
namespace {

template <typename T>
T Load(const T& v) {
  return std::atomic_ref<T>(const_cast<T&>(v)).load(std::memory_order_acquire);
}

// fcntl record lock on the whole file, waited for at most kLockTimeoutNs; released on close or
// by the kernel when the owner dies.
bool FileLock(int fd) {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  constexpr uint64_t kStepNs = 1'000'000;
  for (uint64_t waited = 0;; waited += kStepNs) {
    if (fcntl(fd, F_SETLK, &fl) == 0) return true;
    if (errno != EACCES && errno != EAGAIN && errno != EINTR) return false;
    if (waited >= kLockTimeoutNs) return false;
    timespec step{0, static_cast<long>(kStepNs)};
    nanosleep(&step, nullptr);
  }
}

bool LimitsEqual(const SharedRegion& r, const RegionConfig& c) {
  for (int d = 0; d < kMaxDevices; ++d) {
    if (Load(r.limit[d]) != c.limit[d] || Load(r.sm_limit[d]) != c.sm_limit[d]) return false;
  }
  return true;
}

void WriteLimits(SharedRegion& r, const RegionConfig& c) {
  for (int d = 0; d < kMaxDevices; ++d) {
    std::atomic_ref<uint64_t>(r.limit[d]).store(c.limit[d], std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(r.sm_limit[d]).store(c.sm_limit[d], std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(BucketRate(r, d)).store(0, std::memory_order_relaxed);
  }
  std::atomic_ref<int32_t>(r.priority).store(c.priority, std::memory_order_release);
}

// True when a slot below `bound` names a live process.
bool AnyLive(const SharedRegion& r, int bound) {
  for (int i = 0; i < bound; ++i) {
    const int32_t pid = Load(r.procs[i].pid);
    if (pid != 0 && ProcessAlive(pid, Load(r.procs[i].unused[0]))) return true;
  }
  return false;
}

int OurBound(const SharedRegion& r) {
  const uint64_t hw = Load(r.procs[kControlSlot].unused[1]);
  return hw > static_cast<uint64_t>(kControlSlot) ? kControlSlot : static_cast<int>(hw);
}

bool AllZero(const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  static constexpr unsigned char kZero[4096] = {};
  for (size_t off = 0; off < size; off += sizeof(kZero)) {
    const size_t n = size - off < sizeof(kZero) ? size - off : sizeof(kZero);
    if (std::memcmp(p + off, kZero, n) != 0) return false;
  }
  return true;
}

}  // namespace

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
    if (!FileLock(fd)) {
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
  Error e = InitOrAdopt(fd, locked, config, attach);
  close(fd);  // drops the fcntl lock
  if (e != Error::kOk) Reset();
  return e;
}

Error RegionFile::InitOrAdopt(int fd, bool locked, const RegionConfig& config, Attach* attach) {
  Attach result = Attach::kAttached;
  if (!locked && CheckHeader(*region_) == Error::kOk && LimitsEqual(*region_, config)) {
    if (attach) *attach = result;
    return Error::kOk;
  }
  if (!locked && !FileLock(fd)) {
    last_errno_ = errno;
    return Error::kLock;
  }
  switch (CheckHeader(*region_)) {
    case Error::kOk:
      if (!LimitsEqual(*region_, config)) {
        if (AnyLive(*region_, OurBound(*region_))) {
          result = Attach::kLimitsDiffer;
        } else {
          WriteLimits(*region_, config);
          result = Attach::kLimitsRewritten;
        }
      }
      break;
    case Error::kNotOurs:  // upstream's v1 region: taken over only when nobody uses it
      if (AnyLive(*region_, kMaxSlots)) return Error::kNotOurs;
      InitRegion(*region_, config);
      result = Attach::kCreated;
      break;
    case Error::kForeign:  // a blank file is ours to initialise; anything else is a stranger's
      if (!AllZero(region_, sizeof(SharedRegion))) return Error::kForeign;
      InitRegion(*region_, config);
      result = Attach::kCreated;
      break;
    default:
      return Error::kCorrupt;
  }
  if (attach) *attach = result;
  return Error::kOk;
}

Error RegionFile::OpenPrivate(const RegionConfig& config) {
  Reset();
  void* p = mmap(nullptr, sizeof(SharedRegion), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
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
