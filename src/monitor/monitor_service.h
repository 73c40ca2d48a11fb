// MonitorService: hami-monitor's wiring. Owns the RegionScanner, the NVML reader, the optional
// PodSource and the /metrics HTTP server; a background thread runs discovery, cleanup and the
// priority feedback every feedback_interval.
//
// Scrapes read the mapped regions and NVML live (so a known container's usage is current at every
// scrape); new containers appear after the next discovery round, i.e. within one interval.
// Every region is checked against its container's grant before it is acted on or exported
// (region_trust.h); faults are logged and counted by the round that finds them (fault_log.h).
// Without an API client the monitor exports what the regions say within physical bounds (pod
// label = pod UID), runs no priority feedback, and never deletes directories. Start() once,
// Stop() once (also from the destructor); thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "base/env.h"
#include "k8s/kube_api.h"
#include "monitor/fault_log.h"
#include "monitor/metrics.h"
#include "monitor/nvml_host.h"
#include "monitor/pod_source.h"
#include "monitor/region_scanner.h"
#include "net/http_server.h"

namespace hami::monitor {

struct MonitorConfig {
  std::string hook_path = "/usr/local/vgpu";
  std::string metrics_bind = ":9394";
  std::string node_name;
  std::string nvml_library = "libnvidia-ml.so.1";
  std::chrono::milliseconds resync{std::chrono::minutes(5)};
  std::chrono::milliseconds feedback_interval{std::chrono::seconds(5)};
  bool legacy_metrics = false;
  BuildInfo build;
  // Clocks and sleeps of the feedback loop, the pod informers' backoff and the snapshots' times.
  base::Env* env = base::Env::Default();
};

class MonitorService {
 public:
  // `api` may be null (no kubeconfig and not in a cluster); otherwise it must outlive the service.
  MonitorService(MonitorConfig config, k8s::KubeApi* api);
  ~MonitorService();

  base::Status Start();
  void Stop();
  int metrics_port() const { return http_ ? http_->port() : 0; }

  // The current snapshot and its Prometheus text.
  Snapshot Collect();
  std::string RenderMetricsText();
  // One discovery + cleanup + feedback round (the loop calls this; tests may too).
  void RunRound();

 private:
  void Loop(std::stop_token stop);
  // One feedback round over the regions region_trust.h admits; their faults go to faults_.
  FeedbackStats Feedback();

  MonitorConfig config_;
  RegionScanner scanner_;
  FaultLog faults_;
  NvmlHost nvml_;
  std::unique_ptr<PodSource> pods_;
  std::unique_ptr<net::HttpServer> http_;
  std::jthread loop_;
  std::atomic<uint64_t> rounds_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<double> last_round_seconds_{0};
};

}  // namespace hami::monitor
