// NVIDIA node registration, MIG allocations written and read back, static MIG resources.
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/nvidia/nvidia_vendor.h"

namespace hami::vendor::nvidia {
namespace {

// An A100 in MIG mode with two profiles (placements as NVML reports them).
constexpr char kMigNode[] =
    R"([{"id":"GPU-m","count":7,"devmem":40960,"devcore":100,"type":"NVIDIA-A100-SXM4-40GB","mode":"mig","migProfiles":[{"name":"1g.5gb","memoryMB":4864,"core":14,"sliceCount":1,"placements":[{"start":0,"size":1},{"start":1,"size":1},{"start":2,"size":1}]},{"name":"3g.20gb","memoryMB":19968,"core":42,"sliceCount":3,"placements":[{"start":0,"size":4},{"start":4,"size":4}]}],"health":true}])";

codec::NodeObject MigNode() {
  codec::NodeObject node;
  node.name = "a100";
  node.annotations[kRegisterAnnotation] = kMigNode;
  return node;
}

model::Pod PodAsking(std::map<std::string, std::string> limits) {
  model::Pod pod;
  pod.name = "p";
  pod.containers.push_back(model::testing::MakeContainer("c", std::move(limits)));
  return pod;
}

TEST(NvidiaNodeTest, MigProfilesArePartitions) {
  Registry registry;
  auto node = NodeStateFromNode(MigNode(), registry);
  ASSERT_TRUE(node.ok()) << node.error().ToString();
  const auto& shapes = node->devices[0].info.partitions;
  ASSERT_EQ(shapes.size(), 2u);
  EXPECT_EQ(shapes[1].name, "3g.20gb");
  EXPECT_EQ(shapes[1].core, 42);
  EXPECT_EQ(shapes[1].slots, 1);
}

// Upstream records the profile's cores in the grant (we recorded 0 before: issue 12).
TEST(NvidiaNodeTest, MigGrantBooksTheProfilesMemoryAndCores) {
  Registry registry;
  auto node = NodeStateFromNode(MigNode(), registry);
  ASSERT_TRUE(node.ok());
  auto input = BuildPodInput(PodAsking({{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "10000"}}),
                             registry, sched::Policy{});
  ASSERT_TRUE(input.ok());
  const sched::NodeState* nodes[] = {&*node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  const auto& granted = decision.devices.at("NVIDIA")[0][0];
  EXPECT_EQ(granted.usedmem, 19968);
  EXPECT_EQ(granted.usedcores, 42);
  ASSERT_EQ(decision.partitions.size(), 1u);
  EXPECT_EQ(decision.partitions[0].shape, "3g.20gb");
}

// `nvidia.com/mig-3g.20gb: 2` asks for two 3g.20gb instances (it was ignored before: issue 12).
TEST(NvidiaNodeTest, StaticMigResourceAsksForTheNamedShape) {
  Registry registry;
  auto node = NodeStateFromNode(MigNode(), registry);
  ASSERT_TRUE(node.ok());
  auto pod = PodAsking({{"nvidia.com/mig-3g.20gb", "2"}});
  auto input = BuildPodInput(pod, registry, sched::Policy{});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  ASSERT_EQ(input->requests.app[0].at("NVIDIA").partition, "3g.20gb");
  const sched::NodeState* nodes[] = {&*node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  ASSERT_TRUE(decision.chosen);
  ASSERT_EQ(decision.partitions.size(), 2u);
  EXPECT_NE(decision.partitions[0].placement, decision.partitions[1].placement);
  // A third does not fit: both 3g placements are taken.
  auto three = BuildPodInput(PodAsking({{"nvidia.com/mig-3g.20gb", "3"}}), registry, {});
  ASSERT_TRUE(three.ok());
  auto none = sched::Decide(nodes, *three, nullptr);
  EXPECT_FALSE(none.chosen);
  // A whole-GPU node cannot serve a named MIG shape.
  codec::NodeObject plain;
  plain.name = "t4";
  plain.annotations[kRegisterAnnotation] =
      R"([{"id":"GPU-t","count":10,"devmem":15360,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";
  auto t4 = NodeStateFromNode(plain, registry);
  ASSERT_TRUE(t4.ok());
  const sched::NodeState* t4s[] = {&*t4};
  auto one = BuildPodInput(PodAsking({{"nvidia.com/mig-3g.20gb", "1"}}), registry, {});
  ASSERT_TRUE(one.ok());
  auto miss = sched::Decide(t4s, *one, nullptr);
  ASSERT_EQ(miss.failures.size(), 1u);
  EXPECT_EQ(model::RenderReasons(miss.failures[0].second), "1/1 CardTypeMismatch");
  // Mixing a MIG resource with nvidia.com/gpu in one container is refused clearly.
  auto mixed = BuildPodInput(PodAsking({{"nvidia.com/mig-1g.5gb", "1"}, {"nvidia.com/gpu", "1"}}),
                             registry, {});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().message().find("cannot be combined"), std::string::npos);
}

TEST(NvidiaNodeTest, MigAllocationsRoundTripThroughAnnotations) {
  NvidiaVendor v{NvidiaConfig{}};
  model::Pod pod = PodAsking({{"nvidia.com/gpu", "1"}});
  model::PodSingleDevice devices = {{{0, "GPU-m", "NVIDIA", 19968, 42}}};
  std::vector<model::PartitionGrant> partitions = {
      {"NVIDIA", 0, 0, "GPU-m", "3g.20gb", "", {4, 4}}};
  auto written = v.AllocationAnnotations({pod, "a100", devices, partitions, {}, 0});
  ASSERT_TRUE(written.ok()) << written.error().ToString();
  EXPECT_EQ(written->at(kAllocatedAnnotation), "GPU-m,NVIDIA,19968,42:;");
  EXPECT_EQ(written->at(kToAllocateAnnotation), "GPU-m,NVIDIA,19968,42:;");
  EXPECT_EQ(
      written->at(kMigAllocationsAnnotation),
      R"([{"containerIndex":0,"deviceIndex":0,"gpuUUID":"GPU-m","profile":"3g.20gb","placement":{"start":4,"size":4}}])");
  pod.annotations = *written;
  auto granted = v.GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && *granted);
  EXPECT_EQ((*granted)->devices, devices);
  EXPECT_EQ((*granted)->partitions, partitions);
  EXPECT_FALSE((*granted)->partitions[0].Realized());
}

TEST(NvidiaNodeTest, RealizedMigAllocationsCarryTheInstance) {
  NvidiaVendor v{NvidiaConfig{}};
  model::Pod pod = PodAsking({{"nvidia.com/gpu", "1"}});
  pod.annotations[kAllocatedAnnotation] = "GPU-m,NVIDIA,9728,14:;";
  pod.annotations[kMigAllocationsAnnotation] =
      R"([{"containerIndex":0,"deviceIndex":2,"gpuUUID":"GPU-m","profile":"1g.10gb","placement":{"start":6,"size":1},"migUUID":"MIG-x","gpuInstanceID":13,"computeInstanceID":0}])";
  auto granted = v.GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && *granted);
  ASSERT_EQ((*granted)->partitions.size(), 1u);
  const model::PartitionGrant& g = (*granted)->partitions[0];
  EXPECT_TRUE(g.Realized());
  EXPECT_EQ(g.device_index, 2);
  EXPECT_EQ(g.placement, (model::Placement{6, 1}));
  EXPECT_EQ(g.instance_uuid, "MIG-x");
  EXPECT_EQ(g.gpu_instance_id, 13);
  EXPECT_EQ(g.compute_instance_id, 0);
}

// Static MIG (device plugin migStrategy mixed, or NVIDIA's plugin): the node's allocatable
// nvidia.com/mig-<profile> serves the request; kube-scheduler counts it, nothing is booked here.
codec::NodeObject StaticMigNode(const char* register_value) {
  codec::NodeObject node;
  node.name = "static";
  if (register_value != nullptr) node.annotations[kRegisterAnnotation] = register_value;
  node.allocatable["nvidia.com/mig-1g.5gb"] = "2";
  node.allocatable["nvidia.com/mig-2g.10gb"] = "0";
  node.allocatable["nvidia.com/gpu"] = "10";
  return node;
}

constexpr char kT4[] =
    R"([{"id":"GPU-t","count":10,"devmem":15360,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";

TEST(NvidiaStaticMigTest, AllocatableStaticMigRegistersTheNode) {
  NvidiaVendor v{NvidiaConfig{}};
  for (const char* value : {static_cast<const char*>(nullptr), "[]", ""}) {
    auto devices = v.DevicesFromNode(StaticMigNode(value));
    ASSERT_TRUE(devices.ok()) << devices.error().ToString();
    EXPECT_TRUE(devices->devices.empty());
    EXPECT_TRUE(devices->serves_extended_resources);
    EXPECT_EQ(devices->attributes,
              (std::map<std::string, std::string>{{"nvidia.com/mig-1g.5gb", "2"}}))
        << "a resource with allocatable 0 is not served";
  }
  Registry registry;
  EXPECT_TRUE(NodeStateFromNode(StaticMigNode("[]"), registry).ok());
  auto with_gpus = v.DevicesFromNode(StaticMigNode(kT4));
  ASSERT_TRUE(with_gpus.ok());
  EXPECT_EQ(with_gpus->devices.size(), 1u);
  EXPECT_TRUE(with_gpus->serves_extended_resources);
  codec::NodeObject none;
  none.name = "none";
  none.annotations[kRegisterAnnotation] = "[]";
  EXPECT_FALSE(v.DevicesFromNode(none).ok()) << "no GPU and no static MIG: not registered";
}

TEST(NvidiaStaticMigTest, FilterDecision) {
  Registry registry;
  auto static_only = NodeStateFromNode(StaticMigNode("[]"), registry);
  auto static_and_t4 = NodeStateFromNode(StaticMigNode(kT4), registry);
  auto dynamic = NodeStateFromNode(MigNode(), registry);
  codec::NodeObject plain;
  plain.name = "t4";
  plain.annotations[kRegisterAnnotation] = kT4;
  auto t4 = NodeStateFromNode(plain, registry);
  // A dynamic-MIG node that also shows the resource (e.g. NVIDIA's plugin ran there before).
  codec::NodeObject both_object = MigNode();
  both_object.allocatable["nvidia.com/mig-1g.5gb"] = "1";
  auto both = NodeStateFromNode(both_object, registry);
  ASSERT_TRUE(static_only.ok() && static_and_t4.ok() && dynamic.ok() && t4.ok() && both.ok());

  struct Case {
    std::string name;
    const sched::NodeState* node;
    std::map<std::string, std::string> limits;
    bool fits;
    size_t devices;     // granted to the container
    size_t partitions;  // dynamic MIG bookings
  } cases[] = {
      {"static instance, no GPU registered",
       &*static_only,
       {{"nvidia.com/mig-1g.5gb", "1"}},
       true,
       0,
       0},
      {"static instance beside vGPUs",
       &*static_and_t4,
       {{"nvidia.com/mig-1g.5gb", "2"}},
       true,
       0,
       0},
      {"profile without allocatable",
       &*static_only,
       {{"nvidia.com/mig-2g.10gb", "1"}},
       false,
       0,
       0},
      {"no static MIG resource", &*t4, {{"nvidia.com/mig-1g.5gb", "1"}}, false, 0, 0},
      {"dynamic MIG GPU offers it", &*dynamic, {{"nvidia.com/mig-1g.5gb", "1"}}, true, 1, 1},
      {"dynamic path wins over allocatable", &*both, {{"nvidia.com/mig-1g.5gb", "1"}}, true, 1, 1},
      {"vGPU request ignores static MIG", &*static_only, {{"nvidia.com/gpu", "1"}}, false, 0, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto input = BuildPodInput(PodAsking(c.limits), registry, {});
    ASSERT_TRUE(input.ok()) << input.error().ToString();
    const sched::NodeState* nodes[] = {c.node};
    auto decision = sched::Decide(nodes, *input, nullptr);
    ASSERT_EQ(decision.chosen.has_value(), c.fits);
    if (!c.fits) continue;
    EXPECT_EQ(decision.devices.at("NVIDIA")[0].size(), c.devices);
    EXPECT_EQ(decision.partitions.size(), c.partitions);
  }
}

}  // namespace
}  // namespace hami::vendor::nvidia
