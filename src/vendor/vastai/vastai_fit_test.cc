// Vastai fit through the public seam (vendors.md §13 "Fit", "ScoreNode", the §1.6 rows that apply):
// card mode, die-mode mutex, AIC grouping, node score, and what bind writes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "vendor/cluster_state.h"
#include "vendor/vastai/vastai_vendor.h"
#include "vendor/vastai/wire.h"

namespace hami::vendor::vastai {
namespace {

const Registry& Vendors() {
  static const Registry* registry = new Registry();
  return *registry;
}

struct Dev {
  std::string aic;  // "" = card mode (no custominfo)
  int32_t used = 0;
  int32_t count = 100;
  bool health = true;
  std::string type = "Vastai";
};

sched::NodeState Node(const std::string& name, const std::vector<Dev>& devs) {
  nlohmann::json reg = nlohmann::json::array();
  for (size_t i = 0; i < devs.size(); ++i) {
    nlohmann::json d = {{"id", "va-" + std::to_string(i)},
                        {"index", i},
                        {"count", devs[i].count},
                        {"devmem", 32768},
                        {"type", devs[i].type},
                        {"health", devs[i].health}};
    if (!devs[i].aic.empty()) d["custominfo"] = {{"DeviceStrategy", "die"}, {"AIC", devs[i].aic}};
    reg.push_back(d);
  }
  codec::NodeObject node;
  node.name = name;
  node.annotations[kRegisterAnnotation] = reg.dump();
  auto state = NodeStateFromNode(node, Vendors());
  EXPECT_TRUE(state.ok()) << state.error().ToString();
  for (size_t i = 0; i < devs.size(); ++i) state->devices[i].usage.used = devs[i].used;
  return std::move(*state);
}

model::ResourceList Va(int n) { return {{kDefaultCountResource, std::to_string(n)}}; }

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

const std::map<std::string, std::string> kMutex = {{"hami.io/gpu-scheduler-policy", "mutex"}};

// The allocated annotation of the placement, or the rendered reasons.
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
  for (int d : devices) out += "va-" + std::to_string(d) + ",Vastai,0,0:";
  return out + ";";
}

TEST(VastaiFitTest, CardModeAndStandardRows) {
  struct Case {
    const char* name;
    std::vector<Dev> devs;
    std::vector<model::ResourceList> ask;
    std::map<std::string, std::string> annotations;
    std::string want;
  };
  std::vector<Case> cases = {
      {"S1 one of two", {{}, {}}, {Va(1)}, {}, Grants({0})},
      {"two of three", {{}, {}, {}}, {Va(2)}, {}, Grants({0, 1})},
      {"S4 type", {{"", 0, 100, true, "OtherType"}}, {Va(1)}, {}, "1/1 CardTypeMismatch"},
      {"type in any case", {{"", 0, 100, true, "vastai-va1"}}, {Va(1)}, {}, Grants({0})},
      {"S5 use uuid", {{}}, {Va(1)}, {{kUseUuid, "va-9"}}, "1/1 CardUuidMismatch"},
      {"S6 nouse uuid", {{}}, {Va(1)}, {{kNoUseUuid, "va-0"}}, "1/1 CardUuidMismatch"},
      {"uuid pair",
       {{}, {}, {}},
       {Va(1)},
       {{kUseUuid, "va-1,va-2"}, {kNoUseUuid, "va-1"}},
       Grants({2})},
      {"S7 overused", {{"", 100}}, {Va(1)}, {}, "1/1 CardTimeSlicingExhausted"},
      {"exclusive card used", {{"", 1, 1}, {}}, {Va(1)}, {}, Grants({1})},
      {"S11 partial",
       {{}, {"", 0, 100, false}},
       {Va(2)},
       {},
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardNotHealth"},
      {"S13 mutex", {{"", 1}}, {Va(1)}, kMutex, "1/1 ExclusiveDeviceAllocateConflict"},
      {"S14 more than the node has", {{}, {}}, {Va(3)}, {}, "NodeInsufficientDevice"},
      {"S15 unhealthy", {{"", 0, 100, false}}, {Va(1)}, {}, "1/1 CardNotHealth"},
      {"two containers", {{"", 0, 1}, {"", 0, 1}}, {Va(1), Va(1)}, {}, Grants({0}) + Grants({1})},
      {"ignored use-va", {{}}, {Va(1)}, {{kUseVa, "nothing"}, {kNoUseVa, "Vastai"}}, Grants({0})},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Place(Node("n1", c.devs), PodAsking(c.ask, c.annotations)), c.want) << c.name;
  }
}

TEST(VastaiFitTest, DieModeMutexGuardsWholeCards) {
  struct Case {
    const char* name;
    std::vector<Dev> devs;
    std::vector<model::ResourceList> ask;
    std::map<std::string, std::string> annotations;
    std::string want;
  };
  std::vector<Case> cases = {
      {"idle die of a busy card refused",
       {{"AIC1", 1, 2}, {"AIC1"}, {"AIC2"}},
       {Va(1)},
       kMutex,
       Grants({2})},
      {"every card busy",
       {{"AIC1", 1, 2}, {"AIC1"}},
       {Va(1)},
       kMutex,
       "2/2 ExclusiveDeviceAllocateConflict"},
      {"without mutex the sibling die is fine",
       {{"AIC1", 1, 2}, {"AIC1"}, {"AIC2"}},
       {Va(1)},
       {},
       Grants({1})},
      {"this pod's earlier container makes its card busy",
       {{"AIC1", 0, 2}, {"AIC1"}, {"AIC2"}},
       {Va(1), Va(1)},
       kMutex,
       Grants({0}) + Grants({2})},
      {"a request's own dies share a card",
       {{"AIC1"}, {"AIC1"}, {"AIC2"}},
       {Va(2)},
       kMutex,
       Grants({0, 1})},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Place(Node("n1", c.devs), PodAsking(c.ask, c.annotations)), c.want) << c.name;
  }
}

TEST(VastaiFitTest, DieModeFillsWholeCardsLargestFirst) {
  const std::vector<Dev> three_cards = {{"AIC1"}, {"AIC1"}, {"AIC1"}, {"AIC2"}, {"AIC2"}, {"AIC3"}};
  const std::vector<Dev> interleaved = {{"AIC2"}, {"AIC1"}, {"AIC2"}, {"AIC1"}, {"AIC1"}, {"AIC3"}};
  struct Case {
    const char* name;
    std::vector<Dev> devs;
    int nums;
    std::string want;
  };
  std::vector<Case> cases = {
      {"one card of three, two wanted", {{"AIC1"}, {"AIC1"}, {"AIC1"}}, 2, Grants({0, 1})},
      {"N1 takes the first", three_cards, 1, Grants({0})},
      {"N3 is the largest card", three_cards, 3, Grants({0, 1, 2})},
      {"N4 adds the next card", three_cards, 4, Grants({0, 1, 2, 3})},
      {"exactly all", three_cards, 6, Grants({0, 1, 2, 3, 4, 5})},
      {"largest card beats policy order", interleaved, 3, Grants({1, 3, 4})},
      {"ties keep policy order", interleaved, 5, Grants({1, 3, 4, 0, 2})},
      {"a die without AIC is a card of its own",
       {{"AIC1"}, {"AIC9", 0}, {"AIC1"}},
       2,
       Grants({0, 2})},
      {"too few free dies",
       {{"AIC1", 1, 1}, {"AIC1"}, {"AIC1", 1, 1}, {"AIC2"}, {"AIC2", 1, 1}, {"AIC3"}},
       5,
       "3/6 AllocatedCardsInsufficientRequest, 3/6 CardTimeSlicingExhausted"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Place(Node("n1", c.devs), PodAsking({Va(c.nums)})), c.want) << c.name;
  }
}

// Die mode is the first device's strategy: a node whose first device is a plain card fills in
// policy order.
TEST(VastaiFitTest, CardModeNodeIgnoresLaterDiesCustomInfo) {
  EXPECT_EQ(Place(Node("n1", {{}, {"AIC2"}, {"AIC1"}, {"AIC1"}}), PodAsking({Va(2)})),
            Grants({0, 1}));
}

TEST(VastaiFitTest, ScoreIsTheShareOfEachContainersLargestCard) {
  const sched::VendorFit& fit = Vendors().Find(kVendorName)->Fit();
  ASSERT_TRUE(fit.rules().score_hook);
  sched::NodeState dies = Node("n1", {{"A"}, {"A"}, {"B"}, {"B"}});
  sched::PodInput pod;
  auto grant = [](int32_t container, std::string_view vendor, int32_t device) {
    sched::PendingGrant g;
    g.container = container;
    g.vendor = vendor;
    g.device = device;
    return g;
  };
  std::vector<sched::PendingGrant> grants = {grant(0, kVendorName, 0), grant(0, kVendorName, 1),
                                             grant(1, kVendorName, 2), grant(1, kVendorName, 0),
                                             grant(1, "NVIDIA", 3)};
  EXPECT_DOUBLE_EQ(fit.ScoreNode(dies, pod, grants, sched::NodePolicy::kBinpack), 1.5);
  EXPECT_DOUBLE_EQ(fit.ScoreNode(dies, pod, grants, sched::NodePolicy::kSpread), -1.5);
  sched::NodeState cards = Node("n2", {{}, {}, {}, {}});
  EXPECT_DOUBLE_EQ(fit.ScoreNode(cards, pod, grants, sched::NodePolicy::kBinpack), 0);
}

// Upstream adds the raw score under spread too, which then prefers the split placement (§17.8).
TEST(VastaiFitTest, BothNodePoliciesPreferTheNodeThatKeepsACardTogether) {
  sched::NodeState split = Node("a-split", {{"A", 1, 1}, {"A"}, {"B", 1, 1}, {"B"}});
  sched::NodeState whole = Node("b-whole", {{"A"}, {"A"}, {"B", 1, 1}, {"B", 1, 1}});
  for (const char* policy : {"binpack", "spread"}) {
    auto input = BuildPodInput(PodAsking({Va(2)}, {{"hami.io/node-scheduler-policy", policy}}),
                               Vendors(), sched::Policy{});
    ASSERT_TRUE(input.ok());
    const sched::NodeState* nodes[] = {&split, &whole};
    auto decision = sched::Decide(nodes, *input, nullptr);
    ASSERT_TRUE(decision.chosen) << policy;
    EXPECT_EQ(nodes[*decision.chosen]->name, "b-whole") << policy;
  }
}

}  // namespace
}  // namespace hami::vendor::vastai
