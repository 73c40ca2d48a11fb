// The Allocator in Volcano mode (AllocatorConfig::keys = VolcanoPodKeys()) against the in-memory
// API server: pods carrying exactly what Volcano's deviceshare plugin writes (v1.10.0
// GPUDevices.Allocate) get HAMi-core's env, bind-phase success/failed, and the scheduler's
// "hamivgpu" node lock is released.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "deviceplugin/allocator.h"
#include "deviceplugin/host_files.h"
#include "deviceplugin/volcano_wire.h"
#include "k8s/resource_path.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::deviceplugin {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

class VolcanoAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hami_dp_volcano_XXXXXX";
    root_ = mkdtemp(tmpl);
    ASSERT_TRUE(EnsureHostLayout(root_ + "/vgpu", root_ + "/lock").ok());
    Json node = {{"metadata",
                  {{"name", "n1"},
                   {"annotations", {{volcano::kNodeLockAnnotation, "2026-12-07T11:00:00Z"}}}}}};
    ASSERT_TRUE(api_.Create(k8s::NodesPath(), node).ok());
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<Allocator> MakeAllocator(bool kubelet) {
    AllocatorConfig config;
    config.node_name = "n1";
    config.keys = VolcanoPodKeys();
    config.settings.host_vgpu_dir = root_ + "/vgpu";
    config.settings.host_lock_dir = root_ + "/lock";
    config.new_cache_name = [] { return std::string("fixed"); };
    config.match_attempts = 1;
    if (kubelet) {
      config.kubelet_pods = [this]() -> base::Result<std::vector<KubeletPod>> { return kubelet_; };
    }
    return std::make_unique<Allocator>(api_, locker_, config);
  }

  // As Volcano's scheduler leaves a pod: its Allocate patch, then the Binding (spec.nodeName).
  void CreatePod(const std::string& name, const std::string& ids, const std::string& bind_time,
                 int containers = 1) {
    Json spec = {{"nodeName", "n1"}, {"schedulerName", "volcano"}, {"containers", Json::array()}};
    for (int i = 0; i < containers; ++i) {
      spec["containers"].push_back({{"name", "c" + std::to_string(i)}});
    }
    Json annotations = {{volcano::kNodeAnnotation, "n1"},
                        {volcano::kTimeAnnotation, bind_time},
                        {volcano::kIdsAnnotation, ids},
                        {volcano::kToAllocateAnnotation, ids},
                        {volcano::kBindPhaseAnnotation, "allocating"},
                        {volcano::kBindTimeAnnotation, bind_time}};
    Json pod = {
        {"metadata", {{"name", name}, {"namespace", "default"}, {"annotations", annotations}}},
        {"spec", spec},
        {"status", {{"phase", "Pending"}}}};
    ASSERT_TRUE(api_.Create(k8s::PodsPath("default"), pod).ok());
  }
  Json Pod(const std::string& name) { return *api_.Get(k8s::PodsPath("default", name)); }
  std::string Annotation(const std::string& name, const std::string& key) {
    return Pod(name)["metadata"]["annotations"].value(key, "");
  }
  bool NodeLocked() {
    auto node = api_.Get(k8s::NodesPath("n1"));
    return node->at("metadata")
        .value("annotations", Json::object())
        .contains(volcano::kNodeLockAnnotation);
  }

  fakes::FakeKubeApi api_;
  k8s::NodeLocker locker_{api_, k8s::NodeLockConfig{}};
  std::vector<KubeletPod> kubelet_;
  std::string root_;
};

TEST_F(VolcanoAllocatorTest, OldestBoundPodGetsItsSlicesThenSuccess) {
  CreatePod("newer", "GPU-x,NVIDIA,1000,0:", "1700000100");
  CreatePod("p", "GPU-a,NVIDIA,3000,30:;GPU-b,NVIDIA,2000,0:", "1700000000", 2);
  auto allocator = MakeAllocator(false);
  auto first = allocator->Allocate({{"GPU-a-1"}});
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ((*first)[0].container_name, "c0");
  EXPECT_EQ((*first)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m");
  EXPECT_EQ((*first)[0].envs.at("CUDA_DEVICE_SM_LIMIT"), "30");
  EXPECT_EQ((*first)[0].envs.at("NVIDIA_VISIBLE_DEVICES"), "GPU-a");
  EXPECT_EQ((*first)[0].envs.at("CUDA_DEVICE_MEMORY_SHARED_CACHE"), "/usr/local/vgpu/fixed.cache");
  EXPECT_EQ(Annotation("p", volcano::kBindPhaseAnnotation), "allocating");
  EXPECT_TRUE(NodeLocked());
  auto second = allocator->Allocate({{"GPU-b-0"}});
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ((*second)[0].container_name, "c1");
  EXPECT_EQ((*second)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "2000m");
  EXPECT_EQ(Annotation("p", volcano::kBindPhaseAnnotation), "success");
  EXPECT_EQ(Annotation("p", volcano::kIdsAnnotation),
            "GPU-a,NVIDIA,3000,30:;GPU-b,NVIDIA,2000,0:");  // Volcano's accounting untouched
  EXPECT_EQ(Annotation("p", "hami.io/bind-phase"), "");
  EXPECT_FALSE(NodeLocked());
  EXPECT_EQ(Annotation("newer", volcano::kBindPhaseAnnotation), "allocating");
}

TEST_F(VolcanoAllocatorTest, MismatchMarksFailed) {
  CreatePod("p", "GPU-a,NVIDIA,1000,0:", "1700000000");
  auto result = MakeAllocator(false)->Allocate({{"GPU-a-0", "GPU-a-1"}});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(Annotation("p", volcano::kBindPhaseAnnotation), "failed");
  EXPECT_FALSE(NodeLocked());
}

TEST_F(VolcanoAllocatorTest, OtherVgpuModesAreRefused) {
  CreatePod("p", "GPU-a,NVIDIA,1000,0:", "1700000000");
  ASSERT_TRUE(api_.Patch(k8s::PodsPath("default", "p"), k8s::PatchType::kMerge,
                         {{"metadata", {{"annotations", {{volcano::kModeAnnotation, "mig"}}}}}})
                  .ok());
  auto result = MakeAllocator(false)->Allocate({{"GPU-a-0"}});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("hami-core only"), std::string::npos);
  EXPECT_EQ(Annotation("p", volcano::kBindPhaseAnnotation), "failed");
}

TEST_F(VolcanoAllocatorTest, PodResourcesMatchServesTheAdmittedPodWithoutLabel) {
  CreatePod("older", "GPU-x,NVIDIA,1000,0:", "1600000000");  // not admitted by the kubelet
  CreatePod("p", "GPU-a,NVIDIA,3000,30:", "1700000000");
  kubelet_ = {KubeletPod{"default", "p"}};
  auto result = MakeAllocator(true)->Allocate({{"GPU-a-0"}});
  ASSERT_TRUE(result.ok()) << result.error().message();
  EXPECT_EQ((*result)[0].envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m");
  EXPECT_EQ(Annotation("p", volcano::kBindPhaseAnnotation), "success");
  EXPECT_EQ(Annotation("older", volcano::kBindPhaseAnnotation), "allocating");
  EXPECT_FALSE(Pod("p")["metadata"].contains("labels"));
  EXPECT_FALSE(NodeLocked());
}

}  // namespace
}  // namespace hami::deviceplugin
