// vendors.md §8.2 (Metax-SGPU fit) through the scheduling core: the acceptance table with its
// deviations, app class and QoS against the pods booked on a device (their tags), MetaXLink and
// online device choice, and the policy-neutral node score.
#include "vendor/metax/sgpu_fit.h"

#include <gtest/gtest.h>

#include "model/pod_test_util.h"
#include "sched/decide.h"
#include "sched/fit.h"
#include "sched/usage.h"
#include "vendor/cluster_state.h"
#include "vendor/fit_table_test_util.h"
#include "vendor/metax/sgpu_vendor.h"
#include "vendor/metax/wire.h"

namespace hami::vendor::metax {
namespace {

struct Dev {
  std::string id;
  int32_t totalmem = 1280;
  int32_t used = 0;
  int64_t usedmem = 0;
  int64_t usedcores = 0;
  bool health = true;
  int64_t zone = 0;
  std::vector<std::string> tags = {};
  std::string qos = {};  // registered QosPolicy
};

sched::NodeState Node(const std::vector<Dev>& devs) {
  sched::NodeState node;
  node.name = "sgpu";
  for (size_t i = 0; i < devs.size(); ++i) {
    sched::DeviceState d;
    d.info.id = devs[i].id;
    d.info.index = static_cast<int32_t>(i);
    d.info.count = 100;
    d.info.devmem = devs[i].totalmem;
    d.info.devcore = 100;
    d.info.type = kSgpuVendorName;
    d.info.vendor = kSgpuVendorName;
    d.info.health = devs[i].health;
    d.info.attributes = {{kAttrLinkZone, std::to_string(devs[i].zone)},
                         {kAttrQosPolicy, devs[i].qos}};
    d.usage.used = devs[i].used;
    d.usage.usedmem = devs[i].usedmem;
    d.usage.usedcores = devs[i].usedcores;
    d.usage.tags = devs[i].tags;
    node.devices.push_back(std::move(d));
  }
  return node;
}

model::DeviceRequest Req(int32_t nums, int64_t mem, int32_t pct, int64_t cores) {
  return testing::TableRequest(kSgpuVendorName, nums, mem, pct, cores);
}

const SgpuVendor& Vendor() {
  static const SgpuVendor vendor{MetaxConfig{}};
  return vendor;
}

sched::PodInput Input(const model::DeviceRequest& request,
                      const std::map<std::string, std::string>& annotations) {
  model::Pod pod;
  pod.annotations = annotations;
  sched::PodInput input;
  input.requests.app.push_back({{request.vendor, request}});
  input.vendors[kSgpuVendorName] = {*Vendor().Selector(pod), &Vendor().Fit()};
  input.policy = *sched::PolicyForPod(pod.annotations, sched::Policy{});
  return input;
}

std::string Outcome(const sched::NodeState& node, const model::DeviceRequest& request,
                    const testing::Annotations& annotations = {}) {
  return testing::FitOutcome(Vendor(), node, request, annotations);
}

TEST(MetaxSgpuFitTest, AcceptanceTable) {
  const std::map<std::string, std::string> none;
  struct Case {
    const char* name;
    std::vector<Dev> devices;
    model::DeviceRequest request;
    std::map<std::string, std::string> annotations;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"S1", {{"dev-0", 128}, {"dev-1", 128}}, Req(1, 64, 0, 50), none, "fit dev-0:64/50"},
      {"S2", {{"dev-0", 128}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientMemory"},
      {"S3", {{"dev-0", 1024, 0, 0, 100}}, Req(1, 512, 0, 50), none, "1/1 CardInsufficientCore"},
      {"S5 (N1)",
       {{"dev-1", 1280}},
       Req(1, 512, 0, 50),
       {{kUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      {"S6 (N1)",
       {{"dev-0", 1280}},
       Req(1, 512, 0, 50),
       {{kNoUseUuid, "dev-0"}},
       "1/1 CardUuidMismatch"},
      {"S7", {{"dev-0", 1280, 100}}, Req(1, 512, 0, 50), none, "1/1 CardTimeSlicingExhausted"},
      // No clamp: 120 cores do not fit a 100-core card.
      {"S8", {{"dev-0", 1280}}, Req(1, 512, 0, 120), none, "1/1 CardInsufficientCore"},
      {"S9",
       {{"dev-0", 1280, 20}},
       Req(1, 512, 0, 100),
       none,
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"S10",
       {{"dev-0", 1280, 20, 0, 100}},
       Req(1, 512, 0, 0),
       none,
       "1/1 CardComputeUnitsExhausted"},
      {"S11 (partial)",
       {{"dev-0", 1280, 20, 0, 10}, {"dev-1", 1280, 0, 0, 0, false}},
       Req(2, 512, 0, 20),
       none,
       "1/2 AllocatedCardsInsufficientRequest, 1/2 CardUnhealthy"},
      {"S12", {{"dev-0", 1280, 20, 0, 10}}, Req(1, 0, 10, 20), none, "fit dev-0:128/20"},
      {"S13",
       {{"dev-0", 1280, 1}},
       Req(1, 64, 0, 50),
       {{"hami.io/gpu-scheduler-policy", "mutex"}},
       "1/1 ExclusiveDeviceAllocateConflict"},
      {"unhealthy",
       {{"dev-0", 1280, 0, 0, 0, false}},
       Req(1, 64, 0, 50),
       none,
       "1/1 CardUnhealthy"},
      // Memory is counted before cores when a device is short of both.
      {"memory first",
       {{"dev-0", 1280, 1, 1280, 100}},
       Req(1, 64, 0, 50),
       none,
       "1/1 CardInsufficientMemory"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Outcome(Node(c.devices), c.request, c.annotations), c.want) << c.name;
  }
}

TEST(MetaxSgpuFitTest, AppClassAgainstBookedPods) {
  const std::map<std::string, std::string> online = {{kAppClassAnnotation, "online"}};
  const std::map<std::string, std::string> offline = {{kAppClassAnnotation, "offline"}};
  const std::map<std::string, std::string> plain;
  const std::vector<std::string> unclassified_pod = {"class:", "qos:best-effort"};
  const std::vector<std::string> online_pod = {"class:online"};
  const std::vector<std::string> offline_pod = {"class:offline", "qos:best-effort"};
  auto on = [](std::vector<std::string> tags) {
    return Node({{"GPU-0", 1280, 1, 100, 10, true, 0, std::move(tags)}});
  };
  struct Case {
    const char* name;
    sched::NodeState node;
    std::map<std::string, std::string> annotations;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"online on idle", Node({{"GPU-0"}}), online, "fit GPU-0:1180/0"},
      {"online on unclassified", on(unclassified_pod), online, "1/1 CardAppClassMismatch"},
      {"plain on online", on(online_pod), plain, "1/1 CardAppClassMismatch"},
      {"plain on unclassified", on(unclassified_pod), plain, "fit GPU-0:1180/20"},
      {"offline on online", on(online_pod), offline, "1/1 CardAppClassMismatch"},
      {"online on offline", on(offline_pod), online, "fit GPU-0:1180/0"},
      {"offline on offline", on(offline_pod), offline, "fit GPU-0:1180/20"},
      // A used device whose pods declared nothing counts as unclassified, as upstream.
      {"online on untagged", on({}), online, "1/1 CardAppClassMismatch"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Outcome(c.node, Req(1, 1180, 0, 20), c.annotations), c.want) << c.name;
  }
}

// Upstream sees a card taken by the pod's own first container as holding an unclassified pod and
// refuses the second container of an online or offline pod; the pod's own grants do not count here.
TEST(MetaxSgpuFitTest, ContainersOfOneClassifiedPodShareACard) {
  for (const char* cls : {"online", "offline"}) {
    sched::PodInput input = Input(Req(1, 500, 0, 20), {{kAppClassAnnotation, cls}});
    input.requests.app.push_back(input.requests.app[0]);
    sched::NodeFitter fitter;
    ASSERT_TRUE(fitter.FitPod(Node({{"GPU-0"}}), input, nullptr))
        << cls << ": " << model::RenderReasons(fitter.failure());
    EXPECT_EQ(fitter.grants().size(), 2u);
  }
}

TEST(MetaxSgpuFitTest, QosPolicyOfSharedDevices) {
  const auto req = Req(1, 64, 0, 50);
  const std::map<std::string, std::string> fixed = {{kQosPolicyAnnotation, "fixed-share"}};
  // Idle devices take any policy, whatever they last reported.
  EXPECT_EQ(Outcome(Node({{"GPU-0", 1280, 0, 0, 0, true, 0, {}, "burst-share"}}), req, fixed),
            "fit GPU-0:64/50");
  // Pods on the device set its policy.
  const Dev shared{"GPU-0", 1280, 1, 64, 50, true, 0, {"class:", "qos:best-effort"}, "best-effort"};
  EXPECT_EQ(Outcome(Node({shared}), req, fixed), "1/1 CardQosPolicyMismatch");
  EXPECT_EQ(Outcome(Node({shared}), req), "fit GPU-0:64/50");  // default best-effort
  // Without a stated policy, the registered one decides; empty passes.
  const Dev reported{"GPU-0", 1280, 1, 64, 50, true, 0, {"class:", "qos:"}, "burst-share"};
  EXPECT_EQ(Outcome(Node({reported}), req, fixed), "1/1 CardQosPolicyMismatch");
  Dev blank = reported;
  blank.qos = "";
  EXPECT_EQ(Outcome(Node({blank}), req, fixed), "fit GPU-0:64/50");
  // A whole-card request skips the QoS check (and is refused for the cores already held).
  EXPECT_EQ(Outcome(Node({shared}), Req(1, 64, 0, 100), fixed), "1/1 CardInsufficientCore");
  // Online pods carry no policy.
  EXPECT_EQ(Outcome(Node({{"GPU-0", 1280, 1, 64, 50, true, 0, {"class:online"}}}), req,
                    {{kAppClassAnnotation, "online"}}),
            "fit GPU-0:64/0");
}

std::string Exclusive(const std::vector<int64_t>& zones, int32_t nums,
                      const std::vector<std::string>& names) {
  std::vector<Dev> devs;
  for (size_t i = 0; i < zones.size(); ++i) {
    Dev d;
    d.id = names[i];
    d.zone = zones[i];
    devs.push_back(d);
  }
  std::string out = Outcome(Node(devs), Req(nums, 0, 100, 100));
  std::string ids;
  for (size_t pos = out.find(' '); pos != std::string::npos; pos = out.find(' ', pos + 1)) {
    ids += (ids.empty() ? "" : ",") + out.substr(pos + 1, out.find(':', pos) - pos - 1);
  }
  return ids;
}

TEST(MetaxSgpuSelectTest, PrioritizeExclusiveByLinkZone) {
  const std::vector<std::string> g125 = {"GPU-1", "GPU-2", "GPU-5"};
  EXPECT_EQ(Exclusive({1, 1, 2}, 1, g125), "GPU-5");
  const std::vector<std::string> g12567 = {"GPU-1", "GPU-2", "GPU-5", "GPU-6", "GPU-7"};
  EXPECT_EQ(Exclusive({1, 1, 2, 2, 2}, 2, g12567), "GPU-1,GPU-2");
  const std::vector<std::string> g125678 = {"GPU-1", "GPU-2", "GPU-5", "GPU-6", "GPU-7", "GPU-8"};
  EXPECT_EQ(Exclusive({1, 1, 2, 2, 2, 2}, 4, g125678), "GPU-5,GPU-6,GPU-7,GPU-8");
  EXPECT_EQ(Exclusive({1, 1, 2, 2, 2}, 4, g12567), "GPU-1,GPU-2,GPU-5,GPU-6");
  EXPECT_EQ(Exclusive({0, 0, 0}, 2, {"GPU-5", "GPU-6", "GPU-7"}), "GPU-5,GPU-6");
  EXPECT_EQ(Exclusive({0, 0, 1, 1}, 2, {"GPU-3", "GPU-4", "GPU-7", "GPU-8"}), "GPU-7,GPU-8");
  EXPECT_EQ(Exclusive({0, 0, 1, 1, 1}, 4, {"GPU-3", "GPU-4", "GPU-6", "GPU-7", "GPU-8"}),
            "GPU-6,GPU-7,GPU-8,GPU-3");
}

TEST(MetaxSgpuSelectTest, ShareRequestsTakeThePolicyOrder) {
  // Not a whole-card request: no MetaXLink preference.
  std::vector<Dev> devs = {{"GPU-1"}, {"GPU-2"}, {"GPU-5"}};
  devs[2].zone = 2;
  devs[0].zone = devs[1].zone = 1;
  EXPECT_EQ(Outcome(Node(devs), Req(1, 64, 0, 50)), "fit GPU-1:64/50");
}

TEST(MetaxSgpuSelectTest, PrioritizeOnline) {
  const std::vector<std::string> on = {"class:online"};
  const std::vector<std::string> off = {"class:offline", "qos:best-effort"};
  auto tags = [](std::initializer_list<std::vector<std::string>> pods) {
    std::vector<std::string> out;
    for (const auto& p : pods) out.insert(out.end(), p.begin(), p.end());
    return out;
  };
  // GPU-A: 2 online; GPU-B: only offline; GPU-C: 1 online 2 offline; GPU-D: 1 online.
  std::vector<Dev> devs = {{"GPU-A", 1280, 2, 0, 0, true, 0, tags({on, on})},
                           {"GPU-B", 1280, 1, 0, 0, true, 0, tags({off})},
                           {"GPU-C", 1280, 3, 0, 0, true, 0, tags({on, off, off})},
                           {"GPU-D", 1280, 1, 0, 0, true, 0, tags({on})}};
  const std::map<std::string, std::string> online = {{kAppClassAnnotation, "online"}};
  EXPECT_EQ(Outcome(Node(devs), Req(1, 64, 0, 60), online), "fit GPU-D:64/0");
  devs.pop_back();
  EXPECT_EQ(Outcome(Node(devs), Req(1, 64, 0, 60), online), "fit GPU-C:64/0");
  devs.erase(devs.begin(), devs.begin() + 1);
  devs.pop_back();
  EXPECT_EQ(Outcome(Node(devs), Req(1, 64, 0, 60), online), "fit GPU-B:64/0");
}

double Score(const std::vector<Dev>& devs, const std::vector<int32_t>& whole,
             const std::map<std::string, std::string>& annotations,
             sched::NodePolicy policy = sched::NodePolicy::kBinpack, bool config_aware = false) {
  const sched::NodeState node = Node(devs);
  const sched::PodInput input = Input(Req(1, 0, 100, 100), annotations);
  std::vector<sched::PendingGrant> grants;
  for (int32_t pos : whole) {
    sched::PendingGrant g;
    g.vendor = kSgpuVendorName;
    g.device = pos;
    g.cores = 100;
    grants.push_back(g);
  }
  const SgpuFit fit(config_aware);
  return fit.ScoreNode(node, input, grants, policy);
}

TEST(MetaxSgpuScoreTest, ExclusiveTopologyScore) {
  auto cards = [](std::vector<int64_t> zones, std::vector<int32_t> used) {
    std::vector<Dev> devs;
    for (size_t i = 0; i < zones.size(); ++i) {
      Dev d;
      d.id = "GPU-" + std::to_string(i + 1);
      d.zone = zones[i];
      d.used = used[i];
      devs.push_back(d);
    }
    return devs;
  };
  const std::map<std::string, std::string> aware = {{kTopologyAwareAnnotation, "true"}};
  struct Case {
    std::vector<Dev> devs;
    std::vector<int32_t> whole;
    double raw;
  };
  const std::vector<Case> cases = {
      {cards({1, 1, 1, 1}, {1, 1, 1, 0}), {3}, 0},
      {cards({1, 1, 1, 1}, {0, 0, 0, 0}), {3}, -30},
      {cards({1, 1, 1, 1}, {0, 0, 0, 0}), {2, 3}, 60},
      {cards({1, 1, 1, 1, 2, 2, 2, 2}, {1, 1, 1, 0, 0, 1, 1, 1}), {3, 4}, 0},
      {cards({1, 1, 1, 1, 2}, {0, 0, 0, 0, 0}), {0, 1, 2, 3}, 600},
      {cards({9, 1, 1, 1, 2, 2}, {1, 0, 0, 0, 0, 0}), {2, 3, 4, 5}, 180},
      {cards({1, 1, 1, 1, 2, 2, 2, 2}, {0, 0, 0, 0, 0, 0, 0, 0}), {0, 1, 2, 3, 4, 5, 6, 7}, 1200},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(Score(cases[i].devs, cases[i].whole, aware), 10000 * cases[i].raw) << "case " << i;
    EXPECT_EQ(Score(cases[i].devs, cases[i].whole, aware, sched::NodePolicy::kSpread),
              -10000 * cases[i].raw)
        << "case " << i;
  }
  // Off unless the pod or the config turns it on; the pod's annotation wins.
  const auto& c = cases[2];
  EXPECT_EQ(Score(c.devs, c.whole, {}), 0);
  EXPECT_EQ(Score(c.devs, c.whole, {}, sched::NodePolicy::kBinpack, true), 600000);
  EXPECT_EQ(Score(c.devs, c.whole, {{kTopologyAwareAnnotation, "false"}},
                  sched::NodePolicy::kBinpack, true),
            0);
}

TEST(MetaxSgpuScoreTest, OnlineScore) {
  const std::map<std::string, std::string> online = {{kAppClassAnnotation, "online"}};
  std::vector<Dev> devs = {
      {"GPU-1", 1280, 2, 0, 0, true, 0, {"class:offline", "class:offline"}},
      {"GPU-2", 1280, 3, 0, 0, true, 0, {"class:online", "class:offline", "class:online"}}};
  EXPECT_EQ(Score(devs, {0}, online), 10000 * -200);
  EXPECT_EQ(Score(devs, {1}, online), 10000 * -42);
  EXPECT_EQ(Score(devs, {0, 1}, online, sched::NodePolicy::kSpread), -10000 * -242);
}

TEST(MetaxSgpuEndToEndTest, BookedPodsTagTheirDevices) {
  Registry registry;
  codec::NodeObject object;
  object.name = "sg";
  object.annotations[kSgpuRegisterAnnotation] =
      R"([{"uuid":"GPU-a","totalDevCount":16,"totalCompute":100,"totalVRam":65536,"healthy":true,"qosPolicy":"best-effort"},)"
      R"({"uuid":"GPU-b","totalDevCount":16,"totalCompute":100,"totalVRam":65536,"healthy":true}])";
  auto node = NodeStateFromNode(object, registry);
  ASSERT_TRUE(node.ok()) << node.error().ToString();
  // A running online pod on GPU-a, as the cache books it from its annotations.
  model::Pod running;
  running.name = "svc";
  running.annotations = {{kAppClassAnnotation, "online"},
                         {kSgpuAllocatedAnnotation, "GPU-a,Metax-SGPU,4096,0:;"}};
  auto grants = GrantedDevices(running, registry);
  ASSERT_TRUE(grants.ok());
  sched::ApplyBooking(*node, BookingOf(running, *grants, registry), +1);
  EXPECT_EQ(node->devices[0].usage.tags, std::vector<std::string>{"class:online"});

  // An unclassified pod must avoid the online card; an offline pod must too.
  for (const char* cls : {"", "offline"}) {
    model::Pod pod;
    pod.name = "batch";
    if (*cls != '\0') pod.annotations[kAppClassAnnotation] = cls;
    pod.containers.push_back(
        model::testing::MakeContainer("main", {{"metax-tech.com/sgpu", "1"},
                                               {"metax-tech.com/vcore", "60"},
                                               {"metax-tech.com/vmemory", "4"}}));
    ASSERT_TRUE(*AdmitPod(pod, registry));
    auto input = BuildPodInput(pod, registry, sched::Policy{});
    ASSERT_TRUE(input.ok()) << input.error().ToString();
    const sched::NodeState* nodes[] = {&*node};
    auto decision = sched::Decide(nodes, *input, nullptr);
    ASSERT_TRUE(decision.chosen) << cls;
    EXPECT_EQ(decision.devices.at(kSgpuVendorName)[0][0].uuid, "GPU-b") << cls;
  }
}

}  // namespace
}  // namespace hami::vendor::metax
