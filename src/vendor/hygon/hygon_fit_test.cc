// The standard acceptance table (vendors.md §1.6, S1-S15) for the Hygon DCU backend, through the
// public seam: the vendor's selector and fit rules in sched::Decide.
#include <gtest/gtest.h>

#include "sched/decide.h"
#include "vendor/hygon/hygon_vendor.h"

namespace hami::vendor::hygon {
namespace {

// One device of a table row; defaults as the table's: idle, healthy, count 100, devcore 100.
struct Dev {
  std::string id;
  int32_t totalmem = 1280;
  int32_t used = 0;
  int64_t usedcores = 0;
  bool health = true;
};

struct Row {
  const char* name;
  std::vector<Dev> devices;
  model::DeviceRequest request;
  std::map<std::string, std::string> annotations;
  std::string want;  // "fit:<uuid>:<mem>:<cores>,..." or the rendered reasons
};

model::DeviceRequest Req(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = kVendorName;
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

std::string Place(const HygonVendor& v, const Row& row) {
  sched::NodeState node;
  node.name = "node";
  for (size_t i = 0; i < row.devices.size(); ++i) {
    const Dev& d = row.devices[i];
    sched::DeviceState state;
    state.usage.used = d.used;
    state.usage.usedcores = d.usedcores;
    state.info.index = static_cast<int32_t>(i);
    state.info.count = 100;
    state.info.devmem = d.totalmem;
    state.info.devcore = 100;
    state.info.health = d.health;
    state.info.vendor = kVendorName;
    state.info.id = d.id;
    state.info.type = "DCU-K100_AI";
    node.devices.push_back(state);
  }
  model::Pod pod;
  pod.name = "p";
  pod.annotations = row.annotations;
  sched::PodInput input;
  input.requests.app = {{{kVendorName, row.request}}};
  input.vendors[kVendorName] = {*v.Selector(pod), &v.Fit()};
  input.policy = *sched::PolicyForPod(pod.annotations, sched::Policy{});
  const sched::NodeState* nodes[] = {&node};
  sched::Decision d = sched::Decide(nodes, input, nullptr);
  if (!d.chosen) return model::RenderReasons(d.failures.at(0).second);
  std::string out = "fit:";
  for (const auto& g : d.devices.at(kVendorName).at(0)) {
    if (out.size() > 4) out += ",";
    out += g.uuid + ":" + std::to_string(g.usedmem) + ":" + std::to_string(g.usedcores);
  }
  return out;
}

TEST(HygonFitTest, StandardAcceptanceTable) {
  HygonVendor v{HygonConfig{}};
  const Dev d0{"dev-0"};
  const Dev d1{"dev-1"};
  std::vector<Row> rows = {
      // Upstream's reverse walk picks dev-1; our core tries equal devices lowest index first.
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, Req(1, 64, 101, 50), {}, "fit:dev-0:64:50"},
      {"S2", {{"dev-0", 128}}, Req(1, 512, 101, 50), {}, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 100}}, Req(1, 512, 101, 50), {}, "1/1 CardInsufficientCore"},
      {"S4 (type annotation)", {d0}, Req(1, 64, 101, 50), {{kUseType, "OtherType"}},
       "1/1 CardTypeMismatch"},
      // Upstream's rows S5/S6 ask for 2 on one device at Fit level; the generic filter in front
      // of Fit answers NodeInsufficientDevice (S5b), so the UUID rule is shown with 1.
      {"S5", {d1}, Req(1, 512, 101, 50), {{kUseUuid, "dev-0"}}, "1/1 CardUuidMismatch"},
      {"S5b", {d1}, Req(2, 512, 101, 50), {{kUseUuid, "dev-0"}}, "NodeInsufficientDevice"},
      {"S6", {d0}, Req(1, 512, 101, 50), {{kNoUseUuid, "dev-0"}}, "1/1 CardUuidMismatch"},
      {"S7", {{"dev-0", 1280, 100}}, Req(1, 512, 101, 50), {}, "1/1 CardTimeSlicingExhausted"},
      {"S8 (cores clamped)", {d0}, Req(1, 512, 101, 120), {}, "fit:dev-0:512:100"},
      {"S9", {{"dev-0", 1280, 20}}, Req(1, 512, 101, 100), {},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S10", {{"dev-0", 1280, 20, 100}}, Req(1, 512, 101, 0), {},
       "1/1 CardComputeUnitsExhausted"},
      {"S11", {{"dev-0", 1280, 20, 10}}, Req(2, 512, 101, 20), {}, "NodeInsufficientDevice"},
      {"S11 (partial pick)", {{"dev-0", 1280, 20, 10}, {"dev-1", 1280, 20, 100}},
       Req(2, 512, 101, 20), {},
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardInsufficientCore"},
      {"S12 (percentage)", {{"dev-0", 1280, 20, 10}}, Req(1, 0, 10, 20), {}, "fit:dev-0:128:20"},
      {"S13 (mutex)", {{"dev-0", 1280, 1}}, Req(1, 64, 101, 50),
       {{"hami.io/gpu-scheduler-policy", "mutex"}}, "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14", {d0, d1}, Req(3, 512, 101, 20), {}, "NodeInsufficientDevice"},
      {"S14 (partial pick)", {d0, d1, {"dev-2", 1280, 0, 0, false}}, Req(3, 512, 101, 20), {},
       "1/3 CardNotHealth, 2/3 AllocatedCardsInsufficientRequest"},
      {"S15", {{"dev-0", 1280, 0, 0, false}}, Req(1, 64, 101, 50), {}, "1/1 CardNotHealth"},
  };
  for (const auto& row : rows) EXPECT_EQ(Place(v, row), row.want) << row.name;
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
