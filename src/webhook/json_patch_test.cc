#include "webhook/json_patch.h"

#include <functional>

#include <gtest/gtest.h>

#include "codec/k8s_object.h"

namespace hami::webhook {
namespace {

using nlohmann::json;

TEST(EscapeJsonPointerToken, EscapesTildeThenSlash) {
  EXPECT_EQ(EscapeJsonPointerToken("nvidia.com/gpu"), "nvidia.com~1gpu");
  EXPECT_EQ(EscapeJsonPointerToken("a~b/c~1"), "a~0b~1c~01");
  EXPECT_EQ(EscapeJsonPointerToken(""), "");
}

struct PatchCase {
  std::string name;
  std::string original;
  std::function<void(model::Pod&)> mutate;
  std::string want_ops;  // exact operation list
  std::string want_pod;  // original with the ops applied
};

class PodPatchTest : public testing::TestWithParam<PatchCase> {};

TEST_P(PodPatchTest, OpsAndAppliedResult) {
  const PatchCase& c = GetParam();
  const json original = json::parse(c.original);
  auto before = codec::PodFromJson(original);
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  model::Pod after = *before;
  c.mutate(after);
  auto ops = PodPatch(original, *before, after);
  ASSERT_TRUE(ops.ok()) << ops.error().ToString();
  EXPECT_EQ(*ops, json::parse(c.want_ops));
  // nlohmann's RFC 6902 implementation applies the ops independently of PodPatch.
  EXPECT_EQ(original.patch(*ops), json::parse(c.want_pod));
}

void AddCount(model::Pod& p) { p.containers[0].limits["nvidia.com/gpu"] = "1"; }

INSTANTIATE_TEST_SUITE_P(
    Cases, PodPatchTest,
    testing::Values(
        PatchCase{"NoChange", R"({"spec":{"containers":[{"name":"a"}]}})", [](model::Pod&) {}, "[]",
                  R"({"spec":{"containers":[{"name":"a"}]}})"},
        // Vendors' admission writes pod annotations (MetaX QoS default, Moore Threads count)...
        PatchCase{
            "AnnotationsAbsentAddsTheMap",
            R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}})",
            [](model::Pod& p) { p.annotations["metax-tech.com/sgpu-qos-policy"] = "best-effort"; },
            R"([{"op":"add","path":"/metadata/annotations",
                       "value":{"metax-tech.com/sgpu-qos-policy":"best-effort"}}])",
            R"({"metadata":{"name":"p","annotations":{"metax-tech.com/sgpu-qos-policy":"best-effort"}},
                      "spec":{"containers":[{"name":"a"}]}})"},
        PatchCase{
            "AnnotationsPresentAddsAndChangesEntries",
            R"({"metadata":{"annotations":{"keep":"1","x/y":"old"}},"spec":{"containers":[{"name":"a"}]}})",
            [](model::Pod& p) {
              p.annotations["x/y"] = "new";
              p.annotations["mthreads.com/request-gpu-num"] = "2";
            },
            R"([{"op":"add","path":"/metadata/annotations/mthreads.com~1request-gpu-num","value":"2"},
                      {"op":"add","path":"/metadata/annotations/x~1y","value":"new"}])",
            R"({"metadata":{"annotations":{"keep":"1","x/y":"new","mthreads.com/request-gpu-num":"2"}},
                      "spec":{"containers":[{"name":"a"}]}})"},
        // ... and requests beside limits (Ascend and Enflame mirror memory into requests).
        PatchCase{"RequestsAbsentAddsRequestsObject",
                  R"({"spec":{"containers":[{"name":"a","resources":{"limits":{"x/mem":"1"}}}]}})",
                  [](model::Pod& p) { p.containers[0].requests["x/mem"] = "8192"; },
                  R"([{"op":"add","path":"/spec/containers/0/resources/requests",
                       "value":{"x/mem":"8192"}}])",
                  R"({"spec":{"containers":[{"name":"a","resources":{"limits":{"x/mem":"1"},
                       "requests":{"x/mem":"8192"}}}]}})"},
        PatchCase{"LimitsAndRequestsIntoAbsentResources",
                  R"({"spec":{"containers":[{"name":"a"}]}})",
                  [](model::Pod& p) {
                    p.containers[0].limits["x/mem"] = "8192";
                    p.containers[0].requests["x/mem"] = "8192";
                  },
                  R"([{"op":"add","path":"/spec/containers/0/resources",
                       "value":{"limits":{"x/mem":"8192"},"requests":{"x/mem":"8192"}}}])",
                  R"({"spec":{"containers":[{"name":"a","resources":{"limits":{"x/mem":"8192"},
                       "requests":{"x/mem":"8192"}}}]}})"},
        PatchCase{"ResourcesAbsentAddsWholeObject",
                  R"({"spec":{"containers":[{"name":"a","image":"x"}]}})", AddCount,
                  R"([{"op":"add","path":"/spec/containers/0/resources",
                       "value":{"limits":{"nvidia.com/gpu":"1"}}}])",
                  R"({"spec":{"containers":[{"name":"a","image":"x",
                       "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})"},
        PatchCase{"ResourcesNullAddsWholeObject",
                  R"({"spec":{"containers":[{"name":"a","resources":null}]}})", AddCount,
                  R"([{"op":"add","path":"/spec/containers/0/resources",
                       "value":{"limits":{"nvidia.com/gpu":"1"}}}])",
                  R"({"spec":{"containers":[{"name":"a",
                       "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})"},
        PatchCase{"LimitsAbsentAddsLimitsObject",
                  R"({"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"1"}}}]}})",
                  AddCount,
                  R"([{"op":"add","path":"/spec/containers/0/resources/limits",
                       "value":{"nvidia.com/gpu":"1"}}])",
                  R"({"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"1"},
                       "limits":{"nvidia.com/gpu":"1"}}}]}})"},
        PatchCase{"LimitsNullAddsLimitsObject",
                  R"({"spec":{"containers":[{"name":"a","resources":{"limits":null}}]}})", AddCount,
                  R"([{"op":"add","path":"/spec/containers/0/resources/limits",
                       "value":{"nvidia.com/gpu":"1"}}])",
                  R"({"spec":{"containers":[{"name":"a",
                       "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})"},
        PatchCase{"LimitsPresentAddsEscapedKeysAndKeepsNumbers",
                  R"({"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":1.5,
                       "nvidia.com/gpumem":3000}}}]}})",
                  [](model::Pod& p) {
                    p.containers[0].limits["nvidia.com/gpu"] = "1";
                    p.containers[0].limits["a~b"] = "2";
                  },
                  R"([{"op":"add","path":"/spec/containers/0/resources/limits/a~0b","value":"2"},
                      {"op":"add","path":"/spec/containers/0/resources/limits/nvidia.com~1gpu",
                       "value":"1"}])",
                  R"({"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":1.5,
                       "nvidia.com/gpumem":3000,"nvidia.com/gpu":"1","a~b":"2"}}}]}})"},
        PatchCase{"EnvAbsentAddsArray", R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})",
                  [](model::Pod& p) { p.containers[1].env["NVIDIA_VISIBLE_DEVICES"] = "none"; },
                  R"([{"op":"add","path":"/spec/containers/1/env",
                       "value":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"none"}]}])",
                  R"({"spec":{"containers":[{"name":"a"},{"name":"b",
                       "env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"none"}]}]}})"},
        PatchCase{"EnvPresentAppendsAfterValueFromAndChangedValues",
                  R"({"spec":{"containers":[{"name":"a","env":[{"name":"K","value":"v"},
                       {"name":"CUDA_TASK_PRIORITY","valueFrom":{"fieldRef":{"fieldPath":"x"}}},
                       {"name":"GPU_CORE_UTILIZATION_POLICY","value":"default"}]}]}})",
                  [](model::Pod& p) {
                    p.containers[0].env["CUDA_TASK_PRIORITY"] = "1";
                    p.containers[0].env["GPU_CORE_UTILIZATION_POLICY"] = "force";
                  },
                  R"([{"op":"add","path":"/spec/containers/0/env/-",
                       "value":{"name":"CUDA_TASK_PRIORITY","value":"1"}},
                      {"op":"add","path":"/spec/containers/0/env/-",
                       "value":{"name":"GPU_CORE_UTILIZATION_POLICY","value":"force"}}])",
                  R"({"spec":{"containers":[{"name":"a","env":[{"name":"K","value":"v"},
                       {"name":"CUDA_TASK_PRIORITY","valueFrom":{"fieldRef":{"fieldPath":"x"}}},
                       {"name":"GPU_CORE_UTILIZATION_POLICY","value":"default"},
                       {"name":"CUDA_TASK_PRIORITY","value":"1"},
                       {"name":"GPU_CORE_UTILIZATION_POLICY","value":"force"}]}]}})"},
        PatchCase{
            "InitContainersAndSpecFields",
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","x-unknown":[1,2]},
                      "spec":{"schedulerName":"default-scheduler","priority":7,
                       "initContainers":[{"name":"i","resources":{"limits":{}}}],
                       "containers":[{"name":"a"}]},"status":{"phase":"Pending"}})",
            [](model::Pod& p) {
              p.init_containers[0].limits["nvidia.com/gpucores"] = "100";
              p.scheduler_name = "hami-scheduler";
              p.runtime_class_name = "nvidia";
            },
            R"([{"op":"add","path":"/spec/initContainers/0/resources/limits/nvidia.com~1gpucores",
                       "value":"100"},
                      {"op":"add","path":"/spec/schedulerName","value":"hami-scheduler"},
                      {"op":"add","path":"/spec/runtimeClassName","value":"nvidia"}])",
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","x-unknown":[1,2]},
                      "spec":{"schedulerName":"hami-scheduler","priority":7,
                       "runtimeClassName":"nvidia",
                       "initContainers":[{"name":"i","resources":{"limits":
                         {"nvidia.com/gpucores":"100"}}}],
                       "containers":[{"name":"a"}]},"status":{"phase":"Pending"}})"}),
    [](const testing::TestParamInfo<PatchCase>& info) { return info.param.name; });

struct RejectCase {
  std::string name;
  std::function<void(model::Pod&)> mutate;
};

class PodPatchRejectTest : public testing::TestWithParam<RejectCase> {};

TEST_P(PodPatchRejectTest, UnpatchableChangeIsInternal) {
  const json original = json::parse(
      R"({"metadata":{"annotations":{"a":"1"}},"spec":{"containers":[{"name":"a",
          "resources":{"limits":{"cpu":"1"},"requests":{"cpu":"1"}},"env":[{"name":"E","value":"1"}]}]}})");
  auto before = codec::PodFromJson(original);
  ASSERT_TRUE(before.ok());
  model::Pod after = *before;
  GetParam().mutate(after);
  auto ops = PodPatch(original, *before, after);
  ASSERT_FALSE(ops.ok());
  EXPECT_EQ(ops.error().code(), base::StatusCode::kInternal);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PodPatchRejectTest,
    testing::Values(
        RejectCase{"AnnotationRemoved", [](model::Pod& p) { p.annotations.clear(); }},
        RejectCase{"LabelAdded", [](model::Pod& p) { p.labels["l"] = "1"; }},
        RejectCase{"NodeNameChanged", [](model::Pod& p) { p.node_name = "n"; }},
        RejectCase{"ContainerAdded", [](model::Pod& p) { p.containers.emplace_back(); }},
        RejectCase{"LimitRemoved", [](model::Pod& p) { p.containers[0].limits.clear(); }},
        RejectCase{"RequestRemoved", [](model::Pod& p) { p.containers[0].requests.clear(); }},
        RejectCase{"EnvRemoved", [](model::Pod& p) { p.containers[0].env.clear(); }},
        RejectCase{"PrivilegedChanged", [](model::Pod& p) { p.containers[0].privileged = true; }}),
    [](const testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace hami::webhook
