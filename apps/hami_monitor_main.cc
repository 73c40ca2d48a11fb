// hami-monitor: the node monitor (DaemonSet). Reads the containers' shared regions under the hook
// path, exports /metrics (upstream HAMi's vGPU monitor names, hami-wire §6.2), runs the priority
// feedback, removes directories of pods gone from the node. Flags: /work/notes/contracts.md and
// docs/monitor.md. main builds the config and wires; the logic lives in src/monitor.
#include <unistd.h>

#include <csignal>
#include <iostream>

#include <CLI/CLI.hpp>

#include "apps/daemon.h"
#include "apps/go_flags.h"
#include "base/build_info.h"
#include "base/duration.h"
#include "base/env.h"
#include "base/log.h"
#include "base/strings.h"
#include "k8s/client_config.h"
#include "k8s/http_kube_api.h"
#include "monitor/metrics.h"
#include "monitor/monitor_service.h"

namespace {

struct Flags {
  std::string hook_path;
  std::string metrics_bind = ":9394";
  std::string node_name;
  std::string kubeconfig;
  std::string nvml_library = "libnvidia-ml.so.1";
  std::string resync_interval;
  std::string feedback_interval = "5s";
  bool legacy_metrics = false;
  bool list_metrics = false;
  bool debug = false;
  int verbosity = 0;  // klog -v (upstream compatibility); >= 4 means debug logging
};

// Go-style durations: "500ms", "5s", "1m30s", "2h"; a bare number is seconds.
int Run(const Flags& flags) {
  if (flags.debug || flags.verbosity >= 4) hami::base::SetLogLevel(hami::base::LogLevel::kDebug);
  if (flags.list_metrics) {
    for (const std::string& name : hami::monitor::MetricNames(flags.legacy_metrics)) {
      std::cout << name << "\n";
    }
    return 0;
  }
  auto resync = hami::base::ParseDuration(flags.resync_interval);
  auto feedback = hami::base::ParseDuration(flags.feedback_interval);
  for (const auto* d : {&resync, &feedback}) {
    if (!d->ok()) {
      hami::base::LogError("bad flag", {{"error", d->error().message()}});
      return 1;
    }
  }
  if (feedback->count() <= 0) {
    hami::base::LogError("--feedback-interval must be positive");
    return 1;
  }
  hami::monitor::MonitorConfig config;
  config.hook_path = flags.hook_path;
  config.metrics_bind = flags.metrics_bind;
  config.node_name = flags.node_name;
  config.nvml_library = flags.nvml_library;
  config.resync = *resync;
  config.feedback_interval = *feedback;
  config.legacy_metrics = flags.legacy_metrics;
  config.build = hami::base::CurrentBuild();
  if (config.node_name.empty()) {
    hami::base::LogWarn("no --node-name or NODE_NAME: pods cannot be matched to this node");
  }

  std::unique_ptr<hami::k8s::HttpKubeApi> api;
  auto client_config = hami::k8s::ResolveClientConfig(flags.kubeconfig);
  if (client_config.ok() && !config.node_name.empty()) {
    hami::k8s::ClientOptions options;
    options.user_agent = "hami-monitor";
    auto created = hami::k8s::HttpKubeApi::New(*client_config, options);
    if (!created.ok()) {
      hami::base::LogError("kubernetes client", {{"error", created.error().message()}});
      return 1;
    }
    api = std::move(*created);
    hami::base::LogInfo("kubernetes API", {{"source", client_config->source}});
  } else if (!client_config.ok() && !flags.kubeconfig.empty()) {
    hami::base::LogError("--kubeconfig", {{"error", client_config.error().message()}});
    return 1;
  } else if (!client_config.ok()) {
    hami::base::LogWarn("no kubernetes client config; running without pod names",
                        {{"reason", client_config.error().message()}});
  }

  const sigset_t signals = hami::apps::BlockTerminationSignals();

  hami::monitor::MonitorService service(config, api.get());
  return hami::apps::ServeUntilTerminated(service, signals);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hami-monitor: per-node vGPU metrics and priority feedback (HAMi-compatible)"};
  Flags flags;
  flags.hook_path = hami::base::Env::Default()->GetEnvOr("HOOK_PATH", "/usr/local/vgpu");
  flags.node_name = hami::base::Env::Default()->GetEnvOr("NODE_NAME", "");
  flags.resync_interval = hami::base::Env::Default()->GetEnvOr("HAMI_RESYNC_INTERVAL", "5m");
  app.add_option("--hook-path", flags.hook_path,
                 "directory holding containers/<podUID>_<container>/ (env HOOK_PATH)")
      ->capture_default_str();
  app.add_option("--metrics-bind-address", flags.metrics_bind, "address of /metrics")
      ->capture_default_str();
  app.add_option("--node-name", flags.node_name, "this node's name (env NODE_NAME)");
  app.add_option("--kubeconfig", flags.kubeconfig,
                 "kubeconfig; else $KUBECONFIG, in-cluster, ~/.kube/config; none = no pod names");
  app.add_option("--nvml-library", flags.nvml_library, "NVML library to dlopen")
      ->capture_default_str();
  app.add_option("--resync-interval", flags.resync_interval,
                 "pod cache resync and cleanup grace (env HAMI_RESYNC_INTERVAL)")
      ->capture_default_str();
  app.add_option("--feedback-interval", flags.feedback_interval,
                 "discovery + priority feedback period")
      ->capture_default_str();
  app.add_flag("--legacy-metrics", flags.legacy_metrics, "also export upstream's legacy names");
  app.add_flag("--list-metrics", flags.list_metrics, "print the metric names and exit");
  app.add_flag("--debug", flags.debug, "debug logging");
  hami::apps::AddVerbosityFlag(app, &flags.verbosity);
  hami::apps::GoArgs args(argc, argv);
  CLI11_PARSE(app, args.argc(), args.argv());
  return Run(flags);
}
