#include "simulate/simulate.h"

#include <gtest/gtest.h>

#include "simulate/manifest.h"
#include "simulate/report.h"

namespace hami::simulate {
namespace {

constexpr char kNodes[] = R"(
kind: Node
metadata:
  name: n1
  annotations:
    hami.io/node-nvidia-register: '[{"id":"GPU-1","count":10,"devmem":16000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}]'
---
kind: Node
metadata:
  name: n2
  annotations:
    hami.io/node-nvidia-register: '[{"id":"GPU-2","count":10,"devmem":16000,"devcore":100,"type":"NVIDIA-T4","mode":"hami-core","health":true}]'
---
kind: Node
metadata: {name: cpu-node}
)";

std::vector<nlohmann::json> Objects(const std::string& pods) {
  auto nodes = ParseManifests(kNodes, "nodes");
  auto p = ParseManifests(pods, "pods");
  EXPECT_TRUE(nodes.ok() && p.ok());
  auto all = *nodes;
  for (auto& o : *p) all.push_back(o);
  return all;
}

std::string Pod(const std::string& name, const std::string& limits,
                const std::string& annotations = "{}") {
  return "---\nkind: Pod\nmetadata: {name: " + name + ", annotations: " + annotations +
         "}\nspec:\n  containers:\n  - name: c\n    resources:\n      limits: " + limits + "\n";
}

TEST(SimulateTest, PlacesInOrderEachSeeingThePrevious) {
  Options options;  // binpack nodes
  auto result = simulate::Run(Objects(Pod("a", "{nvidia.com/gpu: 1, nvidia.com/gpumem: 10000}") +
                                      Pod("b", "{nvidia.com/gpu: 1, nvidia.com/gpumem: 10000}") +
                                      Pod("c", "{nvidia.com/gpu: 1, nvidia.com/gpumem: 10000}")),
                              options);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const auto& p = result->placements;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(*p[0].node, "n1");  // tie on an empty cluster: name order
  EXPECT_EQ(p[0].devices.at("NVIDIA"), "GPU-1,NVIDIA,10000,0:;");
  EXPECT_EQ(p[0].annotations.at("hami.io/vgpu-devices-allocated"), "GPU-1,NVIDIA,10000,0:;");
  EXPECT_EQ(*p[1].node, "n2");  // n1 has only 6000 MiB left
  EXPECT_FALSE(p[2].node);
  EXPECT_EQ(p[2].failed_nodes.at("n1"), "1/1 CardInsufficientMemory");
  EXPECT_EQ(p[2].failed_nodes.at("cpu-node"), "node unregistered");
  auto json = ReportJson(*result);
  EXPECT_EQ(json["summary"]["placed"], 2);
  EXPECT_EQ(json["summary"]["unschedulable"], 1);
  EXPECT_TRUE(json["placements"][2]["node"].is_null());
  EXPECT_EQ(json["summary"]["memoryMiB"]["used"], 20000);
}

TEST(SimulateTest, RunningPodsAreBookedFirstAndAdmissionDefaultsApply) {
  Options options;
  const std::string running =
      "---\nkind: Pod\nmetadata:\n  name: old\n  annotations:\n    hami.io/vgpu-node: n1\n"
      "    hami.io/vgpu-devices-allocated: 'GPU-1,NVIDIA,1000,10:;'\n"
      "spec: {containers: [{name: c}]}\n";
  // gpu-only pods become exclusive (gpucores 100), so the second one cannot share GPU-1.
  auto result = simulate::Run(Objects(Pod("x", "{nvidia.com/gpu: 1}") + running), options);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(result->running, 1u);
  ASSERT_EQ(result->placements.size(), 1u);
  EXPECT_EQ(*result->placements[0].node, "n2");
  EXPECT_EQ(result->placements[0].devices.at("NVIDIA"), "GPU-2,NVIDIA,16000,100:;");
}

TEST(SimulateTest, QuotaIsEnforced) {
  Options options;
  auto quota =
      "---\nkind: ResourceQuota\nmetadata: {name: q, namespace: default}\n"
      "spec: {hard: {limits.nvidia.com/gpumem: 5Gi}}\n";
  auto result = simulate::Run(
      Objects(std::string(quota) + Pod("a", "{nvidia.com/gpu: 1, nvidia.com/gpumem: 4000}") +
              Pod("b", "{nvidia.com/gpu: 1, nvidia.com/gpumem: 4000}")),
      options);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_TRUE(result->placements[0].node);
  EXPECT_FALSE(result->placements[1].node);
  EXPECT_EQ(result->placements[1].failed_nodes.at("n2"), "1/1 ResourceQuotaNotFit");
}

TEST(SimulateTest, InputErrorsNameObjectAndField) {
  Options options;
  struct Case {
    std::string pods;
    std::string want;
  };
  std::vector<Case> cases = {
      {Pod("bad", "{nvidia.com/gpu: 1, nvidia.com/gpumem: 3Gx}"), "nvidia.com/gpumem"},
      {Pod("bad", "{nvidia.com/gpu: 1}", "{hami.io/device-scoring-weights: nope}"),
       "device-scoring-weights"},
      {"---\nkind: Pod\nmetadata:\n  name: r\n  annotations:\n    hami.io/vgpu-node: n1\n"
       "    hami.io/vgpu-devices-allocated: 'GPU-9,NVIDIA,1,1:;'\nspec: {containers: [{name: "
       "c}]}\n",
       "GPU-9"},
      {"---\nkind: Deployment\nmetadata: {name: d}\n", "Deployment d: no pod template"},
      {"---\nkind: Job\nmetadata: {name: j}\nspec: {parallelism: -1, template: {spec: {}}}\n",
       "Job j: parallelism"},
      {"---\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 1000000, template: {spec: "
       "{}}}\n",
       "exceeds 10000"},
      {"---\nmetadata: {name: nokind}\n", "object without a kind"},
  };
  for (const auto& c : cases) {
    auto result = simulate::Run(Objects(c.pods), options);
    ASSERT_FALSE(result.ok()) << c.want;
    EXPECT_NE(result.error().message().find(c.want), std::string::npos) << result.error().message();
  }
  auto bad_node = ParseManifests(
      "kind: Node\nmetadata: {name: broken, annotations: {hami.io/node-nvidia-register: '[{'}}\n",
      "n");
  auto result = simulate::Run(*bad_node, options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("node broken"), std::string::npos);
}

TEST(SimulateTest, WorkloadsBecomeTheirPodsOtherKindsAreWarned) {
  Options options;
  const std::string deployment =
      "---\nkind: Deployment\nmetadata: {name: web, namespace: ml}\nspec:\n  replicas: 3\n"
      "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n"
      "      - name: c\n        resources: {limits: {nvidia.com/gpu: 1, nvidia.com/gpumem: "
      "7000}}\n";
  const std::string cronjob =
      "---\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n"
      "      parallelism: 2\n      completions: 1\n      template:\n        spec:\n"
      "          containers: [{name: c, resources: {limits: {nvidia.com/gpu: 1}}}]\n";
  const std::string service = "---\nkind: Service\nmetadata: {name: svc}\n";
  auto result = simulate::Run(Objects(deployment + cronjob + service), options);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  ASSERT_EQ(result->placements.size(), 4u);
  EXPECT_EQ(result->placements[0].pod, "ml/web-0");
  EXPECT_EQ(result->placements[2].pod, "ml/web-2");
  EXPECT_EQ(result->placements[3].pod, "default/nightly-0");  // completions caps parallelism
  EXPECT_EQ(*result->placements[0].node, "n1");
  EXPECT_EQ(*result->placements[1].node, "n1");  // binpack: two 7000 MiB slices share n1's GPU
  EXPECT_EQ(*result->placements[2].node, "n2");
  EXPECT_FALSE(result->placements[3].node);  // a whole GPU: none is free any more
  ASSERT_EQ(result->warnings.size(), 1u);
  EXPECT_NE(result->warnings[0].find("Service svc: skipped"), std::string::npos);
}

TEST(SimulateTest, TableShowsEveryGpuAndFragmentation) {
  Options options;
  auto result = simulate::Run(
      Objects(Pod("a", "{nvidia.com/gpu: 1, nvidia.com/gpumem: 1000, nvidia.com/gpucores: 100}")),
      options);
  ASSERT_TRUE(result.ok());
  std::string table = ReportTable(*result);
  EXPECT_NE(table.find("GPU-1,NVIDIA,1000,100:;"), std::string::npos) << table;
  EXPECT_NE(table.find("15000 MiB free but stranded"), std::string::npos) << table;
  EXPECT_NE(table.find("cpu-node"), std::string::npos);
}

}  // namespace
}  // namespace hami::simulate
