// The shared region as libvgpu meets it (src/region): Validate and CheckHeader over hostile bytes,
// OpenReadOnly and OpenShared over a file holding them, then a process's accounting (claim,
// reserve, release, reap) on the region it attached to while the container writes the input's
// deferred records between the calls. Input: fuzz/region_image.h; bit 5 of the first byte also
// reaps once by trylock over the file's own mutex bytes.
//
// Properties beyond no crash or UB:
//   * Validate accepts exactly: at least the v1 struct's size, the magic, major version 1;
//   * OpenReadOnly agrees with Validate; OpenShared refuses a non-empty file shorter than ours and
//     a region that fails CheckHeader unless it may take it over (blank, or upstream's unused);
//     a region it accepts passes CheckHeader and holds our limits unless a live process keeps
//     others (kLimitsDiffer);
//   * whatever the slots say, a granted reservation leaves the claimed slots' sum (and Reserved)
//     within the caller's limit, the caller's slot saying exactly what its Account says; without
//     the container's writes, ours never make the header fail CheckHeader.
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/region_image.h"

namespace {

using namespace hami::region;

constexpr int32_t kSelfPid = 0x7654321;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Deterministic liveness: our fake pid, and every even pid, are alive.
bool FakeAlive(int32_t pid, uint64_t) { return pid == kSelfPid || (pid > 0 && pid % 2 == 0); }

template <typename T>
T Load(const T& v) {
  return std::atomic_ref<T>(const_cast<T&>(v)).load();
}

uint64_t ClaimedSum(const SharedRegion& r, int dev) {
  uint64_t sum = 0;
  for (int i = 0; i < kControlSlot; ++i) {
    if (Load(r.procs[i].pid) == 0) continue;
    const uint64_t t = Load(r.procs[i].used[dev].total);
    sum = t > UINT64_MAX - sum ? UINT64_MAX : sum + t;
  }
  return sum;
}

void CheckOwnSlot(const SharedRegion& r, const Account& a, int dev) {
  Check(a.slot >= 0 && a.slot < kControlSlot);
  const ProcSlot& s = r.procs[a.slot];
  Check(Load(s.pid) == kSelfPid);
  Check(Load(s.used[dev].total) == a.Total(dev));
  Check(Load(s.used[dev].context_size) == a.used[dev][0]);
  Check(Load(s.used[dev].module_size) == a.used[dev][1]);
  Check(Load(s.used[dev].data_size) == a.used[dev][2]);
}

void Reserve(SharedRegion& r, Account& a, int dev, uint64_t bytes, UsageKind kind, uint64_t limit,
             bool force) {
  const Verdict v = TryReserve(r, a, dev, bytes, kind, limit, force, FakeAlive);
  if (v != Verdict::kGranted) return;
  CheckOwnSlot(r, a, dev);
  if (!force && limit != 0) {
    Check(ClaimedSum(r, dev) <= limit);
    Check(Load(Reserved(r, dev)) == ClaimedSum(r, dev));
  }
}

// One process's accounting on the attached region, the container writing the deferred records
// of the input between its calls (never over the mutex, re-initialised first: a mutex written
// over makes every lock wait kLockTimeoutNs and deny, which region_tamper_test covers).
void RunAccounting(SharedRegion& r, const RegionConfig& config,
                   const hami::fuzz::RegionImage& image, bool try_hostile_mutex) {
  // A trylock never waits, whatever the mutex bytes say.
  if (try_hostile_mutex) (void)TryReapDead(r, FakeAlive);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&RegionMutex(r), &attr);
  pthread_mutexattr_destroy(&attr);
  size_t tampered = 0;
  auto tamper = [&] { image.Tamper(tampered++, r); };
  Account a;
  if (!ClaimFor(r, a, kSelfPid, 1, FakeAlive)) return;
  tamper();
  Reserve(r, a, 0, 256u << 20, UsageKind::kData, config.limit[0], false);
  tamper();
  Reserve(r, a, 1, 1u << 30, UsageKind::kContext, config.limit[1], false);
  tamper();
  Reserve(r, a, 0, config.limit[0], UsageKind::kModule, config.limit[0], false);
  tamper();
  Reserve(r, a, 2, 4096, UsageKind::kData, 0, false);
  tamper();
  if (Unreserve(r, a, 0, 128u << 20, UsageKind::kData, FakeAlive) == Verdict::kGranted)
    CheckOwnSlot(r, a, 0);
  tamper();
  Reserve(r, a, 0, 64u << 20, UsageKind::kContext, config.limit[0], true);
  tamper();
  Reserve(r, a, 0, 1u << 20, UsageKind::kData, config.limit[0], false);
  tamper();
  Check(ReapDead(r, FakeAlive) >= 0);
  ReleaseSlot(r, a.slot);
  if (image.deferred() == 0) Check(CheckHeader(r) == Error::kOk);
}

// The file the region is written to: one per process, rewritten in place for every input (tmpfs
// keeps its pages, which an unlink and re-create would free and zero again each time), removed
// at exit.
class RegionPath {
 public:
  RegionPath() {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char buf[128];
    std::snprintf(buf, sizeof(buf), "%s/hami_region_file_fuzz_%d.cache", dir, getpid());
    path_ = buf;
    fd_ = open(path_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  }
  ~RegionPath() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
  }
  const char* path() const { return path_.c_str(); }
  bool Write(const char* data, size_t size) {
    if (fd_ < 0 || ftruncate(fd_, static_cast<off_t>(size)) != 0) return false;
    for (size_t done = 0; done < size;) {
      const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

Error ExpectedValidate(hami::fuzz::RegionImage& image) {
  if (image.size() < sizeof(SharedRegion)) return Error::kTooSmall;
  const SharedRegion& r = *image.region();
  if (r.initialized_flag != kMagic || r.major_version != kMajorVersion) return Error::kForeign;
  return Error::kOk;
}

bool LimitsAre(const SharedRegion& r, const RegionConfig& c) {
  for (int d = 0; d < kMaxDevices; ++d) {
    if (Load(r.limit[d]) != c.limit[d] || Load(r.sm_limit[d]) != c.sm_limit[d]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hami::fuzz::RegionImage* image = new hami::fuzz::RegionImage();
  static RegionPath file;
  if (!image->Build(data, size, /*defer=*/true)) return 0;
  const Error valid = ExpectedValidate(*image);
  Check(Validate(image->bytes(), image->size()) == valid);
  const bool sized = image->size() >= sizeof(SharedRegion);
  const Error header = sized ? CheckHeader(*image->region()) : Error::kTooSmall;
  if (sized && valid != Error::kOk) Check(header == valid);

  if (!file.Write(image->bytes(), image->size())) return 0;
  {
    RegionFile ro;
    Check(ro.OpenReadOnly(file.path()) == valid);
    Check((ro.get() != nullptr) == (valid == Error::kOk));
  }
  RegionConfig config;
  config.limit[0] = hami::fuzz::kImageLimit0;
  config.limit[1] = hami::fuzz::kImageLimit1;
  config.sm_limit[0] = 30;
  config.priority = 1;
  RegionFile rw;
  Attach attach = Attach::kAttached;
  const Error opened = rw.OpenShared(file.path(), config, &attach);
  if (image->size() != 0 && image->size() < kFileSize) Check(opened == Error::kTooSmall);
  if (image->size() == 0) Check(opened == Error::kOk && attach == Attach::kCreated);
  if (opened == Error::kOk) {
    Check(header == Error::kOk || header == Error::kNotOurs || image->size() == 0 ||
          attach == Attach::kCreated);
    SharedRegion& r = *rw.get();
    Check(CheckHeader(r) == Error::kOk);
    if (attach != Attach::kLimitsDiffer) Check(LimitsAre(r, config));
    if (attach == Attach::kCreated || attach == Attach::kLimitsRewritten)
      Check(Load(r.priority) == config.priority);
    RunAccounting(r, config, *image, (data[0] & 0x20) != 0);
  } else if (image->size() >= kFileSize) {
    Check(header != Error::kOk);
  }
  return 0;
}
