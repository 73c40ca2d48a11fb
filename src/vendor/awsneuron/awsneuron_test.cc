// AWS Neuron: config block, devices from node capacity, request derivation and the webhook
// (vendors.md §11 "Config", "Devices", "Request").
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "vendor/awsneuron/neuron_vendor.h"
#include "vendor/awsneuron/request.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::awsneuron {
namespace {

codec::NodeObject NeuronNode(const std::string& devices, const std::string& cores,
                             const std::string& instance_type) {
  codec::NodeObject node;
  node.name = "n1";
  node.capacity[kDefaultCountResource] = devices;
  if (!cores.empty()) node.capacity[kDefaultCoreResource] = cores;
  if (!instance_type.empty()) node.labels[kInstanceTypeLabel] = instance_type;
  return node;
}

model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  return model::testing::MakeContainer("main", std::move(limits), std::move(requests));
}

TEST(AwsNeuronNodeTest, DevicesComeFromCapacity) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  auto devices = v.DevicesFromNode(NeuronNode("1", "2", "inf2.xlarge"));
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->devices.size(), 1u);
  const model::DeviceInfo& d = devices->devices[0];
  EXPECT_EQ(d.id, "n1-AWSNeuron-0");
  EXPECT_EQ(d.type, "AWSNeuron");
  EXPECT_EQ(d.vendor, "AWSNeuron");
  EXPECT_EQ(d.count, 2);
  EXPECT_EQ(d.devcore, 3);
  EXPECT_EQ(d.devmem, 0);
  EXPECT_TRUE(d.health);
  EXPECT_EQ(d.attributes.at(kNodeTypeAttribute), "inf2.xlarge");
}

TEST(AwsNeuronNodeTest, CoresPerDeviceAndBounds) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  struct Case {
    const char* name;
    codec::NodeObject node;
    int32_t count;  // -1: error expected
    int32_t devcore;
    size_t devices;
  };
  std::vector<Case> cases = {
      {"inf1: 4 cores per device", NeuronNode("4", "16", "inf1.6xlarge"), 4, 15, 4},
      {"trn1: 16 x 2", NeuronNode("16", "32", "trn1.32xlarge"), 2, 3, 16},
      {"trn2: 8 cores", NeuronNode("16", "128", "trn2.48xlarge"), 8, 255, 16},
      {"no core capacity: 2", NeuronNode("2", "", ""), 2, 3, 2},
      {"fewer cores than devices: 2", NeuronNode("4", "2", ""), 2, 3, 4},
      {"too many devices", NeuronNode("100000", "200000", ""), -1, 0, 0},
      {"too many cores per device", NeuronNode("1", "64", ""), -1, 0, 0},
      {"not a count", NeuronNode("1.5", "2", ""), -1, 0, 0},
  };
  for (const auto& c : cases) {
    auto devices = v.DevicesFromNode(c.node);
    if (c.count < 0) {
      ASSERT_FALSE(devices.ok()) << c.name;
      EXPECT_EQ(devices.error().code(), base::StatusCode::kInvalidArgument) << c.name;
      EXPECT_NE(devices.error().message().find("aws.amazon.com/neuron"), std::string::npos)
          << c.name << ": " << devices.error().message();
      continue;
    }
    ASSERT_TRUE(devices.ok()) << c.name << ": " << devices.error().ToString();
    ASSERT_EQ(devices->devices.size(), c.devices) << c.name;
    EXPECT_EQ(devices->devices.back().count, c.count) << c.name;
    EXPECT_EQ(devices->devices.back().devcore, c.devcore) << c.name;
    EXPECT_EQ(devices->devices.back().index, static_cast<int32_t>(c.devices - 1)) << c.name;
  }
}

TEST(AwsNeuronNodeTest, NoNeuronCapacityIsNotFound) {
  AwsNeuronVendor v{AwsNeuronConfig{}};
  codec::NodeObject node;
  node.name = "cpu";
  EXPECT_EQ(v.DevicesFromNode(node).error().code(), base::StatusCode::kNotFound);
  EXPECT_EQ(v.DevicesFromNode(NeuronNode("0", "0", "")).error().code(),
            base::StatusCode::kNotFound);
}

TEST(AwsNeuronRequestTest, DerivationTable) {
  AwsNeuronConfig config;
  struct Case {
    const char* name;
    model::Container container;
    int32_t nums;
    int64_t cores;
  };
  std::vector<Case> cases = {
      {"neuron 1", C({{"aws.amazon.com/neuron", "1"}}), 1, kWholeDevice},
      {"neuron 16", C({{"aws.amazon.com/neuron", "16"}}), 16, kWholeDevice},
      {"core 1", C({{"aws.amazon.com/neuroncore", "1"}}), 1, 1},
      {"core 2", C({{"aws.amazon.com/neuroncore", "2"}}), 1, 2},
      {"core 4", C({{"aws.amazon.com/neuroncore", "4"}}), 2, 2},
      {"core 6", C({{"aws.amazon.com/neuroncore", "6"}}), 3, 2},
      {"count wins", C({{"aws.amazon.com/neuron", "2"}, {"aws.amazon.com/neuroncore", "1"}}), 2,
       kWholeDevice},
      {"requests only", C({}, {{"aws.amazon.com/neuroncore", "2"}}), 1, 2},
      {"limits first", C({{"aws.amazon.com/neuron", "1"}}, {{"aws.amazon.com/neuron", "3"}}), 1,
       kWholeDevice},
      {"max cores", C({{"aws.amazon.com/neuroncore", "4294967294"}}), 2147483647, 2},
  };
  for (const auto& c : cases) {
    auto r = NeuronRequest(c.container, config);
    ASSERT_TRUE(r.ok()) << c.name << ": " << r.error().ToString();
    ASSERT_TRUE(r->has_value()) << c.name;
    EXPECT_EQ((*r)->vendor, "AWSNeuron") << c.name;
    EXPECT_EQ((*r)->nums, c.nums) << c.name;
    EXPECT_EQ((*r)->coresreq, c.cores) << c.name;
    EXPECT_EQ((*r)->MemoryOn(0), 0) << c.name;
  }
  auto none = NeuronRequest(C({{"cpu", "1"}}), config);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(AwsNeuronRequestTest, BadCountsAreRejectedByName) {
  AwsNeuronConfig config;
  struct Case {
    const char* name;
    model::Container container;
    std::string want;
  };
  std::vector<Case> cases = {
      {"3 cores", C({{"aws.amazon.com/neuroncore", "3"}}),
       "container main: aws.amazon.com/neuroncore must be 1 or a multiple of 2, got 3"},
      {"5 cores", C({{"aws.amazon.com/neuroncore", "5"}}),
       "aws.amazon.com/neuroncore must be 1 or a multiple of 2, got 5"},
      {"zero devices", C({{"aws.amazon.com/neuron", "0"}}),
       "container main: aws.amazon.com/neuron must be greater than 0, got 0"},
      {"negative cores", C({{"aws.amazon.com/neuroncore", "-2"}}),
       "aws.amazon.com/neuroncore must be greater than 0"},
      {"too many devices", C({{"aws.amazon.com/neuron", "2147483648"}}),
       "aws.amazon.com/neuron must not exceed 2147483647"},
      {"too many cores", C({{"aws.amazon.com/neuroncore", "4294967296"}}),
       "aws.amazon.com/neuroncore must not exceed 4294967294"},
      {"fraction", C({{"aws.amazon.com/neuron", "1.5"}}), "resource aws.amazon.com/neuron"},
      {"garbage", C({{"aws.amazon.com/neuroncore", "two"}}), "resource aws.amazon.com/neuroncore"},
  };
  for (const auto& c : cases) {
    auto r = NeuronRequest(c.container, config);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(AwsNeuronRequestTest, WebhookRejectsWhatTheSchedulerRejectsAndMutatesNothing) {
  Registry registry;
  model::Pod pod;
  pod.name = "p";
  pod.containers.push_back(C({{"aws.amazon.com/neuroncore", "3"}}));
  auto refused = AdmitPod(pod, registry);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(),
            "pod default/p: container main: aws.amazon.com/neuroncore must be 1 or a multiple of "
            "2, got 3");
  pod.containers[0] = C({{"aws.amazon.com/neuroncore", "2"}, {"cpu", "1"}});
  const model::Pod before = pod;
  auto admitted = AdmitPod(pod, registry);
  ASSERT_TRUE(admitted.ok()) << admitted.error().ToString();
  EXPECT_TRUE(*admitted);
  EXPECT_EQ(pod.containers[0].limits, before.containers[0].limits);
  EXPECT_EQ(pod.containers[0].env, before.containers[0].env);
  pod.containers[0] = C({{"cpu", "1"}});
  EXPECT_FALSE(*AdmitPod(pod, registry));
}

TEST(AwsNeuronConfigTest, BlockRenamesResourcesAndWarnsUnknownKeys) {
  auto r = Registry::Create({nlohmann::json::parse(
      R"({"awsneuron":{"resourceCountName":"x.com/neuron","resourceCoreName":"x.com/core","bogus":1}})")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const auto* v = dynamic_cast<const AwsNeuronVendor*>(r->Find("AWSNeuron"));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->config().resource_count_name, "x.com/neuron");
  EXPECT_EQ(v->config().resource_core_name, "x.com/core");
  EXPECT_EQ(v->ResourceNames(), (std::vector<std::string>{"x.com/neuron", "x.com/core"}));
  bool warned = false;
  for (const auto& w : r->warnings())
    warned = warned || w.find("awsneuron.bogus") != std::string::npos;
  EXPECT_TRUE(warned);
  auto bad = Registry::Create({nlohmann::json::parse(R"({"awsneuron":{"resourceCoreName":[1]}})")});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("awsneuron.resourceCoreName"), std::string::npos);
  const Registry registry;
  const auto* defaults = dynamic_cast<const AwsNeuronVendor*>(registry.Find("AWSNeuron"));
  ASSERT_NE(defaults, nullptr);
  EXPECT_EQ(defaults->Keys().allocated_annotation, "hami.io/aws-neuron-devices-allocated");
  EXPECT_TRUE(defaults->Keys().to_allocate_annotation.empty());
  EXPECT_FALSE(defaults->Lock().has_value());
  EXPECT_TRUE(defaults->Quota().core.empty());
}

}  // namespace
}  // namespace hami::vendor::awsneuron
