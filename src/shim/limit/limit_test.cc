#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "shim/limit/budget.h"
#include "shim/limit/env_parse.h"
#include "shim/limit/token_bucket.h"

namespace hami::shim::limit {
namespace {

TEST(ParseMemoryLimitTest, Table) {
  struct Case {
    const char* in;
    std::optional<uint64_t> want;
  };
  const uint64_t Mi = 1ull << 20;
  const Case cases[] = {
      {"3000m", 3000 * Mi},       {"3000M", 3000 * Mi},     {"3000Mi", 3000 * Mi},
      {"3000MiB", 3000 * Mi},     {"3000MB", 3000 * Mi},    {"1g", 1ull << 30},
      {"1Gi", 1ull << 30},        {"2G", 2ull << 30},       {"4k", 4096},
      {"4Ki", 4096},              {"1t", 1ull << 40},       {"1073741824", 1ull << 30},
      {"0", 0},                   {" 10m ", 10 * Mi},       {"", std::nullopt},
      {"m", std::nullopt},        {"-1", std::nullopt},     {"1.5g", std::nullopt},
      {"0x10", std::nullopt},     {"10x", std::nullopt},    {"10 m", std::nullopt},
      {"1Gb2", std::nullopt},     {"1Mii", std::nullopt},   {"abc", std::nullopt},
      {"99999999999999999999", std::nullopt},               {"17179869184g", std::nullopt},
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
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) Acquire(tat, kNow, 100, kRate, 0);
    });
  }
  for (auto& t : ts) t.join();
  // 8000 launches x 100 units at 1e6 units/s = 0.8 s of virtual time, exactly.
  EXPECT_EQ(word, kNow + 800'000'000ull);
}

TEST(RateControllerTest, ConvergesOnASimulatedPlant) {
  // A plant whose utilization is proportional to the granted rate: util = rate / k.
  const double k = 1e6;  // rate that would give 1 % utilization
  uint64_t rate = InitialRate(108, 2048, 30, 100'000);  // an A100-sized first guess
  for (int step = 0; step < 60; ++step) {
    uint32_t util = static_cast<uint32_t>(std::min(100.0, rate / k));
    rate = NextRate(rate, util, 30, 1000, 1ull << 50);
  }
  const double util = rate / k;
  EXPECT_NEAR(util, 30.0, 2.0);
  EXPECT_EQ(NextRate(0, 0, 30, 1000, 5000), 2000u);       // starts from the floor
  EXPECT_EQ(NextRate(4000, 0, 30, 1000, 5000), 5000u);    // clamped to the ceiling
  EXPECT_EQ(NextRate(4000, 90, 30, 1000, 5000), 2000u);   // at most halves
  EXPECT_EQ(NextRate(4000, 30, 30, 1000, 5000), 4000u);   // dead band
}

}  // namespace
}  // namespace hami::shim::limit
