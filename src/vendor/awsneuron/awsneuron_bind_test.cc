// AWS Neuron at bind (vendors.md §11 "Pod annotations") and back: what bind writes, the allocated
// annotation read back, and running pods re-accounted into each device's core mask (§17.4).
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/awsneuron/neuron_vendor.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::awsneuron {
namespace {

model::Container C(const std::string& name, model::ResourceList limits) {
  return model::testing::MakeContainer(name, std::move(limits));
}

model::ContainerDevice Dev(int32_t idx, int64_t mask) {
  return {idx, "n1-AWSNeuron-" + std::to_string(idx), kVendorName, 0, mask, 1};
}

const std::vector<model::PartitionGrant> kNone;

// The registration of node `node` with `devices` devices of `cores` cores each.
std::map<std::string, model::DeviceInfo> Registered(const std::string& node, int devices,
                                                    int cores) {
  codec::NodeObject object;
  object.name = node;
  object.capacity = {{"aws.amazon.com/neuron", std::to_string(devices)},
                     {"aws.amazon.com/neuroncore", std::to_string(devices * cores)}};
  auto built = AwsNeuronVendor(AwsNeuronConfig{}).DevicesFromNode(object);
  EXPECT_TRUE(built.ok());
  std::map<std::string, model::DeviceInfo> out;
  for (auto& d : built->devices) out[d.id] = d;
  return out;
}

const std::map<std::string, model::DeviceInfo>& Trn1() {
  static const auto* registered =
      new std::map<std::string, model::DeviceInfo>(Registered("n1", 16, 2));
  return *registered;
}

model::Pod PodOf(std::vector<model::Container> containers) {
  model::Pod pod;
  pod.name = "p";
  pod.containers = std::move(containers);
  return pod;
}

TEST(AwsNeuronBindTest, WholeDevicesListDeviceIndices) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  model::Pod pod = PodOf({C("main", {{"aws.amazon.com/neuron", "2"}})});
  model::PodSingleDevice devices = {{Dev(0, 3), Dev(1, 3)}};
  auto out = v.AllocationAnnotations({pod, "n1", devices, kNone, Trn1(), 1700000000});
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  const std::map<std::string, std::string> want = {
      {"hami.io/aws-neuron-devices-allocated",
       "n1-AWSNeuron-0,AWSNeuron,0,3:n1-AWSNeuron-1,AWSNeuron,0,3:;"},
      {"AWS_NEURON_IDS", "0,1"},
      {"NEURON_ALLOC_TIME", "1700000000000000000"},
      {"NEURON_ALLOCATED", "false"},
      {"aws.amazon.com/predicate-node", "n1"},
  };
  EXPECT_EQ(*out, want);
}

TEST(AwsNeuronBindTest, CoreRequestsListCoreIndicesAndTheResourceType) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  model::Pod pod = PodOf({C("main", {{"aws.amazon.com/neuroncore", "2"}})});
  auto out = v.AllocationAnnotations({pod, "n1", {{Dev(0, 3)}}, kNone, Trn1(), 0});
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->at("AWS_NEURON_IDS"), "0,1");
  EXPECT_EQ(out->at("NEURON_RESOURCE_TYPE"), "aws.amazon.com/neuroncore");
  EXPECT_EQ(out->at("hami.io/aws-neuron-devices-allocated"), "n1-AWSNeuron-0,AWSNeuron,0,3:;");
  auto second_core = v.AllocationAnnotations({pod, "n1", {{Dev(3, 2)}}, kNone, Trn1(), 0});
  ASSERT_TRUE(second_core.ok());
  EXPECT_EQ(second_core->at("AWS_NEURON_IDS"), "7");
}

// Upstream accumulates every container's ids into the one pod annotation (§17.7); kept.
TEST(AwsNeuronBindTest, IdsAccumulateAcrossContainersInitFirst) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  model::Pod pod = PodOf({C("a", {{"aws.amazon.com/neuroncore", "1"}}), C("cpu", {{"cpu", "1"}}),
                          C("b", {{"aws.amazon.com/neuron", "1"}})});
  pod.init_containers.push_back(C("init", {{"aws.amazon.com/neuroncore", "1"}}));
  model::PodSingleDevice devices = {{Dev(1, 1)}, {Dev(0, 1)}, {}, {Dev(2, 3)}};
  auto out = v.AllocationAnnotations({pod, "n1", devices, kNone, Trn1(), 0});
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->at("AWS_NEURON_IDS"), "2,0,2");
  EXPECT_EQ(out->at("NEURON_RESOURCE_TYPE"), "aws.amazon.com/neuroncore");
  EXPECT_EQ(out->at("hami.io/aws-neuron-devices-allocated"),
            "n1-AWSNeuron-1,AWSNeuron,0,1:;n1-AWSNeuron-0,AWSNeuron,0,1:;;"
            "n1-AWSNeuron-2,AWSNeuron,0,3:;");
}

TEST(AwsNeuronBindTest, NothingButTheAllocatedListWithoutDevices) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  model::Pod pod = PodOf({C("cpu", {{"cpu", "1"}})});
  auto out = v.AllocationAnnotations({pod, "n1", {{}}, kNone, Trn1(), 0});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            (std::map<std::string, std::string>{{"hami.io/aws-neuron-devices-allocated", ";"}}));
}

TEST(AwsNeuronBindTest, MasksOutsideTheDeviceAndMissingContainersAreErrors) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  model::Pod pod = PodOf({C("main", {{"aws.amazon.com/neuroncore", "1"}})});
  auto wide = v.AllocationAnnotations({pod, "n1", {{Dev(0, 4)}}, kNone, Trn1(), 0});
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error().message(),
            "container main: device n1-AWSNeuron-0 core mask 4 is outside its cores (mask 3)");
  const std::map<std::string, model::DeviceInfo> nothing;
  auto unknown = v.AllocationAnnotations({pod, "n1", {{Dev(0, 1)}}, kNone, nothing, 0});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("n1-AWSNeuron-0 is not in the node's registration"),
            std::string::npos);
  auto missing = v.AllocationAnnotations({pod, "n1", {{}, {Dev(0, 1)}}, kNone, Trn1(), 0});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("no container 1"), std::string::npos);
}

// Upstream numbers cores with the cores per device it learned from the first node it saw; here
// each device's own registration counts.
TEST(AwsNeuronBindTest, CoreIndicesUseTheDevicesCoresPerDevice) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  model::Pod pod = PodOf({C("main", {{"aws.amazon.com/neuroncore", "2"}})});
  // Inf1: 4 cores per device; cores 2 and 3 of device 1 are cores 6 and 7 of the node.
  auto inf1 =
      v.AllocationAnnotations({pod, "n1", {{Dev(1, 12)}}, kNone, Registered("n1", 4, 4), 0});
  ASSERT_TRUE(inf1.ok()) << inf1.error().ToString();
  EXPECT_EQ(inf1->at("AWS_NEURON_IDS"), "6,7");
  // Trn2: 8 cores per device; core 7 of device 2 is core 23.
  auto trn2 =
      v.AllocationAnnotations({pod, "n1", {{Dev(2, 128)}}, kNone, Registered("n1", 16, 8), 0});
  ASSERT_TRUE(trn2.ok()) << trn2.error().ToString();
  EXPECT_EQ(trn2->at("AWS_NEURON_IDS"), "23");
}

TEST(AwsNeuronBindTest, AllocatedAnnotationReadsBack) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  model::Pod pod = PodOf(
      {C("a", {{"aws.amazon.com/neuroncore", "1"}}), C("b", {{"aws.amazon.com/neuroncore", "1"}})});
  pod.annotations["hami.io/aws-neuron-devices-allocated"] =
      "n1-AWSNeuron-0,AWSNeuron,0,1:;n1-AWSNeuron-0,AWSNeuron,0,2:;";
  auto granted = v.GrantedDevices(pod);
  ASSERT_TRUE(granted.ok() && granted->has_value());
  ASSERT_EQ((*granted)->devices.size(), 2u);
  EXPECT_EQ((*granted)->devices[1][0].usedcores, 2);
  pod.annotations["hami.io/aws-neuron-devices-allocated"] = "n1-AWSNeuron-0,AWSNeuron,0,x:;";
  EXPECT_FALSE(v.GrantedDevices(pod).ok());
}

// Running pods book their masks; the device's mask is their union, so the next pod gets the
// cores nobody holds.
TEST(AwsNeuronBindTest, RunningPodsRebuildEachDevicesMask) {
  Registry registry;
  codec::NodeObject node_object;
  node_object.name = "n1";
  node_object.capacity = {{"aws.amazon.com/neuron", "2"}, {"aws.amazon.com/neuroncore", "4"}};
  auto place = [&](const std::vector<std::string>& running, const char* policy) -> std::string {
    auto node = NodeStateFromNode(node_object, registry);
    EXPECT_TRUE(node.ok());
    for (const auto& allocated : running) {
      model::Pod pod = PodOf({C("c", {{"aws.amazon.com/neuroncore", "1"}})});
      pod.annotations["hami.io/aws-neuron-devices-allocated"] = allocated;
      auto grants = GrantedDevices(pod, registry);
      EXPECT_TRUE(grants.ok());
      EXPECT_TRUE(sched::ApplyBooking(*node, BookingOf(pod, *grants, registry), +1).empty());
    }
    model::Pod next = PodOf({C("c", {{"aws.amazon.com/neuroncore", "1"}})});
    next.annotations["hami.io/gpu-scheduler-policy"] = policy;
    auto input = BuildPodInput(next, registry, sched::Policy{});
    EXPECT_TRUE(input.ok());
    const sched::NodeState* nodes[] = {&*node};
    auto decision = sched::Decide(nodes, *input, nullptr);
    if (!decision.chosen) return model::RenderReasons(decision.failures[0].second);
    const auto& d = decision.devices.at(kVendorName)[0][0];
    return d.uuid + "/" + std::to_string(d.usedcores);
  };
  EXPECT_EQ(place({"n1-AWSNeuron-0,AWSNeuron,0,1:;"}, "binpack"), "n1-AWSNeuron-0/2");
  EXPECT_EQ(place({"n1-AWSNeuron-0,AWSNeuron,0,2:;"}, "binpack"), "n1-AWSNeuron-0/1");
  EXPECT_EQ(place({"n1-AWSNeuron-0,AWSNeuron,0,1:;", "n1-AWSNeuron-0,AWSNeuron,0,2:;"}, "binpack"),
            "n1-AWSNeuron-1/1");
}

}  // namespace
}  // namespace hami::vendor::awsneuron
