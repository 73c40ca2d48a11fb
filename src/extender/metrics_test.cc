#include <gtest/gtest.h>

#include "extender/service.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::extender {
namespace {

codec::NodeObject Node(const std::string& name) {
  codec::NodeObject n;
  n.name = name;
  n.annotations["hami.io/node-nvidia-register"] =
      R"([{"id":"GPU-a","index":0,"count":10,"devmem":16384,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}])";
  return n;
}

model::Pod Running(const std::string& name, const std::string& allocated) {
  model::Pod pod;
  pod.uid = "uid-" + name;
  pod.name = name;
  pod.namespace_name = "team";
  pod.node_name = "n1";
  pod.annotations = {{"hami.io/vgpu-node", "n1"}, {"hami.io/vgpu-devices-allocated", allocated}};
  return pod;
}

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() : registry_() {}
  std::string Render(bool legacy) {
    ServiceConfig config;
    config.legacy_metrics = legacy;
    config.build.version = "1.2.3";
    SchedulerService service(api_, registry_, config);
    EXPECT_TRUE(service.cache().UpsertNode(Node("n1")).ok());
    EXPECT_TRUE(
        service.cache().UpsertPod(Running("p1", "GPU-a,NVIDIA,3000,30:;"), 1700000000).ok());
    service.cache().SetQuota("team", "NVIDIA", 8000, std::nullopt);
    return service.RenderMetrics();
  }
  fakes::FakeKubeApi api_;
  vendor::Registry registry_;
};

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST_F(MetricsTest, UpstreamNamesAndLabels) {
  const std::string text = Render(false);
  const std::string device =
      R"(node="n1",device_uuid="GPU-a",device_index="0",device_type="NVIDIA-T4",device_vendor="NVIDIA",zone="vGPU")";
  EXPECT_TRUE(Has(text, "hami_gpu_memory_limit_bytes{" + device + "} 17179869184")) << text;
  EXPECT_TRUE(Has(text, "hami_gpu_core_limit_ratio{" + device + "} 100"));
  EXPECT_TRUE(
      Has(text, "hami_gpu_memory_allocated_bytes{" + device + ",device_cores=\"30\"} 3145728000"));
  EXPECT_TRUE(Has(text, "hami_gpu_shared_count{" + device + "} 1"));
  EXPECT_TRUE(Has(text, "hami_gpu_core_allocated_ratio{" + device + "} 30"));
  EXPECT_TRUE(Has(text, "hami_node_gpu_overview{" + device +
                            ",device_cores=\"30\",device_memory_limit=\"16384\"} 3145728000"));
  EXPECT_TRUE(Has(text, "hami_node_gpu_memory_allocated_ratio{" + device + "} 0.18310546875"));
  EXPECT_TRUE(Has(
      text,
      R"(hami_vgpu_memory_allocated_bytes{namespace="team",node="n1",pod="p1",container_index="0",device_uuid="GPU-a",zone="vGPU"} 3145728000)"));
  EXPECT_TRUE(Has(
      text,
      R"(hami_vgpu_core_allocated_ratio{namespace="team",node="n1",pod="p1",container_index="0",device_uuid="GPU-a",zone="vGPU"} 30)"));
  EXPECT_TRUE(Has(
      text,
      R"(hami_resource_quota_used{namespace="team",quota_name="limits.nvidia.com/gpumem",zone="vGPU",limit="8000"} 3000)"));
  EXPECT_TRUE(Has(
      text,
      R"(hami_resource_quota_limit{namespace="team",quota_name="limits.nvidia.com/gpumem",zone="vGPU"} 8000)"));
  EXPECT_EQ(text.find("gpucores\""), std::string::npos);  // no core limit was set: not exported
  EXPECT_NE(text.find("hami_build_info{version=\"1.2.3\""), std::string::npos);
  EXPECT_NE(text.find("# TYPE hami_scheduler_filter_duration_seconds histogram"),
            std::string::npos);
  EXPECT_EQ(text.find("GPUDeviceMemoryLimit"), std::string::npos);
}

TEST_F(MetricsTest, LegacyNamesOnlyOnRequest) {
  const std::string text = Render(true);
  EXPECT_TRUE(Has(
      text,
      R"(GPUDeviceMemoryLimit{nodeid="n1",deviceuuid="GPU-a",deviceidx="0",devicetype="NVIDIA-T4",zone="vGPU"} 17179869184)"))
      << text;
  EXPECT_TRUE(Has(
      text,
      R"(vGPUMemoryAllocated{podnamespace="team",nodename="n1",podname="p1",containeridx="0",deviceuuid="GPU-a",zone="vGPU"} 3145728000)"));
  EXPECT_TRUE(Has(
      text,
      R"(QuotaUsed{quotanamespace="team",quotaName="limits.nvidia.com/gpumem",zone="vGPU",limit="8000"} 3000)"));
  for (const char* name : {"GPUDeviceCoreLimit", "GPUDeviceMemoryAllocated", "GPUDeviceSharedNum",
                           "GPUDeviceCoreAllocated", "nodeGPUOverview", "nodeGPUMemoryPercentage",
                           "vGPUCoreAllocated"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + name + " gauge"), std::string::npos) << name;
  }
  EXPECT_TRUE(Has(
      text,
      R"(hami_gpu_shared_count{node="n1",device_uuid="GPU-a",device_index="0",device_type="NVIDIA-T4",device_vendor="NVIDIA",zone="vGPU"} 1)"));
}

// An A100 in MIG mode (1g.10gb in slices 0..6, 3g.40gb at 0 or 4) and pods holding instances.
codec::NodeObject MigNode() {
  codec::NodeObject n;
  n.name = "n1";
  n.annotations["hami.io/node-nvidia-register"] =
      R"([{"id":"GPU-m","index":2,"count":7,"devmem":81920,"devcore":100,"type":"NVIDIA-A100-SXM4-80GB","mode":"mig",)"
      R"("migProfiles":[{"name":"1g.10gb","memoryMB":9728,"core":14,"sliceCount":1,"placements":[]},)"
      R"({"name":"3g.40gb","memoryMB":40192,"core":42,"sliceCount":3,"placements":[{"start":0,"size":4},{"start":4,"size":4}]}],)"
      R"("health":true}])";
  return n;
}

model::Pod MigPod(const std::string& name, const std::string& phase, const std::string& migs) {
  model::Pod pod = Running(name, "GPU-m,NVIDIA,9728,14:GPU-m,NVIDIA,40192,42:;");
  pod.phase = phase;
  pod.annotations["hami.io/vgpu-mig-allocations"] = migs;
  return pod;
}

TEST_F(MetricsTest, MigInstanceInfoForRealizedInstancesOfLivePods) {
  SchedulerService service(api_, registry_, ServiceConfig{});
  ASSERT_TRUE(service.cache().UpsertNode(MigNode()).ok());
  const std::string realized =
      R"({"containerIndex":0,"deviceIndex":2,"gpuUUID":"GPU-m","profile":"1g.10gb","placement":{"start":6,"size":1},"migUUID":"MIG-live","gpuInstanceID":13,"computeInstanceID":0})";
  const std::string pending =
      R"({"containerIndex":0,"deviceIndex":2,"gpuUUID":"GPU-m","profile":"3g.40gb","placement":{"start":0,"size":4}})";
  ASSERT_TRUE(
      service.cache()
          .UpsertPod(MigPod("live", "Running", "[" + realized + "," + pending + "]"), 1700000000)
          .ok());
  for (const char* phase : {"Succeeded", "Failed"}) {
    std::string done = realized;
    done.replace(done.find("MIG-live"), 8, std::string("MIG-") + phase);
    // Running first (exported), then finished: the instance goes with the pod's booking.
    ASSERT_TRUE(
        service.cache().UpsertPod(MigPod(phase, "Running", "[" + done + "]"), 1700000000).ok());
    EXPECT_NE(service.RenderMetrics().find(std::string("MIG-") + phase), std::string::npos);
    ASSERT_TRUE(service.cache().UpsertPod(MigPod(phase, phase, "[" + done + "]"), 1700000000).ok());
  }
  const std::string text = service.RenderMetrics();
  EXPECT_TRUE(Has(
      text,
      R"(hami_node_gpu_mig_instance_info{node="n1",device_uuid="GPU-m",device_index="2",mig_uuid="MIG-live",profile="1g.10gb",gpu_instance_id="13",compute_instance_id="0",placement_start="6",placement_size="1",zone="vGPU"} 1)"))
      << text;
  size_t samples = 0;
  for (size_t at = text.find("\nhami_node_gpu_mig_instance_info{"); at != std::string::npos;
       at = text.find("\nhami_node_gpu_mig_instance_info{", at + 1)) {
    ++samples;
  }
  EXPECT_EQ(samples, 1u) << "pending instances and finished pods are not exported\n" << text;
  EXPECT_EQ(text.find("MIG-Succeeded"), std::string::npos);
  EXPECT_EQ(text.find("MIG-Failed"), std::string::npos);
}

TEST_F(MetricsTest, MigInstanceInfoFamilyWithoutMigPods) {
  const std::string text = Render(true);
  EXPECT_NE(text.find("# TYPE hami_node_gpu_mig_instance_info gauge"), std::string::npos);
  EXPECT_EQ(text.find("hami_node_gpu_mig_instance_info{"), std::string::npos);
  EXPECT_EQ(text.find("nodeGPUMigInstance"), std::string::npos);
}

}  // namespace
}  // namespace hami::extender
