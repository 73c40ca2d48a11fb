#include "sim/timeline.h"

#include <memory>

#include <gtest/gtest.h>

namespace hami::sim {
namespace {

std::unique_ptr<Timeline> Fresh() { return std::make_unique<Timeline>(Timeline{}); }

TEST(Timeline, IdleDeviceStartsNowAndBacklogQueues) {
  auto t = Fresh();
  Span a = Enqueue(*t, 1000, 500, 7);
  EXPECT_EQ(a.start_ns, 1000);
  EXPECT_EQ(a.end_ns, 1500);
  Span b = Enqueue(*t, 1200, 300, 7);  // device still busy: waits
  EXPECT_EQ(b.start_ns, 1500);
  EXPECT_EQ(b.end_ns, 1800);
  EXPECT_EQ(t->appended, 1u);  // contiguous work of one process is one interval
  Span c = Enqueue(*t, 5000, 100, 7);
  EXPECT_EQ(c.start_ns, 5000);
  EXPECT_EQ(t->appended, 2u);
  EXPECT_EQ(t->busy_until_ns, 5100);
}

TEST(Timeline, ProcessesShareTheDevice) {
  auto t = Fresh();
  Enqueue(*t, 0, 1000, 1);
  Span other = Enqueue(*t, 0, 1000, 2);  // serialized behind process 1
  EXPECT_EQ(other.start_ns, 1000);
  EXPECT_EQ(BusyNs(*t, 0, 2000, 0), 2000);
  EXPECT_EQ(BusyNs(*t, 0, 2000, 1), 1000);
  EXPECT_EQ(BusyNs(*t, 0, 2000, 2), 1000);
  EXPECT_EQ(BusyNs(*t, 500, 1500, 2), 500);
  int32_t pids[4];
  int n = ActivePids(*t, 0, 900, pids, 4);
  ASSERT_EQ(n, 1);
  EXPECT_EQ(pids[0], 1);
  EXPECT_EQ(ActivePids(*t, 0, 2000, pids, 4), 2);
}

TEST(Timeline, BusyFractionOfAWindow) {
  auto t = Fresh();
  // 30% duty cycle: 300 ns busy every 1000 ns.
  for (int i = 0; i < 100; ++i) Enqueue(*t, i * 1000, 300, 9);
  EXPECT_EQ(BusyNs(*t, 0, 100000, 0), 30000);
  EXPECT_EQ(BusyNs(*t, 50000, 60000, 9), 3000);
  EXPECT_EQ(BusyNs(*t, 200000, 300000, 0), 0);
}

TEST(Timeline, RingKeepsTheNewestHistory) {
  auto t = Fresh();
  const int n = Timeline::kCapacity + 10;
  for (int i = 0; i < n; ++i) Enqueue(*t, i * 10, 5, 1);
  EXPECT_EQ(t->appended, static_cast<uint64_t>(n));
  // The newest kCapacity intervals are intact; the 10 oldest are forgotten.
  int64_t recent_from = static_cast<int64_t>(n - 100) * 10;
  EXPECT_EQ(BusyNs(*t, recent_from, n * 10, 0), 500);
  EXPECT_EQ(BusyNs(*t, 0, n * 10, 0), static_cast<int64_t>(Timeline::kCapacity) * 5);
}

TEST(Timeline, ZeroDurationAddsNothing) {
  auto t = Fresh();
  Span s = Enqueue(*t, 100, 0, 1);
  EXPECT_EQ(s.start_ns, s.end_ns);
  EXPECT_EQ(t->appended, 0u);
}

TEST(KernelDuration, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(KernelDurationNs(1000, 1000), 1000000);
  EXPECT_EQ(KernelDurationNs(0, 1000), 0);
  EXPECT_EQ(KernelDurationNs(~0ull, 1000), 3600ll * 1000 * 1000 * 1000);
}

}  // namespace
}  // namespace hami::sim
