// vendors.md §1.6 (standard acceptance table S1–S15) and §4's fit-time quota case, run through the
// scheduling core with the Cambricon backend's rules and selector.
#include <gtest/gtest.h>

#include "vendor/cambricon/cambricon_vendor.h"
#include "vendor/cambricon/wire.h"
#include "vendor/fit_table_test_util.h"

namespace hami::vendor::cambricon {
namespace {

const CambriconVendor& TheVendor() {
  static const CambriconVendor vendor{
      CambriconConfig{kChartCountResource, kDefaultMemoryResource, kDefaultCoreResource}};
  return vendor;
}

sched::NodeState Node(const std::vector<testing::TableDevice>& devs) {
  return testing::TableNode(kVendorName, devs);
}

model::DeviceRequest Req(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  return testing::TableRequest(kVendorName, nums, mem, pct, cores);
}

std::string Outcome(const sched::NodeState& node, const model::DeviceRequest& request,
                    const testing::Annotations& annotations = {},
                    const std::map<std::string, sched::QuotaState>* quotas = nullptr) {
  return testing::FitOutcome(TheVendor(), node, request, annotations, quotas);
}

TEST(CambriconFitTest, StandardAcceptanceTable) {
  const testing::Annotations none;
  const std::vector<testing::TableRow> rows = {
      // Upstream walks devices backwards and takes dev-1; equal devices go to the lower index in
      // the core (sched/order.h).
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, Req(1, 64, 0, 50), none, "fit dev-0:64/50"},
      {"S2", {{"dev-0", 128}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 0, 100}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientCore"},
      // S4: a request of another vendor type never sees MLU devices (filtered by owning vendor).
      {"S5 (N1)",
       {{"dev-1", 1280}},
       Req(1, 512, 0, 50),
       {{kUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      // With N2 on one device the filter stops first, as upstream's filter step 3 does.
      {"S5",
       {{"dev-1", 1280}},
       Req(2, 512, 0, 50),
       {{kUseUuid, "dev-0"}},
       "NodeInsufficientDevice"},
      {"S6 (N1)",
       {{"dev-0", 1280}},
       Req(1, 512, 0, 50),
       {{kNoUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      {"S7", {{"dev-0", 1280, 100}}, Req(1, 512, 0, 50), none, "1/1 CardTimeSlicingExhausted"},
      {"S8", {{"dev-0", 1280}}, Req(1, 512, 0, 120), none, "fit dev-0:512/100"},
      {"S9",
       {{"dev-0", 1280, 20}},
       Req(1, 512, 0, 100),
       none,
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S10",
       {{"dev-0", 1280, 20, 0, 100}},
       Req(1, 512, 0, 0),
       none,
       "1/1 CardComputeUnitsExhausted"},
      {"S11 (partial)",
       {{"dev-0", 1280, 20, 0, 10}, {"dev-1", 1280, 0, 0, 0, false}},
       Req(2, 512, 0, 20),
       none,
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardNotHealth"},
      {"S12", {{"dev-0", 1280, 20, 0, 10}}, Req(1, 0, 10, 20), none, "fit dev-0:128/20"},
      {"S13",
       {{"dev-0", 1280, 1}},
       Req(1, 64, 0, 50),
       {{"hami.io/gpu-scheduler-policy", "mutex"}},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14",
       {{"dev-0", 1280}, {"dev-1", 1280}},
       Req(3, 512, 0, 20),
       none,
       "NodeInsufficientDevice"},
      {"S15", {{"dev-0", 1280, 0, 0, 0, false}}, Req(1, 64, 0, 50), none, "1/1 CardNotHealth"},
  };
  testing::ExpectTable(TheVendor(), rows);
}

TEST(CambriconFitTest, OtherVendorTypeFindsNoDevice) {
  auto node = Node({{"dev-0", 1280}});
  model::DeviceRequest other = Req(1, 64, 0, 50);
  other.vendor = "OtherType";
  EXPECT_EQ(Outcome(node, other), "NodeInsufficientDevice");
}

// §4: `limits.cambricon.com/mlu.smlu.vmemory: 50` is 12800 MiB; a whole 40960 MiB card does not
// fit under it.
TEST(CambriconFitTest, QuotaIsCheckedPerDevice) {
  auto node = Node({{"dev-0", 40960}});
  std::map<std::string, sched::QuotaState> quotas;
  quotas[kVendorName].mem_limit = 50 * kMemoryFactor;
  EXPECT_EQ(Outcome(node, Req(1, 0, 100, 10), {}, &quotas), "1/1 ResourceQuotaNotFit");
  quotas[kVendorName].mem_limit = 160 * kMemoryFactor;
  EXPECT_EQ(Outcome(node, Req(1, 0, 100, 10), {}, &quotas), "fit dev-0:40960/10");
  quotas[kVendorName].used_mem = 1;
  EXPECT_EQ(Outcome(node, Req(1, 0, 100, 10), {}, &quotas), "1/1 ResourceQuotaNotFit");
  quotas[kVendorName] = {};
  quotas[kVendorName].core_limit = 5;
  EXPECT_EQ(Outcome(node, Req(1, 0, 100, 10), {}, &quotas), "1/1 ResourceQuotaNotFit");
}

}  // namespace
}  // namespace hami::vendor::cambricon
