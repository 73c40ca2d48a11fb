// The standard acceptance table (vendors.md §1.6, S1-S15) for the Hygon DCU backend, through the
// public seam: the vendor's selector and fit rules in sched::Decide.
#include <gtest/gtest.h>

#include "vendor/fit_table_test_util.h"
#include "vendor/hygon/hygon_vendor.h"

namespace hami::vendor::hygon {
namespace {

model::DeviceRequest Req(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  return testing::TableRequest(kVendorName, nums, mem, pct, cores);
}

TEST(HygonFitTest, StandardAcceptanceTable) {
  HygonVendor v{HygonConfig{}};
  const testing::TableDevice d0{"dev-0"};
  const testing::TableDevice d1{"dev-1"};
  const std::vector<testing::TableRow> rows = {
      // Upstream's reverse walk picks dev-1; our core tries equal devices lowest index first.
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, Req(1, 64, 101, 50), {}, "fit dev-0:64/50"},
      {"S2", {{"dev-0", 128}}, Req(1, 512, 101, 50), {}, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 0, 100}}, Req(1, 512, 101, 50), {}, "1/1 CardInsufficientCore"},
      {"S4 (type annotation)",
       {d0},
       Req(1, 64, 101, 50),
       {{kUseType, "OtherType"}},
       "1/1 CardTypeMismatch"},
      // Upstream's rows S5/S6 ask for 2 on one device at Fit level; the generic filter in front
      // of Fit answers NodeInsufficientDevice (S5b), so the UUID rule is shown with 1.
      {"S5", {d1}, Req(1, 512, 101, 50), {{kUseUuid, "dev-0"}}, "1/1 CardUuidMismatch"},
      {"S5b", {d1}, Req(2, 512, 101, 50), {{kUseUuid, "dev-0"}}, "NodeInsufficientDevice"},
      {"S6", {d0}, Req(1, 512, 101, 50), {{kNoUseUuid, "dev-0"}}, "1/1 CardUuidMismatch"},
      {"S7", {{"dev-0", 1280, 100}}, Req(1, 512, 101, 50), {}, "1/1 CardTimeSlicingExhausted"},
      {"S8 (cores clamped)", {d0}, Req(1, 512, 101, 120), {}, "fit dev-0:512/100"},
      {"S9",
       {{"dev-0", 1280, 20}},
       Req(1, 512, 101, 100),
       {},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S10",
       {{"dev-0", 1280, 20, 0, 100}},
       Req(1, 512, 101, 0),
       {},
       "1/1 CardComputeUnitsExhausted"},
      {"S11", {{"dev-0", 1280, 20, 0, 10}}, Req(2, 512, 101, 20), {}, "NodeInsufficientDevice"},
      {"S11 (partial pick)",
       {{"dev-0", 1280, 20, 0, 10}, {"dev-1", 1280, 20, 0, 100}},
       Req(2, 512, 101, 20),
       {},
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardInsufficientCore"},
      {"S12 (percentage)", {{"dev-0", 1280, 20, 0, 10}}, Req(1, 0, 10, 20), {}, "fit dev-0:128/20"},
      {"S13 (mutex)",
       {{"dev-0", 1280, 1}},
       Req(1, 64, 101, 50),
       {{"hami.io/gpu-scheduler-policy", "mutex"}},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14", {d0, d1}, Req(3, 512, 101, 20), {}, "NodeInsufficientDevice"},
      {"S14 (partial pick)",
       {d0, d1, {"dev-2", 1280, 0, 0, 0, false}},
       Req(3, 512, 101, 20),
       {},
       "1/3 CardNotHealth, 2/3 AllocatedCardsInsufficientRequest"},
      {"S15", {{"dev-0", 1280, 0, 0, 0, false}}, Req(1, 64, 101, 50), {}, "1/1 CardNotHealth"},
  };
  testing::ExpectTable(v, rows, "DCU-K100_AI");
}

// Upstream's CheckType table: case-insensitive substrings, comma lists, blanks ignored.
TEST(HygonFitTest, TypeSelectors) {
  HygonVendor v{HygonConfig{}};
  struct Case {
    const char* key;
    const char* value;
    const char* type;
    bool allowed;
  };
  for (const Case& c : std::vector<Case>{{kUseType, "dcu", "dcu", true},
                                         {kUseType, "dcu", "test", false},
                                         {kUseType, "dcu,test", "test", true},
                                         {kNoUseType, "dcu", "DCU-K100", false},
                                         {kNoUseType, "test,dcu", "test", false},
                                         {kNoUseType, "test", "DCU-Z100", true},
                                         {kUseType, "", "dcu", true},
                                         {kUseType, " , ", "dcu", false}}) {
    model::Pod pod;
    pod.annotations[c.key] = c.value;
    model::DeviceInfo info;
    info.type = c.type;
    EXPECT_EQ(v.Selector(pod)->TypeAllowed(info), c.allowed)
        << c.key << "=" << c.value << " on " << c.type;
  }
}

}  // namespace
}  // namespace hami::vendor::hygon
