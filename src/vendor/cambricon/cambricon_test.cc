// vendors.md §4 through the public seam: config and flags, devices from node capacity, request
// derivation, admission, bind annotations and their read-back, lock and quota specs, and a pod
// placed end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "codec/node_lock.h"
#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cambricon/cambricon_vendor.h"
#include "vendor/cambricon/wire.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::cambricon {
namespace {

using nlohmann::json;

// The block upstream's chart renders.
const json kChartBlock = {{"cambricon",
                           {{"resourceCountName", "cambricon.com/vmlu"},
                            {"resourceMemoryName", "cambricon.com/mlu.smlu.vmemory"},
                            {"resourceCoreName", "cambricon.com/mlu.smlu.vcore"}}}};

const Vendor& Mlu(const Registry& registry) {
  const Vendor* v = registry.Find(kVendorName);
  EXPECT_NE(v, nullptr);
  return *v;
}

Registry Chart() {
  auto r = Registry::Create({kChartBlock});
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  return std::move(*r);
}

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  return model::testing::MakeContainer("main", std::move(limits), std::move(requests));
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

model::ContainerDevice Granted(int32_t idx, std::string uuid, int64_t mem, int64_t cores) {
  model::ContainerDevice d;
  d.idx = idx;
  d.uuid = std::move(uuid);
  d.type = kVendorName;
  d.usedmem = mem;
  d.usedcores = cores;
  return d;
}

codec::NodeObject CapacityNode(std::string name, std::string vcore, std::string vmemory) {
  codec::NodeObject node;
  node.name = std::move(name);
  node.capacity = {{kDefaultCoreResource, std::move(vcore)},
                   {kDefaultMemoryResource, std::move(vmemory)}};
  return node;
}

TEST(CambriconConfigTest, BlockWinsOverFlagsWhichKeepUpstreamDefaults) {
  Registry defaults;
  EXPECT_EQ(Mlu(defaults).ResourceNames(),
            (std::vector<std::string>{"cambricon.com/mlu", "cambricon.com/mlu.smlu.vmemory",
                                      "cambricon.com/mlu.smlu.vcore"}));
  EXPECT_EQ(Mlu(Chart()).ResourceNames()[0], "cambricon.com/vmlu");
  auto flagged = Registry::Create({}, {{"cambricon-mlu-name", "example.com/mlu"},
                                       {"cambricon-mlu-cores", "example.com/vcore"}});
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(Mlu(*flagged).ResourceNames(),
            (std::vector<std::string>{"example.com/mlu", "cambricon.com/mlu.smlu.vmemory",
                                      "example.com/vcore"}));
  auto both = Registry::Create({kChartBlock}, {{"cambricon-mlu-name", "example.com/mlu"}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(Mlu(*both).ResourceNames()[0], "cambricon.com/vmlu");
  auto empty_key = Registry::Create({json{{"cambricon", {{"resourceCountName", ""}}}}});
  ASSERT_TRUE(empty_key.ok());
  EXPECT_EQ(Mlu(*empty_key).ResourceNames()[0], "cambricon.com/mlu");
}

TEST(CambriconConfigTest, UnknownKeysWarnWrongTypesFail) {
  auto r = Registry::Create({json{{"cambricon", {{"resourceCountName", "x/mlu"}, {"bogus", 1}}}}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings().size(), 1u);
  EXPECT_EQ(r->warnings()[0], "device config: cambricon.bogus: unknown key, ignored");
  auto bad = Registry::Create({json{{"cambricon", {{"resourceMemoryName", json::array()}}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("cambricon.resourceMemoryName"), std::string::npos);
  EXPECT_FALSE(Registry::Create({json{{"cambricon", "yes"}}}).ok());
}

TEST(CambriconNodeTest, DevicesFromCapacity) {
  Registry registry;
  const Vendor& v = Mlu(registry);
  // vendors.md: capacity 1/1 gives one card of 1 × 256 × 100 / 1 MiB.
  auto one = v.DevicesFromNode(CapacityNode("n1", "1", "1"));
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  ASSERT_EQ(one->devices.size(), 1u);
  const model::DeviceInfo& d = one->devices[0];
  EXPECT_EQ(d.id, "n1-cambricon-mlu-0");
  EXPECT_EQ(d.devmem, 25600);
  EXPECT_EQ(d.count, 100);
  EXPECT_EQ(d.devcore, 100);
  EXPECT_EQ(d.type, "MLU");
  EXPECT_EQ(d.vendor, "MLU");
  EXPECT_TRUE(d.health);

  // Eight MLU370 cards of 24 GiB: 800 vcore, 768 units of 256 MiB.
  auto eight = v.DevicesFromNode(CapacityNode("n8", "800", "768"));
  ASSERT_TRUE(eight.ok());
  ASSERT_EQ(eight->devices.size(), 8u);
  EXPECT_EQ(eight->devices[7].id, "n8-cambricon-mlu-7");
  EXPECT_EQ(eight->devices[7].index, 7);
  EXPECT_EQ(eight->devices[7].devmem, 24576);
  // A partial card still counts, as upstream's `i*100 < vcore`.
  EXPECT_EQ(v.DevicesFromNode(CapacityNode("n", "150", "10"))->devices.size(), 2u);
}

TEST(CambriconNodeTest, AbsentZeroAndMalformedCapacity) {
  Registry registry;
  const Vendor& v = Mlu(registry);
  codec::NodeObject bare;
  bare.name = "cpu";
  EXPECT_EQ(v.DevicesFromNode(bare).error().code(), base::StatusCode::kNotFound);
  EXPECT_EQ(v.DevicesFromNode(CapacityNode("n", "0", "0")).error().code(),
            base::StatusCode::kNotFound);
  for (auto [vcore, vmem] : std::vector<std::pair<std::string, std::string>>{{"1.5", "1"},
                                                                             {"-100", "1"},
                                                                             {"lots", "1"},
                                                                             {"100", "-1"},
                                                                             {"200000", "1"},
                                                                             {"100", "99999999"}}) {
    auto r = v.DevicesFromNode(CapacityNode("n", vcore, vmem));
    ASSERT_FALSE(r.ok()) << vcore << "/" << vmem;
    EXPECT_EQ(r.error().code(), base::StatusCode::kInvalidArgument) << vcore << "/" << vmem;
    EXPECT_NE(r.error().message().find("capacity cambricon.com/mlu.smlu."), std::string::npos);
  }
  // Through the node state: a node with no MLU capacity is simply not an MLU node.
  auto state = NodeStateFromNode(bare, registry);
  EXPECT_EQ(state.error().code(), base::StatusCode::kNotFound);
}

TEST(CambriconRequestTest, DerivationTable) {
  Registry registry = Chart();
  const Vendor& v = Mlu(registry);
  const model::Pod pod;
  struct Case {
    const char* name;
    model::Container c;
    model::DeviceRequest want;
  };
  const std::vector<Case> cases = {
      {"all three",
       C({{"cambricon.com/vmlu", "1"},
          {"cambricon.com/mlu.smlu.vmemory", "1000"},
          {"cambricon.com/mlu.smlu.vcore", "2"}}),
       Want(1, 256000, 0, 2)},
      {"no vcore", C({{"cambricon.com/vmlu", "1"}, {"cambricon.com/mlu.smlu.vmemory", "1000"}}),
       Want(1, 256000, 0, 100)},
      {"no vmemory", C({{"cambricon.com/vmlu", "1"}, {"cambricon.com/mlu.smlu.vcore", "2"}}),
       Want(1, 0, 100, 2)},
      {"count only", C({{"cambricon.com/vmlu", "2"}}), Want(2, 0, 100, 100)},
      {"requests only",
       C({}, {{"cambricon.com/vmlu", "1"}, {"cambricon.com/mlu.smlu.vmemory", "4"}}),
       Want(1, 1024, 0, 100)},
      {"limits win", C({{"cambricon.com/vmlu", "1"}}, {{"cambricon.com/vmlu", "3"}}),
       Want(1, 0, 100, 100)},
      {"vmemory 0 is a whole card",
       C({{"cambricon.com/vmlu", "1"}, {"cambricon.com/mlu.smlu.vmemory", "0"}}),
       Want(1, 0, 100, 100)},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(pod, c.c);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(r->has_value()) << c.name;
    EXPECT_EQ(**r, c.want) << c.name;
  }
  EXPECT_FALSE(v.ContainerRequest(pod, C({{"cambricon.com/vmlu", "0"}}))->has_value());
  EXPECT_FALSE(v.ContainerRequest(pod, C({{"cambricon.com/mlu.smlu.vmemory", "4"}}))->has_value());
}

// Upstream drops such a request silently (the pod then runs unaccounted); we refuse it by name.
TEST(CambriconRequestTest, MalformedQuantitiesAreErrorsNamingTheResource) {
  Registry registry = Chart();
  const Vendor& v = Mlu(registry);
  const model::Pod pod;
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"cambricon.com/mlu.smlu.vmemory", "16Gi"},
           {"cambricon.com/mlu.smlu.vmemory", "16.0Gi"},
           {"cambricon.com/mlu.smlu.vmemory", "-1"},
           {"cambricon.com/mlu.smlu.vmemory", "8388608"},
           {"cambricon.com/mlu.smlu.vcore", "-1"},
           {"cambricon.com/mlu.smlu.vcore", "1.5"},
           {"cambricon.com/vmlu", "1.5"},
           {"cambricon.com/vmlu", "3000000000"}}) {
    model::ResourceList limits = {{"cambricon.com/vmlu", "1"}};
    limits[name] = value;
    auto r = v.ContainerRequest(pod, C(limits));
    ASSERT_FALSE(r.ok()) << name << "=" << value;
    EXPECT_NE(r.error().message().find("container main: resource " + name), std::string::npos)
        << r.error().message();
  }
}

TEST(CambriconAdmitTest, CountInLimitsUsesTheVendorAndNothingIsMutated) {
  Registry registry = Chart();
  const Vendor& v = Mlu(registry);
  model::Pod pod;
  auto c = C({{"cambricon.com/vmlu", "1"}});
  EXPECT_TRUE(*v.Admit(pod, c));
  EXPECT_EQ(c.limits.size(), 1u);
  auto requests_only = C({}, {{"cambricon.com/vmlu", "1"}});
  EXPECT_FALSE(*v.Admit(pod, requests_only));
  auto cpu = C({{"cpu", "1"}});
  EXPECT_FALSE(*v.Admit(pod, cpu));
  EXPECT_TRUE(pod.annotations.empty());
}

TEST(CambriconBindTest, AnnotationsWrittenAndReadBack) {
  Registry registry = Chart();
  const Vendor& v = Mlu(registry);
  model::Pod pod;
  pod.name = "p";
  // The first container holds nothing; the profile comes from the first device granted.
  const model::PodSingleDevice devices = {{}, {Granted(0, "device-0", 256000, 1)}};
  auto written = v.AllocationAnnotations({pod, "n1", devices, {}, {}, 1700000000});
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  const std::map<std::string, std::string> want = {
      {"hami.io/cambricon-mlu-devices-to-allocate", ";device-0,MLU,256000,1:;"},
      {"hami.io/cambricon-mlu-devices-allocated", ";device-0,MLU,256000,1:;"},
      {"CAMBRICON_DSMLU_PROFILE", "0_1_1000"},
      {"CAMBRICON_DSMLU_ASSIGNED", "false"}};
  EXPECT_EQ(*written, want);
  pod.annotations = *written;
  auto granted = v.GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && *granted);
  EXPECT_EQ((*granted)->devices, devices);

  const model::PodSingleDevice second = {{Granted(3, "n-cambricon-mlu-3", 2560, 30)},
                                         {Granted(1, "n-cambricon-mlu-1", 512, 10)}};
  EXPECT_EQ(v.AllocationAnnotations({pod, "n1", second, {}, {}, 0})->at("CAMBRICON_DSMLU_PROFILE"),
            "3_30_10");
}

TEST(CambriconBindTest, OwnLockAndQuotaNames) {
  Registry registry = Chart();
  const Vendor& v = Mlu(registry);
  EXPECT_EQ(v.Lock(), (NodeLockSpec{"cambricon.com/dsmlu.lock", false, 120}));
  // The lock holds a bare RFC 3339 time, the legacy form of the shared lock grammar.
  auto lock = codec::ParseNodeLock("2024-05-01T10:00:00+08:00");
  ASSERT_TRUE(lock.ok());
  EXPECT_TRUE(lock->legacy);
  const QuotaResources quota = v.Quota();
  EXPECT_EQ(quota.memory, "cambricon.com/mlu.smlu.vmemory");
  EXPECT_EQ(quota.core, "cambricon.com/mlu.smlu.vcore");
  EXPECT_EQ(quota.memory_factor, 256);
  EXPECT_EQ(v.Keys().register_annotation, "");
  EXPECT_EQ(v.Keys().handshake_annotation, "");
  EXPECT_EQ(v.HealthResource(), "");
}

TEST(CambriconEndToEndTest, PodPlacedOnCapacityNode) {
  Registry registry = Chart();
  auto node = NodeStateFromNode(CapacityNode("mlu-0", "200", "192"), registry);
  ASSERT_TRUE(node.ok()) << node.error().ToString();
  ASSERT_EQ(node->devices.size(), 2u);
  model::Pod pod;
  pod.name = "infer";
  pod.annotations[kNoUseUuid] = "mlu-0-cambricon-mlu-0";
  pod.containers.push_back(C({{"cambricon.com/vmlu", "1"},
                              {"cambricon.com/mlu.smlu.vmemory", "20"},
                              {"cambricon.com/mlu.smlu.vcore", "10"}}));
  ASSERT_TRUE(*AdmitPod(pod, registry));
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  const sched::NodeState* nodes[] = {&*node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  const auto& granted = decision.devices.at("MLU");
  auto written = Mlu(registry).AllocationAnnotations({pod, "mlu-0", granted, {}, {}, 0});
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->at("hami.io/cambricon-mlu-devices-allocated"),
            "mlu-0-cambricon-mlu-1,MLU,5120,10:;");
  EXPECT_EQ(written->at("CAMBRICON_DSMLU_PROFILE"), "1_10_20");
}

}  // namespace
}  // namespace hami::vendor::cambricon
