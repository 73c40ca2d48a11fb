// Region validation, initialisation and process liveness (region.h).
#include "region/region.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace hami::region {
namespace {

template <typename T>
T Load(const T& v) {
  return std::atomic_ref<T>(const_cast<T&>(v)).load(std::memory_order_acquire);
}

void InitMutex(pthread_mutex_t* m) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(m, &attr);
  pthread_mutexattr_destroy(&attr);
}

}  // namespace

const char* ErrorName(Error e) {
  switch (e) {
    case Error::kOk:
      return "ok";
    case Error::kOpen:
      return "cannot open";
    case Error::kNotRegular:
      return "not a regular file";
    case Error::kTooSmall:
      return "file too small for a v1 region";
    case Error::kForeign:
      return "not a v1 shared region (magic/version)";
    case Error::kNotOurs:
      return "v1 region of another libvgpu still in use";
    case Error::kMap:
      return "mmap failed";
    case Error::kLock:
      return "file lock not obtained";
    case Error::kFull:
      return "all process slots taken";
    case Error::kCorrupt:
      return "corrupt header";
  }
  return "unknown";
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kGranted:
      return "granted";
    case Verdict::kOverLimit:
      return "over the limit";
    case Verdict::kNoSlot:
      return "no process slot";
    case Verdict::kBadDevice:
      return "device outside the region";
    case Verdict::kLockTimeout:
      return "region lock not obtained";
    case Verdict::kSlotLost:
      return "process slot taken over";
  }
  return "unknown";
}

Error Validate(const void* data, size_t size) {
  if (data == nullptr || size < sizeof(SharedRegion)) return Error::kTooSmall;
  const auto* r = static_cast<const SharedRegion*>(data);
  if (Load(r->initialized_flag) != kMagic) return Error::kForeign;
  if (Load(r->major_version) != kMajorVersion) return Error::kForeign;
  return Error::kOk;
}

Error CheckHeader(const SharedRegion& r) {
  if (Error e = Validate(&r, sizeof(SharedRegion)); e != Error::kOk) return e;
  const ProcSlot& control = r.procs[kControlSlot];
  if (Load(control.unused[0]) != kControlMagic) return Error::kNotOurs;
  if (Load(control.pid) != 0 || Load(control.status) != 0) return Error::kCorrupt;
  if (Load(control.unused[1]) > static_cast<uint64_t>(kControlSlot)) return Error::kCorrupt;
  const int32_t proc_num = Load(r.proc_num);
  if (proc_num < 0 || proc_num > kControlSlot) return Error::kCorrupt;
  if (Load(r.device_num) > static_cast<uint64_t>(kMaxDevices)) return Error::kCorrupt;
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
  for (int d = 0; d < kMaxDevices; ++d) {
    r.limit[d] = config.limit[d];
    r.sm_limit[d] = config.sm_limit[d];
  }
  r.priority = config.priority;
  r.utilization_switch = 1;
  r.recent_kernel = 2;
  r.proc_num = 0;
  std::atomic_ref<uint64_t>(ControlMagic(r)).store(kControlMagic, std::memory_order_release);
  std::atomic_ref<int32_t>(r.initialized_flag).store(kMagic, std::memory_order_release);
}

}  // namespace hami::region
