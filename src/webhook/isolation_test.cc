#include "webhook/isolation.h"

#include <functional>

#include <gtest/gtest.h>

#include "webhook/admit.h"

namespace hami::webhook {
namespace {

using nlohmann::json;

// A GPU pod "p" in namespace "team" whose container "c" asks for a 1000 MiB slice; `container`
// and `spec` are merged into it.
json GpuPod(const json& container = json::object(), const json& spec = json::object()) {
  json c = {{"name", "c"},
            {"resources", {{"limits", {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "1000"}}}}}};
  c.update(container, true);
  json pod = {{"metadata", {{"name", "p"}, {"namespace", "team"}}},
              {"spec", {{"containers", json::array({c})}}}};
  pod["spec"].update(spec, true);
  return pod;
}

json Env(const std::string& name, const std::string& value) {
  return {{"env", {{{"name", name}, {"value", value}}}}};
}

using Configure = std::function<void(vendor::DeviceConfig&, WebhookConfig&)>;

// The response of the real admission flow (Admit) for `pod`.
json Respond(const json& pod, const Configure& configure = nullptr) {
  vendor::DeviceConfig device_config;
  WebhookConfig config;
  if (configure) configure(device_config, config);
  auto registry = vendor::Registry::Create(device_config);
  EXPECT_TRUE(registry.ok());
  const json review = {{"apiVersion", kAdmissionV1},
                       {"request", {{"uid", "u1"}, {"operation", "CREATE"}, {"object", pod}}}};
  auto out = Admit(review, config, *registry, nullptr);
  EXPECT_TRUE(out.ok());
  return out.ok() ? (*out)["response"] : json();
}

struct DenyCase {
  std::string name;
  json pod;
  std::string message;  // the denial, exactly
  Configure exception;  // with it the pod is admitted
};

class IsolationDenyTest : public testing::TestWithParam<DenyCase> {};

TEST_P(IsolationDenyTest, DeniedWithTheFieldNamedAndAdmittedUnderItsException) {
  const DenyCase& c = GetParam();
  const json denied = Respond(c.pod);
  EXPECT_EQ(denied["allowed"], false) << denied.dump();
  EXPECT_EQ(denied["status"]["code"], 403);
  EXPECT_EQ(denied["status"]["reason"], "Forbidden");
  EXPECT_EQ(denied["status"].value("message", ""), c.message);
  const json admitted = Respond(c.pod, c.exception);
  EXPECT_EQ(admitted["allowed"], true) << admitted.dump();
}

Configure Allow(bool IsolationConfig::*field) {
  return [field](vendor::DeviceConfig&, WebhookConfig& w) { w.isolation.*field = true; };
}

const Configure kAllowEnv = Allow(&IsolationConfig::allow_env);

std::vector<DenyCase> EnvCases() {
  std::vector<DenyCase> cases;
  for (const char* name :
       {"CUDA_DISABLE_CONTROL", "CUDA_DEVICE_MEMORY_LIMIT", "CUDA_DEVICE_MEMORY_LIMIT_0",
        "CUDA_DEVICE_SM_LIMIT", "CUDA_DEVICE_SM_LIMIT_3", "CUDA_DEVICE_MEMORY_SHARED_CACHE",
        "CUDA_OVERSUBSCRIBE", "HAMI_CONTEXT_OVERHEAD", "LD_PRELOAD", "LD_AUDIT"}) {
    cases.push_back({std::string("Env_") + name, GpuPod(Env(name, "x")),
                     std::string("container c: env ") + name + " disables GPU isolation",
                     kAllowEnv});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EnvNames, IsolationDenyTest, testing::ValuesIn(EnvCases()),
                         [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Rules, IsolationDenyTest,
    testing::Values(
        DenyCase{
            "EnvValueFrom",
            GpuPod({{"env",
                     {{{"name", "CUDA_DEVICE_MEMORY_LIMIT_0"},
                       {"valueFrom", {{"configMapKeyRef", {{"name", "m"}, {"key", "k"}}}}}}}}}),
            "container c: env CUDA_DEVICE_MEMORY_LIMIT_0 (valueFrom) disables GPU isolation",
            kAllowEnv},
        DenyCase{"PriorityWithoutThePriorityResource", GpuPod(Env("CUDA_TASK_PRIORITY", "0")),
                 "container c: env CUDA_TASK_PRIORITY disables GPU isolation", kAllowEnv},
        DenyCase{"PriorityOtherThanThePriorityResource",
                 GpuPod({{"env", {{{"name", "CUDA_TASK_PRIORITY"}, {"value", "0"}}}},
                         {"resources",
                          {{"limits", {{"nvidia.com/gpu", "1"}, {"nvidia.com/priority", "1"}}}}}}),
                 "container c: env CUDA_TASK_PRIORITY disables GPU isolation", kAllowEnv},
        DenyCase{"CorePolicyDisable", GpuPod(Env("GPU_CORE_UTILIZATION_POLICY", "disable")),
                 "container c: env GPU_CORE_UTILIZATION_POLICY disables GPU isolation", kAllowEnv},
        DenyCase{"AllGpusInASidecar",
                 GpuPod(json::object(),
                        {{"containers",
                          {GpuPod()["spec"]["containers"][0],
                           {{"name", "side"},
                            {"env", {{{"name", "NVIDIA_VISIBLE_DEVICES"}, {"value", "all"}}}}}}}}),
                 "container side: env NVIDIA_VISIBLE_DEVICES disables GPU isolation", kAllowEnv},
        DenyCase{"EnvFrom",
                 GpuPod({{"envFrom",
                          {{{"configMapRef", {{"name", "settings"}}}},
                           {{"secretRef", {{"name", "s"}}}, {"prefix", "CUDA_"}}}}}),
                 "container c: envFrom configMapRef settings may set env that disables GPU "
                 "isolation; container c: envFrom secretRef s prefix CUDA_ may set env that "
                 "disables GPU isolation",
                 Allow(&IsolationConfig::allow_env_from)},
        DenyCase{"Privileged", GpuPod({{"securityContext", {{"privileged", true}}}}),
                 "container c is privileged", Allow(&IsolationConfig::allow_privileged)},
        DenyCase{"PrivilegedInitContainer",
                 GpuPod(json::object(),
                        {{"initContainers",
                          {{{"name", "setup"}, {"securityContext", {{"privileged", true}}}}}}}),
                 "container setup is privileged", Allow(&IsolationConfig::allow_privileged)},
        DenyCase{"HostPID", GpuPod(json::object(), {{"hostPID", true}}),
                 "spec.hostPID disables GPU isolation", Allow(&IsolationConfig::allow_host_pid)},
        DenyCase{"HostIPC", GpuPod(json::object(), {{"hostIPC", true}}),
                 "spec.hostIPC disables GPU isolation", Allow(&IsolationConfig::allow_host_ipc)},
        DenyCase{"SysAdmin",
                 GpuPod({{"securityContext",
                          {{"capabilities", {{"add", {"NET_ADMIN", "SYS_ADMIN"}}}}}}}),
                 "container c: securityContext.capabilities.add SYS_ADMIN disables GPU isolation",
                 Allow(&IsolationConfig::allow_capabilities)},
        DenyCase{"SysPtraceSpelledWithCapPrefix",
                 GpuPod({{"securityContext", {{"capabilities", {{"add", {"cap_sys_ptrace"}}}}}}}),
                 "container c: securityContext.capabilities.add cap_sys_ptrace disables GPU "
                 "isolation",
                 Allow(&IsolationConfig::allow_capabilities)},
        DenyCase{"AllCapabilities",
                 GpuPod({{"securityContext", {{"capabilities", {{"add", {"ALL"}}}}}}}),
                 "container c: securityContext.capabilities.add ALL disables GPU isolation",
                 Allow(&IsolationConfig::allow_capabilities)},
        DenyCase{
            "DriverDeviceNode",
            GpuPod(json::object(),
                   {{"volumes", {{{"name", "gpu1"}, {"hostPath", {{"path", "/dev/nvidia1"}}}}}}}),
            "volume gpu1: hostPath /dev/nvidia1 exposes /dev/nvidia* and disables GPU "
            "isolation",
            Allow(&IsolationConfig::allow_host_path)},
        DenyCase{
            "RegionDirectory",
            GpuPod(json::object(),
                   {{"volumes",
                     {{{"name", "r"}, {"hostPath", {{"path", "/usr/local/vgpu/containers"}}}}}}}),
            "volume r: hostPath /usr/local/vgpu/containers exposes /usr/local/vgpu and "
            "disables GPU isolation",
            Allow(&IsolationConfig::allow_host_path)},
        DenyCase{"HostRoot",
                 GpuPod(json::object(),
                        {{"volumes", {{{"name", "root"}, {"hostPath", {{"path", "/"}}}}}}}),
                 "volume root: hostPath / exposes /dev/nvidia* and disables GPU isolation",
                 Allow(&IsolationConfig::allow_host_path)},
        DenyCase{"OtherSchedulerName",
                 GpuPod(Env("CUDA_DISABLE_CONTROL", "true"), {{"schedulerName", "volcano"}}),
                 "container c: env CUDA_DISABLE_CONTROL disables GPU isolation", kAllowEnv},
        DenyCase{
            "AnotherVendorsResource",
            json{{"spec",
                  {{"hostPID", true},
                   {"containers",
                    {{{"name", "c"}, {"resources", {{"limits", {{"hygon.com/dcunum", "1"}}}}}}}}}}},
            "spec.hostPID disables GPU isolation", Allow(&IsolationConfig::allow_host_pid)},
        DenyCase{"StaticMigInstance",
                 json{{"spec",
                       {{"containers",
                         {{{"name", "c"},
                           {"securityContext", {{"privileged", true}}},
                           {"resources", {{"limits", {{"nvidia.com/mig-1g.5gb", "1"}}}}}}}}}}},
                 "container c is privileged", Allow(&IsolationConfig::allow_privileged)},
        DenyCase{"EveryViolationNamed",
                 GpuPod({{"securityContext", {{"privileged", true}}},
                         {"env", {{{"name", "LD_PRELOAD"}, {"value", "/x.so"}}}}},
                        {{"hostIPC", true}}),
                 "spec.hostIPC disables GPU isolation; container c is privileged; container c: "
                 "env LD_PRELOAD disables GPU isolation",
                 [](vendor::DeviceConfig&, WebhookConfig& w) {
                   w.isolation.exempt_namespaces = {"team"};
                 }}),
    [](const auto& info) { return info.param.name; });

TEST(Isolation, AdmittedWhatDoesNotTouchIsolation) {
  const json cases[] = {
      GpuPod(
          {{"env", {{{"name", "CUDA_TASK_PRIORITY"}, {"value", "0"}}}},
           {"resources", {{"limits", {{"nvidia.com/gpu", "1"}, {"nvidia.com/priority", "0"}}}}}}),
      GpuPod(Env("CUDA_VISIBLE_DEVICES", "0")),
      GpuPod(Env("LIBCUDA_LOG_LEVEL", "4")),
      GpuPod(json::object(),
             {{"containers",
               {GpuPod()["spec"]["containers"][0],
                {{"name", "side"},
                 {"env", {{{"name", "NVIDIA_VISIBLE_DEVICES"}, {"value", "none"}}}}}}}}),
      GpuPod({{"securityContext",
               {{"privileged", false}, {"capabilities", {{"add", {"NET_ADMIN", "SYS_NICE"}}}}}}}),
      GpuPod(json::object(), {{"volumes",
                               {{{"name", "d"}, {"hostPath", {{"path", "/data/sets"}}}},
                                {{"name", "n"}, {"hostPath", {{"path", "/dev/null"}}}},
                                {{"name", "x"}, {"hostPath", {{"path", "/usr/local/vgpux"}}}},
                                {{"name", "e"}, {"emptyDir", json::object()}}}}}),
  };
  for (const json& pod : cases) {
    const json r = Respond(pod);
    EXPECT_EQ(r["allowed"], true) << pod.dump() << "\n" << r.dump();
  }
}

TEST(Isolation, PodsWithoutGpusAreNotChecked) {
  const json pod = {{"spec",
                     {{"hostPID", true},
                      {"containers",
                       {{{"name", "c"},
                         {"securityContext", {{"privileged", true}}},
                         {"env", {{{"name", "CUDA_DISABLE_CONTROL"}, {"value", "true"}}}}}}}}}};
  const json r = Respond(pod);
  EXPECT_EQ(r["allowed"], true) << r.dump();
  EXPECT_FALSE(r.contains("patch"));
}

// Reinvocation (reinvocationPolicy IfNeeded) shows the webhook its own output: the env values it
// added itself pass.
TEST(Isolation, TheWebhooksOwnOutputIsAdmittedAgain) {
  const Configure configure = [](vendor::DeviceConfig& d, WebhookConfig&) {
    d.root["nvidia"]["overwriteEnv"] = true;
    d.root["nvidia"]["gpuCorePolicy"] = "disable";
  };
  json pod = GpuPod(json::object(),
                    {{"containers", {GpuPod()["spec"]["containers"][0], {{"name", "side"}}}}});
  pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/priority"] = "0";
  const json first = Respond(pod, configure);
  ASSERT_EQ(first["allowed"], true) << first.dump();
  auto ops = Base64Decode(first["patch"].get<std::string>());
  ASSERT_TRUE(ops.has_value());
  const json admitted = pod.patch(json::parse(*ops));
  EXPECT_EQ(admitted["spec"]["containers"][0]["env"].size(), 2u) << admitted.dump();
  const json again = Respond(admitted, configure);
  EXPECT_EQ(again["allowed"], true) << again.dump();
  EXPECT_FALSE(again.contains("patch")) << again.dump();
}

TEST(Isolation, ProtectedHostPathsAreConfigurable) {
  const json pod =
      GpuPod(json::object(),
             {{"volumes", {{{"name", "d"}, {"hostPath", {{"path", "/opt/hami/vgpu/"}}}}}}});
  const json r = Respond(pod, [](vendor::DeviceConfig&, WebhookConfig& w) {
    w.isolation.protected_host_paths = {"/opt/hami/vgpu"};
  });
  EXPECT_EQ(r["status"].value("message", ""),
            "volume d: hostPath /opt/hami/vgpu/ exposes /opt/hami/vgpu and disables GPU isolation");
  EXPECT_EQ(Respond(pod)["allowed"], true);
}

TEST(Isolation, NormalizeHostPath) {
  EXPECT_EQ(NormalizeHostPath("/"), "/");
  EXPECT_EQ(NormalizeHostPath(""), "/");
  EXPECT_EQ(NormalizeHostPath("//usr/./local//vgpu/"), "/usr/local/vgpu");
  EXPECT_EQ(NormalizeHostPath("/usr/lib/../local/vgpu"), "/usr/local/vgpu");
  EXPECT_EQ(NormalizeHostPath("/../../dev"), "/dev");
  EXPECT_EQ(NormalizeHostPath("dev/nvidia0"), "/dev/nvidia0");
}

TEST(Isolation, HostPathTouches) {
  struct Case {
    const char* path;
    const char* protected_path;
    bool touches;
  };
  const Case cases[] = {
      {"/", "/usr/local/vgpu", true},
      {"/usr", "/usr/local/vgpu", true},
      {"/usr/local/", "/usr/local/vgpu", true},
      {"/usr/local/vgpu", "/usr/local/vgpu", true},
      {"/usr/local/vgpu/containers/x_c", "/usr/local/vgpu", true},
      {"/usr/local/vgpu/../vgpu", "/usr/local/vgpu", true},
      {"/usr/local/vgpux", "/usr/local/vgpu", false},
      {"/usr/lo", "/usr/local/vgpu", false},
      {"/opt", "/usr/local/vgpu", false},
      {"/dev", "/dev/nvidia*", true},
      {"/dev/nvidia0", "/dev/nvidia*", true},
      {"/dev/nvidiactl", "/dev/nvidia*", true},
      {"/dev/nvidia-caps/nvidia-cap1", "/dev/nvidia*", true},
      {"/dev/null", "/dev/nvidia*", false},
      {"/dev/shm", "/dev/nvidia*", false},
      {"/de", "/dev/nvidia*", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HostPathTouches(c.path, c.protected_path), c.touches)
        << c.path << " vs " << c.protected_path;
  }
}

}  // namespace
}  // namespace hami::webhook
