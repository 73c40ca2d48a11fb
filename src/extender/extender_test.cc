#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "extender/filter.h"
#include "extender/scheduler_cache.h"
#include "extender/wire.h"

namespace hami::extender {
namespace {

constexpr char kRegister[] =
    R"([{"id":"GPU-%s-0","count":10,"devmem":16000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";

codec::NodeObject Node(const std::string& name) {
  codec::NodeObject n;
  n.name = name;
  std::string reg = kRegister;
  reg.replace(reg.find("%s"), 2, name);
  n.annotations["hami.io/node-nvidia-register"] = reg;
  return n;
}

nlohmann::json PodJson(const std::string& name, const std::string& uid, int mem) {
  return nlohmann::json::parse(
      R"({"metadata":{"name":")" + name + R"(","namespace":"default","uid":")" + uid +
      R"("},"spec":{"containers":[{"name":"c","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":")" +
      std::to_string(mem) + R"("}}}]}})");
}

FilterArgs Args(const nlohmann::json& pod, std::vector<std::string> names) {
  FilterArgs a;
  a.pod = pod;
  a.node_names = std::move(names);
  return a;
}

TEST(WireTest, ParsesGoFieldNamesCaseInsensitively) {
  auto args =
      ParseFilterArgs(R"({"pod":{"metadata":{"name":"p"}},"Nodes":null,"nodenames":["a","b"]})");
  ASSERT_TRUE(args.ok()) << args.error().ToString();
  EXPECT_EQ(*args->node_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(args->nodes);
  EXPECT_FALSE(ParseFilterArgs(R"({"NodeNames":[]})").ok());
  EXPECT_FALSE(ParseFilterArgs("").ok());
  EXPECT_FALSE(ParseFilterArgs("{").ok());
  auto bind = ParseBindArgs(R"({"PodName":"p","PodNamespace":"ns","PodUID":"u","Node":"n2"})");
  ASSERT_TRUE(bind.ok());
  EXPECT_EQ(bind->node, "n2");
  EXPECT_FALSE(ParseBindArgs(R"({"PodName":"p"})").ok());
}

TEST(WireTest, RendersNullsLikeGo) {
  FilterResult r;
  r.node_names = std::vector<std::string>{"n2"};
  EXPECT_EQ(
      RenderFilterResult(r),
      R"({"Nodes":null,"NodeNames":["n2"],"FailedNodes":null,"FailedAndUnresolvableNodes":null,"Error":""})");
  FilterResult f;
  f.failed_nodes["n1"] = "1/2 CardInsufficientMemory";
  EXPECT_EQ(
      RenderFilterResult(f),
      R"({"Nodes":null,"NodeNames":null,"FailedNodes":{"n1":"1/2 CardInsufficientMemory"},"FailedAndUnresolvableNodes":null,"Error":""})");
  EXPECT_EQ(RenderBindResult(""), R"({"Error":""})");
}

constexpr int64_t kNowUnix = 1700000000;  // the wall clock of the cache's callers, in tests

class FilterTest : public ::testing::Test {
 protected:
  FilterTest() : registry_(), cache_(registry_) {
    EXPECT_TRUE(cache_.UpsertNode(Node("n1")).ok());
    EXPECT_TRUE(cache_.UpsertNode(Node("n2")).ok());
  }
  FilterOutcome Run(const nlohmann::json& pod, std::vector<std::string> names = {"n1", "n2"}) {
    return Filter(cache_, registry_, config_, Args(pod, std::move(names)), now_);
  }
  vendor::Registry registry_;
  SchedulerCache cache_;
  FilterConfig config_;
  Clock::time_point now_ = Clock::now();
};

TEST_F(FilterTest, SucceedEventListsSixteenFitsAndCountsTheRest) {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) {
    names.push_back("m" + std::to_string(i));
    ASSERT_TRUE(cache_.UpsertNode(Node(names.back())).ok());
  }
  auto a = Run(PodJson("a", "uid-a", 1000), names);
  ASSERT_TRUE(a.result.node_names);
  EXPECT_NE(a.event_message.find(" 0 nodes not fit, 20 nodes fit("), std::string::npos)
      << a.event_message;
  EXPECT_EQ(std::count(a.event_message.begin(), a.event_message.end(), ':'), 16) << a.event_message;
  EXPECT_TRUE(a.event_message.ends_with(",... 4 more)")) << a.event_message;
}

TEST_F(FilterTest, AssumedPodsAreSeenByTheNextFilter) {
  auto a = Run(PodJson("a", "uid-a", 10000));
  ASSERT_TRUE(a.result.node_names);
  EXPECT_EQ(a.result.node_names->at(0), "n1");
  EXPECT_EQ(a.event_reason, "FilteringSucceed");
  EXPECT_NE(a.event_message.find("find fit node(n1), 0 nodes not fit, 2 nodes fit("),
            std::string::npos)
      << a.event_message;
  auto assumed = cache_.Assumed("uid-a");
  ASSERT_TRUE(assumed);
  EXPECT_EQ(assumed->devices.at("NVIDIA")[0][0].uuid, "GPU-n1-0");
  // Same memory again: n1 has only 6000 left, so the second pod goes to n2.
  auto b = Run(PodJson("b", "uid-b", 10000));
  EXPECT_EQ(b.result.node_names->at(0), "n2");
  // A third cannot fit anywhere; reasons per node, event grouped by reason.
  auto c = Run(PodJson("c", "uid-c", 10000), {"n1", "n2", "ghost"});
  EXPECT_FALSE(c.result.node_names);
  EXPECT_EQ(c.result.failed_nodes.at("n1"), "1/1 CardInsufficientMemory");
  EXPECT_EQ(c.result.failed_nodes.at("ghost"), "node unregistered");
  EXPECT_EQ(c.event_reason, "FilteringFailed");
  EXPECT_EQ(c.event_message,
            "2 nodes 1/1 CardInsufficientMemory(n1,n2); 1 nodes node unregistered(ghost)");
}

TEST_F(FilterTest, RetriedFilterDoesNotCountItself) {
  EXPECT_EQ(Run(PodJson("a", "uid-a", 10000)).result.node_names->at(0), "n1");
  // kube-scheduler retries the same pod (e.g. bind failed): its own assumption is replaced.
  EXPECT_EQ(Run(PodJson("a", "uid-a", 10000)).result.node_names->at(0), "n1");
  EXPECT_EQ(cache_.PodCount(), 1u);
}

TEST_F(FilterTest, ExpiredAssumptionsFreeTheirDevices) {
  Run(PodJson("a", "uid-a", 16000));
  Run(PodJson("b", "uid-b", 16000));
  EXPECT_FALSE(Run(PodJson("c", "uid-c", 16000)).result.node_names);
  auto expired = cache_.ExpireAssumed(now_ + config_.assume_ttl + std::chrono::seconds(1));
  EXPECT_EQ(expired.size(), 2u);
  EXPECT_TRUE(Run(PodJson("c", "uid-c", 16000)).result.node_names);
}

TEST_F(FilterTest, RestartRebuildsFromPodAnnotations) {
  // A fresh cache (restarted scheduler) learns existing allocations from pods.
  SchedulerCache fresh(registry_);
  ASSERT_TRUE(fresh.UpsertNode(Node("n1")).ok());
  model::Pod running;
  running.uid = "old";
  running.name = "old";
  running.node_name = "n1";
  running.annotations = {{"hami.io/vgpu-node", "n1"},
                         {"hami.io/vgpu-devices-allocated", "GPU-n1-0,NVIDIA,16000,0:;"}};
  ASSERT_TRUE(fresh.UpsertPod(running, kNowUnix).ok());
  auto out = Filter(fresh, registry_, config_, Args(PodJson("x", "uid-x", 1000), {"n1"}), now_);
  EXPECT_FALSE(out.result.node_names);
  EXPECT_EQ(out.result.failed_nodes.at("n1"), "1/1 CardInsufficientMemory");
  // The pod finishing releases its devices.
  running.phase = "Succeeded";
  ASSERT_TRUE(fresh.UpsertPod(running, kNowUnix).ok());
  EXPECT_TRUE(Filter(fresh, registry_, config_, Args(PodJson("x", "uid-x", 1000), {"n1"}), now_)
                  .result.node_names);
  // Pods booked before their node registers are applied when it does.
  SchedulerCache late(registry_);
  running.phase = "Running";
  ASSERT_TRUE(late.UpsertPod(running, kNowUnix).ok());
  ASSERT_TRUE(late.UpsertNode(Node("n1")).ok());
  EXPECT_FALSE(Filter(late, registry_, config_, Args(PodJson("y", "uid-y", 1000), {"n1"}), now_)
                   .result.node_names);
}

TEST_F(FilterTest, NodeUpdatesApplyDeviceChangesAndKeepBookingsAcrossLockChanges) {
  // n1 full after one pod.
  ASSERT_TRUE(Run(PodJson("a", "uid-a", 16000), {"n1"}).result.node_names);
  // A bind rewrites the lock: the same registration, bookings kept.
  codec::NodeObject locked = Node("n1");
  locked.annotations["hami.io/mutex.lock"] = "2026-11-23T18:00:00Z,default,a";
  ASSERT_TRUE(cache_.UpsertNode(locked).ok());
  EXPECT_FALSE(Run(PodJson("b", "uid-b", 1000), {"n1"}).result.node_names);
  // The device plugin registers a second GPU (lock still there): applied, booking re-applied.
  codec::NodeObject grown = locked;
  grown.annotations["hami.io/node-nvidia-register"] =
      R"([{"id":"GPU-n1-0","count":10,"devmem":16000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true},)"
      R"({"id":"GPU-n1-1","count":10,"devmem":16000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";
  ASSERT_TRUE(cache_.UpsertNode(grown).ok());
  auto b = Run(PodJson("b", "uid-b", 16000), {"n1"});
  ASSERT_TRUE(b.result.node_names);
  EXPECT_EQ(cache_.Assumed("uid-b")->devices.at("NVIDIA")[0][0].uuid, "GPU-n1-1");
  // Deleted and re-added with the same annotations: registered again.
  cache_.DeleteNode("n1");
  EXPECT_EQ(Run(PodJson("c", "uid-c", 1000), {"n1"}).result.failed_nodes.at("n1"),
            "node unregistered");
  ASSERT_TRUE(cache_.UpsertNode(grown).ok());
  EXPECT_EQ(cache_.NodeCount(), 2u);
  EXPECT_EQ(Run(PodJson("c", "uid-c", 1000), {"n1"}).result.failed_nodes.at("n1"),
            "2/2 CardInsufficientMemory");  // both GPUs booked again
}

TEST_F(FilterTest, AFailedBindsLeftoverAnnotationsHoldNothing) {
  const int64_t now = 1700000000;
  model::Pod pending;  // annotated by a bind whose Binding never happened: no spec.nodeName
  pending.uid = "uid-left";
  pending.name = "left";
  pending.annotations = {{"hami.io/vgpu-node", "n1"},
                         {"hami.io/vgpu-devices-allocated", "GPU-n1-0,NVIDIA,16000,0:;"},
                         {"hami.io/bind-time", std::to_string(now - 10)}};
  // Within the grace period it may be a bind in flight (a restarted scheduler): booked.
  ASSERT_TRUE(cache_.UpsertPod(pending, now).ok());
  EXPECT_EQ(cache_.PodCount(), 1u);
  // Past it, the annotations are leftovers: released.
  ASSERT_TRUE(cache_.UpsertPod(pending, now + SchedulerCache::kUnboundGraceSeconds).ok());
  EXPECT_EQ(cache_.PodCount(), 0u);
  // Re-filtering the same pod never counts what it booked before, leftovers included.
  ASSERT_TRUE(cache_.UpsertPod(pending, now).ok());
  auto out = Run(PodJson("left", "uid-left", 16000), {"n1"});
  ASSERT_TRUE(out.result.node_names) << out.event_message;
  EXPECT_EQ(cache_.PodCount(), 1u);  // only its new assumption
}

TEST_F(FilterTest, AnUnboundUpdateKeepsTheAssumption) {
  auto out = Run(PodJson("a", "uid-a", 16000), {"n1"});
  ASSERT_TRUE(out.result.node_names);
  model::Pod patched;  // /bind's annotation patch arrives before the Binding
  patched.uid = "uid-a";
  patched.name = "a";
  patched.annotations = {{"hami.io/vgpu-node", "n1"},
                         {"hami.io/vgpu-devices-allocated", "GPU-n1-0,NVIDIA,16000,0:;"},
                         {"hami.io/bind-time", std::to_string(kNowUnix)}};
  ASSERT_TRUE(cache_.UpsertPod(patched, kNowUnix).ok());
  EXPECT_TRUE(cache_.Assumed("uid-a"));
  patched.node_name = "n1";  // the Binding
  ASSERT_TRUE(cache_.UpsertPod(patched, kNowUnix).ok());
  EXPECT_FALSE(cache_.Assumed("uid-a"));
  EXPECT_EQ(cache_.PodCount(), 1u);
}

TEST_F(FilterTest, PodsWithoutDevicesPassThroughAndBadQuantitiesFail) {
  auto cpu = nlohmann::json::parse(
      R"({"metadata":{"name":"cpu","uid":"u"},"spec":{"containers":[{"name":"c"}]}})");
  auto out = Run(cpu, {"n1", "x"});
  EXPECT_EQ(*out.result.node_names, (std::vector<std::string>{"n1", "x"}));
  auto bad = PodJson("bad", "uid-bad", 1);
  bad["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpumem"] = "3Gx";
  auto err = Run(bad);
  EXPECT_NE(err.result.error.find("nvidia.com/gpumem"), std::string::npos) << err.result.error;
  EXPECT_EQ(err.event_reason, "FilteringFailed");
}

// A pod asking a static MIG resource on nodes whose kubelet advertises it (device plugin
// migStrategy mixed): the nodes serving it fit, nothing is assumed or booked, and /bind may bind
// to any of them without writing annotations (kube-scheduler counts the resource).
TEST_F(FilterTest, StaticMigIsServedByTheNodesResource) {
  for (const auto& name : {"s1", "s2"}) {
    codec::NodeObject node;
    node.name = name;
    node.annotations["hami.io/node-nvidia-register"] = "[]";  // every GPU is in MIG mode
    node.allocatable["nvidia.com/mig-1g.5gb"] = "7";
    ASSERT_TRUE(cache_.UpsertNode(node).ok()) << name;
  }
  auto pod = nlohmann::json::parse(
      R"({"metadata":{"name":"mig","namespace":"default","uid":"uid-mig"},"spec":{"containers":[{"name":"c","resources":{"limits":{"nvidia.com/mig-1g.5gb":"1"}}}]}})");
  auto out = Run(pod, {"n1", "s1", "s2", "gone"});
  ASSERT_TRUE(out.result.node_names) << out.result.error;
  EXPECT_EQ(*out.result.node_names, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(out.result.failed_nodes.at("n1"), "1/1 CardTypeMismatch") << "a T4 has no MIG";
  EXPECT_EQ(out.result.failed_nodes.at("gone"), "node unregistered");
  EXPECT_EQ(out.event_reason, "FilteringSucceed");
  EXPECT_FALSE(cache_.Assumed("uid-mig")) << "nothing to book for a static instance";
  EXPECT_EQ(cache_.PodCount(), 0u);
  auto passed = cache_.PassedThrough("uid-mig");
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->nodes, (std::set<std::string>{"s1", "s2"}));
}

TEST_F(FilterTest, GivenNodesPathTouchesNoCache) {
  FilterArgs args;
  args.pod = PodJson("a", "uid-a", 1000);
  nlohmann::json n1 = {{"metadata", {{"name", "t1"}, {"annotations", Node("t1").annotations}}}};
  nlohmann::json n2 = {{"metadata", {{"name", "t2"}}}};
  args.nodes = nlohmann::json{{"items", {n1, n2}}};
  auto out = Filter(cache_, registry_, config_, args, now_);
  ASSERT_TRUE(out.result.nodes);
  EXPECT_EQ((*out.result.nodes)["items"].size(), 1u);
  EXPECT_EQ(out.result.failed_nodes.at("t2"), "node unregistered");
  EXPECT_FALSE(cache_.Assumed("uid-a"));
}

}  // namespace
}  // namespace hami::extender
