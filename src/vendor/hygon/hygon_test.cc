// Hygon DCU backend through the public seam: registry and config, node registration, request
// derivation, admission, bind annotations read back, lock, end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/hygon/hygon_vendor.h"

namespace hami::vendor::hygon {
namespace {

using nlohmann::json;

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  model::Container c;
  c.name = "main";
  c.limits = std::move(limits);
  c.requests = std::move(requests);
  return c;
}

model::DeviceRequest Want(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = kVendorName;
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

const model::Pod kPod;

TEST(HygonRegistryTest, BuiltByDefaultWithFlagsAndConfigOverFlags) {
  Registry registry;
  const Vendor* v = registry.Find(kVendorName);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->ResourceNames(), (std::vector<std::string>{"hygon.com/dcunum", "hygon.com/dcumem",
                                                          "hygon.com/dcucores"}));
  EXPECT_EQ(v->Keys().register_annotation, "hami.io/node-dcu-register");
  EXPECT_EQ(v->Keys().handshake_annotation, "hami.io/node-handshake-dcu");
  EXPECT_EQ(v->Keys().to_allocate_annotation, "hami.io/dcu-devices-to-allocate");
  EXPECT_EQ(v->Keys().allocated_annotation, "hami.io/dcu-devices-allocated");
  EXPECT_EQ(v->HealthResource(), "hygon.com/dcunum");
  EXPECT_EQ(v->Lock()->annotation, "hami.io/mutex.lock");

  auto flagged = Registry::Create({}, {{"dcu-name", "x.com/dcu"}, {"dcu-memory", "x.com/mem"}});
  ASSERT_TRUE(flagged.ok()) << flagged.error().ToString();
  EXPECT_EQ(flagged->Find(kVendorName)->ResourceNames()[0], "x.com/dcu");
  EXPECT_EQ(flagged->Find(kVendorName)->Quota().memory, "x.com/mem");

  auto config = Registry::Create(
      {json::parse(R"({"hygon":{"resourceCountName":"y.com/dcu","memoryFactor":"2"}})")},
      {{"dcu-name", "x.com/dcu"}});
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_TRUE(config->warnings().empty());
  const Vendor* configured = config->Find(kVendorName);
  EXPECT_EQ(configured->ResourceNames()[0], "y.com/dcu");
  EXPECT_EQ(configured->Quota().memory_factor, 2);
}

TEST(HygonRegistryTest, ConfigErrorsAndUnknownKeys) {
  auto unknown = Registry::Create({json::parse(R"({"hygon":{"resourceCountNmae":"y"}})")});
  ASSERT_TRUE(unknown.ok());
  ASSERT_EQ(unknown->warnings().size(), 1u);
  EXPECT_NE(unknown->warnings()[0].find("hygon.resourceCountNmae: unknown key"), std::string::npos);
  auto empty = Registry::Create({json::parse(R"({"hygon":{"resourceCoreName":""}})")});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message().find("hygon.resourceCoreName"), std::string::npos);
  auto bad = Registry::Create({json::parse(R"({"hygon":{"memoryFactor":"lots"}})")});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("hygon.memoryFactor"), std::string::npos);
}

TEST(HygonNodeTest, LegacyRegisterDecodes) {
  HygonVendor v{HygonConfig{}};
  codec::NodeObject node;
  node.name = "n";
  EXPECT_EQ(v.DevicesFromNode(node).error().code(), base::StatusCode::kNotFound);
  node.annotations[kRegisterAnnotation] = "test-0,1,1024,100,DCU,0,true,0,test:";
  auto devices = v.DevicesFromNode(node);
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->devices.size(), 1u);
  const auto& d = devices->devices[0];
  EXPECT_EQ(d.id, "test-0");
  EXPECT_EQ(d.count, 1);
  EXPECT_EQ(d.devmem, 1024);
  EXPECT_EQ(d.devcore, 100);
  EXPECT_EQ(d.type, "DCU");
  EXPECT_EQ(d.mode, "test");
  EXPECT_EQ(d.vendor, kVendorName);
  for (const char* bad : {":", "", "a,b,c,d,e:"}) {
    node.annotations[kRegisterAnnotation] = bad;
    auto r = v.DevicesFromNode(node);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), base::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.error().message().find(kRegisterAnnotation), std::string::npos);
  }
}

TEST(HygonRequestTest, DerivationTable) {
  HygonVendor v{HygonConfig{}};
  struct Case {
    const char* name;
    model::Container container;
    model::DeviceRequest want;
  };
  std::vector<Case> cases = {
      {"all three",
       C({{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "1024"}, {"hygon.com/dcucores", "1"}}),
       Want(1, 1024, 101, 1)},
      {"count and cores in requests",
       C({}, {{"hygon.com/dcunum", "1"}, {"hygon.com/dcucores", "1"}}), Want(1, 0, 100, 1)},
      {"count only: exclusive whole card", C({{"hygon.com/dcunum", "2"}}), Want(2, 0, 100, 100)},
      {"memory 0 is the whole card", C({{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "0"}}),
       Want(1, 0, 100, 100)},
      {"byte quantities convert", C({{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "16Gi"}}),
       Want(1, 16384, 101, 100)},
      {"limits win", C({{"hygon.com/dcunum", "1"}}, {{"hygon.com/dcunum", "3"}}),
       Want(1, 0, 100, 100)},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(kPod, c.container);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(r->has_value()) << c.name;
    EXPECT_EQ(**r, c.want) << c.name;
  }
  EXPECT_FALSE(v.ContainerRequest(kPod, C({{"hygon.com/dcumem", "1024"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(kPod, C({{"hygon.com/dcunum", "0"}}))->has_value());
  HygonConfig factor;
  factor.memory_factor = 4;
  EXPECT_EQ(**HygonVendor(factor).ContainerRequest(
                kPod, C({{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "100"}})),
            Want(1, 400, 101, 100));
}

// Upstream drops these requests silently (the pod then gets no DCU at all); we refuse them with
// an error naming the container and resource.
TEST(HygonRequestTest, UnusableQuantitiesAreErrors) {
  HygonConfig factor;
  factor.memory_factor = 1024;
  HygonVendor v{HygonConfig{}};
  struct Case {
    const HygonVendor* vendor;
    model::ResourceList limits;
    const char* resource;
  };
  HygonVendor big(factor);
  for (const Case& c : std::vector<Case>{
           {&v, {{"hygon.com/dcunum", "2200000000"}}, "hygon.com/dcunum"},
           {&v, {{"hygon.com/dcunum", "1.5"}}, "hygon.com/dcunum"},
           {&v, {{"hygon.com/dcunum", "1"}, {"hygon.com/dcucores", "-1"}}, "hygon.com/dcucores"},
           {&v, {{"hygon.com/dcunum", "1"}, {"hygon.com/dcucores", "50.5"}}, "hygon.com/dcucores"},
           {&v, {{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "1024.5"}}, "hygon.com/dcumem"},
           {&v, {{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "-1"}}, "hygon.com/dcumem"},
           {&big,
            {{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "3000000"}},
            "hygon.com/dcumem"}}) {
    auto r = c.vendor->ContainerRequest(kPod, C(c.limits));
    ASSERT_FALSE(r.ok()) << c.resource;
    EXPECT_NE(r.error().message().find(c.resource), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("container main"), std::string::npos);
  }
}

TEST(HygonAdmitTest, ReportsUseWithoutMutating) {
  HygonVendor v{HygonConfig{}};
  model::Pod pod;
  auto c = C({{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "2000"}});
  const auto before = c;
  ASSERT_TRUE(*v.Admit(pod, c));
  EXPECT_EQ(c.limits, before.limits);
  EXPECT_TRUE(c.env.empty());
  auto cpu = C({{"cpu", "1"}});
  EXPECT_FALSE(*v.Admit(pod, cpu));
  auto bad = C({{"hygon.com/dcunum", "one"}});
  EXPECT_FALSE(v.Admit(pod, bad).ok());
}

constexpr char kTwoDcus[] =
    "DCU-SERIAL-0,4,65520,100,DCU-K100_AI,0,true:DCU-SERIAL-1,4,65520,100,DCU-Z100,0,true:";

TEST(HygonEndToEndTest, PlacesWritesAndReadsBackTheAllocation) {
  Registry registry;
  codec::NodeObject node;
  node.name = "dcu-node";
  node.annotations[kRegisterAnnotation] = kTwoDcus;
  auto state = NodeStateFromNode(node, registry);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  ASSERT_EQ(state->devices.size(), 2u);

  model::Pod pod;
  pod.name = "p";
  pod.annotations[kNoUseType] = "K100";
  pod.containers.push_back(C({{"cpu", "1"}}));
  pod.containers.push_back(
      C({{"hygon.com/dcunum", "1"}, {"hygon.com/dcumem", "2000"}, {"hygon.com/dcucores", "60"}}));
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  const sched::NodeState* nodes[] = {&*state};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  const model::PodSingleDevice& devices = decision.devices.at(kVendorName);
  const Vendor* v = registry.Find(kVendorName);
  auto written = v->AllocationAnnotations({pod, node.name, devices, {}, {}, 1700000000});
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, (std::map<std::string, std::string>{
                          {kToAllocateAnnotation, ";DCU-SERIAL-1,DCU,2000,60:;"},
                          {kAllocatedAnnotation, ";DCU-SERIAL-1,DCU,2000,60:;"}}));
  pod.annotations.insert(written->begin(), written->end());
  auto granted = GrantedDevices(pod, registry);
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(granted->devices.at(kVendorName)[1][0].uuid, "DCU-SERIAL-1");
  EXPECT_EQ(granted->devices.at(kVendorName)[1][0].usedmem, 2000);
}

}  // namespace
}  // namespace hami::vendor::hygon
