#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "shim/limit/budget.h"
#include "shim/limit/env_parse.h"
#include "shim/limit/graph_ledger.h"
#include "shim/limit/token_bucket.h"
#include "shim/limit/vmm_ledger.h"

namespace hami::shim::limit {
namespace {

TEST(ParseMemoryLimitTest, Table) {
  struct Case {
    const char* in;
    std::optional<uint64_t> want;
  };
  const uint64_t kMi = 1ull << 20;
  const Case cases[] = {
      {"3000m", 3000 * kMi},
      {"3000M", 3000 * kMi},
      {"3000Mi", 3000 * kMi},
      {"3000MiB", 3000 * kMi},
      {"3000MB", 3000 * kMi},
      {"1g", 1ull << 30},
      {"1Gi", 1ull << 30},
      {"2G", 2ull << 30},
      {"4k", 4096},
      {"4Ki", 4096},
      {"1t", 1ull << 40},
      {"1073741824", 1ull << 30},
      {"0", 0},
      {" 10m ", 10 * kMi},
      {"", std::nullopt},
      {"m", std::nullopt},
      {"-1", std::nullopt},
      {"1.5g", std::nullopt},
      {"0x10", std::nullopt},
      {"10x", std::nullopt},
      {"10 m", std::nullopt},
      {"1Gb2", std::nullopt},
      {"1Mii", std::nullopt},
      {"abc", std::nullopt},
      {"99999999999999999999", std::nullopt},
      {"17179869184g", std::nullopt},
      {"1e9", std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseMemoryLimit(c.in), c.want) << c.in;
}

TEST(ParseSmLimitTest, Table) {
  EXPECT_EQ(ParseSmLimit("30"), 30u);
  EXPECT_EQ(ParseSmLimit("30%"), 30u);
  EXPECT_EQ(ParseSmLimit("0"), 0u);
  EXPECT_EQ(ParseSmLimit("100"), 100u);
  EXPECT_EQ(ParseSmLimit("101"), std::nullopt);
  EXPECT_EQ(ParseSmLimit("3O"), std::nullopt);
  EXPECT_EQ(ParseSmLimit("-5"), std::nullopt);
  EXPECT_EQ(ParseSmLimit(""), std::nullopt);
}

TEST(ParseCorePolicyTest, Table) {
  EXPECT_EQ(ParseCorePolicy("FORCE"), CorePolicy::kForce);
  EXPECT_EQ(ParseCorePolicy("Force"), CorePolicy::kForce);
  EXPECT_EQ(ParseCorePolicy("disable"), CorePolicy::kDisable);
  EXPECT_EQ(ParseCorePolicy("default"), CorePolicy::kDefault);
  EXPECT_EQ(ParseCorePolicy("forced"), std::nullopt);
  EXPECT_EQ(ParseSwitch("true"), true);
  EXPECT_EQ(ParseSwitch(" TRUE "), true);
  EXPECT_EQ(ParseSwitch("1"), true);
  EXPECT_EQ(ParseSwitch("False"), false);
  EXPECT_EQ(ParseSwitch("0"), false);
  EXPECT_EQ(ParseSwitch(""), std::nullopt);
  EXPECT_EQ(ParseSwitch("yes"), std::nullopt);
  EXPECT_EQ(ParseSwitch("truex"), std::nullopt);
  EXPECT_EQ(ParseSmallInt("1"), 1);
  EXPECT_EQ(ParseSmallInt("x"), std::nullopt);
}

TEST(LimitedMemInfoTest, ClampsAndNeverWraps) {
  const MemInfo phys{30000, 40000};
  EXPECT_EQ(LimitedMemInfo(0, 123, phys).total, 40000u);
  EXPECT_EQ(LimitedMemInfo(0, 123, phys).free, 30000u);
  EXPECT_EQ(LimitedMemInfo(3000, 1000, phys).total, 3000u);
  EXPECT_EQ(LimitedMemInfo(3000, 1000, phys).free, 2000u);
  EXPECT_EQ(LimitedMemInfo(3000, 5000, phys).free, 0u);  // over the limit: 0, not 18 EB
  EXPECT_EQ(LimitedMemInfo(3000, 1000, MemInfo{500, 40000}).free, 500u);  // physically full
  EXPECT_EQ(LimitedMemInfo(90000, 0, phys).total, 40000u);
  EXPECT_EQ(RoundUp(1, 2 << 20), 2u << 20);
  EXPECT_EQ(RoundUp(4 << 20, 2 << 20), 4u << 20);
  EXPECT_EQ(RoundUp(UINT64_MAX - 1, 4096), UINT64_MAX);
}

TEST(LimitedMemInfoTest, OversubscribedReportsTheLimitBeyondThePhysicalMemory) {
  const MemInfo phys{500, 40000};  // the GPU is physically almost full
  EXPECT_EQ(LimitedMemInfo(60000, 1000, phys, true).total, 60000u);
  EXPECT_EQ(LimitedMemInfo(60000, 1000, phys, true).free, 59000u);
  EXPECT_EQ(LimitedMemInfo(60000, 70000, phys, true).free, 0u);
  EXPECT_EQ(LimitedMemInfo(3000, 1000, phys, true).total, 3000u);
  EXPECT_EQ(LimitedMemInfo(0, 1000, phys, true).total, 40000u);  // no limit: the driver's
  EXPECT_EQ(LimitedMemInfo(60000, 1000, phys, false).total, 40000u);
  EXPECT_EQ(LimitedMemInfo(60000, 1000, phys, false).free, 500u);
}

TEST(TokenBucketTest, ScheduleAdmitsBurstThenPaces) {
  // 1000 units/s => 1 ms per unit; burst 5 ms.
  uint64_t tat = 0, now = 1'000'000'000;
  int immediate = 0;
  for (int i = 0; i < 10; ++i) {
    Grant g = Schedule(tat, now, 1, 1000, 5'000'000);
    tat = g.new_tat_ns;
    if (g.wait_ns == 0) ++immediate;
  }
  EXPECT_EQ(immediate, 5);  // the burst
  Grant g = Schedule(tat, now, 1, 1000, 5'000'000);
  EXPECT_EQ(g.wait_ns, 6'000'000u);  // ten queued units ahead, five tolerated
  // After idling, the bucket does not bank more than the burst.
  g = Schedule(tat, now + 10'000'000'000ull, 1, 1000, 5'000'000);
  EXPECT_EQ(g.wait_ns, 0u);
  EXPECT_EQ(g.new_tat_ns, now + 10'001'000'000ull);
}

TEST(TokenBucketTest, SharedWordLongRunRateHoldsAcrossThreads) {
  // 8 threads launch against one word; the committed virtual time matches total cost / rate.
  uint64_t word = 0;
  std::atomic_ref<uint64_t> tat(word);
  const uint64_t kRate = 1'000'000, kNow = 5'000'000'000ull;
  std::vector<std::thread> ts;
  ts.reserve(8);
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) Acquire(tat, kNow, 100, kRate, 0);
    });
  }
  for (auto& t : ts) t.join();
  // 8000 launches x 100 units at 1e6 units/s = 0.8 s of virtual time, exactly.
  EXPECT_EQ(word, kNow + 800'000'000ull);
}

// A plant like the simulated GPU: every unit takes `ns_per_unit` of GPU time, kernels run one
// after another, and the NVML-like sensor reports the busy percentage over the last second
// (integer, rounded). The application launches as fast as the bucket lets it, keeping at most 4
// kernels queued. Runs the real controller loop (Acquire + history + RateFromUtilization every
// 100 ms) in virtual time and returns the utilization of the last 2 s.
double RunPlant(uint32_t target, double ns_per_unit, uint64_t units_per_launch, int seconds) {
  const uint64_t kWindow = 1'000'000'000, kTick = 100'000'000;
  uint64_t tat = 0, rate = InitialRate(108, 2048, target, 1'000'000), cum = 0;
  LaunchHistory hist;
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // GPU busy intervals
  uint64_t now = 1'000'000'000, next_sample = now + kTick, gpu_free = 0;
  const uint64_t dur = static_cast<uint64_t>(units_per_launch * ns_per_unit);
  const uint64_t end = now + static_cast<uint64_t>(seconds) * 1'000'000'000;
  auto busy_in = [&](uint64_t from, uint64_t to) {
    uint64_t b = 0;
    for (auto& [s, e] : runs) {
      const uint64_t lo = std::max(s, from), hi = std::min(e, to);
      if (hi > lo) b += hi - lo;
    }
    return static_cast<double>(b);
  };
  while (now < end) {
    hist.Record(now, cum, 5'000'000);
    if (now >= next_sample) {
      next_sample = now + kTick;
      const uint32_t util = static_cast<uint32_t>(
          std::min(100.0, busy_in(now - kWindow, now) * 100.0 / kWindow + 0.5));
      uint64_t then;
      if (hist.CumAt(now - kWindow, &then)) {
        rate = RateFromUtilization(rate, util, kWindow, cum - then, target, 1, 1ull << 50);
      }
    }
    now += Acquire(std::atomic_ref<uint64_t>(tat), now, units_per_launch, rate, 20'000'000);
    if (gpu_free > now + 4 * dur) now = gpu_free - 4 * dur;  // the app synchronizes
    const uint64_t start = std::max(now, gpu_free);
    runs.emplace_back(start, start + dur);
    gpu_free = start + dur;
    cum += units_per_launch;
    now += 20'000;  // host time per launch
  }
  return busy_in(end - 2'000'000'000, end) * 100.0 / 2e9;
}

TEST(RateControllerTest, SettlesOnTheTargetWhateverTheKernelDuration) {
  // Kernels of 0.2, 0.8 and 3.3 ms, i.e. 45x to 730x slower per unit than the initial guess (one
  // full A100 wave per ms): the measured model lands within a point of the target in every case.
  for (double ns_per_unit : {1.0, 4.0, 16.0}) {
    for (uint32_t target : {10u, 30u, 60u}) {
      EXPECT_NEAR(RunPlant(target, ns_per_unit, 204800, 5), target, 1.0)
          << "target " << target << " ns/unit " << ns_per_unit;
    }
  }
}

TEST(RateControllerTest, RateFromUtilizationEdges) {
  // 30 % busy over 1 s with 3e6 units launched => 1e7 units/s at 100 % => 3e6 units/s for 30 %.
  EXPECT_EQ(RateFromUtilization(3'000'000, 30, 1'000'000'000, 3'000'000, 30, 1, 1ull << 40),
            3'000'000u);
  // Over target: exact ratio, within the x4 step bound.
  EXPECT_EQ(RateFromUtilization(4'000'000, 60, 1'000'000'000, 4'000'000, 30, 1, 1ull << 40),
            2'000'000u);
  // An application launching less than its budget does not wind the rate up: the estimate
  // depends on what it launched, not on how far utilization is below the target.
  EXPECT_EQ(RateFromUtilization(5'000'000, 10, 1'000'000'000, 1'000'000, 30, 1, 1ull << 40),
            3'000'000u);
  EXPECT_EQ(RateFromUtilization(5000, 50, 1'000'000'000, 0, 30, 1, 1ull << 40), 5000u);   // no data
  EXPECT_EQ(RateFromUtilization(5000, 0, 1'000'000'000, 10, 30, 1, 1ull << 40), 20000u);  // idle
  EXPECT_EQ(RateFromUtilization(5000, 100, 1'000'000'000, 1'000'000'000, 30, 1, 1ull << 40),
            20000u);  // step bounded to x4
  EXPECT_EQ(RateFromUtilization(5000, 100, 1'000'000'000, 1, 30, 1, 1ull << 40), 1250u);  // /4
  EXPECT_EQ(RateFromUtilization(0, 0, 1'000'000'000, 0, 30, 7, 100), 7u);                 // floor
  EXPECT_EQ(RateFromUtilization(90, 0, 1'000'000'000, 5, 30, 7, 100), 100u);              // ceiling
}

TEST(LaunchHistoryTest, InterpolatesAndKnowsItsLimits) {
  LaunchHistory h;
  uint64_t c = 1;
  EXPECT_FALSE(h.CumAt(100, &c));
  h.Record(1000, 0, 10);
  h.Record(1005, 50, 10);  // too soon: dropped
  h.Record(1010, 100, 10);
  h.Record(1030, 300, 10);
  EXPECT_TRUE(h.CumAt(500, &c));  // before a fresh counter's first record: 0
  EXPECT_EQ(c, 0u);
  EXPECT_TRUE(h.CumAt(1020, &c));
  EXPECT_EQ(c, 200u);
  EXPECT_TRUE(h.CumAt(5000, &c));  // after the newest: the newest
  EXPECT_EQ(c, 300u);
  LaunchHistory late;  // joined a container that had already launched
  late.Record(1000, 777, 10);
  EXPECT_FALSE(late.CumAt(500, &c));
  EXPECT_TRUE(late.CumAt(1000, &c));
  EXPECT_EQ(c, 777u);
  // Once the ring wraps, the origin is gone.
  LaunchHistory full;
  for (int i = 0; i <= LaunchHistory::kSize; ++i) full.Record(1000 + i * 10, i, 10);
  EXPECT_FALSE(full.CumAt(500, &c));
  EXPECT_TRUE(full.CumAt(1000 + 100 * 10 + 5, &c));
  EXPECT_EQ(c, 100u);
}

TEST(GraphLedgerTest, ChargesTheLargerOfExecsAndTheDriversPool) {
  GraphLedger g;
  std::lock_guard<std::mutex> lock(g.mu());
  EXPECT_EQ(g.Target(0, 0, 64), 64u);
  g.AddExec(1, {{0, 64}});
  g.AddExec(2, {{0, 32}, {1, 8}});
  EXPECT_EQ(g.Target(0, 0), 96u);     // execs summed even if the pool could share memory
  EXPECT_EQ(g.Target(0, 200), 200u);  // the pool caches more than the execs hold
  EXPECT_EQ(g.Target(1, 0, 4), 12u);
  EXPECT_EQ(g.RemoveExec(2), (GraphLedger::PerDevice{{0, 32}, {1, 8}}));
  EXPECT_TRUE(g.RemoveExec(2).empty());  // unknown exec
  EXPECT_EQ(g.Target(0, 64), 64u);
  EXPECT_EQ(g.Target(1, 0), 0u);
  g.Charged(1) = 8;  // still charged until settled: listed
  EXPECT_EQ(g.Devices(), (std::vector<int>{0, 1}));
  g.Clear();
  EXPECT_TRUE(g.Devices().empty());
}

TEST(VmmLedgerTest, ImportedHandleIsChargedPerMappingUntilGone) {
  VmmLedger v;
  EXPECT_EQ(v.ImportDevice(7), -1);
  v.Imported(7, 1);
  EXPECT_EQ(v.ImportDevice(7), 1);
  v.AddCharge(7, 4);
  v.Mapped(0x1000, 4, 7);
  v.AddCharge(7, 4);
  v.Mapped(0x2000, 4, 7);
  EXPECT_EQ(v.Released(7).bytes, 0u);          // still mapped
  EXPECT_TRUE(v.Unmapped(0x1000, 4).empty());  // the other mapping keeps it
  const std::vector<VmmLedger::Charge> back = v.Unmapped(0x2000, 4);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].dev, 1);
  EXPECT_EQ(back[0].bytes, 8u);
  EXPECT_EQ(v.Size(), 0u);
}

}  // namespace
}  // namespace hami::shim::limit
