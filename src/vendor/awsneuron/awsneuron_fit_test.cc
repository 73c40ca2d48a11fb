// AWS Neuron fit through the public seam (vendors.md §11 "Fit"): core masks of one-device
// requests, contiguous index runs of multi-device requests, reasons as upstream renders them.
#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/awsneuron/neuron_fit.h"
#include "vendor/awsneuron/wire.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::awsneuron {
namespace {

const Registry& Vendors() {
  static const Registry* registry = new Registry();
  return *registry;
}

sched::NodeState Node(int devices, int cores_per_device, const std::string& instance_type) {
  codec::NodeObject node;
  node.name = "n1";
  node.capacity[kDefaultCountResource] = std::to_string(devices);
  node.capacity[kDefaultCoreResource] = std::to_string(devices * cores_per_device);
  node.labels[kInstanceTypeLabel] = instance_type;
  auto state = NodeStateFromNode(node, Vendors());
  EXPECT_TRUE(state.ok()) << state.error().ToString();
  return std::move(*state);
}

// Books `mask` (and one slot) on device `index`, as a running pod would.
void Use(sched::NodeState& node, int index, int64_t mask, int32_t slots = 1) {
  node.devices[index].usage.used += slots;
  node.devices[index].usage.usedcores += mask;
}

model::Pod PodAsking(std::vector<model::ResourceList> containers,
                     std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.name = "p";
  pod.annotations = std::move(annotations);
  for (size_t i = 0; i < containers.size(); ++i) {
    pod.containers.push_back(
        model::testing::MakeContainer("c" + std::to_string(i), std::move(containers[i])));
  }
  return pod;
}

model::ResourceList Devices(int n) { return {{kDefaultCountResource, std::to_string(n)}}; }
model::ResourceList Cores(int n) { return {{kDefaultCoreResource, std::to_string(n)}}; }

// "index/mask" per grant, containers joined by " | "; or the rendered reasons.
std::string Place(const sched::NodeState& node, const model::Pod& pod) {
  auto input = BuildPodInput(pod, Vendors(), sched::Policy{});
  EXPECT_TRUE(input.ok()) << input.error().ToString();
  const sched::NodeState* nodes[] = {&node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  if (!decision.chosen) return model::RenderReasons(decision.failures.at(0).second);
  std::string out;
  for (const auto& container : decision.devices.at(kVendorName)) {
    if (!out.empty()) out += " | ";
    std::string part;
    for (const auto& d : container) {
      part += (part.empty() ? "" : " ") + std::to_string(d.idx) + "/" + std::to_string(d.usedcores);
    }
    out += part;
  }
  return out;
}

std::string Span(int from, int to, int64_t mask) {
  std::string out;
  for (int i = from; i <= to; ++i) {
    out += (out.empty() ? "" : " ") + std::to_string(i) + "/" + std::to_string(mask);
  }
  return out;
}

TEST(AwsNeuronFitTest, LowestBitsAndRingInstances) {
  EXPECT_EQ(LowestBits(0b1111, 2), 0b0011u);
  EXPECT_EQ(LowestBits(0b1010, 1), 0b0010u);
  EXPECT_EQ(LowestBits(0b1010, 5), 0b1010u);
  EXPECT_EQ(LowestBits(0b0110, 0), 0u);
  EXPECT_TRUE(IsRingInstance("inf2.48xlarge"));
  EXPECT_TRUE(IsRingInstance("Inf1"));
  EXPECT_FALSE(IsRingInstance("trn1.32xlarge"));
  EXPECT_FALSE(IsRingInstance(""));
}

TEST(AwsNeuronFitTest, MultiDeviceRunsByIndex) {
  struct Case {
    const char* name;
    std::string instance_type;
    std::vector<int> used;
    int nums;
    std::string want;
  };
  std::vector<Case> cases = {
      {"inf2 N16 takes all", "inf2.48xlarge", {}, 16, Span(0, 15, 3)},
      {"trn N8 with 7 and 13 used", "trn1.32xlarge", {7, 13}, 8, "1/16 NumaNotFit"},
      {"trn N8 with 7 used", "trn1.32xlarge", {7}, 8, Span(8, 15, 3)},
      {"inf N8 with 5 and 14 used", "inf2.48xlarge", {5, 14}, 8, Span(6, 13, 3)},
      {"trn N4 aligned", "trn1.32xlarge", {1}, 4, Span(4, 7, 3)},
      {"trn N2 never fits", "trn1.32xlarge", {}, 2, "1/16 NumaNotFit"},
      {"trn N3 never fits", "trn1.32xlarge", {}, 3, "1/16 NumaNotFit"},
      {"no instance label: aligned groups", "", {0}, 4, Span(4, 7, 3)},
      {"inf N3 any start", "inf2.48xlarge", {0, 4}, 3, Span(1, 3, 3)},
      {"more than the node has", "inf2.48xlarge", {}, 17, "NodeInsufficientDevice"},
  };
  for (const auto& c : cases) {
    sched::NodeState node = Node(16, 2, c.instance_type);
    for (int i : c.used) Use(node, i, 1);
    EXPECT_EQ(Place(node, PodAsking({Devices(c.nums)})), c.want) << c.name;
  }
}

TEST(AwsNeuronFitTest, MultiDeviceCoreRequestsBookTheirCoresOnIdleDevices) {
  sched::NodeState trn = Node(16, 2, "trn1.32xlarge");
  EXPECT_EQ(Place(trn, PodAsking({Cores(8)})), Span(0, 3, 3));
  // Inf1 has 4 cores per device: 4 cores are 2 devices × 2 cores, each booking only its 2 cores
  // (upstream books the whole device's mask and lists all 8 cores).
  sched::NodeState inf1 = Node(4, 4, "inf1.6xlarge");
  EXPECT_EQ(Place(inf1, PodAsking({Cores(4)})), Span(0, 1, 3));
  EXPECT_EQ(Place(inf1, PodAsking({Devices(2)})), Span(0, 1, 15));
}

// Upstream reads positions in the policy-sorted list (§17.3); runs are by device index here.
TEST(AwsNeuronFitTest, RunsDoNotDependOnThePolicyOrder) {
  for (const char* policy : {"binpack", "spread"}) {
    sched::NodeState node = Node(8, 2, "inf2.24xlarge");
    Use(node, 1, 1);
    Use(node, 6, 3);
    EXPECT_EQ(Place(node, PodAsking({Devices(3)}, {{"hami.io/gpu-scheduler-policy", policy}})),
              Span(2, 4, 3))
        << policy;
  }
}

// Upstream skips the UUID check for several devices; an excluded device breaks a run here.
TEST(AwsNeuronFitTest, ExcludedDevicesBreakRuns) {
  sched::NodeState node = Node(16, 2, "trn1.32xlarge");
  EXPECT_EQ(Place(node, PodAsking({Devices(8)}, {{kNoUseUuid, "n1-AWSNeuron-3"}})), Span(8, 15, 3));
  EXPECT_EQ(Place(node, PodAsking({Devices(4)}, {{kUseUuid, "n1-AWSNeuron-4,n1-AWSNeuron-5"}})),
            "1/16 NumaNotFit");
}

TEST(AwsNeuronFitTest, OneDeviceBooksTheLowestFreeCores) {
  struct Case {
    const char* name;
    int devices;
    int cores_per_device;
    std::vector<std::pair<int, int64_t>> used;  // device, mask
    model::ResourceList ask;
    std::string policy;
    std::string want;
  };
  std::vector<Case> cases = {
      {"idle: one core", 1, 2, {}, Cores(1), "", "0/1"},
      {"idle: two cores", 1, 2, {}, Cores(2), "", "0/3"},
      {"idle: whole device", 1, 2, {}, Devices(1), "", "0/3"},
      {"core 0 taken: the other", 1, 2, {{0, 1}}, Cores(1), "", "0/2"},
      {"core 1 taken: the other", 1, 2, {{0, 2}}, Cores(1), "", "0/1"},
      {"one core left, two asked", 1, 2, {{0, 1}}, Cores(2), "", "1/1 CardInsufficientCore"},
      {"whole device, one core taken", 1, 2, {{0, 2}}, Devices(1), "", "1/1 CardInsufficientCore"},
      {"inf1: whole device", 1, 4, {}, Devices(1), "", "0/15"},
      {"inf1: whole device, one core taken",
       1,
       4,
       {{0, 4}},
       Devices(1),
       "",
       "1/1 CardInsufficientCore"},
      {"inf1: next two cores", 1, 4, {{0, 1}}, Cores(2), "", "0/6"},
      {"inf1: gaps are used", 1, 4, {{0, 5}}, Cores(2), "", "0/10"},
      {"trn2: eight cores", 1, 8, {{0, 0b01111111}}, Cores(1), "", "0/128"},
      // Devices without memory score 0 (as upstream): the lowest index goes first under any policy.
      {"spread: lowest index", 2, 2, {{0, 1}}, Cores(1), "spread", "0/2"},
      {"binpack: lowest index", 2, 2, {{0, 1}}, Cores(1), "binpack", "0/2"},
      {"mutex: the idle device", 2, 2, {{0, 1}}, Cores(1), "mutex", "1/1"},
  };
  for (const auto& c : cases) {
    sched::NodeState node = Node(c.devices, c.cores_per_device, "trn1.2xlarge");
    for (const auto& [device, mask] : c.used) Use(node, device, mask);
    std::map<std::string, std::string> annotations;
    if (!c.policy.empty()) annotations["hami.io/gpu-scheduler-policy"] = c.policy;
    EXPECT_EQ(Place(node, PodAsking({c.ask}, annotations)), c.want) << c.name;
  }
}

TEST(AwsNeuronFitTest, ContainersOfOnePodShareADevicesCores) {
  sched::NodeState node = Node(1, 2, "inf2.xlarge");
  EXPECT_EQ(Place(node, PodAsking({Cores(1), Cores(1)})), "0/1 | 0/2");
  EXPECT_EQ(Place(node, PodAsking({Cores(1), Cores(2)})), "1/1 CardInsufficientCore");
}

TEST(AwsNeuronFitTest, UpstreamChecksAndReasons) {
  struct Case {
    const char* name;
    std::vector<std::pair<int, int64_t>> used;
    int32_t slots;
    model::ResourceList ask;
    std::map<std::string, std::string> annotations;
    std::string want;
  };
  std::vector<Case> cases = {
      {"slots exhausted", {{0, 0}}, 2, Cores(1), {}, "1/1 CardTimeSlicingExhausted"},
      {"mutex",
       {{0, 1}},
       1,
       Cores(1),
       {{"hami.io/gpu-scheduler-policy", "mutex"}},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"use uuid", {}, 0, Cores(1), {{kUseUuid, "other"}}, "1/1 CardUuidMismatch"},
      {"nouse uuid", {}, 0, Cores(1), {{kNoUseUuid, " n1-AWSNeuron-0 ,x"}}, "1/1 CardUuidMismatch"},
      {"use uuid match", {}, 0, Cores(1), {{kUseUuid, "n1-AWSNeuron-0"}}, "0/1"},
      // Overlapping masks (a sum with bits outside the device) leave no free core.
      {"inconsistent booking", {{0, 4}}, 1, Cores(1), {}, "1/1 CardInsufficientCore"},
      {"negative booking", {{0, -1}}, 1, Cores(1), {}, "1/1 CardInsufficientCore"},
  };
  for (const auto& c : cases) {
    sched::NodeState node = Node(1, 2, "inf2.xlarge");
    for (const auto& [device, mask] : c.used) Use(node, device, mask, c.slots);
    EXPECT_EQ(Place(node, PodAsking({c.ask}, c.annotations)), c.want) << c.name;
  }
}

}  // namespace
}  // namespace hami::vendor::awsneuron
