// `hami smi`: flags -> the I/O that gathers a view (regions + NVML, a monitor's /metrics, or the
// API server + the monitors) -> monitor::RenderSmi on stdout. See docs/smi.md.
#include "apps/smi_command.h"

#include <httplib.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "apps/device_config_file.h"
#include "apps/vendor_flags.h"
#include "base/env.h"
#include "base/log.h"
#include "base/strings.h"
#include "k8s/client_config.h"
#include "k8s/http_kube_api.h"
#include "monitor/collector.h"
#include "monitor/nvml_host.h"
#include "monitor/pod_source.h"
#include "monitor/region_format.h"
#include "monitor/region_scanner.h"
#include "monitor/smi.h"

namespace hami::apps {
namespace {

using monitor::SmiView;

struct SmiFlags {
  std::string hook_path;
  std::string nvml_library = "libnvidia-ml.so.1";
  std::string node_name;
  std::string metrics_url;
  bool cluster = false;
  std::string kubeconfig;
  int monitor_port = 9394;
  std::vector<std::string> monitor_urls;  // NODE=URL
  bool no_monitors = false;
  std::string region;
  bool container = false;
  std::string config;               // cluster mode: device-config.yaml, for vendor resource names
  vendor::FlagValues vendor_flags;  // cluster mode: --enable-ascend, ...
};

std::string Env(const std::string& name, const std::string& fallback = "") {
  return base::Env::Default()->GetEnvOr(name, fallback);
}

// libvgpu in this process's environment: we are inside a container's slice.
bool InsideSlice() {
  if (!Env("CUDA_DEVICE_MEMORY_LIMIT").empty()) return true;
  for (int i = 0; i < 16; ++i) {
    if (!Env("CUDA_DEVICE_MEMORY_LIMIT_" + std::to_string(i)).empty()) return true;
  }
  if (Env("LD_PRELOAD").find("libvgpu") != std::string::npos) return true;
  std::ifstream preload("/etc/ld.so.preload");
  std::string text((std::istreambuf_iterator<char>(preload)), std::istreambuf_iterator<char>());
  return text.find("libvgpu") != std::string::npos;
}

base::Result<std::string> HttpGet(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const std::string host = url.substr(0, path_at);
  const std::string path = path_at == std::string::npos ? "/metrics" : url.substr(path_at);
  httplib::Client client(host);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get(path);
  if (!res) return base::Unavailable(url + ": " + httplib::to_string(res.error()));
  if (res->status != 200) return base::Unavailable(url + ": HTTP " + std::to_string(res->status));
  return res->body;
}

base::Result<monitor::Snapshot> ScrapeSnapshot(const std::string& url, const std::string& node) {
  HAMI_ASSIGN_OR_RETURN(std::string body, HttpGet(url));
  HAMI_ASSIGN_OR_RETURN(auto samples, monitor::ParsePrometheusText(body));
  return monitor::SnapshotFromMetrics(samples, node);
}

base::Result<std::unique_ptr<k8s::HttpKubeApi>> Api(const SmiFlags& f) {
  HAMI_ASSIGN_OR_RETURN(k8s::ClientConfig config, k8s::ResolveClientConfig(f.kubeconfig));
  k8s::ClientOptions options;
  options.user_agent = "hami-smi";
  options.timeout = std::chrono::seconds(10);
  return k8s::HttpKubeApi::New(config, options);
}

std::string InternalIp(const nlohmann::json& node) {
  if (!node.contains("status") || !node["status"].contains("addresses")) return "";
  for (const auto& a : node["status"]["addresses"]) {
    if (a.value("type", "") == "InternalIP") return a.value("address", "");
  }
  return "";
}

base::Result<SmiView> ClusterView(const SmiFlags& f) {
  HAMI_ASSIGN_OR_RETURN(auto api, Api(f));
  HAMI_ASSIGN_OR_RETURN(k8s::ListPage nodes, k8s::ListAll(*api, k8s::NodesPath(), {}));
  HAMI_ASSIGN_OR_RETURN(k8s::ListPage pods, k8s::ListAll(*api, k8s::PodsPath(""), {}));
  HAMI_ASSIGN_OR_RETURN(auto device_config, LoadDeviceConfigFile(f.config));
  HAMI_ASSIGN_OR_RETURN(auto registry, vendor::Registry::Create(device_config, f.vendor_flags));
  std::vector<std::string> errors;
  SmiView view = monitor::ViewFromCluster(nodes.items, pods.items, registry, &errors);
  for (const std::string& e : errors) view.notes.push_back("skipped " + e);
  if (f.no_monitors) {
    view.notes.emplace_back("used values not shown (--no-monitors)");
    return view;
  }
  std::map<std::string, std::string> overrides;
  for (const std::string& kv : f.monitor_urls) {
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) overrides[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const nlohmann::json& node : nodes.items) {
    const std::string name = node["metadata"].value("name", "");
    bool has_gpu = false;
    for (const auto& g : view.gpus) has_gpu = has_gpu || g.node == name;
    if (!has_gpu) continue;
    std::string url = overrides.count(name) ? overrides[name] : "";
    if (url.empty() && !InternalIp(node).empty()) {
      url = "http://" + InternalIp(node) + ":" + std::to_string(f.monitor_port) + "/metrics";
    }
    if (url.empty()) {
      view.notes.push_back(name + ": no InternalIP and no --monitor-url: used values unknown");
      continue;
    }
    auto snap = ScrapeSnapshot(url, name);
    if (!snap.ok()) {
      view.notes.push_back(name + ": monitor unreachable (" + snap.error().message() +
                           "): used values unknown");
      continue;
    }
    monitor::MergeMonitorSnapshot(*snap, name, &view);
  }
  return view;
}

base::Result<SmiView> ContainerView(const SmiFlags& f) {
  const std::string path =
      !f.region.empty() ? f.region : Env("CUDA_DEVICE_MEMORY_SHARED_CACHE", "/tmp/cudevshr.cache");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return base::NotFound("no shared region at " + path + " (has a CUDA program run here yet?)");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  HAMI_ASSIGN_OR_RETURN(monitor::Layout layout, monitor::DetectLayout(bytes.data(), bytes.size()));
  monitor::NvmlHost nvml;
  (void)nvml.Open(f.nvml_library);
  return monitor::ViewFromRegion(monitor::ReadRegion(bytes.data(), bytes.size(), layout),
                                 nvml.Read(), "HAMi smi: this container's slice (" + path + ")");
}

SmiView NodeView(const SmiFlags& f) {
  monitor::RegionScanner scanner({f.hook_path, std::chrono::hours(24 * 365)});
  scanner.Scan({}, base::Env::Default()->WallNow());
  monitor::NvmlHost nvml;
  const base::Status nvml_status = nvml.Open(f.nvml_library);
  std::optional<std::vector<monitor::PodRef>> pods;
  std::string pod_note;
  if (auto api = Api(f); api.ok() && !f.node_name.empty()) {
    k8s::ListOptions options;
    options.field_selector = "spec.nodeName=" + f.node_name;
    if (auto list = k8s::ListAll(**api, k8s::PodsPath(""), options); list.ok()) {
      pods.emplace();
      for (const auto& p : list->items) pods->push_back(monitor::PodRefFromJson(p));
    } else {
      pod_note = "pod names unknown: " + list.error().message();
    }
  } else {
    pod_note = "pod names unknown (no API access or no --node-name): pods shown by UID";
  }
  auto snapshot = monitor::BuildSnapshot(f.node_name, base::Env::Default()->UnixSeconds(),
                                         nvml.Read(), scanner.Read(), pods, {});
  SmiView view = monitor::ViewFromSnapshot(
      snapshot, "HAMi smi: node " + (f.node_name.empty() ? std::string("(local)") : f.node_name) +
                    " (regions under " + f.hook_path + " + NVML)");
  if (!nvml_status.ok()) view.notes.push_back("NVML: " + nvml_status.message());
  if (!pod_note.empty()) view.notes.push_back(pod_note);
  if (scanner.errors() > 0) {
    view.notes.push_back(std::to_string(scanner.errors()) + " region file(s) skipped (see log)");
  }
  return view;
}

int Run(const SmiFlags& f) {
  base::SetLogLevel(base::LogLevel::kWarn);
  base::Result<SmiView> view = base::InvalidArgument("no mode");
  if (f.cluster) {
    view = ClusterView(f);
  } else if (!f.metrics_url.empty()) {
    auto snap = ScrapeSnapshot(f.metrics_url, f.node_name);
    if (snap.ok()) {
      view = monitor::ViewFromSnapshot(*snap, "HAMi smi: " + f.metrics_url);
    } else {
      view = snap.error();
    }
  } else if (f.container || !f.region.empty() || InsideSlice()) {
    view = ContainerView(f);
  } else {
    view = NodeView(f);
  }
  if (!view.ok()) {
    std::cerr << "hami smi: " << view.error().message() << "\n";
    return 1;
  }
  std::cout << monitor::RenderSmi(*view);
  return 0;
}

}  // namespace

void AddSmiCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<SmiFlags>();
  flags->hook_path = Env("HOOK_PATH", "/usr/local/vgpu");
  flags->node_name = Env("NODE_NAME");
  CLI::App* cmd = app.add_subcommand(
      "smi", "GPUs, memory/cores allocated vs used, and the containers sharing each");
  cmd->add_option("--hook-path", flags->hook_path, "node mode: regions under <dir>/containers")
      ->capture_default_str();
  cmd->add_option("--nvml-library", flags->nvml_library, "NVML library")->capture_default_str();
  cmd->add_option("--node-name", flags->node_name, "this node (env NODE_NAME)");
  cmd->add_option("--metrics-url", flags->metrics_url, "scrape one hami-monitor's /metrics");
  cmd->add_flag("--cluster", flags->cluster, "whole cluster through the API server");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "kubeconfig (else the usual resolution)");
  cmd->add_option("--monitor-port", flags->monitor_port, "cluster mode: monitors' port")
      ->capture_default_str();
  cmd->add_option("--monitor-url", flags->monitor_urls,
                  "cluster mode: NODE=URL of a node's monitor /metrics (repeatable)");
  cmd->add_flag("--no-monitors", flags->no_monitors, "cluster mode: allocations only");
  cmd->add_flag("--container", flags->container, "this container's slice (auto under libvgpu)");
  cmd->add_option("--region", flags->region, "container mode: the shared region file");
  cmd->add_option("--config", flags->config,
                  "cluster mode: HAMi device-config.yaml (vendors' resource names)");
  AddVendorFlags(*cmd, &flags->vendor_flags);
  cmd->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace hami::apps
