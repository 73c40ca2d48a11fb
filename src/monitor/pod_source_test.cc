#include "monitor/pod_source.h"

#include <gtest/gtest.h>

namespace hami::monitor {
namespace {

using nlohmann::json;

// A pod as hami-scheduler leaves it after bind: init container without a GPU, two app containers.
json BoundPod() {
  return json::parse(R"({
    "metadata": {"name": "p", "namespace": "team", "uid": "u1", "annotations": {
      "hami.io/vgpu-devices-allocated": ";GPU-a,NVIDIA,3000,30:GPU-b,NVIDIA,3000,30:;GPU-c,NVIDIA,500,100:;",
      "hami.io/vgpu-mig-allocations": "[{\"containerIndex\":2,\"deviceIndex\":0,\"gpuUUID\":\"GPU-c\",\"profile\":\"1g.5gb\",\"placement\":{\"start\":0,\"size\":1},\"migUUID\":\"MIG-x\",\"gpuInstanceID\":1,\"computeInstanceID\":0}]"}},
    "spec": {
      "initContainers": [{"name": "setup"}],
      "containers": [
        {"name": "train", "env": [{"name": "CUDA_TASK_PRIORITY", "value": "0"}]},
        {"name": "serve", "env": [{"name": "CUDA_TASK_PRIORITY", "valueFrom": {"fieldRef": {}}}]}]}})");
}

TEST(PodRefFromJson, GrantsPerContainerFromTheAnnotationsAndSpec) {
  const PodRef p = PodRefFromJson(BoundPod());
  EXPECT_EQ(p.containers, (std::vector<std::string>{"setup", "train", "serve"}));
  EXPECT_EQ(p.grant_error, "");
  ASSERT_EQ(p.grants.size(), 2u);
  EXPECT_EQ(p.grants.count("setup"), 0u);
  const ContainerGrant& train = p.grants.at("train");
  EXPECT_EQ(train.uuids, (std::vector<std::string>{"GPU-a", "GPU-b"}));
  EXPECT_EQ(train.memory_limits, (std::vector<uint64_t>{3000ull << 20, 3000ull << 20}));
  EXPECT_EQ(train.sm_limits, (std::vector<uint64_t>{30, 30}));
  EXPECT_EQ(train.priority, 0);
  EXPECT_TRUE(train.mig_uuids.empty());
  const ContainerGrant& serve = p.grants.at("serve");
  EXPECT_EQ(serve.uuids, std::vector<std::string>{"GPU-c"});
  EXPECT_EQ(serve.mig_uuids, std::vector<std::string>{"MIG-x"});
  EXPECT_EQ(serve.priority, 1) << "a valueFrom priority is not a grant: libvgpu's default";
}

TEST(PodRefFromJson, AnnotationsThatDoNotDecodeGrantNothing) {
  json pod = BoundPod();
  pod["metadata"]["annotations"]["hami.io/vgpu-devices-allocated"] = "GPU-a,NVIDIA,lots,30:;";
  PodRef p = PodRefFromJson(pod);
  EXPECT_TRUE(p.grants.empty());
  EXPECT_NE(p.grant_error.find("hami.io/vgpu-devices-allocated: "), std::string::npos)
      << p.grant_error;
  pod = BoundPod();
  pod["metadata"]["annotations"].erase("hami.io/vgpu-devices-allocated");
  p = PodRefFromJson(pod);
  EXPECT_TRUE(p.grants.empty());
  EXPECT_EQ(p.grant_error, "");
}

TEST(PodRefFromJson, PriorityLiteralsOutsideInt32AreNotGrants) {
  json pod = BoundPod();
  pod["spec"]["containers"][0]["env"][0]["value"] = "-99999999999";
  EXPECT_EQ(PodRefFromJson(pod).grants.at("train").priority, 1);
  pod["spec"]["containers"][0]["env"][0]["value"] = "2";
  EXPECT_EQ(PodRefFromJson(pod).grants.at("train").priority, 2);
}

}  // namespace
}  // namespace hami::monitor
