// hami-scheduler: scheduler extender (/filter, /bind) + mutating webhook (/webhook) + /metrics.
// Flags and defaults follow upstream HAMi (hami-wire §7). main builds the config and wires; the
// logic lives in src/extender, src/webhook, src/k8s. The two meet only here: /webhook is added to
// the extender's HTTP(S) server as a route (src/extender does not know the webhook).
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "apps/daemon.h"
#include "apps/device_config_file.h"
#include "apps/go_flags.h"
#include "apps/vendor_flags.h"
#include "base/duration.h"
#include "base/env.h"
#include "base/log.h"
#include "base/strings.h"
#include "extender/service.h"
#include "k8s/client_config.h"
#include "k8s/http_kube_api.h"
#include "vendor/registry.h"
#include "webhook/handler.h"
#include "webhook/isolation.h"
#include "webui/webui_service.h"

namespace {

struct Flags {
  std::string http_bind = "127.0.0.1:8080";
  std::string cert_file;
  std::string key_file;
  std::string extender_client_ca_file;
  std::string extender_client_names;
  std::string webhook_client_ca_file;
  std::string webhook_client_names;
  int max_connections = 1024;
  std::string scheduler_name;
  std::string node_policy = "binpack";
  std::string gpu_policy = "spread";
  std::string metrics_bind = ":9395";
  std::string node_label_selector;
  std::string kubeconfig;
  std::string device_config_file;
  std::string node_lock_timeout = "5m";
  bool force_overwrite_default_scheduler = true;
  double kube_qps = 50;
  int kube_burst = 100;
  int kube_timeout_s = 30;
  bool debug = false;
  bool legacy_metrics = false;
  bool success_events = false;
  int verbosity = 0;  // klog -v, accepted for upstream compatibility; >= 4 means debug logging
  bool leader_elect = false;
  std::string leader_elect_resource_name = "hami-scheduler";
  std::string leader_elect_resource_namespace;
  hami::vendor::FlagValues vendor_flags;  // --enable-ascend, --cambricon-mlu-name, ...
  hami::webhook::IsolationConfig isolation;
  std::string webui_bind = ":9396";
  std::string webui_auth = "none";
  int monitor_port = 9394;
  std::string webui_scrape_interval = "15s";
};

void AddWebUiFlags(CLI::App& app, Flags* f) {
  app.add_option("--webui-bind-address", f->webui_bind,
                 "address of the web UI and its JSON API (\"\" = off)")
      ->capture_default_str();
  app.add_option("--webui-auth", f->webui_auth,
                 "none (anyone reaching the port reads everything) or token (Bearer token; "
                 "TokenReview + SubjectAccessReview per namespace)")
      ->check(CLI::IsMember({"none", "token"}))
      ->capture_default_str();
  app.add_option("--monitor-port", f->monitor_port,
                 "port of hami-monitor on each GPU node (http://<InternalIP>:<port>/metrics)")
      ->capture_default_str();
  app.add_option("--webui-scrape-interval", f->webui_scrape_interval,
                 "how often the web UI scrapes each node's monitor")
      ->capture_default_str();
}

// The web UI over `service`'s informers (nullptr when --webui-bind-address is empty); its
// /filter hook is set in `config`. `service` is read only once the UI serves requests.
std::unique_ptr<hami::webui::WebUiService> MakeWebUi(
    const Flags& flags, const hami::vendor::Registry& registry, hami::k8s::KubeApi* api,
    hami::extender::SchedulerService* const* service, hami::extender::ServiceConfig* config) {
  if (flags.webui_bind.empty()) return nullptr;
  auto interval = hami::base::ParseDuration(flags.webui_scrape_interval);
  auto auth = hami::webui::ParseAuthMode(flags.webui_auth);
  if (!interval.ok() || !auth.ok() || interval->count() <= 0) {
    hami::base::LogError("web UI flags", {{"error", !auth.ok() ? auth.error().message()
                                                               : "--webui-scrape-interval " +
                                                                     flags.webui_scrape_interval}});
    return nullptr;
  }
  hami::webui::WebUiConfig c;
  c.bind_address = flags.webui_bind;
  c.auth.mode = *auth;
  c.scraper.monitor_port = flags.monitor_port;
  c.scraper.interval = std::chrono::duration_cast<std::chrono::milliseconds>(*interval);
  c.build = hami::base::CurrentBuild();
  hami::webui::ClusterSource source{[service] { return (*service)->NodeObjects(); },
                                    [service] { return (*service)->PodObjects(); },
                                    [service] { return (*service)->ObjectGeneration(); }};
  auto webui = std::make_unique<hami::webui::WebUiService>(source, registry, api, c);
  config->on_filter = [ui = webui.get()](const nlohmann::json& pod,
                                         const hami::extender::FilterResult& result) {
    const bool placed = result.error.empty() && result.node_names && !result.node_names->empty();
    ui->RecordFilter(pod, result.failed_nodes, result.error, placed);
  };
  return webui;
}

// The webhook's isolation rules' exceptions (webhook/isolation.h, docs/webhook.md).
void AddIsolationFlags(CLI::App& app, hami::webhook::IsolationConfig* c) {
  app.add_flag("--allow-isolation-env", c->allow_env,
               "admit GPU pods whose containers set env libvgpu or the device plugin obey");
  app.add_flag("--allow-env-from", c->allow_env_from,
               "admit GPU pods whose containers use envFrom");
  app.add_flag("--allow-privileged", c->allow_privileged, "admit privileged GPU pods");
  app.add_flag("--allow-host-pid", c->allow_host_pid, "admit GPU pods with hostPID");
  app.add_flag("--allow-host-ipc", c->allow_host_ipc, "admit GPU pods with hostIPC");
  app.add_flag("--allow-admin-capabilities", c->allow_capabilities,
               "admit GPU pods adding SYS_ADMIN, SYS_PTRACE or ALL");
  app.add_flag("--allow-protected-host-paths", c->allow_host_path,
               "admit GPU pods with hostPath volumes of the protected host paths");
  app.add_option_function<std::string>(
      "--isolation-exempt-namespaces",
      [c](const std::string& v) {
        for (auto ns : hami::base::Split(v, ',')) {
          if (!hami::base::Trim(ns).empty()) c->exempt_namespaces.emplace(hami::base::Trim(ns));
        }
      },
      "namespaces (comma separated) whose GPU pods skip every isolation rule");
  app.add_option_function<std::string>(
      "--protected-host-paths",
      [c](const std::string& v) {
        c->protected_host_paths.clear();
        for (auto p : hami::base::Split(v, ',')) {
          const std::string path(hami::base::Trim(p));
          if (path.empty()) continue;
          if (path.front() != '/') {
            throw CLI::ValidationError("--protected-host-paths", path + " is not absolute");
          }
          c->protected_host_paths.push_back(path);
        }
        if (c->protected_host_paths.empty()) {
          throw CLI::ValidationError("--protected-host-paths",
                                     "empty (use --allow-protected-host-paths to lift the rule)");
        }
      },
      "host paths (comma separated; a trailing * matches a name prefix) GPU pods may not mount "
      "(default /dev/nvidia*,/usr/local/vgpu)");
}

// The client-certificate policy of a route: none without a CA file; `names` is a comma list of
// allowed subject CNs ("" = any certificate the CA issued).
std::optional<hami::net::ClientCertPolicy> ClientPolicy(const std::string& ca_file,
                                                        const std::string& names) {
  if (ca_file.empty()) return std::nullopt;
  hami::net::ClientCertPolicy policy{ca_file, {}};
  for (const auto& name : hami::base::Split(names, ',')) {
    std::string trimmed(hami::base::Trim(name));
    if (!trimmed.empty()) policy.names.push_back(std::move(trimmed));
  }
  return policy;
}

int Run(const Flags& flags) {
  if (flags.debug || flags.verbosity >= 4) hami::base::SetLogLevel(hami::base::LogLevel::kDebug);
  auto device_config = hami::apps::LoadDeviceConfigFile(flags.device_config_file);
  if (!device_config.ok()) {
    hami::base::LogError("device config", {{"error", device_config.error().message()}});
    return 1;
  }
  auto registry = hami::vendor::Registry::Create(*device_config, flags.vendor_flags);
  if (!registry.ok()) {
    hami::base::LogError("device config", {{"error", registry.error().message()}});
    return 1;
  }
  for (const auto& warning : registry->warnings()) hami::base::LogWarn(warning);
  if (auto valid = hami::sched::ValidateGpuPolicy(flags.gpu_policy); !valid.ok()) {
    hami::base::LogError("--gpu-scheduler-policy", {{"error", valid.message()}});
    return 1;
  }
  auto lock_timeout = hami::base::ParseDuration(flags.node_lock_timeout);
  if (!lock_timeout.ok()) {
    hami::base::LogError("--node-lock-timeout", {{"error", lock_timeout.error().message()}});
    return 1;
  }
  if (flags.cert_file.empty() != flags.key_file.empty()) {
    hami::base::LogError("--cert_file and --key_file must be given together");
    return 1;
  }
  if (flags.cert_file.empty() &&
      !(flags.extender_client_ca_file.empty() && flags.webhook_client_ca_file.empty())) {
    hami::base::LogError("client certificates need TLS: set --cert_file and --key_file");
    return 1;
  }
  if (flags.max_connections < 1) {
    hami::base::LogError("--max-connections must be at least 1");
    return 1;
  }
  auto client_config = hami::k8s::ResolveClientConfig(flags.kubeconfig);
  if (!client_config.ok()) {
    hami::base::LogError("kubernetes client config", {{"error", client_config.error().message()}});
    return 1;
  }
  hami::k8s::ClientOptions client_options;
  client_options.qps = flags.kube_qps;
  client_options.burst = flags.kube_burst;
  client_options.timeout = std::chrono::seconds(flags.kube_timeout_s);
  client_options.user_agent = "hami-scheduler";
  auto api = hami::k8s::HttpKubeApi::New(*client_config, client_options);
  if (!api.ok()) {
    hami::base::LogError("kubernetes client", {{"error", api.error().message()}});
    return 1;
  }
  hami::extender::ServiceConfig config;
  config.http.bind_address = flags.http_bind;
  // Workers run handlers only (the server's loop reads requests and holds idle connections), but
  // /bind waits on the API server (lock, patch, Binding) for each of kube-scheduler's concurrent
  // binds, so keep more workers than its parallelism (16 by default).
  config.http.threads = 64;
  config.http.max_connections = static_cast<size_t>(flags.max_connections);
  if (!flags.cert_file.empty())
    config.http.tls = hami::net::TlsFiles{flags.cert_file, flags.key_file};
  config.extender_clients =
      ClientPolicy(flags.extender_client_ca_file, flags.extender_client_names);
  config.metrics_bind = flags.metrics_bind;
  config.legacy_metrics = flags.legacy_metrics;
  config.success_events = flags.success_events;
  config.build = hami::base::CurrentBuild();
  config.filter.defaults.node = hami::sched::ParseNodePolicy(flags.node_policy);
  config.filter.defaults.gpu = hami::sched::ParseGpuPolicy(flags.gpu_policy);
  config.bind.lock_timeout = std::chrono::duration_cast<std::chrono::seconds>(*lock_timeout);
  config.node_label_selector = flags.node_label_selector;
  if (flags.leader_elect) {
    hami::k8s::LeaderElectionConfig election;
    election.lease_name = flags.leader_elect_resource_name;
    hami::base::Env* env = hami::base::Env::Default();
    election.lease_namespace = !flags.leader_elect_resource_namespace.empty()
                                   ? flags.leader_elect_resource_namespace
                                   : env->GetEnvOr("POD_NAMESPACE", "kube-system");
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    election.identity = env->GetEnvOr("POD_NAME", host) + "_" + std::to_string(getpid());
    config.leader_election = election;
  }

  const sigset_t signals = hami::apps::BlockTerminationSignals();

  hami::webhook::WebhookConfig webhook;
  webhook.scheduler_name = flags.scheduler_name;
  webhook.force_overwrite_default_scheduler = flags.force_overwrite_default_scheduler;
  webhook.isolation = flags.isolation;

  hami::extender::SchedulerService* service_ptr = nullptr;
  auto webui = MakeWebUi(flags, *registry, api->get(), &service_ptr, &config);
  if (!flags.webui_bind.empty() && !webui) return 1;
  hami::extender::SchedulerService service(**api, *registry, config);
  service_ptr = &service;
  // /webhook on the /filter server (as upstream), its quota pre-check reading the scheduler's
  // bookings.
  service.Handle(
      "POST", hami::webhook::kWebhookPath,
      hami::webhook::WebhookHandler(webhook, *registry,
                                    [&service](const std::string& ns, const std::string& vendor) {
                                      return service.cache().QuotaFor(ns, vendor);
                                    }),
      ClientPolicy(flags.webhook_client_ca_file, flags.webhook_client_names));
  if (webui) {
    if (auto started = webui->Start(); !started.ok()) {
      hami::base::LogError("web UI", {{"error", started.message()}});
      return 1;
    }
  }
  const int code = hami::apps::ServeUntilTerminated(service, signals);
  if (webui) webui->Stop();  // before `service`, whose informers it reads, goes away
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"hami-scheduler: GPU-sharing scheduler extender and admission webhook"};
  app.add_option("--http_bind", flags.http_bind, "address for /filter, /bind, /webhook, /healthz")
      ->capture_default_str();
  app.add_option("--cert_file", flags.cert_file, "TLS certificate (serves HTTPS when set)");
  app.add_option("--key_file", flags.key_file, "TLS private key");
  app.add_option("--extender-client-ca-file", flags.extender_client_ca_file,
                 "CA (PEM) whose client certificates may call /filter and /bind (kube-scheduler's "
                 "extender tlsConfig certFile); unset = no client certificate required");
  app.add_option("--extender-client-names", flags.extender_client_names,
                 "comma list of subject CNs allowed on /filter and /bind (\"\" = any from the CA)");
  app.add_option("--webhook-client-ca-file", flags.webhook_client_ca_file,
                 "CA (PEM) whose client certificates may call /webhook (the API server's "
                 "admission kubeconfig); unset = no client certificate required");
  app.add_option("--webhook-client-names", flags.webhook_client_names,
                 "comma list of subject CNs allowed on /webhook (\"\" = any from the CA)");
  app.add_option("--max-connections", flags.max_connections,
                 "open connections on --http_bind; beyond it the oldest incomplete one is closed")
      ->capture_default_str();
  app.add_option("--scheduler-name", flags.scheduler_name,
                 "schedulerName the webhook sets on pods using HAMi resources");
  app.add_option("--node-scheduler-policy", flags.node_policy, "binpack or spread")
      ->check(CLI::IsMember({"binpack", "spread"}))
      ->capture_default_str();
  app.add_option("--gpu-scheduler-policy", flags.gpu_policy,
                 "binpack, spread, topology-aware, mutex, numa, or a comma chain")
      ->capture_default_str();
  app.add_option("--metrics-bind-address", flags.metrics_bind, "address for /metrics (\"\" = off)")
      ->capture_default_str();
  app.add_option("--node-label-selector", flags.node_label_selector, "only nodes matching k=v,...");
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig (else $KUBECONFIG, in-cluster, ~/.kube/config)");
  app.add_option("--device-config-file", flags.device_config_file, "HAMi device-config.yaml");
  app.add_option("--node-lock-timeout", flags.node_lock_timeout, "node lock expiry, e.g. 5m")
      ->capture_default_str();
  app.add_option("--force-overwrite-default-scheduler", flags.force_overwrite_default_scheduler,
                 "rewrite schedulerName default-scheduler to --scheduler-name")
      ->capture_default_str();
  app.add_option("--kube-qps", flags.kube_qps, "API client QPS")->capture_default_str();
  app.add_option("--kube-burst", flags.kube_burst, "API client burst")->capture_default_str();
  app.add_option("--kube-timeout", flags.kube_timeout_s, "API request timeout, seconds")
      ->capture_default_str();
  app.add_flag("--debug", flags.debug, "debug logging");
  app.add_flag("--legacy-metrics", flags.legacy_metrics,
               "also export the pre-2.5 metric names (GPUDeviceMemoryLimit, ...)");
  app.add_flag("--success-events", flags.success_events,
               "also record FilteringSucceed and BindingSucceed events (upstream does; they repeat "
               "kube-scheduler's Scheduled event at two API writes per pod)");
  hami::apps::AddVerbosityFlag(app, &flags.verbosity);
  hami::apps::AddVendorFlags(app, &flags.vendor_flags);
  AddIsolationFlags(app, &flags.isolation);
  AddWebUiFlags(app, &flags);
  app.add_option("--leader-elect", flags.leader_elect,
                 "elect a leader through a Lease so several replicas can run")
      ->capture_default_str();
  app.add_option("--leader-elect-resource-name", flags.leader_elect_resource_name, "Lease name")
      ->capture_default_str();
  app.add_option("--leader-elect-resource-namespace", flags.leader_elect_resource_namespace,
                 "Lease namespace (default $POD_NAMESPACE, else kube-system)");
  hami::apps::GoArgs args(argc, argv);
  CLI11_PARSE(app, args.argc(), args.argv());
  return Run(flags);
}
