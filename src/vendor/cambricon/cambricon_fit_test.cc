// vendors.md §1.6 (standard acceptance table S1–S15) and §4's fit-time quota case, run through the
// scheduling core with the Cambricon backend's rules and selector.
#include <gtest/gtest.h>

#include "sched/fit.h"
#include "vendor/cambricon/cambricon_vendor.h"
#include "vendor/cambricon/wire.h"

namespace hami::vendor::cambricon {
namespace {

struct Dev {
  std::string id;
  int32_t totalmem = 1280;
  int32_t used = 0;
  int64_t usedmem = 0;
  int64_t usedcores = 0;
  bool health = true;
};

sched::NodeState Node(const std::vector<Dev>& devs) {
  sched::NodeState node;
  node.name = "mlu-node";
  for (size_t i = 0; i < devs.size(); ++i) {
    sched::DeviceState d;
    d.info.id = devs[i].id;
    d.info.index = static_cast<int32_t>(i);
    d.info.count = 100;
    d.info.devmem = devs[i].totalmem;
    d.info.devcore = 100;
    d.info.type = kVendorName;
    d.info.vendor = kVendorName;
    d.info.health = devs[i].health;
    d.usage.used = devs[i].used;
    d.usage.usedmem = devs[i].usedmem;
    d.usage.usedcores = devs[i].usedcores;
    node.devices.push_back(std::move(d));
  }
  return node;
}

model::DeviceRequest Req(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = kVendorName;
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

// "fit [ids]" with each grant's memory and cores, or upstream's rendered reasons.
std::string Outcome(const sched::NodeState& node, const model::DeviceRequest& request,
                    std::map<std::string, std::string> annotations = {},
                    const std::map<std::string, sched::QuotaState>* quotas = nullptr) {
  static const CambriconVendor vendor{CambriconConfig{kChartCountResource, kDefaultMemoryResource,
                                                      kDefaultCoreResource}};
  model::Pod pod;
  pod.name = "p";
  pod.annotations = std::move(annotations);
  sched::PodInput input;
  input.requests.app.push_back({{request.vendor, request}});
  input.vendors[kVendorName] = {*vendor.Selector(pod), &vendor.Fit()};
  input.policy = *sched::PolicyForPod(pod.annotations, sched::Policy{});
  sched::NodeFitter fitter;
  if (!fitter.FitPod(node, input, quotas)) return model::RenderReasons(fitter.failure());
  std::string out = "fit";
  for (const auto& g : fitter.grants()) {
    out += " " + node.devices[g.device].info.id + ":" + std::to_string(g.mem) + "/" +
           std::to_string(g.cores);
  }
  return out;
}

TEST(CambriconFitTest, StandardAcceptanceTable) {
  const std::map<std::string, std::string> none;
  struct Case {
    const char* name;
    std::vector<Dev> devices;
    model::DeviceRequest request;
    std::map<std::string, std::string> annotations;
    std::string want;
  };
  const std::vector<Case> cases = {
      // Upstream walks devices backwards and takes dev-1; equal devices go to the lower index in
      // the core (sched/order.h).
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, Req(1, 64, 0, 50), none, "fit dev-0:64/50"},
      {"S2", {{"dev-0", 128}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 0, 100}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientCore"},
      // S4: a request of another vendor type never sees MLU devices (filtered by owning vendor).
      {"S5 (N1)", {{"dev-1", 1280}}, Req(1, 512, 0, 50), {{kUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      // With N2 on one device the filter stops first, as upstream's filter step 3 does.
      {"S5", {{"dev-1", 1280}}, Req(2, 512, 0, 50), {{kUseUuid, "dev-0"}},
       "NodeInsufficientDevice"},
      {"S6 (N1)", {{"dev-0", 1280}}, Req(1, 512, 0, 50), {{kNoUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      {"S7", {{"dev-0", 1280, 100}}, Req(1, 512, 0, 50), none, "1/1 CardTimeSlicingExhausted"},
      {"S8", {{"dev-0", 1280}}, Req(1, 512, 0, 120), none, "fit dev-0:512/100"},
      {"S9", {{"dev-0", 1280, 20}}, Req(1, 512, 0, 100), none,
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S10", {{"dev-0", 1280, 20, 0, 100}}, Req(1, 512, 0, 0), none,
       "1/1 CardComputeUnitsExhausted"},
      {"S11 (partial)", {{"dev-0", 1280, 20, 0, 10}, {"dev-1", 1280, 0, 0, 0, false}},
       Req(2, 512, 0, 20), none, "1/2 AllocatedCardsInsufficientRequest, 1/2 CardNotHealth"},
      {"S12", {{"dev-0", 1280, 20, 0, 10}}, Req(1, 0, 10, 20), none, "fit dev-0:128/20"},
      {"S13", {{"dev-0", 1280, 1}}, Req(1, 64, 0, 50), {{"hami.io/gpu-scheduler-policy", "mutex"}},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14", {{"dev-0", 1280}, {"dev-1", 1280}}, Req(3, 512, 0, 20), none,
       "NodeInsufficientDevice"},
      {"S15", {{"dev-0", 1280, 0, 0, 0, false}}, Req(1, 64, 0, 50), none, "1/1 CardNotHealth"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Outcome(Node(c.devices), c.request, c.annotations), c.want) << c.name;
  }
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
