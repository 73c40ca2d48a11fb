#include "codec/k8s_object.h"

#include <gtest/gtest.h>

#include "codec/json_util.h"

namespace hami::codec {
namespace {

// Shaped like `kubectl get pod -o json` output, trimmed.
constexpr char kPodJson[] = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "train-0", "namespace": "ml", "uid": "6f1c-uid",
               "annotations": {"nvidia.com/use-gputype": "A100", "hami.io/vgpu-node": "n1"},
               "labels": {"app": "train"}, "creationTimestamp": "2024-05-01T10:00:00Z"},
  "spec": {
    "schedulerName": "hami-scheduler", "runtimeClassName": "nvidia", "nodeName": "n1",
    "initContainers": [{"name": "init", "image": "busybox",
                        "resources": {"limits": {"nvidia.com/gpu": 1}}}],
    "containers": [
      {"name": "main", "image": "cuda",
       "resources": {"limits": {"nvidia.com/gpu": "2", "nvidia.com/gpumem": "3Gi", "cpu": 1.5},
                     "requests": {"memory": "1Gi"}},
       "securityContext": {"privileged": false, "runAsUser": 0},
       "env": [{"name": "A", "value": "1"}, {"name": "B"},
               {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
               {"name": "A", "value": "2"}]},
      {"name": "sidecar", "securityContext": {"privileged": true}, "resources": {}}
    ]},
  "status": {"phase": "Running", "podIP": "10.0.0.1"}
})";

TEST(K8sObjectTest, PodFromApiServerJson) {
  auto pod = PodFromJsonText(kPodJson);
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_EQ(pod->Key(), "ml/train-0");
  EXPECT_EQ(pod->uid, "6f1c-uid");
  EXPECT_EQ(pod->annotations.at("nvidia.com/use-gputype"), "A100");
  EXPECT_EQ(pod->labels, (std::map<std::string, std::string>{{"app", "train"}}));
  EXPECT_EQ(pod->scheduler_name, "hami-scheduler");
  EXPECT_EQ(pod->runtime_class_name, "nvidia");
  EXPECT_EQ(pod->node_name, "n1");
  EXPECT_EQ(pod->phase, "Running");
  ASSERT_EQ(pod->init_containers.size(), 1u);
  EXPECT_EQ(pod->init_containers[0].name, "init");
  EXPECT_EQ(pod->init_containers[0].limits, (model::ResourceList{{"nvidia.com/gpu", "1"}}));
  ASSERT_EQ(pod->containers.size(), 2u);
  const model::Container& main = pod->containers[0];
  const model::ResourceList want_limits = {
      {"cpu", "1.5"}, {"nvidia.com/gpu", "2"}, {"nvidia.com/gpumem", "3Gi"}};
  EXPECT_EQ(main.limits, want_limits);
  EXPECT_EQ(main.requests, (model::ResourceList{{"memory", "1Gi"}}));
  EXPECT_FALSE(main.privileged);
  EXPECT_EQ(main.env, (std::map<std::string, std::string>{{"A", "2"}, {"B", ""}}));
  EXPECT_TRUE(pod->containers[1].privileged);
  EXPECT_TRUE(pod->containers[1].limits.empty());
}

TEST(K8sObjectTest, PodDefaultsForMinimalAndAdmissionObjects) {
  auto pod = PodFromJsonText(R"({"metadata":{"generateName":"job-","namespace":""},
                                  "spec":{"containers":[{"name":"c"}]}})");
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_EQ(pod->namespace_name, "default");
  EXPECT_EQ(pod->name, "");
  EXPECT_EQ(pod->phase, "");
  EXPECT_EQ(pod->containers.size(), 1u);
  auto empty = PodFromJsonText("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->Key(), "default/");
  auto nulls = PodFromJsonText(R"({"metadata":null,"spec":{"containers":null},"status":null})");
  ASSERT_TRUE(nulls.ok()) << nulls.status().ToString();
  EXPECT_TRUE(nulls->containers.empty());
  auto large = PodFromJsonText(R"({"spec":{"containers":[{"resources":{"limits":)"
                               R"({"a":1e30,"b":-2,"c":18446744073709551615}}}]}})");
  ASSERT_TRUE(large.ok()) << large.status().ToString();
  EXPECT_EQ(large->containers[0].limits,
            (model::ResourceList{{"a", "1e+30"}, {"b", "-2"}, {"c", "18446744073709551615"}}));
}

// The fields the webhook's isolation rules read (webhook/isolation.h).
TEST(K8sObjectTest, PodIsolationFields) {
  auto pod = PodFromJsonText(R"({
    "metadata": {"name": "p"},
    "spec": {
      "hostPID": true, "hostIPC": false,
      "volumes": [{"name": "data", "emptyDir": {}},
                  {"name": "dev", "hostPath": {"path": "/dev/nvidia0", "type": "CharDevice"}},
                  {"name": "cfg", "configMap": {"name": "x"}}],
      "containers": [{
        "name": "c",
        "env": [{"name": "A", "value": "1"},
                {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "m", "key": "k"}}},
                {"name": "CUDA_TASK_PRIORITY", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
        "envFrom": [{"configMapRef": {"name": "settings"}},
                    {"secretRef": {"name": "creds"}, "prefix": "APP_"}],
        "securityContext": {"capabilities": {"add": ["SYS_PTRACE", "NET_ADMIN"],
                                             "drop": ["ALL"]}}}]}})");
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_TRUE(pod->host_pid);
  EXPECT_FALSE(pod->host_ipc);
  EXPECT_EQ(pod->host_path_volumes, (std::vector<model::HostPathVolume>{{"dev", "/dev/nvidia0"}}));
  const model::Container& c = pod->containers[0];
  EXPECT_TRUE(c.env.empty()) << "a later valueFrom entry overrides the literal";
  EXPECT_EQ(c.env_value_from, (std::vector<std::string>{"A", "CUDA_TASK_PRIORITY"}));
  EXPECT_EQ(c.env_from,
            (std::vector<std::string>{"configMapRef settings", "secretRef creds prefix APP_"}));
  EXPECT_EQ(c.capabilities_add, (std::vector<std::string>{"SYS_PTRACE", "NET_ADMIN"}));
}

TEST(K8sObjectTest, PodErrorsNameObjectAndField) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},
          {"name":"b","resources":{"limits":{"nvidia.com/gpu":true}}}]}})",
       "pod default/p: spec.containers[1].resources.limits[\"nvidia.com/gpu\"]: expected string or "
       "number, got boolean"},
      {R"({"kind":"Node","metadata":{"name":"p"}})",
       "pod default/p: kind: expected Pod, got \"Node\""},
      {R"([1])", "pod default/: (root): expected object, got array"},
      {R"({"metadata":{"name":"p","namespace":"ns","annotations":{"a":1}}})",
       "pod ns/p: metadata.annotations[\"a\"]: expected string, got number"},
      {R"({"metadata":{"name":"p","annotations":{"n":null,"b":false}}})",
       "pod default/p: metadata.annotations[\"b\"]: expected string, got boolean"},
      {R"({"metadata":{"name":"p","labels":[]}})",
       "pod default/p: metadata.labels: expected object, got array"},
      {R"({"metadata":{"name":7}})", "pod default/: metadata.name: expected string, got number"},
      {R"({"metadata":{"name":"p"},"spec":{"containers":{}}})",
       "pod default/p: spec.containers: expected array, got object"},
      {R"({"metadata":{"name":"p"},"spec":{"initContainers":[{"name":"i",)"
       R"("securityContext":{"privileged":"yes"}}]}})",
       "pod default/p: spec.initContainers[0].securityContext.privileged: expected boolean, got "
       "string"},
      {R"({"metadata":{"name":"p"},"spec":{"containers":[{"env":[{"value":"x"}]}]}})",
       "pod default/p: spec.containers[0].env[0].name: missing or empty"},
      {R"({"metadata":{"name":"p"},"spec":{"containers":[{"env":[{"name":"A","value":1}]}]}})",
       "pod default/p: spec.containers[0].env[0].value: expected string, got number"},
      {R"({"metadata":{"name":"p"},"spec":{"containers":["c"]}})",
       "pod default/p: spec.containers[0]: expected object, got string"},
      {R"({"metadata":{"name":"p"},"status":{"phase":1}})",
       "pod default/p: status.phase: expected string, got number"},
      {R"({"metadata":{"name":"p"},"spec":{"hostPID":"true"}})",
       "pod default/p: spec.hostPID: expected boolean, got string"},
      {R"({"metadata":{"name":"p"},"spec":{"volumes":[{"name":"v","hostPath":{"path":1}}]}})",
       "pod default/p: spec.volumes[0].hostPath.path: expected string, got number"},
      {R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"c",)"
       R"("securityContext":{"capabilities":{"add":[7]}}}]}})",
       "pod default/p: spec.containers[0].securityContext.capabilities.add[0]: expected string, "
       "got number"},
      {R"({"metadata":{"name":"p"},"spec":{"containers":[{"envFrom":[)"
       R"({"configMapRef":{"name":3}}]}]}})",
       "pod default/p: spec.containers[0].envFrom[0].configMapRef.name: expected string, got "
       "number"},
  };
  for (const auto& c : cases) {
    auto pod = PodFromJsonText(c.json);
    ASSERT_FALSE(pod.ok()) << c.json;
    EXPECT_EQ(pod.error().message(), c.message) << c.json;
  }
  auto bad = PodFromJsonText("{");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().rfind("pod: invalid JSON: ", 0), 0u) << bad.error().message();
}

TEST(K8sObjectTest, NodeFromApiServerJson) {
  auto node = NodeFromJsonText(R"({
    "kind": "Node", "apiVersion": "v1",
    "metadata": {"name": "n1", "uid": "u1", "resourceVersion": "12345",
                 "annotations": {"hami.io/node-nvidia-register": "[]"},
                 "labels": {"gpu": "on"}},
    "spec": {"unschedulable": true, "podCIDR": "10.0.0.0/24"},
    "status": {"allocatable": {"nvidia.com/gpu": "20", "cpu": "8"},
               "capacity": {"nvidia.com/gpu": 20}}})");
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  NodeObject want;
  want.name = "n1";
  want.uid = "u1";
  want.resource_version = "12345";
  want.annotations = {{"hami.io/node-nvidia-register", "[]"}};
  want.labels = {{"gpu", "on"}};
  want.allocatable = {{"cpu", "8"}, {"nvidia.com/gpu", "20"}};
  want.capacity = {{"nvidia.com/gpu", "20"}};
  want.unschedulable = true;
  EXPECT_EQ(*node, want);
  auto minimal = NodeFromJsonText(R"({"metadata":{"name":"n2"}})");
  ASSERT_TRUE(minimal.ok());
  EXPECT_FALSE(minimal->unschedulable);
  EXPECT_TRUE(minimal->allocatable.empty());
}

TEST(K8sObjectTest, NodeErrorsNameObjectAndField) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"metadata":{"name":"n1"},"status":{"allocatable":{"nvidia.com/gpu":null,"x":{}}}})",
       "node n1: status.allocatable[\"x\"]: expected string or number, got object"},
      {R"({"metadata":{"name":"n1"},"spec":{"unschedulable":"true"}})",
       "node n1: spec.unschedulable: expected boolean, got string"},
      {R"({"kind":"Pod","metadata":{"name":"n1"}})", "node n1: kind: expected Node, got \"Pod\""},
      {R"({"metadata":{"name":"n1","resourceVersion":5}})",
       "node n1: metadata.resourceVersion: expected string, got number"},
  };
  for (const auto& c : cases) {
    auto node = NodeFromJsonText(c.json);
    ASSERT_FALSE(node.ok()) << c.json;
    EXPECT_EQ(node.error().message(), c.message) << c.json;
  }
}

}  // namespace
}  // namespace hami::codec

namespace hami::codec {
namespace {

TEST(BoundedJsonTest, DepthIsCountedOutsideStrings) {
  EXPECT_TRUE(JsonDepthWithin("", 0));
  EXPECT_TRUE(JsonDepthWithin("1", 0));
  EXPECT_FALSE(JsonDepthWithin("[]", 0));
  EXPECT_TRUE(JsonDepthWithin(R"([{"a":[1]}])", 3));
  EXPECT_FALSE(JsonDepthWithin(R"([{"a":[1]}])", 2));
  // Brackets inside strings, escaped quotes and siblings do not nest.
  EXPECT_TRUE(JsonDepthWithin(R"({"k":"[[[[\"[[[["})", 1));
  EXPECT_TRUE(JsonDepthWithin("[[],[],[],[]]", 2));
  EXPECT_FALSE(JsonDepthWithin(std::string(101, '[') + std::string(101, ']'), kMaxJsonDepth));
  EXPECT_TRUE(JsonDepthWithin(std::string(100, '[') + std::string(100, ']'), kMaxJsonDepth));
}

TEST(BoundedJsonTest, DeepTextIsRefusedBeforeParsing) {
  // The issue-14 body: 135k nested '[' (270 KB), whose recursive copy overflowed the stack.
  const std::string deep = std::string(135000, '[') + std::string(135000, ']');
  auto parsed = ParseBoundedJson(deep, "ExtenderArgs");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message(), "ExtenderArgs: JSON nested deeper than 100 levels");
  auto pod = PodFromJsonText(R"({"metadata":{"name":"p","annotations":)" + deep + "}}");
  ASSERT_FALSE(pod.ok());
  EXPECT_NE(pod.error().message().find("nested deeper"), std::string::npos);
  auto ok = ParseBoundedJson(R"({"a":[[1]]})", "x");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["a"][0][0], 1);
  EXPECT_NE(ParseBoundedJson("{", "x").error().message().find("x: invalid JSON"),
            std::string::npos);
}

}  // namespace
}  // namespace hami::codec
