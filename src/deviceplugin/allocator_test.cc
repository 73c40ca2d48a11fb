// Allocator against the in-memory API server: pod lookup (node lock owner, pending-pod fallback),
// annotation patch, bind-phase success/failed, node lock release, host directories.
#include "deviceplugin/allocator.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "codec/node_lock.h"
#include "deviceplugin/host_files.h"
#include "model/protocol.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::deviceplugin {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hami_dp_alloc_XXXXXX";
    root_ = mkdtemp(tmpl);
    ASSERT_TRUE(EnsureHostLayout(root_ + "/vgpu", root_ + "/lock").ok());
    ASSERT_TRUE(api_.Create(k8s::NodesPath(), {{"metadata", {{"name", "n1"}}}}).ok());
    AllocatorConfig config;
    config.node_name = "n1";
    config.settings.host_vgpu_dir = root_ + "/vgpu";
    config.settings.host_lock_dir = root_ + "/lock";
    config.new_cache_name = [] { return std::string("fixed"); };
    allocator_ = std::make_unique<Allocator>(api_, locker_, config);
  }
  void TearDown() override { fs::remove_all(root_); }

  Json CreatePod(const std::string& name, const std::string& to_allocate,
                 const std::string& bind_phase = "allocating", int containers = 1) {
    Json spec = {{"nodeName", "n1"}, {"containers", Json::array()}};
    for (int i = 0; i < containers; ++i) {
      spec["containers"].push_back({{"name", "c" + std::to_string(i)}});
    }
    Json pod = {{"metadata",
                 {{"name", name},
                  {"namespace", "default"},
                  {"annotations",
                   {{"hami.io/vgpu-devices-to-allocate", to_allocate},
                    {"hami.io/vgpu-devices-allocated", to_allocate},
                    {"hami.io/vgpu-node", "n1"},
                    {"hami.io/bind-phase", bind_phase},
                    {"hami.io/bind-time", "1700000000"}}}}},
                {"spec", spec},
                {"status", {{"phase", "Pending"}}}};
    auto created = api_.Create(k8s::PodsPath("default"), pod);
    EXPECT_TRUE(created.ok());
    return *created;
  }
  std::string PodAnnotation(const std::string& name, const std::string& key) {
    auto pod = api_.Get(k8s::PodsPath("default", name));
    return pod->at("metadata").at("annotations").value(key, "");
  }
  std::string NodeLock() {
    auto node = api_.Get(k8s::NodesPath("n1"));
    return node->at("metadata")
        .value("annotations", Json::object())
        .value(model::kNodeLockAnnotation, "");
  }

  fakes::FakeKubeApi api_;
  k8s::NodeLocker locker_{api_, k8s::NodeLockConfig{}};
  std::unique_ptr<Allocator> allocator_;
  std::string root_;
};

TEST_F(AllocatorTest, LockOwnerGetsItsSliceThenSuccessAndUnlock) {
  CreatePod("other", "GPU-x,NVIDIA,1,1:;");  // also pending, but not the lock owner
  Json pod = CreatePod("p", "GPU-a,NVIDIA,3000,30:;");
  ASSERT_TRUE(locker_.Acquire("n1", "default", "p").ok());
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_TRUE(result.ok()) << result.error().message();
  ASSERT_EQ(result->size(), 1u);
  const auto& c = (*result)[0];
  EXPECT_EQ(c.envs.at("NVIDIA_VISIBLE_DEVICES"), "GPU-a");
  EXPECT_EQ(c.envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m");
  EXPECT_EQ(c.envs.at("CUDA_DEVICE_MEMORY_SHARED_CACHE"), "/usr/local/vgpu/fixed.cache");
  std::string uid = pod["metadata"]["uid"];
  EXPECT_EQ(c.host_dir, root_ + "/vgpu/containers/" + uid + "_c0");
  EXPECT_TRUE(fs::is_directory(c.host_dir));
  EXPECT_EQ(PodAnnotation("p", "hami.io/vgpu-devices-to-allocate"), ";");
  EXPECT_EQ(PodAnnotation("p", "hami.io/vgpu-devices-allocated"), "GPU-a,NVIDIA,3000,30:;");
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "success");
  EXPECT_EQ(PodAnnotation("other", "hami.io/bind-phase"), "allocating");
  EXPECT_TRUE(NodeLock().empty());
}

TEST_F(AllocatorTest, WithoutLockTheFirstPendingPodIsUsed) {
  CreatePod("done", "GPU-x,NVIDIA,1,1:;", "failed");
  CreatePod("p", "GPU-a,NVIDIA,1000,0:;GPU-b,NVIDIA,2000,0:;", "allocating", 2);
  auto first = allocator_->Allocate({{"GPU-a-1"}});
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ((*first)[0].container_name, "c0");
  EXPECT_EQ(PodAnnotation("p", "hami.io/vgpu-devices-to-allocate"), ";GPU-b,NVIDIA,2000,0:;");
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "allocating");  // one container left
  auto second = allocator_->Allocate({{"GPU-b-0"}});
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ((*second)[0].container_name, "c1");
  EXPECT_EQ((*second)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "2000m");
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "success");
}

TEST_F(AllocatorTest, MismatchMarksFailedAndReleasesTheLock) {
  CreatePod("p", "GPU-a,NVIDIA,1,1:;");
  ASSERT_TRUE(locker_.Acquire("n1", "default", "p").ok());
  auto result = allocator_->Allocate({{"GPU-a-0", "GPU-a-1"}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("device number not matched"), std::string::npos)
      << result.error().message();
  EXPECT_NE(result.error().message().find("default/p"), std::string::npos);
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "failed");
  EXPECT_EQ(PodAnnotation("p", "hami.io/vgpu-devices-to-allocate"), "GPU-a,NVIDIA,1,1:;");
  EXPECT_TRUE(NodeLock().empty());
}

TEST_F(AllocatorTest, PatchFailureMarksFailed) {
  CreatePod("p", "GPU-a,NVIDIA,1,1:;");
  ASSERT_TRUE(locker_.Acquire("n1", "default", "p").ok());
  api_.FailNext("PATCH", base::Unavailable("apiserver down"));
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("apiserver down"), std::string::npos);
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "failed");
  EXPECT_TRUE(NodeLock().empty());
}

// Mode "mps" without its daemon: the container could not run a CUDA call, so the pod fails at
// admission with the reason, rather than at run time; with the daemon's pipe it is served.
TEST_F(AllocatorTest, MpsModeRefusesWithoutTheDaemon) {
  AllocateSettings settings;
  settings.host_vgpu_dir = root_ + "/vgpu";
  settings.host_lock_dir = root_ + "/lock";
  settings.mps_root = root_ + "/mps";
  allocator_->UpdateSettings(settings);
  CreatePod("p", "GPU-a,NVIDIA,3000,30:;");
  auto refused = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("no MPS control daemon"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "failed");

  fs::create_directories(root_ + "/mps/pipe");
  ASSERT_EQ(mkfifo((root_ + "/mps/pipe/control").c_str(), 0600), 0);
  CreatePod("q", "GPU-a,NVIDIA,2000,20:;");
  auto served = allocator_->Allocate({{"GPU-a-1"}});
  ASSERT_TRUE(served.ok()) << served.error().message();
  EXPECT_EQ((*served)[0].envs.at("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"), "20");
}

TEST_F(AllocatorTest, NoPendingPodIsAClearError) {
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("no pending pod"), std::string::npos);
}

TEST_F(AllocatorTest, PreferredFollowsTheAnnotation) {
  CreatePod("p", "GPU-b,NVIDIA,1,1:;");
  auto got = allocator_->Preferred({{{"GPU-a-0", "GPU-b-0"}, {}, 1}},
                                   {{"GPU-a-0", "GPU-a"}, {"GPU-b-0", "GPU-b"}});
  EXPECT_EQ(got, (std::vector<std::vector<std::string>>{{"GPU-b-0"}}));
}

// Without a node lock: the kubelet's pod-resources List says which bound pod is being admitted.
class LocklessAllocatorTest : public AllocatorTest {
 protected:
  void SetUp() override {
    AllocatorTest::SetUp();
    AllocatorConfig config;
    config.node_name = "n1";
    config.settings.host_vgpu_dir = root_ + "/vgpu";
    config.settings.host_lock_dir = root_ + "/lock";
    config.new_cache_name = [] { return std::string("fixed"); };
    config.kubelet_pods = [this]() -> base::Result<std::vector<KubeletPod>> {
      if (!kubelet_error_.ok()) return kubelet_error_;
      return kubelet_;
    };
    config.node_pods = [this] { return cache_; };
    config.env = &env_;
    allocator_ = std::make_unique<Allocator>(api_, locker_, config);
  }
  // The watch cache as it would be after seeing `names` (their current API state).
  void CacheHolds(const std::vector<std::string>& names) {
    cache_.emplace();
    for (const auto& name : names) cache_->push_back(*api_.Get(k8s::PodsPath("default", name)));
  }
  void KubeletLists(const std::vector<std::string>& names) {
    kubelet_.clear();
    for (const auto& name : names) kubelet_.push_back({"default", name});
  }
  int Writes() { return api_.Calls("PATCH") + api_.Calls("UPDATE") + api_.Calls("CREATE"); }

  std::vector<KubeletPod> kubelet_;
  base::Status kubelet_error_;
  std::optional<std::vector<nlohmann::json>> cache_;  // nullopt: not synced
  fakes::FakeEnv env_;
};

TEST_F(LocklessAllocatorTest, ServesThePodTheKubeletIsAdmittingInOneWrite) {
  CreatePod("a", "GPU-a,NVIDIA,1000,10:;");
  CreatePod("b", "GPU-a,NVIDIA,3000,30:;");
  CreatePod("c", "GPU-a,NVIDIA,1000,10:;");
  KubeletLists({"b"});
  const int before = Writes();
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ((*result)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m");
  EXPECT_EQ(Writes() - before, 1) << "to-allocate, bind-phase and label in one patch";
  EXPECT_EQ(PodAnnotation("b", "hami.io/bind-phase"), "success");
  EXPECT_EQ(PodAnnotation("b", "hami.io/vgpu-devices-to-allocate"), ";");
  auto b = api_.Get(k8s::PodsPath("default", "b"));
  EXPECT_EQ(b->at("metadata").at("labels").value("hami.io/vgpu-node", ""), "n1");
  EXPECT_TRUE(NodeLock().empty()) << "no node lock taken or needed";
  KubeletLists({"b", "a"});
  auto next = allocator_->Allocate({{"GPU-a-1"}});
  ASSERT_TRUE(next.ok()) << next.error().message();
  EXPECT_EQ((*next)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "1000m");
  EXPECT_EQ(PodAnnotation("a", "hami.io/bind-phase"), "success");
  EXPECT_EQ(PodAnnotation("c", "hami.io/bind-phase"), "allocating");
}

// The refused pod's bind-phase patch is lost: the API still says it is allocating, yet the next
// pod the kubelet admits is not charged to it (the allocator remembers what it finished).
TEST_F(LocklessAllocatorTest, APodRefusedHereIsNotAskingEvenBeforeTheApiSaysSo) {
  CreatePod("broken", "GPU-a,NVIDIA,1,1:;");
  CreatePod("next", "GPU-a,NVIDIA,2000,0:;");
  KubeletLists({"broken"});
  api_.FailNext("PATCH", base::InvalidArgument("HTTP 422"));  // the plan's own patch
  auto failed = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(PodAnnotation("broken", "hami.io/bind-phase"), "failed");
  // Make the API lag: back to allocating, as if the failed mark had not been written.
  ASSERT_TRUE(k8s::PatchAnnotations(api_, k8s::PodsPath("default", "broken"),
                                    {{"hami.io/bind-phase", "allocating"}})
                  .ok());
  KubeletLists({"broken", "next"});
  auto served = allocator_->Allocate({{"GPU-a-1"}});
  ASSERT_TRUE(served.ok()) << served.error().message();
  EXPECT_EQ((*served)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "2000m");
}

TEST_F(LocklessAllocatorTest, ASyncedWatchCacheSparesTheList) {
  CreatePod("a", "GPU-a,NVIDIA,1000,10:;");
  CreatePod("b", "GPU-a,NVIDIA,3000,30:;");
  CacheHolds({"a", "b"});
  KubeletLists({"b"});
  const int lists = api_.Calls("LIST");
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ((*result)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m");
  EXPECT_EQ(api_.Calls("LIST"), lists) << "the pod came from the cache";
}

// The kubelet saw the Binding before the plugin's watch did: a fresh LIST, at once, settles it.
TEST_F(LocklessAllocatorTest, ACacheBehindTheBindingFallsBackToAList) {
  CacheHolds({});
  CreatePod("p", "GPU-a,NVIDIA,2000,20:;");
  KubeletLists({"p"});
  const int lists = api_.Calls("LIST");
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ((*result)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "2000m");
  EXPECT_EQ(api_.Calls("LIST"), lists + 1);
  EXPECT_TRUE(env_.sleeps().empty()) << "no wait before the fresh look";
}

// An API server refusing writes for a moment (429, 5xx) must not fail the pod for good.
TEST_F(LocklessAllocatorTest, AWriteRefusedAsUnavailableIsRetried) {
  CreatePod("p", "GPU-a,NVIDIA,1000,10:;");
  KubeletLists({"p"});
  api_.FailNext("PATCH", base::Unavailable("HTTP 500"));
  api_.FailNext("PATCH", base::Unavailable("HTTP 429"));
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ(env_.sleeps().size(), 2U) << "two refusals, two backoffs";
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "success");
}

TEST_F(LocklessAllocatorTest, AWriteRefusedEveryTimeFailsThePod) {
  CreatePod("p", "GPU-a,NVIDIA,1000,10:;");
  KubeletLists({"p"});
  for (int i = 0; i < 5; ++i) api_.FailNext("PATCH", base::Unavailable("HTTP 503"));
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("HTTP 503"), std::string::npos);
  EXPECT_EQ(PodAnnotation("p", "hami.io/bind-phase"), "failed") << "the failed mark retried too";
}

TEST_F(LocklessAllocatorTest, TwoPodsAskingIsRetriedThenRefusedNeverGuessed) {
  CreatePod("refused", "GPU-a,NVIDIA,1000,10:;");
  CreatePod("asking", "GPU-a,NVIDIA,3000,30:;");
  KubeletLists({"refused", "asking"});
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("cannot tell which pod"), std::string::npos)
      << result.error().message();
  EXPECT_EQ(env_.sleeps().size(), 4U) << "five looks, 200 ms apart";
  EXPECT_EQ(PodAnnotation("asking", "hami.io/bind-phase"), "allocating") << "nothing written";
  EXPECT_EQ(PodAnnotation("refused", "hami.io/bind-phase"), "allocating");
}

// Issue 15: the last patch is sent after the answer (FinishWriter). Until it lands the API still
// shows the pod asking; the next Allocate must be charged to the next pod all the same, and a pod
// deleted before its patch is sent costs nothing.
TEST_F(LocklessAllocatorTest, DeferredLastWriteNeverServesAPodTwice) {
  FinishWriterConfig writer_config;
  writer_config.node_name = "n1";
  writer_config.env = &env_;
  FinishWriter writer(api_, writer_config);  // not started: its writes wait for Stop
  AllocatorConfig config;
  config.node_name = "n1";
  config.settings.host_vgpu_dir = root_ + "/vgpu";
  config.settings.host_lock_dir = root_ + "/lock";
  config.new_cache_name = [] { return std::string("fixed"); };
  config.kubelet_pods = [this]() -> base::Result<std::vector<KubeletPod>> { return kubelet_; };
  config.env = &env_;
  config.finish = &writer;
  allocator_ = std::make_unique<Allocator>(api_, locker_, config);
  CreatePod("a", "GPU-a,NVIDIA,1000,10:;");
  CreatePod("b", "GPU-a,NVIDIA,3000,30:;");
  CreatePod("c", "GPU-a,NVIDIA,5000,50:;");
  const int before = Writes();
  KubeletLists({"a"});
  auto first = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ((*first)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "1000m");
  EXPECT_EQ(Writes(), before) << "nothing written before the answer";
  EXPECT_EQ(PodAnnotation("a", "hami.io/bind-phase"), "allocating") << "the API lags";
  KubeletLists({"a", "b"});
  auto second = allocator_->Allocate({{"GPU-a-1"}});
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ((*second)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m") << "b's, not a's again";
  KubeletLists({"a", "b", "c"});
  auto third = allocator_->Allocate({{"GPU-a-2"}});
  ASSERT_TRUE(third.ok()) << third.error().message();
  EXPECT_EQ((*third)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "5000m");
  ASSERT_TRUE(api_.Delete(k8s::PodsPath("default", "c")).ok());
  EXPECT_EQ(writer.queued(), 3U);
  writer.Stop();
  EXPECT_EQ(writer.queued(), 0U);
  for (const char* name : {"a", "b"}) {
    EXPECT_EQ(PodAnnotation(name, "hami.io/bind-phase"), "success") << name;
    EXPECT_EQ(PodAnnotation(name, "hami.io/vgpu-devices-to-allocate"), ";") << name;
  }
  EXPECT_EQ(Writes(), before + 3) << "one write per pod, the deleted pod's answered NotFound";
}

TEST_F(LocklessAllocatorTest, AnUnreachableKubeletIsAnErrorNotAGuess) {
  CreatePod("only", "GPU-a,NVIDIA,1000,10:;");
  kubelet_error_ = base::Unavailable("kubelet pod-resources List at /x.sock: connection refused");
  auto result = allocator_->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("/x.sock"), std::string::npos);
  EXPECT_EQ(PodAnnotation("only", "hami.io/bind-phase"), "allocating");
}

}  // namespace
}  // namespace hami::deviceplugin
