#include "region/region.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace hami::region {
namespace {

// An independent v1 reader: byte offsets typed in from the reference table (not from layout.h).
struct V1Reader {
  const unsigned char* b;
  template <typename T>
  T At(size_t off) const {
    T v;
    std::memcpy(&v, b + off, sizeof(T));
    return v;
  }
  int32_t Magic() const { return At<int32_t>(0); }
  uint32_t Major() const { return At<uint32_t>(4); }
  uint32_t Minor() const { return At<uint32_t>(8); }
  uint64_t Limit(int d) const { return At<uint64_t>(1600 + 8 * d); }
  uint64_t SmLimit(int d) const { return At<uint64_t>(1728 + 8 * d); }
  size_t Slot(int i) const { return 1856 + 1960 * static_cast<size_t>(i); }
  int32_t Pid(int i) const { return At<int32_t>(Slot(i)); }
  uint64_t Total(int i, int d) const { return At<uint64_t>(Slot(i) + 8 + 64 * d + 32); }
  uint64_t DataSize(int i, int d) const { return At<uint64_t>(Slot(i) + 8 + 64 * d + 16); }
  uint64_t ContextSize(int i, int d) const { return At<uint64_t>(Slot(i) + 8 + 64 * d + 0); }
  int32_t Status(int i) const { return At<int32_t>(Slot(i) + 1928); }
  int32_t ProcNum() const { return At<int32_t>(2008896); }
  int32_t UtilSwitch() const { return At<int32_t>(2008900); }
  int32_t RecentKernel() const { return At<int32_t>(2008904); }
  int32_t Priority() const { return At<int32_t>(2008908); }
  // What upstream's Go monitor does: sum all 1024 slots.
  uint64_t MonitorUsed(int d) const {
    uint64_t s = 0;
    for (int i = 0; i < 1024; ++i) s += Total(i, d);
    return s;
  }
};

std::string TempPath(const char* tag) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "/tmp/hami_region_test_%s_%d", tag, getpid());
  unlink(buf);
  return buf;
}

RegionConfig Limits(uint64_t bytes) {
  RegionConfig c;
  for (auto& l : c.limit) l = bytes;
  c.sm_limit[0] = 30;
  c.priority = 0;
  return c;
}

bool AlwaysAlive(int32_t, uint64_t) { return true; }
bool AlwaysDead(int32_t, uint64_t) { return false; }

Account Claim(SharedRegion& r, int32_t pid, uint64_t start_time) {
  Account a;
  EXPECT_TRUE(ClaimFor(r, a, pid, start_time, AlwaysAlive));
  return a;
}
Account ClaimSelf(SharedRegion& r) { return Claim(r, getpid(), ProcessStartTime(getpid())); }

TEST(RegionTest, FreshFileReadsBackThroughV1Offsets) {
  std::string path = TempPath("v1");
  RegionFile f;
  Attach how;
  ASSERT_EQ(f.OpenShared(path.c_str(), Limits(1 << 30), &how), Error::kOk);
  EXPECT_EQ(how, Attach::kCreated);
  Account a = ClaimSelf(*f.get());
  ASSERT_EQ(a.slot, 0);
  const uint64_t kLimit = 1 << 30;
  ASSERT_EQ(TryReserve(*f.get(), a, 2, 12345, UsageKind::kData, kLimit, false), Verdict::kGranted);
  ASSERT_EQ(TryReserve(*f.get(), a, 2, 100, UsageKind::kContext, kLimit, false), Verdict::kGranted);

  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  off_t size = lseek(fd, 0, SEEK_END);
  EXPECT_EQ(size, 2008953);
  void* p = mmap(nullptr, 2008952, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  ASSERT_NE(p, MAP_FAILED);
  V1Reader r{static_cast<const unsigned char*>(p)};
  EXPECT_EQ(r.Magic(), 19920718);
  EXPECT_EQ(r.Major(), 1u);
  EXPECT_EQ(r.Minor(), 2u);
  EXPECT_EQ(r.Limit(0), 1u << 30);
  EXPECT_EQ(r.Limit(15), 1u << 30);
  EXPECT_EQ(r.SmLimit(0), 30u);
  EXPECT_EQ(r.Pid(0), getpid());
  EXPECT_EQ(r.Status(0), 1);
  EXPECT_EQ(r.Total(0, 2), 12445u);
  EXPECT_EQ(r.DataSize(0, 2), 12345u);
  EXPECT_EQ(r.ContextSize(0, 2), 100u);
  EXPECT_EQ(r.MonitorUsed(2), 12445u);
  EXPECT_EQ(r.MonitorUsed(0), 0u);
  EXPECT_EQ(r.Pid(1023), 0);  // control slot never looks like a process
  EXPECT_EQ(r.ProcNum(), 1);
  EXPECT_EQ(r.UtilSwitch(), 1);
  EXPECT_EQ(r.RecentKernel(), 2);
  EXPECT_EQ(r.Priority(), 0);

  EXPECT_EQ(Unreserve(*f.get(), a, 2, 12345, UsageKind::kData), Verdict::kGranted);
  EXPECT_EQ(r.Total(0, 2), 100u);
  EXPECT_EQ(UsedBytes(*f.get(), 2), 100u);
  ReleaseSlot(*f.get(), a.slot);
  EXPECT_EQ(r.Pid(0), 0);
  EXPECT_EQ(r.MonitorUsed(2), 0u);
  munmap(p, 2008952);
  unlink(path.c_str());
}

TEST(RegionTest, ValidateRejectsTruncatedForeignAndNull) {
  std::vector<unsigned char> buf(sizeof(SharedRegion), 0);
  EXPECT_EQ(Validate(nullptr, 0), Error::kTooSmall);
  EXPECT_EQ(Validate(buf.data(), 100), Error::kTooSmall);
  EXPECT_EQ(Validate(buf.data(), buf.size()), Error::kForeign);
  int32_t magic = kMagic;
  std::memcpy(buf.data(), &magic, 4);
  uint32_t major = 7;
  std::memcpy(buf.data() + 4, &major, 4);
  EXPECT_EQ(Validate(buf.data(), buf.size()), Error::kForeign);
  major = 1;
  std::memcpy(buf.data() + 4, &major, 4);
  EXPECT_EQ(Validate(buf.data(), buf.size()), Error::kOk);
}

TEST(RegionTest, OpenReadOnlyRejectsBadFiles) {
  std::string path = TempPath("bad");
  RegionFile f;
  EXPECT_EQ(f.OpenReadOnly(path.c_str()), Error::kOpen);
  FILE* fp = std::fopen(path.c_str(), "w");
  std::fputs("not a region", fp);
  std::fclose(fp);
  EXPECT_EQ(f.OpenReadOnly(path.c_str()), Error::kTooSmall);
  // A foreign non-empty file at the shared path is refused, not clobbered.
  EXPECT_EQ(f.OpenShared(path.c_str(), Limits(1), nullptr), Error::kTooSmall);
  ASSERT_EQ(truncate(path.c_str(), 3000000), 0);
  fp = std::fopen(path.c_str(), "r+");
  std::fputs("garbage!", fp);
  std::fclose(fp);
  EXPECT_EQ(f.OpenReadOnly(path.c_str()), Error::kForeign);
  EXPECT_EQ(f.OpenShared(path.c_str(), Limits(1), nullptr), Error::kForeign);
  EXPECT_EQ(f.get(), nullptr);
  EXPECT_EQ(f.OpenShared("/proc/self", Limits(1), nullptr), Error::kOpen);
  unlink(path.c_str());
}

TEST(RegionTest, LimitsRewrittenOnlyWhenNoProcessIsLive) {
  std::string path = TempPath("limits");
  RegionFile a, b, c;
  Attach how;
  ASSERT_EQ(a.OpenShared(path.c_str(), Limits(100), &how), Error::kOk);
  int slot = ClaimSlot(*a.get(), getpid(), ProcessStartTime(getpid()));
  ASSERT_EQ(b.OpenShared(path.c_str(), Limits(200), &how), Error::kOk);
  EXPECT_EQ(how, Attach::kLimitsDiffer);
  EXPECT_EQ(b.get()->limit[0], 100u);
  ReleaseSlot(*a.get(), slot);
  ASSERT_EQ(c.OpenShared(path.c_str(), Limits(200), &how), Error::kOk);
  EXPECT_EQ(how, Attach::kLimitsRewritten);
  EXPECT_EQ(a.get()->limit[0], 200u);
  unlink(path.c_str());
}

TEST(RegionTest, ReserveDeniesOverLimitAndReapsDeadSlots) {
  RegionFile f;
  ASSERT_EQ(f.OpenPrivate(Limits(0)), Error::kOk);  // the file's limit plays no part
  SharedRegion& r = *f.get();
  const uint64_t kLimit = 1000;
  Account dead = Claim(r, 999999, 1);
  Account me = Claim(r, getpid(), 0);
  auto reserve = [&](Account& a, uint64_t n, UsageKind k, bool force, LivenessFn alive) {
    return TryReserve(r, a, 0, n, k, kLimit, force, alive);
  };
  ASSERT_EQ(reserve(dead, 600, UsageKind::kData, false, AlwaysAlive), Verdict::kGranted);
  EXPECT_EQ(reserve(me, 500, UsageKind::kData, false, AlwaysAlive), Verdict::kOverLimit);
  EXPECT_EQ(reserve(me, 400, UsageKind::kData, false, AlwaysAlive), Verdict::kGranted);
  EXPECT_EQ(reserve(me, 1, UsageKind::kData, false, AlwaysAlive), Verdict::kOverLimit);
  EXPECT_EQ(reserve(me, UINT64_MAX, UsageKind::kData, false, AlwaysAlive), Verdict::kOverLimit);
  EXPECT_EQ(reserve(me, 50, UsageKind::kContext, true, AlwaysAlive), Verdict::kGranted);  // forced
  EXPECT_EQ(UsedBytes(r, 0), 1050u);
  // Pid 999999 with a wrong start time is dead: the next denial reaps it and succeeds.
  EXPECT_EQ(reserve(me, 500, UsageKind::kData, false, ProcessAlive), Verdict::kGranted);
  EXPECT_EQ(r.procs[dead.slot].pid, 0);
  EXPECT_EQ(UsedBytes(r, 0), 950u);
  EXPECT_EQ(SumOfSlots(r, 0), 950u);
  EXPECT_EQ(Unreserve(r, me, 0, 1u << 30, UsageKind::kData), Verdict::kGranted);  // clamped
  EXPECT_EQ(UsedBytes(r, 0), 50u);
  EXPECT_EQ(Unreserve(r, me, 0, 50, UsageKind::kContext), Verdict::kGranted);
  EXPECT_EQ(UsedBytes(r, 0), 0u);
  EXPECT_EQ(ReapDead(r, AlwaysDead), 1);
  EXPECT_EQ(ClaimSlot(r, 5, 0), 0);  // slots are reused lowest first and never move
  Account none;
  EXPECT_EQ(TryReserve(r, none, 0, 1, UsageKind::kData, 0, false), Verdict::kNoSlot);
  EXPECT_EQ(TryReserve(r, me, 16, 1, UsageKind::kData, 0, false), Verdict::kBadDevice);
}

TEST(RegionTest, SlotsRunOutWithoutCrashing) {
  RegionFile f;
  ASSERT_EQ(f.OpenPrivate(Limits(0)), Error::kOk);
  for (int i = 0; i < kControlSlot; ++i) ASSERT_EQ(ClaimSlot(*f.get(), 100 + i, 0), i);
  EXPECT_EQ(ClaimSlot(*f.get(), 7, 0), -1);
  EXPECT_EQ(f.get()->procs[kControlSlot].pid, 0);
}

// Processes reserve/release concurrently; the running total never exceeds the limit.
TEST(RegionTest, ConcurrentProcessesNeverExceedLimit) {
  RegionFile f;
  const uint64_t kLimit = 10 * 1000;
  ASSERT_EQ(f.OpenPrivate(Limits(kLimit)), Error::kOk);  // MAP_SHARED: children share it
  SharedRegion& r = *f.get();
  auto* max_seen = static_cast<std::atomic<uint64_t>*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (max_seen) std::atomic<uint64_t>(0);
  const int kProcs = 8;
  pid_t kids[kProcs];
  for (int& kid : kids) {
    kid = fork();
    if (kid == 0) {
      Account a;
      if (!ClaimFor(r, a, getpid(), ProcessStartTime(getpid()))) _exit(1);
      for (int i = 0; i < 2000; ++i) {
        if (TryReserve(r, a, 0, 3000, UsageKind::kData, kLimit, false) == Verdict::kGranted) {
          uint64_t u = SumOfSlots(r, 0);
          uint64_t m = max_seen->load();
          while (u > m && !max_seen->compare_exchange_weak(m, u)) {
          }
          Unreserve(r, a, 0, 3000, UsageKind::kData);
        }
      }
      ReleaseSlot(r, a.slot);
      _exit(0);
    }
  }
  for (pid_t k : kids) {
    int st;
    waitpid(k, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  EXPECT_LE(max_seen->load(), kLimit);
  EXPECT_GT(max_seen->load(), 0u);
  EXPECT_EQ(UsedBytes(r, 0), 0u);
  munmap(max_seen, 4096);
}

// Processes of several threads each, every thread reserving and releasing on one shared Account
// of its process (the contract: calls on an Account are serialised by the region lock), while one
// process is SIGKILLed mid-run holding memory. At every observation the running total is within
// the limit; each surviving process's slot says exactly what its threads reserved minus what they
// released; the killed process's slot is reaped and its memory is reservable again.
TEST(RegionTest, ProcessesOfThreadsStayConsistentAndAKilledOneIsReaped) {
  RegionFile f;
  const uint64_t kLimit = 64 * 1000;
  const uint64_t kHold = 20 * 1000;                      // what the victim holds when it is killed
  ASSERT_EQ(f.OpenPrivate(Limits(kLimit)), Error::kOk);  // MAP_SHARED: children share it
  SharedRegion& r = *f.get();
  struct Shared {
    std::atomic<uint64_t> max_seen{0};
    std::atomic<int> victim_slot{-1};
  };
  auto* shared = static_cast<Shared*>(
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  new (shared) Shared();
  constexpr int kProcs = 4;
  constexpr int kThreads = 4;
  constexpr int kIterations = 1500;
  constexpr int kVictim = kProcs - 1;
  int ready_pipe[2];
  ASSERT_EQ(pipe(ready_pipe), 0);

  // One thread's loop; returns what it still holds (granted minus released), or -1 when an
  // observation broke the limit or the slot disagreed with the account.
  auto worker = [&](Account& a, int t, int iterations, std::atomic<int>* progress) -> int64_t {
    const UsageKind kind = static_cast<UsageKind>(t % kUsageKinds);
    const uint64_t sizes[] = {1000, 3000, 7000};
    int64_t held = 0;
    for (int i = 0; i < iterations; ++i) {
      const uint64_t n = sizes[(i + t) % 3];
      if (TryReserve(r, a, 0, n, kind, kLimit, false) == Verdict::kGranted) {
        held += static_cast<int64_t>(n);
        const uint64_t seen = UsedBytes(r, 0);
        if (seen > kLimit) return -1;
        uint64_t m = shared->max_seen.load();
        while (seen > m && !shared->max_seen.compare_exchange_weak(m, seen)) {
        }
      }
      if (held > 0 && (i % 2 == 1 || held > 10000)) {
        const uint64_t back = std::min<uint64_t>(static_cast<uint64_t>(held), sizes[i % 3]);
        if (Unreserve(r, a, 0, back, kind) == Verdict::kGranted) held -= back;
      }
      if (i % 64 == 0) (void)TryReapDead(r);
      if (progress != nullptr) progress->fetch_add(1);
    }
    return held;
  };

  // The victim starts first and takes its hold before the others start: one byte on the pipe. A
  // second byte says its threads are well into their loops: it is killed then.
  pid_t kids[kProcs];
  char c = 0;
  for (int k : {kVictim, 0, 1, 2}) {
    kids[k] = fork();
    if (kids[k] != 0) {
      if (k == kVictim) {
        ASSERT_EQ(read(ready_pipe[0], &c, 1), 1) << "the victim failed early";
      }
      continue;
    }
    close(ready_pipe[0]);
    if (k != kVictim) close(ready_pipe[1]);
    Account a;
    if (!ClaimFor(r, a, getpid(), ProcessStartTime(getpid()))) _exit(2);
    const bool victim = k == kVictim;
    if (victim) {
      if (TryReserve(r, a, 0, kHold, UsageKind::kData, kLimit, false) != Verdict::kGranted)
        _exit(3);
      shared->victim_slot.store(a.slot);
      (void)!write(ready_pipe[1], &c, 1);
    }
    std::atomic<int> progress{0};
    std::vector<int64_t> held(kThreads, 0);
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        // The victim runs until it is killed (bounded in case the parent fails first).
        held[t] = worker(a, t, victim ? 1000000 : kIterations, victim ? &progress : nullptr);
      });
    }
    if (victim) {
      // Killed once every thread is well into its loop (a few hundred calls each).
      while (progress.load() < 200 * kThreads) std::this_thread::yield();
      (void)!write(ready_pipe[1], &c, 1);
    }
    for (auto& th : threads) th.join();
    int64_t total = 0;
    for (int64_t h : held) {
      if (h < 0) _exit(4);
      total += h;
    }
    if (a.Total(0) != static_cast<uint64_t>(total)) _exit(5);
    if (r.procs[a.slot].used[0].total != a.Total(0) || r.procs[a.slot].pid != getpid()) _exit(6);
    ReleaseSlot(r, a.slot);
    _exit(0);
  }
  close(ready_pipe[1]);
  const bool victim_ready = read(ready_pipe[0], &c, 1) == 1;  // EOF if the victim failed early
  kill(kids[kVictim], SIGKILL);
  for (int k = 0; k < kProcs; ++k) {
    int st = 0;
    ASSERT_EQ(waitpid(kids[k], &st, 0), kids[k]);
    if (k == kVictim) {
      EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    } else {
      EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
          << "process " << k << " status " << st << " (exit 4: over the limit or a bad slot)";
    }
  }
  ASSERT_TRUE(victim_ready);
  EXPECT_GE(ReapDead(r), 0);
  const int victim_slot = shared->victim_slot.load();
  ASSERT_GE(victim_slot, 0);
  EXPECT_NE(r.procs[victim_slot].pid, kids[kVictim]);
  EXPECT_EQ(UsedBytes(r, 0), 0u);
  EXPECT_EQ(SumOfSlots(r, 0), 0u);
  EXPECT_LE(shared->max_seen.load(), kLimit);
  EXPECT_GT(shared->max_seen.load(), 0u);
  // The whole limit is reservable again.
  Account me = ClaimSelf(r);
  EXPECT_EQ(TryReserve(r, me, 0, kLimit, UsageKind::kData, kLimit, false), Verdict::kGranted);
  ReleaseSlot(r, me.slot);
  close(ready_pipe[0]);
  munmap(shared, sizeof(Shared));
}

// A process SIGKILLed while holding the region lock neither blocks others nor keeps its usage.
TEST(RegionTest, OwnerKilledInsideLockIsRecovered) {
  RegionFile f;
  ASSERT_EQ(f.OpenPrivate(Limits(1000)), Error::kOk);
  SharedRegion& r = *f.get();
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t kid = fork();
  if (kid == 0) {
    Account a = ClaimSelf(r);
    TryReserve(r, a, 0, 700, UsageKind::kData, 1000, false);
    pthread_mutex_lock(&RegionMutex(r));
    // Half-done update: the slot says more than the total.
    r.procs[a.slot].used[0].total += 100;
    char c = 1;
    (void)!write(pipefd[1], &c, 1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(pipefd[0], &c, 1), 1);
  kill(kid, SIGKILL);
  int st;
  waitpid(kid, &st, 0);
  Account me = ClaimSelf(r);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(TryReserve(r, me, 0, 1000, UsageKind::kData, 1000, false), Verdict::kGranted);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_EQ(UsedBytes(r, 0), 1000u);
  EXPECT_EQ(SumOfSlots(r, 0), 1000u);
  close(pipefd[0]);
  close(pipefd[1]);
}

}  // namespace
}  // namespace hami::region
