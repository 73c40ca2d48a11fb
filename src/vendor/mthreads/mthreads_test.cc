// vendors.md §7 through the public seam: config (incl. the chart's memoryPerCard), flags, devices
// from node capacity, webhook rules, request derivation, bind annotations and their read-back.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/mthreads/mthreads_vendor.h"
#include "vendor/mthreads/wire.h"

namespace hami::vendor::mthreads {
namespace {

using nlohmann::json;

const Vendor& Mt(const Registry& registry) {
  const Vendor* v = registry.Find(kVendorName);
  EXPECT_NE(v, nullptr);
  return *v;
}

Registry WithBlock(const json& block) {
  auto r = Registry::Create({json{{"mthreads", block}}});
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

codec::NodeObject CapacityNode(std::string name, std::string cores, std::string memory) {
  codec::NodeObject node;
  node.name = std::move(name);
  node.capacity = {{kDefaultCoreResource, std::move(cores)},
                   {kDefaultMemoryResource, std::move(memory)}};
  return node;
}

TEST(MthreadsConfigTest, NamesFlagsAndMemoryPerCard) {
  Registry defaults;
  EXPECT_EQ(Mt(defaults).ResourceNames(),
            (std::vector<std::string>{"mthreads.com/vgpu", "mthreads.com/sgpu-memory",
                                      "mthreads.com/sgpu-core"}));
  auto flagged = Registry::Create({}, {{"mthreads-name", "x.com/vgpu"}});
  ASSERT_TRUE(flagged.ok());
  EXPECT_EQ(Mt(*flagged).ResourceNames()[0], "x.com/vgpu");

  auto config = [](const json& block) { return MthreadsConfigFrom(block, FlagValues{}, nullptr); };
  EXPECT_EQ(config(json(nullptr))->LegalMemoryValues(),
            (std::vector<int64_t>{2, 4, 8, 16, 32, 64, 96}));
  EXPECT_EQ(config(json{{"memoryPerCard", {160}}})->LegalMemoryValues(),
            (std::vector<int64_t>{2, 4, 8, 16, 32, 64, 128, 160}));
  EXPECT_EQ(config(json{{"memoryPerCard", {96, 160}}})->LegalMemoryValues(),
            (std::vector<int64_t>{2, 4, 8, 16, 32, 64, 96, 128, 160}));
  // Legacy scalar and Helm-quoted values.
  EXPECT_EQ(config(json{{"memoryPerCard", 160}})->memory_per_card, std::vector<int64_t>{160});
  EXPECT_EQ(config(json{{"memoryPerCard", {"160"}}})->memory_per_card, std::vector<int64_t>{160});
  for (const json& bad : {json{{"memoryPerCard", json::array()}}, json{{"memoryPerCard", {0}}},
                          json{{"memoryPerCard", {"big"}}}, json{{"memoryPerCard", {96.5}}},
                          json{{"memoryPerCard", {99999999}}}}) {
    auto r = config(bad);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_NE(r.error().message().find("mthreads.memoryPerCard"), std::string::npos);
  }
  std::vector<std::string> warnings;
  ASSERT_TRUE(MthreadsConfigFrom(json{{"memoryPerCrad", 1}}, {}, &warnings).ok());
  EXPECT_EQ(warnings, std::vector<std::string>{
                          "device config: mthreads.memoryPerCrad: unknown key, ignored"});
}

TEST(MthreadsNodeTest, DevicesFromCapacity) {
  Registry registry;
  const Vendor& v = Mt(registry);
  auto one = v.DevicesFromNode(CapacityNode("n", "1", "1"));
  ASSERT_TRUE(one.ok()) << one.error().ToString();
  ASSERT_EQ(one->devices.size(), 1u);
  EXPECT_EQ(one->devices[0].id, "n-mthreads-0");
  EXPECT_EQ(one->devices[0].devmem, 8192);
  EXPECT_EQ(one->devices[0].devcore, 16);
  EXPECT_EQ(one->devices[0].count, 100);
  EXPECT_EQ(one->devices[0].type, "Mthreads");
  // Eight MTT S4000: 128 core units, 768 memory units.
  auto eight = v.DevicesFromNode(CapacityNode("s4000", "128", "768"));
  ASSERT_EQ(eight->devices.size(), 8u);
  EXPECT_EQ(eight->devices[7].id, "s4000-mthreads-7");
  EXPECT_EQ(eight->devices[7].devmem, 49152);
  codec::NodeObject bare;
  bare.name = "cpu";
  EXPECT_EQ(v.DevicesFromNode(bare).error().code(), base::StatusCode::kNotFound);
  EXPECT_EQ(v.DevicesFromNode(CapacityNode("n", "0", "0")).error().code(),
            base::StatusCode::kNotFound);
  for (auto [cores, mem] : std::vector<std::pair<std::string, std::string>>{
           {"x", "1"}, {"-16", "1"}, {"16", "2.5"}, {"99999", "1"}, {"16", "9999999"}}) {
    auto r = v.DevicesFromNode(CapacityNode("n", cores, mem));
    ASSERT_FALSE(r.ok()) << cores << "/" << mem;
    EXPECT_EQ(r.error().code(), base::StatusCode::kInvalidArgument);
  }
}

TEST(MthreadsAdmitTest, WebhookRules) {
  Registry registry;
  const Vendor& v = Mt(registry);
  {
    model::Pod pod;
    auto c = C({{"mthreads.com/vgpu", "2"}});
    ASSERT_TRUE(*v.Admit(pod, c));
    EXPECT_EQ(c.limits.at("mthreads.com/sgpu-core"), "32");
    EXPECT_EQ(c.limits.at("mthreads.com/sgpu-memory"), "192");
    EXPECT_EQ(pod.annotations.at("mthreads.com/request-gpu-num"), "2");
  }
  {
    model::Pod pod;
    auto c = C({{"mthreads.com/vgpu", "1"}});
    ASSERT_TRUE(*v.Admit(pod, c));
    EXPECT_EQ(c.limits.at("mthreads.com/sgpu-core"), "16");
    EXPECT_EQ(c.limits.at("mthreads.com/sgpu-memory"), "96");
    EXPECT_TRUE(pod.annotations.empty());
  }
  {
    model::Pod pod;
    auto c = C({}, {{"mthreads.com/vgpu", "1"}, {"mthreads.com/sgpu-memory", "32"}});
    EXPECT_TRUE(*v.Admit(pod, c));  // requests count too
    EXPECT_TRUE(c.limits.empty());
  }
  {
    model::Pod pod;
    auto c = C({{"mthreads.com/vgpu", "1"}, {"mthreads.com/sgpu-memory", "3"}});
    auto r = v.Admit(pod, c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(),
              "container main: sGPU memory request value is invalid, valid values are "
              "[2, 4, 8, 16, 32, 64, 96]");
  }
  for (const char* count : {"0", "-1"}) {
    model::Pod pod;
    auto c = C({{"mthreads.com/vgpu", count}});
    auto r = v.Admit(pod, c);
    ASSERT_FALSE(r.ok()) << count;
    EXPECT_EQ(r.error().message(), "container main: mthreads.com/vgpu must be greater than 0");
  }
  model::Pod pod;
  auto cpu = C({{"cpu", "1"}});
  EXPECT_FALSE(*v.Admit(pod, cpu));
}

TEST(MthreadsAdmitTest, MemoryPerCardDrivesLegalValuesAndWholeCards) {
  Registry s5000 = WithBlock({{"memoryPerCard", {160}}});
  model::Pod pod;
  auto whole = C({{"mthreads.com/vgpu", "1"}});
  ASSERT_TRUE(*Mt(s5000).Admit(pod, whole));
  EXPECT_EQ(whole.limits.at("mthreads.com/sgpu-memory"), "160");
  auto big = C({{"mthreads.com/vgpu", "1"}, {"mthreads.com/sgpu-memory", "128"}});
  EXPECT_TRUE(Mt(s5000).Admit(pod, big).ok());
  auto s4000_size = C({{"mthreads.com/vgpu", "1"}, {"mthreads.com/sgpu-memory", "96"}});
  EXPECT_FALSE(Mt(s5000).Admit(pod, s4000_size).ok());

  // Mixed cluster: either model's sizes pass; a whole card's memory depends on the node, so only
  // the cores are written and the request books the chosen card's whole memory.
  Registry mixed = WithBlock({{"memoryPerCard", {96, 160}}});
  EXPECT_TRUE(Mt(mixed).Admit(pod, s4000_size).ok());
  auto mixed_whole = C({{"mthreads.com/vgpu", "2"}});
  ASSERT_TRUE(*Mt(mixed).Admit(pod, mixed_whole));
  EXPECT_EQ(mixed_whole.limits.at("mthreads.com/sgpu-core"), "32");
  EXPECT_EQ(mixed_whole.limits.count("mthreads.com/sgpu-memory"), 0u);
  auto request = Mt(mixed).ContainerRequest(pod, mixed_whole);
  ASSERT_TRUE(request.ok() && *request);
  EXPECT_EQ(**request, Want(2, 0, 100, 16));
}

TEST(MthreadsRequestTest, DerivationDividesPerDevice) {
  Registry registry;
  const Vendor& v = Mt(registry);
  const model::Pod pod;
  struct Case {
    const char* name;
    model::Container c;
    model::DeviceRequest want;
  };
  const std::vector<Case> cases = {
      {"1/1000/1",
       C({{"mthreads.com/vgpu", "1"},
          {"mthreads.com/sgpu-memory", "1000"},
          {"mthreads.com/sgpu-core", "1"}}),
       Want(1, 512000, 0, 1)},
      {"count only", C({{"mthreads.com/vgpu", "1"}}), Want(1, 0, 100, 0)},
      {"two cards",
       C({{"mthreads.com/vgpu", "2"},
          {"mthreads.com/sgpu-memory", "192"},
          {"mthreads.com/sgpu-core", "32"}}),
       Want(2, 49152, 0, 16)},
      {"requests", C({}, {{"mthreads.com/vgpu", "1"}, {"mthreads.com/sgpu-core", "8"}}),
       Want(1, 0, 100, 8)},
  };
  for (const auto& c : cases) {
    auto r = v.ContainerRequest(pod, c.c);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(r->has_value()) << c.name;
    EXPECT_EQ(**r, c.want) << c.name;
  }
  EXPECT_FALSE(v.ContainerRequest(pod, C({{"mthreads.com/vgpu", "0"}}))->has_value());
  // Upstream drops these requests silently; we refuse them naming the resource.
  for (auto [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"mthreads.com/vgpu", "-1"},
                                                        {"mthreads.com/sgpu-memory", "16Gi"},
                                                        {"mthreads.com/sgpu-memory", "16.0Gi"},
                                                        {"mthreads.com/vgpu", "3000000000"},
                                                        {"mthreads.com/vgpu", "1.5"},
                                                        {"mthreads.com/sgpu-core", "-1"}}) {
    model::ResourceList limits = {{"mthreads.com/vgpu", "1"}};
    limits[name] = value;
    auto r = v.ContainerRequest(pod, C(limits));
    ASSERT_FALSE(r.ok()) << name << "=" << value;
    EXPECT_NE(r.error().message().find("container main: resource " + name), std::string::npos)
        << r.error().message();
  }
}

TEST(MthreadsBindTest, AllocatedKeyIndicesTimeAndNode) {
  Registry registry;
  const Vendor& v = Mt(registry);
  model::Pod pod;
  pod.name = "p";
  const model::PodSingleDevice devices = {{Granted(0, "test1", 1000, 1)}};
  auto written = v.AllocationAnnotations({pod, "node-a", devices, {}, {}, 1700000000});
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  const std::map<std::string, std::string> want = {
      {"hami.io/mthreads-vgpu-devices-allocated", "test1,Mthreads,1000,1:;"},
      {"mthreads.com/gpu-index", "0"},
      {"mthreads.com/predicate-time", "1700000000000000000"},
      {"mthreads.com/predicate-node", "node-a"}};
  EXPECT_EQ(*written, want);
  pod.annotations = *written;
  auto granted = v.GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && *granted);
  EXPECT_EQ((*granted)->devices, devices);

  // The index annotation lists the last container with devices.
  const model::PodSingleDevice two = {
      {Granted(0, "a", 1, 1)}, {}, {Granted(2, "c", 1, 1), Granted(3, "d", 1, 1)}};
  EXPECT_EQ(v.AllocationAnnotations({pod, "n", two, {}, {}, 0})->at("mthreads.com/gpu-index"),
            "2,3");
  EXPECT_FALSE(v.Lock().has_value());
  EXPECT_EQ(v.Quota().memory_factor, 512);
  EXPECT_EQ(v.Quota().memory, "mthreads.com/sgpu-memory");
}

TEST(MthreadsEndToEndTest, SliceLandsOnCapacityNode) {
  Registry registry;
  codec::NodeObject object = CapacityNode("mt-0", "32", "192");
  auto node = NodeStateFromNode(object, registry);
  ASSERT_TRUE(node.ok());
  model::Pod pod;
  pod.name = "slice";
  pod.annotations["mthreads.ai/use-gpuuuid"] = "mt-0-mthreads-1";
  pod.containers.push_back(C({{"mthreads.com/vgpu", "1"},
                              {"mthreads.com/sgpu-memory", "32"},
                              {"mthreads.com/sgpu-core", "8"}}));
  ASSERT_TRUE(*AdmitPod(pod, registry));
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok());
  const sched::NodeState* nodes[] = {&*node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  auto written = Mt(registry).AllocationAnnotations(
      {pod, "mt-0", decision.devices.at("Mthreads"), {}, decision.registered, 5});
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->at("hami.io/mthreads-vgpu-devices-allocated"),
            "mt-0-mthreads-1,Mthreads,16384,8:;");
  EXPECT_EQ(written->at("mthreads.com/gpu-index"), "1");
}

}  // namespace
}  // namespace hami::vendor::mthreads
