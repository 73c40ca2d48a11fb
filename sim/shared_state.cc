#include "sim/shared_state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <type_traits>

namespace hami::sim {
namespace {

constexpr uint64_t kMagic = 0x314D495349414D48ull;  // "HAMISIM1" little-endian
constexpr uint32_t kVersion = 3;                    // 2: MIG tables, 3: XID faults

static_assert(std::atomic<uint64_t>::is_always_lock_free);
static_assert(std::atomic<int32_t>::is_always_lock_free);
static_assert(std::is_standard_layout_v<StateFile>);

// Reads "<state> ... <starttime>" from /proc/<pid>/stat. False when the file is unreadable.
bool ReadProcStat(int32_t pid, char* state, uint64_t* start_time) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');  // the command name may contain spaces and ')'
  if (p == nullptr) return false;
  ++p;
  // Fields after ')' start at field 3 (state); starttime is field 22.
  int field = 2;
  const char* token = nullptr;
  while (*p != '\0' && field < 22) {
    while (*p == ' ') ++p;
    token = p;
    ++field;
    if (field == 3) *state = *token;
    while (*p != ' ' && *p != '\0') ++p;
  }
  if (field != 22 || token == nullptr) return false;
  *start_time = std::strtoull(token, nullptr, 10);
  return true;
}

void InitRobustMutex(pthread_mutex_t* mu) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(mu, &attr);
  pthread_mutexattr_destroy(&attr);
}

bool AnyLiveSlot(const StateFile& f) {
  for (const ProcSlot& s : f.slots) {
    int32_t pid = s.pid.load();
    if (pid > 0 && ProcessAlive(pid, s.start_time.load())) return true;
  }
  return false;
}

// Writes a fresh state for `gpus` (the caller holds the file lock; no live process uses it).
void Initialize(StateFile& f, const std::vector<GpuSpec>& gpus, uint64_t digest,
                uint32_t mig_enabled) {
  f.magic = 0;
  std::atomic_thread_fence(std::memory_order_release);
  std::memset(static_cast<void*>(&f), 0, sizeof(StateFile));
  f.version = kVersion;
  f.gpu_count = static_cast<uint32_t>(gpus.size());
  f.digest = digest;
  for (size_t d = 0; d < gpus.size(); ++d) {
    f.devices[d].total_bytes = gpus[d].memory_bytes;
    InitRobustMutex(&f.devices[d].timeline_mu);
    InitRobustMutex(&f.devices[d].mig.mu);
    if ((mig_enabled >> d) & 1) {
      f.devices[d].mig.current_mode = NVML_DEVICE_MIG_ENABLE;
      f.devices[d].mig.pending_mode = NVML_DEVICE_MIG_ENABLE;
    }
  }
  std::atomic_thread_fence(std::memory_order_release);
  f.magic = kMagic;
}

}  // namespace

class SharedState::TimelineLock {
 public:
  explicit TimelineLock(DeviceShared& dev) : mu_(&dev.timeline_mu) {
    if (pthread_mutex_lock(mu_) == EOWNERDEAD) pthread_mutex_consistent(mu_);
  }
  ~TimelineLock() { pthread_mutex_unlock(mu_); }

 private:
  pthread_mutex_t* mu_;
};

base::Result<std::unique_ptr<SharedState>> SharedState::Open(const std::string& path,
                                                             const std::vector<GpuSpec>& gpus,
                                                             uint32_t mig_enabled) {
  // The mapping keeps the open file description (and with it a flock) alive after close(), so
  // every exit unlocks explicitly.
  auto unlock_close = [](int fd) {
    ::flock(fd, LOCK_UN);
    ::close(fd);
  };
  auto fail = [&](const char* what) {
    return base::Unavailable("HAMI_SIM_STATE '" + path + "': " + what + ": " +
                             std::strerror(errno));
  };
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return fail("open");
  if (::flock(fd, LOCK_EX) != 0) {
    ::close(fd);
    return fail("lock");
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || (static_cast<size_t>(st.st_size) < sizeof(StateFile) &&
                                ::ftruncate(fd, sizeof(StateFile)) != 0)) {
    unlock_close(fd);
    return fail("resize");
  }
  void* mem = ::mmap(nullptr, sizeof(StateFile), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) {
    unlock_close(fd);
    return fail("mmap");
  }
  auto* file = static_cast<StateFile*>(mem);
  uint64_t digest = ConfigDigest(gpus);
  bool matches = file->magic == kMagic && file->version == kVersion && file->digest == digest &&
                 file->gpu_count == gpus.size();
  std::unique_ptr<SharedState> state(new SharedState(file, sizeof(StateFile)));
  if (!matches) {
    if (file->magic == kMagic && AnyLiveSlot(*file)) {
      state.reset();
      unlock_close(fd);
      return base::FailedPrecondition("HAMI_SIM_STATE '" + path +
                                      "' is in use by processes simulating other GPUs");
    }
    Initialize(*file, gpus, digest, mig_enabled);
  } else {
    state->ReclaimDead();
    if (!AnyLiveSlot(*file)) {
      // Nobody holds memory: drop anything leaked by a process killed mid-update.
      for (uint32_t d = 0; d < file->gpu_count; ++d) file->devices[d].used_bytes.store(0);
    }
  }
  unlock_close(fd);
  return state;
}

SharedState::~SharedState() { ::munmap(file_, size_); }

bool StateFileDescribes(const std::string& path, const std::vector<GpuSpec>& gpus) {
  struct Header {
    uint64_t magic;
    uint32_t version;
    uint32_t gpu_count;
    uint64_t digest;
  } header{};
  static_assert(offsetof(StateFile, digest) == offsetof(Header, digest));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = ::pread(fd, &header, sizeof(header), 0);
  ::close(fd);
  return n == static_cast<ssize_t>(sizeof(header)) && header.magic == kMagic &&
         header.version == kVersion && header.gpu_count == gpus.size() &&
         header.digest == ConfigDigest(gpus);
}

uint64_t SharedState::UsedBytes(int dev) const { return file_->devices[dev].used_bytes.load(); }

int SharedState::ClaimSlot(int32_t pid) {
  uint64_t start = ProcessStartTime(pid);
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (int i = 0; i < kMaxSlots; ++i) {
      ProcSlot& s = file_->slots[i];
      int32_t expected = 0;
      if (s.pid.load(std::memory_order_relaxed) != 0 ||
          !s.pid.compare_exchange_strong(expected, -1)) {
        continue;
      }
      s.start_time.store(start);
      for (int d = 0; d < kMaxGpus; ++d) {
        s.used[d].store(0);
        s.contexts[d].store(0);
      }
      s.mig.store(0);
      s.pid.store(pid);
      return i;
    }
    if (ReclaimDead() == 0) break;
  }
  return -1;
}

void SharedState::ReturnSlotUsage(ProcSlot& s) {
  for (uint32_t d = 0; d < file_->gpu_count; ++d) {
    uint64_t held = s.used[d].exchange(0);
    if (held != 0) file_->devices[d].used_bytes.fetch_sub(held);
    s.contexts[d].store(0);
  }
  s.mig.store(0);
}

void SharedState::ReleaseSlot(int slot) {
  ProcSlot& s = file_->slots[slot];
  ReturnSlotUsage(s);
  s.start_time.store(0);
  s.pid.store(0);
}

bool SharedState::Reserve(int slot, int dev, uint64_t bytes) {
  std::atomic<uint64_t>& used = file_->devices[dev].used_bytes;
  uint64_t total = file_->devices[dev].total_bytes;
  for (int attempt = 0; attempt < 2; ++attempt) {
    uint64_t current = used.load();
    while (bytes <= total && current <= total - bytes) {
      if (used.compare_exchange_weak(current, current + bytes)) {
        file_->slots[slot].used[dev].fetch_add(bytes);
        return true;
      }
    }
    if (ReclaimDead() == 0) break;
  }
  return false;
}

void SharedState::Unreserve(int slot, int dev, uint64_t bytes) {
  file_->slots[slot].used[dev].fetch_sub(bytes);
  file_->devices[dev].used_bytes.fetch_sub(bytes);
}

void SharedState::AddContext(int slot, int dev, int delta) {
  file_->slots[slot].contexts[dev].fetch_add(static_cast<uint32_t>(delta));
}

int SharedState::ReclaimDead() {
  int reclaimed = 0;
  for (ProcSlot& s : file_->slots) {
    int32_t pid = s.pid.load();
    if (pid <= 0 || ProcessAlive(pid, s.start_time.load())) continue;
    if (!s.pid.compare_exchange_strong(pid, -1)) continue;  // someone else got it
    ReturnSlotUsage(s);
    s.start_time.store(0);
    s.pid.store(0);
    ++reclaimed;
  }
  return reclaimed;
}

std::vector<ProcessUsage> SharedState::Processes(int dev) {
  ReclaimDead();
  std::vector<ProcessUsage> out;
  for (const ProcSlot& s : file_->slots) {
    int32_t pid = s.pid.load();
    if (pid <= 0) continue;
    uint64_t used = s.used[dev].load();
    if (used == 0 && s.contexts[dev].load() == 0) continue;
    ProcessUsage usage{pid, used};
    if (auto mig = UnpackMigBinding(s.mig.load()); mig && mig->dev == dev) {
      usage.gpu_instance = static_cast<int>(mig->gi);
      usage.compute_instance = static_cast<int>(mig->ci);
    }
    out.push_back(usage);
  }
  return out;
}

Span SharedState::Enqueue(int dev, int64_t now_ns, int64_t duration_ns, int32_t pid) {
  TimelineLock lock(file_->devices[dev]);
  return sim::Enqueue(file_->devices[dev].timeline, now_ns, duration_ns, pid);
}

int64_t SharedState::BusyNs(int dev, int64_t from_ns, int64_t to_ns, int32_t pid) {
  TimelineLock lock(file_->devices[dev]);
  return sim::BusyNs(file_->devices[dev].timeline, from_ns, to_ns, pid);
}

std::vector<int32_t> SharedState::ActivePids(int dev, int64_t from_ns, int64_t to_ns) {
  int32_t pids[kMaxSlots];
  TimelineLock lock(file_->devices[dev]);
  int n = sim::ActivePids(file_->devices[dev].timeline, from_ns, to_ns, pids, kMaxSlots);
  return std::vector<int32_t>(pids, pids + n);
}

int64_t SharedState::BusyUntil(int dev) {
  TimelineLock lock(file_->devices[dev]);
  return file_->devices[dev].timeline.busy_until_ns;
}

uint64_t ProcessStartTime(int32_t pid) {
  char state = 0;
  uint64_t start = 0;
  return ReadProcStat(pid, &state, &start) ? start : 0;
}

bool ProcessAlive(int32_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  char state = 0;
  uint64_t start = 0;
  if (!ReadProcStat(pid, &state, &start)) return true;  // no /proc: trust kill()
  if (state == 'Z' || state == 'X') return false;
  return start_time == 0 || start == start_time;
}

int64_t MonotonicNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void SleepUntilNs(int64_t deadline_ns) {
  timespec ts;
  ts.tv_sec = deadline_ns / 1000000000;
  ts.tv_nsec = deadline_ns % 1000000000;
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace hami::sim
