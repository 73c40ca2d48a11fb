// Allocate planning (hami-wire §5.2), pending-pod selection and preferred allocation (§5.3).
#include "deviceplugin/allocate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/pod_test_util.h"

namespace hami::deviceplugin {
namespace {

model::Pod PodWith(const std::string& to_allocate, const std::vector<std::string>& containers,
                   const std::vector<std::string>& init = {}) {
  model::Pod pod;
  pod.name = "p";
  pod.uid = "uid-1";
  if (!to_allocate.empty()) pod.annotations["hami.io/vgpu-devices-to-allocate"] = to_allocate;
  for (auto& name : init) pod.init_containers.push_back(model::testing::MakeContainer(name, {}));
  for (auto& name : containers) pod.containers.push_back(model::testing::MakeContainer(name, {}));
  return pod;
}

AllocateSettings Settings() {
  AllocateSettings s;
  s.host_vgpu_dir = "/h/vgpu";
  s.host_lock_dir = "/tmp/vgpulock";
  return s;
}

std::vector<MountSpec> StandardMounts(const std::string& dir, bool preload = true) {
  std::vector<MountSpec> m = {{"/usr/local/vgpu/libvgpu.so", "/h/vgpu/libvgpu.so", true},
                              {"/usr/local/vgpu", dir, false},
                              {"/tmp/vgpulock", "/tmp/vgpulock", false}};
  if (preload) m.push_back({"/etc/ld.so.preload", "/h/vgpu/ld.so.preload", true});
  return m;
}

auto Cache() {
  return [n = 0]() mutable { return "cache" + std::to_string(n++); };
}

TEST(PlanAllocateTest, Table) {
  struct Case {
    std::string name;
    model::Pod pod;
    std::vector<std::vector<std::string>> requests;
    AllocateSettings settings;
    std::map<std::string, std::string> want_env;  // of the first container
    std::string want_container;
    std::string want_remaining;
    bool want_all = true;
    bool want_preload = true;
  };
  AllocateSettings scaled = Settings();
  scaled.memory_scaling = 2;
  scaled.lib_cuda_log_level = "";
  scaled.disable_core_limit = true;
  AllocateSettings by_index = Settings();
  by_index.device_id_strategy = DeviceIdStrategy::kIndex;
  by_index.uuid_to_index = {{"GPU-a", 3}, {"GPU-b", 5}};
  model::Pod no_control = PodWith("GPU-a,NVIDIA,1000,10:;", {"c"});
  no_control.containers[0].env["CUDA_DISABLE_CONTROL"] = "true";
  model::Pod control_false = PodWith("GPU-a,NVIDIA,1000,10:;", {"c"});
  control_false.containers[0].env["CUDA_DISABLE_CONTROL"] = "TRUE";

  std::vector<Case> cases = {
      {"one gpu",
       PodWith("GPU-a,NVIDIA,3000,30:;", {"c"}),
       {{"GPU-a-3"}},
       Settings(),
       {{"NVIDIA_VISIBLE_DEVICES", "GPU-a"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "3000m"},
        {"CUDA_DEVICE_SM_LIMIT", "30"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"LIBCUDA_LOG_LEVEL", "1"}},
       "c",
       ";"},
      {"two gpus, sm limit of the first",
       PodWith("GPU-a,NVIDIA,1000,20:GPU-b,NVIDIA,2000,50:;", {"c"}),
       {{"GPU-a-0", "GPU-b-0"}},
       Settings(),
       {{"NVIDIA_VISIBLE_DEVICES", "GPU-a,GPU-b"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "1000m"},
        {"CUDA_DEVICE_MEMORY_LIMIT_1", "2000m"},
        {"CUDA_DEVICE_SM_LIMIT", "20"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"LIBCUDA_LOG_LEVEL", "1"}},
       "c",
       ";"},
      {"skips empty entries; second container",
       PodWith(";GPU-a,NVIDIA,500,0:;", {"a", "b"}),
       {{"x"}},
       Settings(),
       {{"NVIDIA_VISIBLE_DEVICES", "GPU-a"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "500m"},
        {"CUDA_DEVICE_SM_LIMIT", "0"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"LIBCUDA_LOG_LEVEL", "1"}},
       "b",
       ";;"},
      {"init container first, others remain",
       PodWith("GPU-a,NVIDIA,100,10:;GPU-b,NVIDIA,200,20:;", {"app"}, {"init"}),
       {{"x"}},
       Settings(),
       {{"NVIDIA_VISIBLE_DEVICES", "GPU-a"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "100m"},
        {"CUDA_DEVICE_SM_LIMIT", "10"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"LIBCUDA_LOG_LEVEL", "1"}},
       "init",
       ";GPU-b,NVIDIA,200,20:;",
       false},
      {"oversubscribe, no log level, core limit disabled",
       PodWith("GPU-a,NVIDIA,3000,30:;", {"c"}),
       {{"x"}},
       scaled,
       {{"NVIDIA_VISIBLE_DEVICES", "GPU-a"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "3000m"},
        {"CUDA_DEVICE_SM_LIMIT", "30"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"CUDA_OVERSUBSCRIBE", "true"},
        {"GPU_CORE_UTILIZATION_POLICY", "disable"}},
       "c",
       ";"},
      {"index strategy, duplicates folded",
       PodWith("GPU-b,NVIDIA,1,1:GPU-b,NVIDIA,1,1:;", {"c"}),
       {{"x", "y"}},
       by_index,
       {{"NVIDIA_VISIBLE_DEVICES", "5"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "1m"},
        {"CUDA_DEVICE_MEMORY_LIMIT_1", "1m"},
        {"CUDA_DEVICE_SM_LIMIT", "1"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"LIBCUDA_LOG_LEVEL", "1"}},
       "c",
       ";"},
      {"CUDA_DISABLE_CONTROL=true drops ld.so.preload",
       no_control,
       {{"x"}},
       Settings(),
       {{"NVIDIA_VISIBLE_DEVICES", "GPU-a"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "1000m"},
        {"CUDA_DEVICE_SM_LIMIT", "10"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"LIBCUDA_LOG_LEVEL", "1"}},
       "c",
       ";",
       true,
       false},
      {"only exactly \"true\" disables control",
       control_false,
       {{"x"}},
       Settings(),
       {{"NVIDIA_VISIBLE_DEVICES", "GPU-a"},
        {"CUDA_DEVICE_MEMORY_LIMIT_0", "1000m"},
        {"CUDA_DEVICE_SM_LIMIT", "10"},
        {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/cache0.cache"},
        {"LIBCUDA_LOG_LEVEL", "1"}},
       "c",
       ";"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto plan = PlanAllocate(c.pod, c.requests, c.settings, {}, Cache());
    ASSERT_TRUE(plan.ok()) << plan.error().message();
    ASSERT_EQ(plan->containers.size(), 1u);
    const auto& got = plan->containers[0];
    EXPECT_EQ(got.envs, c.want_env);
    EXPECT_EQ(got.container_name, c.want_container);
    std::string dir = "/h/vgpu/containers/uid-1_" + c.want_container;
    EXPECT_EQ(got.host_dir, dir);
    EXPECT_EQ(got.mounts, StandardMounts(dir, c.want_preload));
    EXPECT_TRUE(got.devices.empty());
    EXPECT_EQ(plan->remaining_to_allocate, c.want_remaining);
    EXPECT_EQ(plan->all_allocated, c.want_all);
  }
}

TEST(PlanAllocateTest, SeveralContainersInOneCallAndOwners) {
  model::Pod pod = PodWith("GPU-a,NVIDIA,1,1:;GPU-b,NVIDIA,2,2:;", {"a", "b"});
  std::map<std::string, ContainerOwner> owners = {{"b", {1000u, 2000u}}};
  auto plan = PlanAllocate(pod, {{"x"}, {"y"}}, Settings(), owners, Cache());
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->containers.size(), 2u);
  EXPECT_EQ(plan->containers[0].container_name, "a");
  EXPECT_EQ(plan->containers[1].container_name, "b");
  EXPECT_EQ(plan->containers[1].envs.at("CUDA_DEVICE_MEMORY_SHARED_CACHE"),
            "/usr/local/vgpu/cache1.cache");
  EXPECT_EQ(plan->containers[0].owner, ContainerOwner{});
  EXPECT_EQ(plan->containers[1].owner, (ContainerOwner{1000u, 2000u}));
  EXPECT_EQ(plan->remaining_to_allocate, ";;");
}

TEST(PlanAllocateTest, DeviceSpecsWhenPassed) {
  AllocateSettings s = Settings();
  s.pass_device_specs = true;
  s.uuid_to_device_node = {{"GPU-a", "/dev/nvidia0"}};
  s.control_device_nodes = {"/dev/nvidiactl"};
  auto plan = PlanAllocate(PodWith("GPU-a,NVIDIA,1,1:;", {"c"}), {{"x"}}, s, {}, Cache());
  ASSERT_TRUE(plan.ok());
  std::vector<DeviceNodeSpec> want = {{"/dev/nvidia0", "/dev/nvidia0", "rw"},
                                      {"/dev/nvidiactl", "/dev/nvidiactl", "rw"}};
  EXPECT_EQ(plan->containers[0].devices, want);
}

// Mode "mps": the MPS client contract on top of hami-core's (libvgpu still limits memory).
TEST(PlanAllocateTest, MpsModeAddsTheClientContract) {
  AllocateSettings s = Settings();
  s.mps_root = "/run/nvidia/mps";
  auto plan = PlanAllocate(PodWith("GPU-a,NVIDIA,3000,30:GPU-b,NVIDIA,2000,30:;", {"c"}),
                           {{"x", "y"}}, s, {}, Cache());
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  const auto& c = plan->containers[0];
  EXPECT_EQ(c.envs.at("CUDA_MPS_PIPE_DIRECTORY"), "/tmp/nvidia-mps");
  EXPECT_EQ(c.envs.at("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"), "30");
  EXPECT_EQ(c.envs.at("CUDA_MPS_PINNED_DEVICE_MEM_LIMIT"), "0=3000M,1=2000M");
  EXPECT_EQ(c.envs.at("GPU_CORE_UTILIZATION_POLICY"), "disable") << "the daemon partitions SMs";
  EXPECT_EQ(c.envs.at("CUDA_DEVICE_MEMORY_LIMIT_0"), "3000m") << "libvgpu still limits memory";
  auto mounts = StandardMounts("/h/vgpu/containers/uid-1_c");
  mounts.push_back({"/tmp/nvidia-mps", "/run/nvidia/mps/pipe", false});
  mounts.push_back({"/dev/shm", "/run/nvidia/mps/shm", false});
  EXPECT_EQ(c.mounts, mounts);

  auto unlimited = PlanAllocate(PodWith("GPU-a,NVIDIA,3000,0:;", {"c"}), {{"x"}}, s, {}, Cache());
  ASSERT_TRUE(unlimited.ok());
  EXPECT_EQ(unlimited->containers[0].envs.count("CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"), 0U)
      << "cores 0: no SM limit";
  auto core =
      PlanAllocate(PodWith("GPU-a,NVIDIA,3000,0:;", {"c"}), {{"x"}}, Settings(), {}, Cache());
  ASSERT_TRUE(core.ok());
  EXPECT_EQ(core->containers[0].envs.count("CUDA_MPS_PIPE_DIRECTORY"), 0U) << "hami-core mode";
}

TEST(PlanAllocateTest, Errors) {
  struct Case {
    model::Pod pod;
    std::vector<std::vector<std::string>> requests;
    std::string message;
  } cases[] = {
      {PodWith("", {"c"}), {{"x"}}, "no hami.io/vgpu-devices-to-allocate"},
      {PodWith("GPU-a,NVIDIA:;", {"c"}), {{"x"}}, "pod default/p"},
      {PodWith(";", {"c"}), {{"x"}}, "no device left to allocate"},
      {PodWith("GPU-a,NVIDIA,1,1:;", {"c"}), {{"x"}, {"y"}}, "no device left to allocate"},
      {PodWith("GPU-a,NVIDIA,1,1:;", {"c"}), {{"x", "y"}}, "device number not matched"},
      {PodWith(";GPU-a,NVIDIA,1,1:;", {"c"}), {{"x"}}, "has no matching container"},
  };
  for (const auto& c : cases) {
    auto plan = PlanAllocate(c.pod, c.requests, Settings(), {}, Cache());
    ASSERT_FALSE(plan.ok()) << c.message;
    EXPECT_NE(plan.error().message().find(c.message), std::string::npos) << plan.error().message();
  }
}

TEST(SelectPendingPodTest, FirstMatchingPod) {
  auto make = [](std::string name, std::string phase, const std::string& bind_phase,
                 std::string node, bool bind_time = true) {
    model::Pod pod;
    pod.name = std::move(name);
    pod.phase = std::move(phase);
    if (!bind_phase.empty()) pod.annotations["hami.io/bind-phase"] = bind_phase;
    if (bind_time) pod.annotations["hami.io/bind-time"] = "1700000000";
    pod.annotations["hami.io/vgpu-node"] = std::move(node);
    return pod;
  };
  std::vector<model::Pod> pods = {make("running", "Running", "allocating", "n1"),
                                  make("failed", "Pending", "failed", "n1"),
                                  make("no-time", "Pending", "allocating", "n1", false),
                                  make("other-node", "Pending", "allocating", "n2"),
                                  make("ok", "Pending", "success", "n1"),
                                  make("later", "Pending", "allocating", "n1")};
  auto chosen = SelectPendingPod(pods, "n1");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->name, "ok");
  EXPECT_FALSE(SelectPendingPod(pods, "n3"));
}

TEST(LostFinishRemainingTest, OnlyAStartedPodStillAllocatingHere) {
  auto make = [](std::string phase, const std::string& bind_phase, const std::string& left) {
    model::Pod pod;
    pod.name = "p";
    pod.node_name = "n1";
    pod.phase = std::move(phase);
    pod.annotations["hami.io/bind-phase"] = bind_phase;
    pod.annotations["hami.io/vgpu-devices-to-allocate"] = left;
    return pod;
  };
  const std::string two = "GPU-a,NVIDIA,1000,10:;GPU-b,NVIDIA,2000,20:;";
  EXPECT_EQ(LostFinishRemaining(make("Running", "allocating", two), "n1"), ";;");
  EXPECT_EQ(LostFinishRemaining(make("Succeeded", "allocating", "GPU-a,NVIDIA,1,1:;"), "n1"), ";");
  EXPECT_FALSE(LostFinishRemaining(make("Running", "allocating", two), "n2")) << "another node";
  EXPECT_FALSE(LostFinishRemaining(make("Pending", "allocating", two), "n1")) << "being admitted";
  EXPECT_FALSE(LostFinishRemaining(make("Failed", "allocating", two), "n1"));
  EXPECT_FALSE(LostFinishRemaining(make("Running", "success", two), "n1"));
  EXPECT_FALSE(LostFinishRemaining(make("Running", "allocating", ";;"), "n1")) << "nothing left";
  EXPECT_FALSE(LostFinishRemaining(make("Running", "allocating", "not,a;device"), "n1"));
  model::Pod unannotated = make("Running", "allocating", two);
  unannotated.annotations.erase("hami.io/vgpu-devices-to-allocate");
  EXPECT_FALSE(LostFinishRemaining(unannotated, "n1"));
}

TEST(FinishBindPatchTest, AddsSuccessAndTheNodeLabel) {
  EXPECT_EQ(FinishBindPatch({{"hami.io/vgpu-devices-to-allocate", ";"}}, "n1"),
            nlohmann::json::parse(R"({"metadata":{
              "annotations":{"hami.io/vgpu-devices-to-allocate":";","hami.io/bind-phase":"success"},
              "labels":{"hami.io/vgpu-node":"n1"}}})"));
}

TEST(OwnerOfTest, ContainerOverridesPod) {
  auto pod =
      nlohmann::json::parse(R"({"spec":{"securityContext":{"runAsUser":1000,"runAsGroup":3000},
    "containers":[{"name":"a"},{"name":"b","securityContext":{"runAsUser":2000}},
                  {"name":"c","securityContext":{"runAsUser":-1}}]}})");
  EXPECT_EQ(OwnerOf(pod, "a"), (ContainerOwner{1000u, 3000u}));
  EXPECT_EQ(OwnerOf(pod, "b"), (ContainerOwner{2000u, 3000u}));
  EXPECT_EQ(OwnerOf(pod, "c"), (ContainerOwner{1000u, 3000u}));
  EXPECT_EQ(OwnerOf(nlohmann::json::parse(R"({"spec":{"containers":[{"name":"a"}]}})"), "a"),
            ContainerOwner{});
}

TEST(PreferredAllocationTest, MatchesAnnotatedGpus) {
  std::map<std::string, std::string> replicas = {
      {"GPU-a-0", "GPU-a"}, {"GPU-a-1", "GPU-a"}, {"GPU-b-0", "GPU-b"}, {"GPU-b-1", "GPU-b"}};
  model::Pod pod =
      PodWith(";GPU-b,NVIDIA,1,1:;GPU-a,NVIDIA,1,1:GPU-b,NVIDIA,1,1:;", {"x", "y", "z"});
  std::vector<PreferredRequest> requests = {
      {{"GPU-a-0", "GPU-b-0", "GPU-b-1"}, {}, 1},
      {{"GPU-a-0", "GPU-a-1", "GPU-b-0", "GPU-b-1"}, {"GPU-b-1"}, 2},
  };
  auto got = PreferredAllocation(pod, requests, replicas);
  std::vector<std::vector<std::string>> want = {{"GPU-b-0"}, {"GPU-a-0", "GPU-b-1"}};
  EXPECT_EQ(got, want);
}

TEST(PreferredAllocationTest, MismatchGivesNoPreference) {
  std::map<std::string, std::string> replicas = {{"GPU-a-0", "GPU-a"}, {"GPU-b-0", "GPU-b"}};
  model::Pod pod = PodWith("GPU-c,NVIDIA,1,1:;GPU-a,NVIDIA,1,1:;", {"x", "y"});
  std::vector<PreferredRequest> requests = {
      {{"GPU-a-0", "GPU-b-0"}, {}, 1}, {{"GPU-a-0"}, {}, 2}, {{"GPU-a-0"}, {}, 1}};
  auto got = PreferredAllocation(pod, requests, replicas);
  std::vector<std::vector<std::string>> want = {{}, {}, {}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(PreferredAllocation(PodWith("", {"x"}), {{{"GPU-a-0"}, {}, 1}}, replicas),
            std::vector<std::vector<std::string>>(1));
}

}  // namespace
}  // namespace hami::deviceplugin
