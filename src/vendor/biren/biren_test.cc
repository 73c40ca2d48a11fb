// Biren: Vastai's card mode with Biren's keys (vendors.md §14), through the public seam.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/biren/module.h"
#include "vendor/biren/wire.h"
#include "vendor/cluster_state.h"

namespace hami::vendor::biren {
namespace {

const Registry& Vendors() {
  static const Registry* registry = new Registry();
  return *registry;
}

struct Dev {
  int32_t used = 0;
  bool health = true;
  std::string type = "Biren";
  bool die = false;
};

sched::NodeState Node(const std::vector<Dev>& devs) {
  nlohmann::json reg = nlohmann::json::array();
  for (size_t i = 0; i < devs.size(); ++i) {
    nlohmann::json d = {{"id", "br-" + std::to_string(i)},
                        {"index", i},
                        {"count", 100},
                        {"devmem", 65536},
                        {"devcore", 7},
                        {"type", devs[i].type},
                        {"health", devs[i].health}};
    if (devs[i].die) d["custominfo"] = {{"DeviceStrategy", "die"}, {"AIC", "card"}};
    reg.push_back(d);
  }
  codec::NodeObject node;
  node.name = "n1";
  node.annotations[kRegisterAnnotation] = reg.dump();
  auto state = NodeStateFromNode(node, Vendors());
  EXPECT_TRUE(state.ok()) << state.error().ToString();
  for (size_t i = 0; i < devs.size(); ++i) state->devices[i].usage.used = devs[i].used;
  return std::move(*state);
}

model::Pod PodAsking(int n, std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.name = "p";
  pod.annotations = std::move(annotations);
  pod.containers.push_back(
      model::testing::MakeContainer("main", {{kDefaultCountResource, std::to_string(n)}}));
  return pod;
}

std::string Place(const sched::NodeState& node, const model::Pod& pod) {
  auto input = BuildPodInput(pod, Vendors(), sched::Policy{});
  EXPECT_TRUE(input.ok()) << input.error().ToString();
  const sched::NodeState* nodes[] = {&node};
  auto decision = sched::Decide(nodes, *input, nullptr);
  if (!decision.chosen) return model::RenderReasons(decision.failures.at(0).second);
  auto out = Vendors()
                 .Find(kVendorName)
                 ->AllocationAnnotations({pod, node.name, decision.devices.at(kVendorName),
                                          decision.partitions, decision.registered, 0});
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out->at(kToAllocateAnnotation), out->at(kAllocatedAnnotation));
  return out->at(kAllocatedAnnotation);
}

std::string Grants(const std::vector<int>& devices) {
  std::string out;
  for (int d : devices) out += "br-" + std::to_string(d) + ",Biren,0,0:";
  return out + ";";
}

TEST(BirenTest, VastaisCardModeWithBirensKeys) {
  const std::map<std::string, std::string> mutex = {{"hami.io/gpu-scheduler-policy", "mutex"}};
  struct Case {
    const char* name;
    std::vector<Dev> devs;
    int nums;
    std::map<std::string, std::string> annotations;
    std::string want;
  };
  std::vector<Case> cases = {
      {"success", {{}, {}}, 1, {}, Grants({0})},
      {"two", {{}, {}, {}}, 2, {}, Grants({0, 1})},
      {"type", {{0, true, "Other"}}, 1, {}, "1/1 CardTypeMismatch"},
      {"use uuid", {{}, {}}, 1, {{kUseUuid, "br-1"}}, Grants({1})},
      {"nouse uuid", {{}}, 1, {{kNoUseUuid, "br-0"}}, "1/1 CardUuidMismatch"},
      {"overused", {{100}}, 1, {}, "1/1 CardTimeSlicingExhausted"},
      {"insufficient", {{}}, 2, {}, "NodeInsufficientDevice"},
      {"mutex", {{1}}, 1, mutex, "1/1 ExclusiveDeviceAllocateConflict"},
      // Upstream's Biren counts picked device types, not devices, in the partial reason; and it
      // skips the health check.
      {"partial",
       {{}, {100}, {}},
       3,
       {},
       "1/3 CardTimeSlicingExhausted, 2/3 AllocatedCardsInsufficientRequest"},
      {"unhealthy", {{0, false}}, 1, {}, "1/1 CardNotHealth"},
      {"die custominfo is not Biren's",
       {{0, true, "Biren", true}, {0, true, "Biren", true}},
       1,
       {},
       Grants({0})},
      {"ignored use-biren", {{}}, 1, {{kUseBiren, "x"}, {kNoUseBiren, "Biren"}}, Grants({0})},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Place(Node(c.devs), PodAsking(c.nums, c.annotations)), c.want) << c.name;
  }
}

TEST(BirenTest, RegistrationRequestAndKeys) {
  sched::NodeState node = Node({{}, {}});
  EXPECT_EQ(node.devices[0].info.devcore, 100);
  EXPECT_EQ(node.devices[0].info.vendor, "Biren");
  EXPECT_TRUE(node.attributes.empty());
  const Vendor* v = Vendors().Find(kVendorName);
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(v->Fit().rules().select_hook || v->Fit().rules().device_hook ||
               v->Fit().rules().score_hook);
  EXPECT_EQ(v->Keys().register_annotation, "hami.io/node-biren-register");
  EXPECT_EQ(v->Keys().handshake_annotation, "hami.io/node-handshake-biren");
  EXPECT_EQ(v->Keys().to_allocate_annotation, "hami.io/Biren-devices-to-allocate");
  EXPECT_EQ(v->Keys().allocated_annotation, "hami.io/Biren-devices-allocated");
  EXPECT_EQ(v->HealthResource(), "birentech.com/gpu");
  ASSERT_TRUE(v->Lock().has_value());
  EXPECT_EQ(v->Lock()->annotation, "hami.io/mutex.lock");
  model::Container c = model::testing::MakeContainer("main", {{"birentech.com/gpu", "2"}});
  auto request = v->ContainerRequest(model::Pod{}, c);
  ASSERT_TRUE(request.ok() && request->has_value());
  EXPECT_EQ((*request)->vendor, "Biren");
  EXPECT_EQ((*request)->nums, 2);
  c.limits["birentech.com/gpu"] = "0.5";
  EXPECT_FALSE(v->ContainerRequest(model::Pod{}, c).ok());
  auto renamed = Registry::Create(
      {nlohmann::json::parse(R"({"biren":{"resourceCountName":"birentech.com/vgpu","x":1}})")});
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->Find(kVendorName)->ResourceNames(),
            std::vector<std::string>{"birentech.com/vgpu"});
  bool warned = false;
  for (const auto& w : renamed->warnings())
    warned = warned || w.find("biren.x") != std::string::npos;
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace hami::vendor::biren
