// hami-device-plugin: the NVIDIA node agent. Registers the node's GPUs on its Node
// (hami.io/node-nvidia-register), serves the kubelet device plugin API v1beta1 and hands each
// container its slice in Allocate. Flags: docs/device-plugin.md (contract in the lead's notes).
// main builds the config and wires; the logic lives in src/deviceplugin.
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "apps/daemon.h"
#include "apps/device_config_file.h"
#include "apps/go_flags.h"
#include "base/duration.h"
#include "base/env.h"
#include "base/log.h"
#include "deviceplugin/service.h"
#include "deviceplugin/volcano_wire.h"
#include "k8s/client_config.h"
#include "k8s/http_kube_api.h"
#include "vendor/nvidia/config.h"

namespace {

namespace dp = hami::deviceplugin;

struct Flags {
  std::string node_name;
  std::string kubeconfig;
  std::string config_file;
  std::string node_config_file = "/config/config.json";
  std::string device_plugin_path = "/var/lib/kubelet/device-plugins";
  std::string hook_path;
  std::string nvml_library = "libnvidia-ml.so.1";
  std::string mig_strategy = "none";
  bool disable_core_limit = false;
  std::string device_list_strategy = "envvar";
  std::string device_id_strategy = "uuid";
  bool pass_device_specs = false;
  std::string mps_root = "/run/nvidia/mps";
  bool fail_on_init_error = true;
  std::string register_interval = "30s";
  bool node_lock = false;  // true: upstream's bind protocol; false: the kubelet's pod-resources API
  std::string pod_resources_socket = hami::deviceplugin::kKubeletPodResourcesSocket;
  bool volcano = false;  // serve Volcano's vGPU contract (docs/integrations/volcano.md)
  bool debug = false;
  int verbosity = 0;  // klog -v (upstream compatibility); >= 4 means debug logging
};

void Fail(const std::string& what, const std::string& error) {
  hami::base::LogError(what, {{"error", error}});
}

// device-config.yaml + per-node config.json + flags.
hami::base::Result<dp::PluginConfig> BuildPluginConfig(const Flags& flags) {
  HAMI_ASSIGN_OR_RETURN(auto device_config, hami::apps::LoadDeviceConfigFile(flags.config_file));
  const nlohmann::json& root = device_config.root;
  std::vector<std::string> warnings;
  auto nvidia = hami::vendor::nvidia::NvidiaConfigFromJson(
      root.is_object() && root.contains("nvidia") ? root["nvidia"] : nlohmann::json(), &warnings);
  if (!nvidia.ok()) return nvidia.error().WithContext(flags.config_file);
  for (const auto& warning : warnings) hami::base::LogWarn(warning);
  dp::PluginConfig config = dp::FromNvidiaConfig(*nvidia, flags.node_name);
  config.mig_strategy = flags.mig_strategy;
  if (flags.disable_core_limit) config.disable_core_limit = true;
  config.device_id_strategy = flags.device_id_strategy == "index" ? dp::DeviceIdStrategy::kIndex
                                                                  : dp::DeviceIdStrategy::kUuid;
  config.pass_device_specs = flags.pass_device_specs;
  config.mps_root = flags.mps_root;
  if (flags.volcano) {
    config.volcano = true;
    config.resource_name = dp::volcano::kVgpuNumber;
  }
  config.enable_topology_score =
      hami::base::Env::Default()->GetEnvOr("ENABLE_TOPOLOGY_SCORE", "") == "true";
  std::ifstream in(flags.node_config_file);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    auto merged = dp::ApplyNodeConfigJson(config, text.str());
    if (!merged.ok()) return merged.error().WithContext(flags.node_config_file);
    config = std::move(merged).value();
  } else {
    hami::base::LogInfo("no per-node config; using defaults", {{"path", flags.node_config_file}});
  }
  HAMI_RETURN_IF_ERROR(dp::Validate(config));
  return config;
}

int Run(const Flags& flags) {
  if (flags.debug || flags.verbosity >= 4) hami::base::SetLogLevel(hami::base::LogLevel::kDebug);
  umask(077);  // sockets and files are private unless widened explicitly (host_files.h)
  if (flags.node_name.empty()) {
    Fail("--node-name", "required (or env NODE_NAME)");
    return 1;
  }
  auto plugin = BuildPluginConfig(flags);
  if (!plugin.ok()) return Fail("config", plugin.error().message()), 1;
  auto interval = hami::base::ParseDuration(flags.register_interval);
  if (!interval.ok() || interval->count() <= 0) {
    Fail("--register-interval", interval.ok() ? "must be > 0" : interval.error().message());
    return 1;
  }
  auto client_config = hami::k8s::ResolveClientConfig(flags.kubeconfig);
  if (!client_config.ok())
    return Fail("kubernetes client config", client_config.error().message()), 1;
  hami::k8s::ClientOptions client_options;
  client_options.user_agent = "hami-device-plugin";
  auto api = hami::k8s::HttpKubeApi::New(*client_config, client_options);
  if (!api.ok()) return Fail("kubernetes client", api.error().message()), 1;

  std::unique_ptr<dp::DeviceSource> source;
  auto nvml = dp::NvmlDeviceSource::Open(flags.nvml_library);
  if (nvml.ok()) {
    source = std::move(nvml).value();
  } else if (flags.fail_on_init_error) {
    Fail("NVML", nvml.error().message() + " (--fail-on-init-error=false runs without GPUs)");
    return 1;
  } else {
    hami::base::LogWarn("NVML unavailable; advertising no GPU",
                        {{"error", nvml.error().message()}});
  }

  dp::ServiceConfig config;
  config.plugin = std::move(plugin).value();
  config.plugin_dir = flags.device_plugin_path;
  const std::string hook = !flags.hook_path.empty()
                               ? flags.hook_path
                               : hami::base::Env::Default()->GetEnvOr("HOOK_PATH", "/usr/local");
  config.host_vgpu_dir = hook + "/vgpu";
  config.register_interval = *interval;
  config.health_interval = std::min(*interval, std::chrono::milliseconds(5000));
  if (!flags.node_lock) config.pod_resources_socket = flags.pod_resources_socket;
  config.xid_policy =
      dp::ParseXidPolicy(hami::base::Env::Default()->GetEnv(dp::kDisableHealthchecksEnv));
  for (const auto& entry : config.xid_policy.bad_entries) {
    hami::base::LogWarn("ignoring an entry that is not an XID",
                        {{"env", dp::kDisableHealthchecksEnv}, {"entry", entry}});
  }

  const sigset_t signals = hami::apps::BlockTerminationSignals();

  dp::DevicePluginService service(**api, std::move(source), config);
  return hami::apps::ServeUntilTerminated(service, signals, [&] {
    hami::base::LogInfo("hami-device-plugin started",
                        {{"node", config.plugin.node_name},
                         {"socket", config.plugin_dir + "/" + dp::kDefaultEndpoint},
                         {"resource", config.plugin.resource_name},
                         {"hook", config.host_vgpu_dir}});
  });
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  flags.node_name = hami::base::Env::Default()->GetEnvOr("NODE_NAME", "");
  CLI::App app{"hami-device-plugin: NVIDIA node agent (node registration + kubelet device plugin)"};
  app.add_option("--node-name", flags.node_name, "this node's name (default env NODE_NAME)");
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig (else $KUBECONFIG, in-cluster, ~/.kube/config)");
  app.add_option("--config-file", flags.config_file, "HAMi device-config.yaml (nvidia: block)");
  app.add_option("--node-config-file", flags.node_config_file,
                 "per-node config.json; a missing file means defaults")
      ->capture_default_str();
  app.add_option("--device-plugin-path", flags.device_plugin_path,
                 "kubelet device-plugin directory (kubelet.sock)")
      ->capture_default_str();
  app.add_option("--hook-path", flags.hook_path,
                 "host directory holding vgpu/ (default env HOOK_PATH, else /usr/local)");
  app.add_option("--nvml-library", flags.nvml_library, "NVML library to dlopen")
      ->capture_default_str();
  app.add_option("--mig-strategy", flags.mig_strategy, "none, single or mixed")
      ->check(CLI::IsMember({"none", "single", "mixed"}))
      ->capture_default_str();
  app.add_flag("--disable-core-limit", flags.disable_core_limit,
               "set GPU_CORE_UTILIZATION_POLICY=disable in every container");
  app.add_option("--device-list-strategy", flags.device_list_strategy,
                 "how GPUs reach the container runtime (only envvar)")
      ->check(CLI::IsMember({"envvar"}))
      ->capture_default_str();
  app.add_option("--device-id-strategy", flags.device_id_strategy,
                 "NVIDIA_VISIBLE_DEVICES names GPUs by uuid or index")
      ->check(CLI::IsMember({"uuid", "index"}))
      ->capture_default_str();
  app.add_flag("--pass-device-specs", flags.pass_device_specs,
               "also pass /dev/nvidia* device nodes to the kubelet");
  app.add_option("--mps-root", flags.mps_root,
                 "operating mode mps: the MPS control daemon's host directory (pipe/, shm/)")
      ->capture_default_str();
  app.add_option("--fail-on-init-error", flags.fail_on_init_error,
                 "exit when NVML cannot be loaded (false: run without GPUs)")
      ->capture_default_str();
  app.add_option("--register-interval", flags.register_interval,
                 "node annotation refresh, e.g. 30s")
      ->capture_default_str();
  app.add_option("--node-lock", flags.node_lock,
                 "true: find the pod of an Allocate through the node lock (upstream's protocol); "
                 "false: through the kubelet's pod-resources API (must match hami-scheduler's "
                 "--nvidia-node-lock)")
      ->capture_default_str();
  app.add_option("--pod-resources-socket", flags.pod_resources_socket,
                 "the kubelet's pod-resources socket (used with --node-lock=false)")
      ->capture_default_str();
  app.add_flag(
      "--volcano", flags.volcano,
      "serve Volcano's vGPU contract (volcano.sh/vgpu-number, volcano.sh/node-vgpu-register, "
      "volcano.sh/* pod annotations) for its deviceshare plugin instead of HAMi's");
  app.add_flag("--debug", flags.debug, "debug logging");
  hami::apps::AddVerbosityFlag(app, &flags.verbosity);
  hami::apps::GoArgs args(argc, argv);
  CLI11_PARSE(app, args.argc(), args.argv());
  return Run(flags);
}
