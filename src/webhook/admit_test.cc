#include "webhook/admit.h"

#include <functional>

#include <gtest/gtest.h>

namespace hami::webhook {
namespace {

using nlohmann::json;

struct AdmitCase {
  std::string name;
  std::string pod;  // request.object
  bool allowed;
  int code;
  std::string message;
  std::string want_pod;  // the pod after applying the patch; "" = no patch expected
  std::function<void(vendor::DeviceConfig&, WebhookConfig&)> configure = nullptr;
  std::optional<sched::QuotaState> quota = std::nullopt;  // for namespace "team", vendor NVIDIA
};

json ReviewOf(const json& pod, const std::string& version = kAdmissionV1) {
  return {{"apiVersion", version},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
            {"operation", "CREATE"},
            {"object", pod}}}};
}

class AdmitTest : public testing::TestWithParam<AdmitCase> {};

TEST_P(AdmitTest, Decision) {
  const AdmitCase& c = GetParam();
  vendor::DeviceConfig device_config;
  WebhookConfig config;
  if (c.configure) c.configure(device_config, config);
  auto created = vendor::Registry::Create(device_config);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const vendor::Registry& registry = *created;
  QuotaLookup quota = [&](const std::string& ns, const std::string& vendor) {
    return (ns == "team" && vendor == "NVIDIA") ? c.quota : std::nullopt;
  };
  const json pod = json::parse(c.pod);
  auto out = Admit(ReviewOf(pod), config, registry, quota);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  const json& r = (*out)["response"];
  EXPECT_EQ(r["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(r["allowed"], c.allowed) << r.dump();
  EXPECT_EQ(r["status"]["code"], c.code) << r.dump();
  EXPECT_EQ(r["status"].value("message", ""), c.message);
  if (c.want_pod.empty()) {
    EXPECT_FALSE(r.contains("patch")) << r.dump();
    EXPECT_FALSE(r.contains("patchType"));
    return;
  }
  ASSERT_TRUE(r.contains("patch")) << r.dump();
  EXPECT_EQ(r["patchType"], "JSONPatch");
  auto ops = Base64Decode(r["patch"].get<std::string>());
  ASSERT_TRUE(ops.has_value());
  EXPECT_EQ(pod.patch(json::parse(*ops)), json::parse(c.want_pod));
}

void OverwriteEnv(vendor::DeviceConfig& d, WebhookConfig&) {
  d.root["nvidia"]["overwriteEnv"] = true;
}

// A pod as users write it for upstream HAMi (hami-wire §1), with fields HAMi does not read.
constexpr char kGpuPod[] = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "gpu-pod", "namespace": "team", "labels": {"app": "x"},
               "annotations": {"nvidia.com/use-gputype": "A100"}},
  "spec": {"restartPolicy": "Never", "tolerations": [{"operator": "Exists"}],
           "containers": [{"name": "ubuntu", "image": "ubuntu:22.04", "command": ["sleep", "inf"],
                           "resources": {"limits": {"nvidia.com/gpu": 1,
                                                    "nvidia.com/gpumem": "3000"}}}]}})";

constexpr char kGpuPodAdmitted[] = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "gpu-pod", "namespace": "team", "labels": {"app": "x"},
               "annotations": {"nvidia.com/use-gputype": "A100"}},
  "spec": {"restartPolicy": "Never", "tolerations": [{"operator": "Exists"}],
           "schedulerName": "hami-scheduler",
           "containers": [{"name": "ubuntu", "image": "ubuntu:22.04", "command": ["sleep", "inf"],
                           "resources": {"limits": {"nvidia.com/gpu": 1,
                                                    "nvidia.com/gpumem": "3000"}}}]}})";

INSTANTIATE_TEST_SUITE_P(
    Flow, AdmitTest,
    testing::Values(
        AdmitCase{"SharedGpuGetsSchedulerNameOnly", kGpuPod, true, 200, "", kGpuPodAdmitted},
        AdmitCase{
            "CountOnlyBecomesExclusive",
            R"({"spec":{"containers":[{"name":"c","resources":{"limits":{"nvidia.com/gpu":"2"}}}]}})",
            true, 200, "",
            R"({"spec":{"schedulerName":"hami-scheduler","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"2","nvidia.com/gpucores":"100"}}}]}})"},
        AdmitCase{
            "MemoryWithoutCountGetsDefaultCount",
            R"({"spec":{"containers":[{"name":"c","resources":{"limits":{"nvidia.com/gpumem":"1024"}}}]}})",
            true, 200, "",
            R"({"spec":{"schedulerName":"hami-scheduler","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpumem":"1024","nvidia.com/gpu":"1"}}}]}})"},
        AdmitCase{"PriorityAndCorePolicyEnvAndRuntimeClass",
                  R"({"spec":{"containers":[{"name":"c","env":[{"name":"A","value":"b"}],
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"100",
                                             "nvidia.com/priority":"1"}}}]}})",
                  true, 200, "",
                  R"({"spec":{"schedulerName":"hami-scheduler","runtimeClassName":"nvidia",
                      "containers":[{"name":"c","env":[{"name":"A","value":"b"},
                        {"name":"CUDA_TASK_PRIORITY","value":"1"},
                        {"name":"GPU_CORE_UTILIZATION_POLICY","value":"force"}],
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"100",
                                             "nvidia.com/priority":"1"}}}]}})",
                  [](vendor::DeviceConfig& d, WebhookConfig&) {
                    d.root["nvidia"]["gpuCorePolicy"] = "force";
                    d.root["nvidia"]["runtimeClassName"] = "nvidia";
                  }},
        AdmitCase{"ExistingRuntimeClassKept",
                  R"({"spec":{"runtimeClassName":"mine","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"1"}}}]}})",
                  true, 200, "",
                  R"({"spec":{"schedulerName":"hami-scheduler","runtimeClassName":"mine",
                      "containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"1"}}}]}})",
                  [](vendor::DeviceConfig& d, WebhookConfig&) {
                    d.root["nvidia"]["runtimeClassName"] = "nvidia";
                  }},
        AdmitCase{
            "InitContainerOnlyGpu",
            R"({"spec":{"initContainers":[{"name":"init","resources":{"limits":{"nvidia.com/gpu":"1"}}}],
                      "containers":[{"name":"app"}]}})",
            true, 200, "",
            R"({"spec":{"schedulerName":"hami-scheduler",
                      "initContainers":[{"name":"init","resources":{"limits":{"nvidia.com/gpu":"1",
                        "nvidia.com/gpucores":"100"}}}],
                      "containers":[{"name":"app"}]}})"},
        AdmitCase{"NoGpuPodUntouched", R"({"spec":{"containers":[{"name":"web"}]}})", true, 200, "",
                  ""},
        AdmitCase{
            "NoGpuPodWithOverwriteEnvGetsVisibleDevicesNone",
            R"({"spec":{"containers":[{"name":"web"}],"initContainers":[{"name":"i","env":[]}]}})",
            true, 200, "",
            R"({"spec":{"containers":[{"name":"web","env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"none"}]}],
                      "initContainers":[{"name":"i","env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"none"}]}]}})",
            OverwriteEnv},
        AdmitCase{
            "OverwriteEnvOnlyOnNonGpuContainers",
            R"({"spec":{"containers":[{"name":"g","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}},
                      {"name":"side"}]}})",
            true, 200, "",
            R"({"spec":{"schedulerName":"hami-scheduler","containers":[{"name":"g",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}},
                      {"name":"side","env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"none"}]}]}})",
            OverwriteEnv},
        AdmitCase{"NoContainersDenied", R"({"spec":{"containers":[]}})", false, 403,
                  "pod has no containers", ""},
        AdmitCase{"NoSpecDenied", R"({"metadata":{"name":"p"}})", false, 403,
                  "pod has no containers", ""},
        AdmitCase{"OtherSchedulerUntouched",
                  R"({"spec":{"schedulerName":"volcano","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  true, 200, "pod already has different scheduler assigned", ""},
        AdmitCase{"PrivilegedUnderOtherSchedulerDenied",
                  R"({"spec":{"schedulerName":"volcano","containers":[{"name":"c",
                      "securityContext":{"privileged":true},
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  false, 403, "container c is privileged", ""},
        AdmitCase{"DefaultSchedulerOverwritten",
                  R"({"spec":{"schedulerName":"default-scheduler","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}}]}})",
                  true, 200, "",
                  R"({"spec":{"schedulerName":"hami-scheduler","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}}]}})"},
        AdmitCase{"DefaultSchedulerKeptWithoutForceOverwrite",
                  R"({"spec":{"schedulerName":"default-scheduler","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  true, 200, "pod already has different scheduler assigned", "",
                  [](vendor::DeviceConfig&, WebhookConfig& w) {
                    w.force_overwrite_default_scheduler = false;
                  }},
        AdmitCase{"OurSchedulerAlreadySetStillMutated",
                  R"({"spec":{"schedulerName":"hami-scheduler","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  true, 200, "",
                  R"({"spec":{"schedulerName":"hami-scheduler","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpucores":"100"}}}]}})"},
        AdmitCase{"EmptySchedulerNameConfigNeverRewrites",
                  R"({"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}}]}})",
                  true, 200, "", "",
                  [](vendor::DeviceConfig&, WebhookConfig& w) { w.scheduler_name = ""; }},
        AdmitCase{"EmptySchedulerNameConfigLetsOtherSchedulersBe",
                  R"({"spec":{"schedulerName":"x","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  true, 200, "pod already has different scheduler assigned", "",
                  [](vendor::DeviceConfig&, WebhookConfig& w) { w.scheduler_name = ""; }},
        AdmitCase{
            "IgnoreLabelLeavesThePodUntouched",
            R"({"metadata":{"labels":{"hami.io/webhook":"ignore"}},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}},
                      {"name":"web"}]}})",
            true, 200, "pod labelled hami.io/webhook=ignore", "", OverwriteEnv},
        AdmitCase{"IgnoreLabelDoesNotLiftIsolationRules",
                  R"({"metadata":{"labels":{"hami.io/webhook":"ignore"}},"spec":{"hostPID":true,
                      "containers":[{"name":"c","securityContext":{"privileged":true},
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  false, 403, "spec.hostPID disables GPU isolation; container c is privileged", ""},
        AdmitCase{
            "OtherIgnoreLabelValueMutated",
            R"({"metadata":{"labels":{"hami.io/webhook":"no"}},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}}]}})",
            true, 200, "",
            R"({"metadata":{"labels":{"hami.io/webhook":"no"}},"spec":{"schedulerName":"hami-scheduler",
                      "containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"5"}}}]}})"},
        AdmitCase{"PrivilegedGpuContainerDenied",
                  R"({"spec":{"containers":[{"name":"c","securityContext":{"privileged":true},
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  false, 403, "container c is privileged", ""},
        AdmitCase{
            "PrivilegedInitContainerDeniedWhenAppUsesGpu",
            R"({"spec":{"initContainers":[{"name":"setup","securityContext":{"privileged":true}}],
                      "containers":[{"name":"c","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
            false, 403, "container setup is privileged", ""},
        AdmitCase{"PrivilegedWithoutGpuAllowed",
                  R"({"spec":{"containers":[{"name":"c","securityContext":{"privileged":true}}]}})",
                  true, 200, "", ""},
        AdmitCase{"NodeNameSetDenied",
                  R"({"spec":{"nodeName":"n1","containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1"}}}]}})",
                  false, 403, "pod has node assigned", ""},
        AdmitCase{"NodeNameSetWithoutGpuAllowed",
                  R"({"spec":{"nodeName":"n1","containers":[{"name":"c"}]}})", true, 200, "", ""},
        AdmitCase{
            "PercentageOutOfRangeErrored",
            R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem-percentage":"150"}}}]}})",
            false, 500,
            R"(pod default/p: container c: resource nvidia.com/gpumem-percentage "150" must be within 0..100)",
            ""},
        AdmitCase{"UnparsableMemoryErrored",
                  R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"lots"}}}]}})",
                  false, 500,
                  "pod default/p: container c: resource nvidia.com/gpumem: invalid quantity "
                  "\"lots\": expected a number (digits with at most one '.')",
                  ""},
        AdmitCase{"NotAPodErrored400", R"({"kind":"Service","metadata":{"name":"s"}})", false, 400,
                  R"(pod default/s: kind: expected Pod, got "Service")", ""},
        AdmitCase{"WrongFieldTypeErrored400",
                  R"({"metadata":{"name":"p"},"spec":{"containers":{"name":"c"}}})", false, 400,
                  "pod default/p: spec.containers: expected array, got object", ""}),
    [](const testing::TestParamInfo<AdmitCase>& info) { return info.param.name; });

// Quota: limits 10000 MiB / 100 %, 4000 MiB / 20 % already used in namespace "team".
sched::QuotaState Quota(std::optional<int64_t> mem, std::optional<int64_t> cores) {
  return {mem, cores, 4000, 20};
}

constexpr char kQuotaAdmitted[] = R"({"metadata":{"namespace":"team"},"spec":{
    "schedulerName":"hami-scheduler","containers":[{"name":"c","resources":{"limits":{
    "nvidia.com/gpu":"2","nvidia.com/gpumem":"3000","nvidia.com/gpucores":"40"}}}]}})";

INSTANTIATE_TEST_SUITE_P(
    Quota, AdmitTest,
    testing::Values(
        AdmitCase{"FitsExactly",
                  R"({"metadata":{"namespace":"team"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"2","nvidia.com/gpumem":"3000",
                      "nvidia.com/gpucores":"40"}}}]}})",
                  true, 200, "", kQuotaAdmitted, nullptr, Quota(10000, 100)},
        AdmitCase{"MemoryExceeded",
                  R"({"metadata":{"namespace":"team"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"2","nvidia.com/gpumem":"3001",
                      "nvidia.com/gpucores":"40"}}}]}})",
                  false, 403, "exceeding resource quota", "", nullptr, Quota(10000, 100)},
        AdmitCase{"CoresExceeded",
                  R"({"metadata":{"namespace":"team"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"2","nvidia.com/gpumem":"3000",
                      "nvidia.com/gpucores":"41"}}}]}})",
                  false, 403, "exceeding resource quota", "", nullptr, Quota(10000, 100)},
        AdmitCase{"UnsetLimitsAreUnlimited",
                  R"({"metadata":{"namespace":"team"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"2","nvidia.com/gpumem":"3000",
                      "nvidia.com/gpucores":"40"}}}]}})",
                  true, 200, "", kQuotaAdmitted, nullptr, Quota(std::nullopt, std::nullopt)},
        AdmitCase{"ExplicitZeroBlocks",
                  R"({"metadata":{"namespace":"team"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"1"}}}]}})",
                  false, 403, "exceeding resource quota", "", nullptr, Quota(0, std::nullopt)},
        AdmitCase{"OtherNamespaceUnaffected",
                  R"({"metadata":{"namespace":"other"},"spec":{"containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"1"}}}]}})",
                  true, 200, "",
                  R"({"metadata":{"namespace":"other"},"spec":{"schedulerName":"hami-scheduler",
                      "containers":[{"name":"c",
                      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"1"}}}]}})",
                  nullptr, Quota(0, 0)},
        AdmitCase{"PodWithoutGpuNotCheckedEvenOverQuota",
                  R"({"metadata":{"namespace":"team"},"spec":{"containers":[{"name":"c"}]}})", true,
                  200, "", "", nullptr, Quota(0, 0)},
        // Init peak 2×3000 = 6000 beats the apps' 1000 + 2000 = 3000: 4000 + 6000 = 10000 fits,
        // while summing init and app containers (9000) would not.
        AdmitCase{"InitPeakRuleFits",
                  R"({"metadata":{"namespace":"team"},"spec":{
                      "initContainers":[{"name":"i","resources":{"limits":{"nvidia.com/gpu":"2",
                        "nvidia.com/gpumem":"3000","nvidia.com/gpucores":"0"}}}],
                      "containers":[
                      {"name":"a","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"1000","nvidia.com/gpucores":"0"}}},
                      {"name":"b","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"2000","nvidia.com/gpucores":"0"}}}]}})",
                  true, 200, "",
                  R"({"metadata":{"namespace":"team"},"spec":{"schedulerName":"hami-scheduler",
                      "initContainers":[{"name":"i","resources":{"limits":{"nvidia.com/gpu":"2",
                        "nvidia.com/gpumem":"3000","nvidia.com/gpucores":"0"}}}],
                      "containers":[
                      {"name":"a","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"1000","nvidia.com/gpucores":"0"}}},
                      {"name":"b","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"2000","nvidia.com/gpucores":"0"}}}]}})",
                  nullptr, Quota(10000, 100)},
        AdmitCase{"AppSumExceeds",
                  R"({"metadata":{"namespace":"team"},"spec":{"containers":[
                      {"name":"a","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"3000","nvidia.com/gpucores":"0"}}},
                      {"name":"b","resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"3001","nvidia.com/gpucores":"0"}}}]}})",
                  false, 403, "exceeding resource quota", "", nullptr, Quota(10000, 100)}),
    [](const testing::TestParamInfo<AdmitCase>& info) { return info.param.name; });

TEST(QuotaDemands, MemoryFactorAndDefaultMemoryCount) {
  auto created =
      vendor::Registry::Create({json{{"nvidia", {{"memoryFactor", 2}, {"defaultMemory", 500}}}}});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  const vendor::Registry& registry = *created;
  model::Pod pod;
  model::Container a;
  a.limits = {{"nvidia.com/gpu", "2"}, {"nvidia.com/gpumem", "100"}, {"nvidia.com/gpucores", "7"}};
  model::Container b;
  b.limits = {{"nvidia.com/gpu", "1"}};  // defaultMemory 500, cores default 0
  model::Container pct;
  pct.limits = {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem-percentage", "50"}};  // 0 MiB
  pod.containers = {a, b, pct, model::Container{}};
  auto demands = QuotaDemands(pod, registry);
  ASSERT_TRUE(demands.ok()) << demands.error().ToString();
  EXPECT_EQ(*demands, (std::map<std::string, QuotaDemand>{{"NVIDIA", {2 * 200 + 500, 14}}}));
}

TEST(Admit, V1beta1RoundTripKeepsVersionAndUid) {
  const vendor::Registry registry;
  const json pod = json::parse(kGpuPod);
  for (const char* version : {kAdmissionV1, kAdmissionV1beta1}) {
    auto out = Admit(ReviewOf(pod, version), WebhookConfig{}, registry, nullptr);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ((*out)["apiVersion"], version);
    EXPECT_EQ((*out)["kind"], "AdmissionReview");
    EXPECT_EQ((*out)["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    auto ops = Base64Decode((*out)["response"]["patch"].get<std::string>());
    ASSERT_TRUE(ops.has_value());
    EXPECT_EQ(pod.patch(json::parse(*ops)), json::parse(kGpuPodAdmitted));
  }
}

TEST(Admit, MissingObjectIsErrored400InKind) {
  const vendor::Registry registry;
  const json review = json::parse(
      R"({"apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"u","operation":"DELETE"}})");
  auto out = Admit(review, WebhookConfig{}, registry, nullptr);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["apiVersion"], kAdmissionV1beta1);
  EXPECT_EQ((*out)["response"]["uid"], "u");
  EXPECT_EQ((*out)["response"]["allowed"], false);
  EXPECT_EQ((*out)["response"]["status"]["code"], 400);
}

// Vendors' admission writes pod annotations and requests; the patch carries them.
TEST(Admit, VendorAnnotationsReachThePatch) {
  const vendor::Registry registry;
  struct Case {
    const char* name;
    const char* pod;
    const char* annotation;
    const char* value;
  };
  const Case cases[] = {
      {"MetaX sGPU QoS default",
       R"({"metadata":{"name":"s"},"spec":{"containers":[{"name":"c","resources":{"limits":{
           "metax-tech.com/sgpu":"1","metax-tech.com/vmemory":"4"}}}]}})",
       "metax-tech.com/sgpu-qos-policy", "best-effort"},
      {"Moore Threads card count",
       R"({"metadata":{"name":"m","annotations":{"keep":"me"}},"spec":{"containers":[{"name":"c",
           "resources":{"limits":{"mthreads.com/vgpu":"2"}}}]}})",
       "mthreads.com/request-gpu-num", "2"},
  };
  for (const auto& c : cases) {
    const json pod = json::parse(c.pod);
    auto out = Admit(ReviewOf(pod), WebhookConfig{}, registry, nullptr);
    ASSERT_TRUE(out.ok()) << c.name;
    const json& r = (*out)["response"];
    ASSERT_EQ(r["allowed"], true) << c.name << ": " << r.dump();
    auto ops = Base64Decode(r["patch"].get<std::string>());
    ASSERT_TRUE(ops.has_value()) << c.name;
    const json admitted = pod.patch(json::parse(*ops));
    EXPECT_EQ(admitted["metadata"]["annotations"].value(c.annotation, ""), c.value) << c.name;
    EXPECT_EQ(admitted["spec"]["schedulerName"], "hami-scheduler") << c.name;
  }
}

TEST(Admit, MalformedReviewIsAnError) {
  const vendor::Registry registry;
  auto out =
      Admit(json::parse(R"({"apiVersion":"v1","kind":"Pod"})"), WebhookConfig{}, registry, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hami::webhook
