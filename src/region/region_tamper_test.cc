// The region against processes that write it directly (hostile tenant): what a scribbler can and
// cannot achieve against the accounting, the lock and the file.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "region/region.h"

namespace hami::region {
namespace {

constexpr uint64_t kLimit = 1000;

bool AlwaysAlive(int32_t, uint64_t) { return true; }

std::string TempPath(const char* tag) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "/tmp/hami_region_tamper_%s_%d", tag, getpid());
  unlink(buf);
  return buf;
}

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(file_.OpenPrivate(RegionConfig{}), Error::kOk);
    ASSERT_TRUE(ClaimFor(r(), a_, 1001, 0, AlwaysAlive));
    ASSERT_TRUE(ClaimFor(r(), b_, 1002, 0, AlwaysAlive));
  }
  SharedRegion& r() { return *file_.get(); }
  Verdict Reserve(Account& who, uint64_t n) {
    return TryReserve(r(), who, 0, n, UsageKind::kData, kLimit, false, AlwaysAlive);
  }

  RegionFile file_;
  Account a_, b_;
};

TEST_F(TamperTest, RewrittenTotalsAndHighWaterAreNotBelieved) {
  ASSERT_EQ(Reserve(a_, 600), Verdict::kGranted);
  Reserved(r(), 0) = 0;  // the running total
  HighWater(r()) = 0;    // the scan bound
  EXPECT_EQ(Reserve(b_, 500), Verdict::kOverLimit) << "b must still see a's 600";
  EXPECT_EQ(Reserve(b_, 400), Verdict::kGranted);
  EXPECT_EQ(SumOfSlots(r(), 0), 1000u);
}

TEST_F(TamperTest, ALoweredHighWaterHidesNoSlotAboveTheCaller) {
  ASSERT_LT(a_.slot, b_.slot);
  ASSERT_EQ(Reserve(b_, 600), Verdict::kGranted);
  HighWater(r()) = 0;  // would stop a's sums at its own slot, below b's
  Reserved(r(), 0) = 0;
  EXPECT_EQ(Reserve(a_, 500), Verdict::kOverLimit) << "a must still see b's 600";
  EXPECT_EQ(Reserve(a_, 400), Verdict::kGranted);
}

bool OnlyOursAlive(int32_t pid, uint64_t) { return pid == 1001 || pid == 1002; }

TEST_F(TamperTest, GarbageInEverySlotIsReapedAndTheLedgersRestored) {
  ASSERT_EQ(Reserve(a_, 300), Verdict::kGranted);
  ASSERT_EQ(Reserve(b_, 300), Verdict::kGranted);
  auto* bytes = reinterpret_cast<unsigned char*>(&r().procs[0]);
  for (size_t i = 0; i < sizeof(ProcSlot) * kControlSlot; ++i)
    bytes[i] = static_cast<unsigned char>(i * 131 + 7);
  HighWater(r()) = 0;
  // Every pid is now garbage (no free slot, a's and b's slots taken): a reclaims a slot after
  // reaping the dead garbage, carrying its 300; then b does the same.
  auto reserve = [&](Account& who, uint64_t n) {
    return TryReserve(r(), who, 0, n, UsageKind::kData, kLimit, false, OnlyOursAlive);
  };
  EXPECT_EQ(reserve(a_, 100), Verdict::kGranted);
  EXPECT_EQ(reserve(b_, 400), Verdict::kOverLimit) << "300 + 400 + b's own 300 > 1000";
  EXPECT_EQ(reserve(b_, 300), Verdict::kGranted);
  EXPECT_EQ(SumOfSlots(r(), 0), 1000u);
}

TEST_F(TamperTest, OwnSlotIsRestoredFromThePrivateLedger) {
  ASSERT_EQ(Reserve(a_, 600), Verdict::kGranted);
  ProcSlot& s = r().procs[a_.slot];
  s.used[0].total = 0;
  s.used[0].data_size = 0;
  // a's next call sees its slot rewritten, restores its 600 and is held to the limit with them.
  EXPECT_EQ(Reserve(a_, 500), Verdict::kOverLimit);
  EXPECT_EQ(s.used[0].total, 600u);
  EXPECT_EQ(s.used[0].data_size, 600u);
  EXPECT_EQ(a_.repairs, 1u);
  EXPECT_EQ(Reserve(a_, 400), Verdict::kGranted);
  // Inflating the slot does not free anything either: the ledger wins.
  s.used[0].total = 5;
  EXPECT_EQ(Unreserve(r(), a_, 0, 1000, UsageKind::kData, AlwaysAlive), Verdict::kGranted);
  EXPECT_EQ(s.used[0].total, 0u);
  EXPECT_EQ(a_.repairs, 2u);
  EXPECT_EQ(SumOfSlots(r(), 0), 0u);
}

TEST_F(TamperTest, ASlotTakenOverMovesTheLedgerToAFreshSlot) {
  ASSERT_EQ(Reserve(a_, 700), Verdict::kGranted);
  const int old_slot = a_.slot;
  r().procs[old_slot].pid = 4242;  // someone claims a's slot as theirs
  r().procs[old_slot].used[0].total = 0;
  EXPECT_EQ(Reserve(a_, 100), Verdict::kGranted);
  EXPECT_NE(a_.slot, old_slot);
  EXPECT_EQ(a_.repairs, 1u);
  EXPECT_EQ(r().procs[a_.slot].used[0].total, 800u);
  EXPECT_EQ(Reserve(b_, 201), Verdict::kOverLimit);
}

TEST_F(TamperTest, GarbageLeftInAFreeSlotIsClearedWhenClaimed) {
  ReleaseSlot(r(), b_.slot);
  r().procs[b_.slot].used[0].total = 900;  // a free slot that still "holds" 900
  Account c;
  ASSERT_TRUE(ClaimFor(r(), c, 1003, 0, AlwaysAlive));
  ASSERT_EQ(c.slot, b_.slot);
  EXPECT_EQ(r().procs[c.slot].used[0].total, 0u);
  EXPECT_EQ(Reserve(c, 1000), Verdict::kGranted);
}

TEST_F(TamperTest, ALockHeldForeverDeniesInsteadOfHangingAndReleasesArePending) {
  ASSERT_EQ(Reserve(a_, 300), Verdict::kGranted);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t holder = fork();
  if (holder == 0) {
    pthread_mutex_lock(&RegionMutex(r()));
    char c = 1;
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(Reserve(b_, 1), Verdict::kLockTimeout);
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(1900));
  EXPECT_LT(waited, std::chrono::seconds(4));
  EXPECT_EQ(Unreserve(r(), a_, 0, 300, UsageKind::kData, AlwaysAlive), Verdict::kLockTimeout);
  EXPECT_EQ(SumOfSlots(r(), 0), 300u) << "nothing changes without the lock";
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  // The next locker recovers the dead owner's lock and applies a's pending release first.
  EXPECT_EQ(Reserve(a_, 1000), Verdict::kGranted);
  EXPECT_EQ(r().procs[a_.slot].used[0].total, 1000u);
  close(ready[0]);
  close(ready[1]);
}

TEST_F(TamperTest, GarbageInTheMutexDenies) {
  std::memset(&RegionMutex(r()), 0xA5, sizeof(pthread_mutex_t));
  EXPECT_NE(Reserve(a_, 1), Verdict::kGranted);
  EXPECT_EQ(SumOfSlots(r(), 0), 0u);
}

// A mutex kind with glibc's lock-elision bit sends every lock through RTM instructions: SIGILL on a
// CPU without TSX (fuzz finding region_file_fuzz crash-8e06c84b517f4f9a). Any kind other than the
// one InitRegion wrote is refused at once, by the waiting and the trying lock alike.
TEST_F(TamperTest, AnotherMutexKindDeniesInsteadOfCrashing) {
  ASSERT_EQ(Reserve(a_, 10), Verdict::kGranted);
  const int kind = RegionMutex(r()).__data.__kind;
  for (int bits : {0x100, 0x20, 0x40, 0x1, 0x2}) {
    RegionMutex(r()).__data.__kind = kind ^ bits;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(Reserve(a_, 1), Verdict::kLockTimeout) << bits;
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1)) << bits;
    EXPECT_EQ(TryReapDead(r(), AlwaysAlive), -1) << bits;
  }
  RegionMutex(r()).__data.__kind = kind;
  EXPECT_EQ(Reserve(a_, 1), Verdict::kGranted);
  EXPECT_EQ(SumOfSlots(r(), 0), 11u);
}

TEST(RegionHeaderTest, ImpossibleHeaderWordsAreCorrupt) {
  RegionFile f;
  ASSERT_EQ(f.OpenPrivate(RegionConfig{}), Error::kOk);
  SharedRegion& r = *f.get();
  EXPECT_EQ(CheckHeader(r), Error::kOk);
  auto expect_corrupt = [&](auto mutate, auto restore) {
    mutate();
    EXPECT_EQ(CheckHeader(r), Error::kCorrupt);
    restore();
    EXPECT_EQ(CheckHeader(r), Error::kOk);
  };
  expect_corrupt([&] { HighWater(r) = 5000; }, [&] { HighWater(r) = 0; });
  expect_corrupt([&] { r.proc_num = -1; }, [&] { r.proc_num = 0; });
  expect_corrupt([&] { r.device_num = 17; }, [&] { r.device_num = 0; });
  expect_corrupt([&] { ControlSlot(r).pid = 7; }, [&] { ControlSlot(r).pid = 0; });
  ControlMagic(r) = 0;
  EXPECT_EQ(CheckHeader(r), Error::kNotOurs);
  r.initialized_flag = 0;
  EXPECT_EQ(CheckHeader(r), Error::kForeign);
}

TEST(RegionHeaderTest, OpenSharedRefusesCorruptAndLiveForeignRegions) {
  const std::string path = TempPath("open");
  RegionFile f;
  ASSERT_EQ(f.OpenShared(path.c_str(), RegionConfig{}, nullptr), Error::kOk);
  int me = ClaimSlot(*f.get(), getpid(), ProcessStartTime(getpid()));
  ASSERT_GE(me, 0);
  RegionFile g;
  HighWater(*f.get()) = 99999;
  EXPECT_EQ(g.OpenShared(path.c_str(), RegionConfig{}, nullptr), Error::kCorrupt);
  HighWater(*f.get()) = 1;
  f.get()->initialized_flag = 0;  // not blank: a stranger's file, never re-initialised
  EXPECT_EQ(g.OpenShared(path.c_str(), RegionConfig{}, nullptr), Error::kForeign);
  f.get()->initialized_flag = kMagic;
  ControlMagic(*f.get()) = 0;  // looks like upstream's region, with a live process in it
  EXPECT_EQ(g.OpenShared(path.c_str(), RegionConfig{}, nullptr), Error::kNotOurs);
  f.get()->procs[me].pid = 0;  // nobody uses it any more: taken over
  Attach how;
  EXPECT_EQ(g.OpenShared(path.c_str(), RegionConfig{}, &how), Error::kOk);
  EXPECT_EQ(how, Attach::kCreated);
  unlink(path.c_str());
}

TEST(RegionHeaderTest, AFileLockHeldElsewhereTimesOut) {
  const std::string path = TempPath("flock");
  int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t holder = fork();
  if (holder == 0) {
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fcntl(fd, F_SETLKW, &fl);
    char c = 1;
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  RegionFile f;
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(f.OpenShared(path.c_str(), RegionConfig{}, nullptr), Error::kLock);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);
  EXPECT_EQ(f.OpenShared(path.c_str(), RegionConfig{}, nullptr), Error::kOk);
  close(fd);
  close(ready[0]);
  close(ready[1]);
  unlink(path.c_str());
}

}  // namespace
}  // namespace hami::region
