// Binder against the in-memory API server fake: annotations, Binding, failure paths; with
// upstream's node lock (--nvidia-node-lock, BindTest) and without (LocklessBindTest).
#include "extender/bind.h"

#include <gtest/gtest.h>

#include "extender/filter.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::extender {
namespace {

using Json = nlohmann::json;

vendor::Registry MakeRegistry(bool node_lock) {
  auto registry = vendor::Registry::Create(vendor::DeviceConfig{},
                                           {{"nvidia-node-lock", node_lock ? "true" : "false"}});
  EXPECT_TRUE(registry.ok());
  return std::move(registry).value();
}

class BindTest : public ::testing::Test {
 protected:
  explicit BindTest(bool node_lock = true) : registry_(MakeRegistry(node_lock)), cache_(registry_) {
    BindConfig config;
    env_.SetUnixSeconds(1700000000);
    config.env = &env_;
    binder_ = std::make_unique<Binder>(api_, cache_, registry_, config);
    codec::NodeObject node;
    node.name = "n1";
    node.annotations["hami.io/node-nvidia-register"] =
        R"([{"id":"GPU-1","count":10,"devmem":16000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";
    EXPECT_TRUE(cache_.UpsertNode(node).ok());
    EXPECT_TRUE(api_.Create(k8s::NodesPath(), {{"metadata", {{"name", "n1"}}}}).ok());
  }

  Json CreatePod(const std::string& name) {
    Json pod = Json::parse(
        R"({"metadata":{"name":")" + name +
        R"(","namespace":"default"},"spec":{"containers":[{"name":"c","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"3000","nvidia.com/gpucores":"30"}}}]}})");
    auto created = api_.Create(k8s::PodsPath("default"), pod);
    EXPECT_TRUE(created.ok());
    return *created;
  }

  BindArgs FilterPod(const Json& pod) {
    FilterArgs args;
    args.pod = pod;
    args.node_names = std::vector<std::string>{"n1"};
    auto out = Filter(cache_, registry_, FilterConfig{}, args, Clock::now());
    EXPECT_TRUE(out.result.node_names) << out.result.error;
    return {pod["metadata"]["name"], "default", pod["metadata"].value("uid", ""), "n1"};
  }

  std::string NodeLock() {
    auto node = api_.Get(k8s::NodesPath("n1"));
    return node->value("metadata", Json::object())
        .value("annotations", Json::object())
        .value("hami.io/mutex.lock", "");
  }

  fakes::FakeEnv env_;
  fakes::FakeKubeApi api_;
  vendor::Registry registry_;
  SchedulerCache cache_;
  std::unique_ptr<Binder> binder_;
};

TEST_F(BindTest, WritesAnnotationsBindsAndKeepsTheLock) {
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  ASSERT_TRUE(binder_->Bind(args).ok());
  auto bound = api_.Get(k8s::PodsPath("default", "p"));
  ASSERT_TRUE(bound.ok());
  const Json& a = (*bound)["metadata"]["annotations"];
  EXPECT_EQ(a["hami.io/vgpu-devices-allocated"], "GPU-1,NVIDIA,3000,30:;");
  EXPECT_EQ(a["hami.io/vgpu-devices-to-allocate"], "GPU-1,NVIDIA,3000,30:;");
  EXPECT_EQ(a["hami.io/vgpu-node"], "n1");
  EXPECT_EQ(a["hami.io/bind-phase"], "allocating");
  EXPECT_EQ(a["hami.io/bind-time"], "1700000000");
  EXPECT_EQ((*bound)["metadata"]["labels"]["hami.io/vgpu-node"], "n1");
  EXPECT_EQ((*bound)["spec"]["nodeName"], "n1");
  EXPECT_EQ(NodeLock(), "2023-11-14T22:13:20Z,default,p");
  // The pod's own watch event turns the assumption into a booking from its annotations.
  auto model_pod = codec::PodFromJson(*bound);
  ASSERT_TRUE(cache_.UpsertPod(*model_pod, env_.UnixSeconds()).ok());
  EXPECT_FALSE(cache_.Assumed(args.pod_uid));
  EXPECT_EQ(cache_.PodCount(), 1u);
}

TEST_F(BindTest, LockContentionFailsAndForgetsTheAssumption) {
  Json holder = CreatePod("holder");
  ASSERT_TRUE(binder_->AcquireNodeLock("n1", "default", "holder").ok());
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  auto status = binder_->Bind(args);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("node lock contention"), std::string::npos) << status.message();
  EXPECT_EQ(NodeLock(), "2023-11-14T22:13:20Z,default,holder");
  EXPECT_FALSE(cache_.Assumed(args.pod_uid));
  // Five minutes later the lock is stale and is taken over.
  env_.Advance(std::chrono::seconds(300));
  args = FilterPod(pod);
  EXPECT_TRUE(binder_->Bind(args).ok());
  EXPECT_EQ(NodeLock(), "2023-11-14T22:18:20Z,default,p");
}

TEST_F(BindTest, LockOfAVanishedPodIsTakenOver) {
  ASSERT_TRUE(binder_->AcquireNodeLock("n1", "default", "gone").ok());
  Json pod = CreatePod("p");
  EXPECT_TRUE(binder_->Bind(FilterPod(pod)).ok());
  EXPECT_EQ(NodeLock(), "2023-11-14T22:13:20Z,default,p");
  // Release only removes our own lock.
  EXPECT_TRUE(binder_->ReleaseNodeLock("n1", "default", "other").ok());
  EXPECT_FALSE(NodeLock().empty());
  EXPECT_TRUE(binder_->ReleaseNodeLock("n1", "default", "p").ok());
  EXPECT_TRUE(NodeLock().empty());
}

TEST_F(BindTest, FailedBindingReleasesTheLock) {
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  ASSERT_TRUE(api_.Delete(k8s::PodsPath("default", "p")).ok());  // the Binding POST fails
  auto assumption = cache_.Assumed(args.pod_uid);
  ASSERT_TRUE(assumption);
  EXPECT_FALSE(binder_->Bind(args).ok());
  EXPECT_TRUE(NodeLock().empty());
  EXPECT_FALSE(cache_.Assumed(args.pod_uid));
}

TEST_F(BindTest, BindingWhoseResponseWasLostCountsAsBoundAndKeepsTheLock) {
  // Upstream releases the lock here (HAMi#2645): the node is free for a second pod while this
  // bound one still waits for Allocate.
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  api_.LoseNextResponse(
      base::Status(base::StatusCode::kDeadlineExceeded, "CREATE pods/p/binding: timed out"));
  ASSERT_TRUE(binder_->Bind(args).ok());
  EXPECT_EQ((*api_.Get(k8s::PodsPath("default", "p")))["spec"]["nodeName"], "n1");
  EXPECT_EQ(NodeLock(), "2023-11-14T22:13:20Z,default,p");
  EXPECT_TRUE(cache_.Assumed(args.pod_uid));
}

TEST_F(BindTest, RetriedBindOfABoundPodSucceeds) {
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  ASSERT_TRUE(binder_->Bind(args).ok());
  // kube-scheduler retries after an error it saw: the Binding answers 409 "already assigned".
  args = FilterPod(pod);
  EXPECT_TRUE(binder_->Bind(args).ok());
  EXPECT_EQ(NodeLock(), "2023-11-14T22:13:20Z,default,p");
}

TEST_F(BindTest, UnknownBindingOutcomeKeepsLockAndAssumptionAndSaysSo) {
  // Warm the locker: it then writes from the resourceVersion it remembers, so the only GET left
  // is the binder's read-back of the pod.
  ASSERT_TRUE(binder_->AcquireNodeLock("n1", "default", "warm").ok());
  ASSERT_TRUE(binder_->ReleaseNodeLock("n1", "default", "warm").ok());
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  api_.FailNext("CREATE", base::Unavailable("CREATE pods/p/binding: connection reset"));
  api_.FailNext("GET", base::Unavailable("GET pods/p: connection refused"));
  auto status = binder_->Bind(args);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("whether the pod is bound is unknown, node lock kept"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(NodeLock(), "2023-11-14T22:13:20Z,default,p");
  EXPECT_TRUE(cache_.Assumed(args.pod_uid));
  // kube-scheduler retries: the lock is ours, the Binding goes through.
  args = FilterPod(pod);
  EXPECT_TRUE(binder_->Bind(args).ok());
  EXPECT_EQ((*api_.Get(k8s::PodsPath("default", "p")))["spec"]["nodeName"], "n1");
}

TEST_F(BindTest, BindingRefusedWhilePodStaysUnboundReleasesTheLock) {
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  api_.FailNext("CREATE", base::Unavailable("CREATE pods/p/binding: 503"));
  EXPECT_FALSE(binder_->Bind(args).ok());
  EXPECT_TRUE(NodeLock().empty());
  EXPECT_FALSE(cache_.Assumed(args.pod_uid));
}

TEST_F(BindTest, PodsWithoutDevicesAreJustBound) {
  auto created = api_.Create(
      k8s::PodsPath("default"),
      Json::parse(R"({"metadata":{"name":"cpu"},"spec":{"containers":[{"name":"c"}]}})"));
  ASSERT_TRUE(created.ok());
  BindArgs args = FilterPod(*created);  // passed through: the candidates come back as given
  EXPECT_TRUE(cache_.PassedThrough(args.pod_uid));
  ASSERT_TRUE(binder_->Bind(args).ok());
  EXPECT_EQ((*api_.Get(k8s::PodsPath("default", "cpu")))["spec"]["nodeName"], "n1");
  EXPECT_TRUE(NodeLock().empty());
  EXPECT_FALSE(cache_.PassedThrough(args.pod_uid));
}

// Issue 14: /bind posted a Binding for a pod of another namespace, never filtered, to an arbitrary
// node. Now nothing is bound without a /filter decision for that UID.
TEST_F(BindTest, BindWithoutFilterIsRefused) {
  auto victim = api_.Create(
      k8s::PodsPath("other"),
      Json::parse(
          R"({"metadata":{"name":"victim","namespace":"other"},"spec":{"containers":[{"name":"c"}]}})"));
  ASSERT_TRUE(victim.ok());
  const std::string uid = (*victim)["metadata"]["uid"];
  base::Status status = binder_->Bind({"victim", "other", uid, "n1"});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "bind other/victim: no /filter decision for pod UID " + uid +
                                  " (never filtered here, or older than the filter-to-bind "
                                  "deadline); refusing to bind");
  EXPECT_FALSE((*api_.Get(k8s::PodsPath("other", "victim")))["spec"].contains("nodeName"));
}

// A UID /filter decided for binds only the pod it was filtered as, and only where /filter said.
TEST_F(BindTest, BindOfAFilteredUidUnderAnotherNameOrNodeIsRefused) {
  auto victim = api_.Create(
      k8s::PodsPath("other"),
      Json::parse(
          R"({"metadata":{"name":"victim","namespace":"other"},"spec":{"containers":[{"name":"c"}]}})"));
  ASSERT_TRUE(victim.ok());
  BindArgs gpu = FilterPod(CreatePod("p"));
  base::Status status = binder_->Bind({"victim", "other", gpu.pod_uid, "n1"});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("was filtered as pod default/p"), std::string::npos);
  BindArgs elsewhere = gpu;
  elsewhere.node = "n2";
  EXPECT_FALSE(binder_->Bind(elsewhere).ok());
  EXPECT_TRUE(NodeLock().empty());
  EXPECT_TRUE(cache_.Assumed(gpu.pod_uid));  // the real decision stands
  BindArgs cpu = FilterPod(*api_.Create(
      k8s::PodsPath("default"),
      Json::parse(R"({"metadata":{"name":"cpu"},"spec":{"containers":[{"name":"c"}]}})")));
  status = binder_->Bind({"victim", "other", cpu.pod_uid, "n1"});
  EXPECT_NE(status.message().find("was filtered as pod default/cpu"), std::string::npos);
  cpu.node = "n9";
  status = binder_->Bind(cpu);
  EXPECT_NE(status.message().find("node n9 was not a candidate"), std::string::npos);
  EXPECT_FALSE((*api_.Get(k8s::PodsPath("other", "victim")))["spec"].contains("nodeName"));
  EXPECT_TRUE(binder_->Bind(gpu).ok());
}

class LocklessBindTest : public BindTest {
 protected:
  LocklessBindTest() : BindTest(/*node_lock=*/false) {}
  int Writes() { return api_.Calls("PATCH") + api_.Calls("UPDATE") + api_.Calls("CREATE"); }
};

TEST_F(LocklessBindTest, OneBindingCarriesTheBookingAndNoLockIsTaken) {
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  const int before = Writes();
  ASSERT_TRUE(binder_->Bind(args).ok());
  EXPECT_EQ(Writes() - before, 1) << "the Binding alone";
  auto bound = api_.Get(k8s::PodsPath("default", "p"));
  const Json& a = (*bound)["metadata"]["annotations"];
  EXPECT_EQ(a["hami.io/vgpu-devices-to-allocate"], "GPU-1,NVIDIA,3000,30:;");
  EXPECT_EQ(a["hami.io/vgpu-devices-allocated"], "GPU-1,NVIDIA,3000,30:;");
  EXPECT_EQ(a["hami.io/vgpu-node"], "n1");
  EXPECT_EQ(a["hami.io/bind-phase"], "allocating");
  EXPECT_EQ((*bound)["spec"]["nodeName"], "n1");
  EXPECT_TRUE(NodeLock().empty());
  // A second pod binds to the same node at once: nothing waits for the first one's Allocate.
  Json second = CreatePod("q");
  ASSERT_TRUE(binder_->Bind(FilterPod(second)).ok());
  EXPECT_EQ((*api_.Get(k8s::PodsPath("default", "q")))["spec"]["nodeName"], "n1");
}

TEST_F(LocklessBindTest, ARefusedBindingForgetsTheAssumption) {
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  api_.FailNext("CREATE", base::Unavailable("CREATE pods/p/binding: 503"));
  EXPECT_FALSE(binder_->Bind(args).ok());
  EXPECT_FALSE(cache_.Assumed(args.pod_uid));
  EXPECT_EQ((*api_.Get(k8s::PodsPath("default", "p")))["metadata"].count("annotations"), 0U)
      << "the booking travels with the Binding: nothing is left on an unbound pod";
}

TEST_F(LocklessBindTest, ALostBindingResponseIsReadBack) {
  Json pod = CreatePod("p");
  BindArgs args = FilterPod(pod);
  api_.LoseNextResponse(
      base::Status(base::StatusCode::kDeadlineExceeded, "CREATE pods/p/binding: timed out"));
  ASSERT_TRUE(binder_->Bind(args).ok());
  auto bound = api_.Get(k8s::PodsPath("default", "p"));
  EXPECT_EQ((*bound)["metadata"]["annotations"]["hami.io/bind-phase"], "allocating");
  Json second = CreatePod("q");
  BindArgs unknown = FilterPod(second);
  api_.FailNext("CREATE", base::Unavailable("CREATE pods/q/binding: connection reset"));
  api_.FailNext("GET", base::Unavailable("GET pods/q: connection refused"));
  auto status = binder_->Bind(unknown);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("whether the pod is bound is unknown"), std::string::npos);
  EXPECT_EQ(status.message().find("node lock"), std::string::npos) << status.message();
  EXPECT_TRUE(cache_.Assumed(unknown.pod_uid));
}

}  // namespace
}  // namespace hami::extender
