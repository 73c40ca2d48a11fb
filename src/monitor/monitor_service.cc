#include "monitor/monitor_service.h"

#include "base/log.h"
#include "monitor/collector.h"
#include "monitor/region_trust.h"
#include "net/prometheus_text.h"

namespace hami::monitor {

MonitorService::MonitorService(MonitorConfig config, k8s::KubeApi* api)
    : config_(std::move(config)),
      scanner_(ScannerOptions{
          config_.hook_path,
          std::chrono::duration_cast<std::chrono::system_clock::duration>(config_.resync)}),
      faults_(scanner_.containers_dir()) {
  if (api != nullptr) pods_ = std::make_unique<PodSource>(api, config_.node_name, config_.env);
}

MonitorService::~MonitorService() { Stop(); }

base::Status MonitorService::Start() {
  if (base::Status s = nvml_.Open(config_.nvml_library); !s.ok()) {
    base::LogWarn("NVML unavailable: host GPU metrics disabled", {{"error", s.message()}});
  }
  if (pods_) {
    pods_->Start();
  } else {
    base::LogWarn("no Kubernetes API configured: exporting regions without pod names, no cleanup");
  }
  RunRound();
  net::HttpServerOptions options;
  options.bind_address = config_.metrics_bind;
  options.threads = 4;
  http_ = std::make_unique<net::HttpServer>(options);
  http_->Handle("GET", "/metrics", [this](const net::HttpRequest&) {
    net::HttpResponse r;
    r.content_type = net::kPrometheusContentType;
    r.body = RenderMetricsText();
    return r;
  });
  http_->Handle("GET", "/healthz", [](const net::HttpRequest&) {
    return net::HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
  });
  if (base::Status s = http_->Start(); !s.ok()) return s;
  base::LogInfo("serving metrics", {{"address", config_.metrics_bind},
                                    {"port", std::to_string(http_->port())},
                                    {"hook_path", config_.hook_path},
                                    {"node", config_.node_name}});
  loop_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
  return base::Status::Ok();
}

void MonitorService::Stop() {
  if (loop_.joinable()) {
    loop_.request_stop();
    loop_.join();
  }
  if (http_) http_->Stop();
  if (pods_) pods_->Stop();
}

void MonitorService::Loop(std::stop_token stop) {
  while (config_.env->SleepFor(config_.feedback_interval, stop)) RunRound();
}

void MonitorService::RunRound() {
  const auto start = config_.env->SteadyNow();
  PodPresence presence = pods_ ? pods_->Presence() : PodPresence{};
  // Removal candidates are confirmed against one fresh LIST per round (taken lazily).
  std::optional<base::Result<std::set<std::string>>> fresh;
  auto confirm = [&](const std::string& uid) {
    if (!fresh) {
      fresh = pods_->FreshUids();
      if (!fresh->ok()) {
        base::LogWarn("cannot confirm gone pods; keeping their directories",
                      {{"error", fresh->error().message()}});
      }
    }
    return fresh->ok() && (*fresh)->count(uid) == 0;
  };
  scanner_.Scan(presence, config_.env->WallNow(),
                pods_ ? RegionScanner::ConfirmGone(confirm) : nullptr);
  FeedbackStats stats = Feedback();
  rounds_.fetch_add(1);
  writes_.fetch_add(static_cast<uint64_t>(stats.writes));
  last_round_seconds_.store(
      std::chrono::duration<double>(config_.env->SteadyNow() - start).count());
}

FeedbackStats MonitorService::Feedback() {
  const std::optional<std::vector<PodRef>> pods =
      pods_ ? pods_->Pods() : std::optional<std::vector<PodRef>>();
  const PodIndex index(pods);
  const std::map<std::string, uint64_t> device_memory = DeviceMemoryByUuid(nvml_.Read());
  const int64_t now = config_.env->UnixSeconds();
  std::map<std::string, std::vector<RegionFault>> faults;
  FeedbackStats stats = scanner_.Feedback([&](const RegionSample& s) {
    Verdict v = VerifyRegion(s.reading, index.Lookup(s.pod_uid, s.container), device_memory, now);
    if (!v.faults.empty()) faults[s.dir] = std::move(v.faults);
    return v.feedback;
  });
  faults_.Round(faults);
  return stats;
}

Snapshot MonitorService::Collect() {
  MonitorStats stats;
  stats.regions_by_layout = scanner_.RegionsByLayout();
  stats.region_errors = scanner_.errors();
  stats.region_faults = faults_.Counts();
  stats.dirs_removed = scanner_.dirs_removed();
  stats.feedback_rounds = rounds_.load();
  stats.feedback_writes = writes_.load();
  stats.last_scan_seconds = last_round_seconds_.load();
  stats.api_configured = pods_ != nullptr;
  std::optional<std::vector<PodRef>> pods;
  if (pods_) pods = pods_->Pods();
  stats.pods_synced = pods.has_value();
  return BuildSnapshot(config_.node_name, config_.env->UnixSeconds(), nvml_.Read(), scanner_.Read(),
                       pods, std::move(stats));
}

std::string MonitorService::RenderMetricsText() {
  RenderOptions options;
  options.legacy = config_.legacy_metrics;
  options.build = config_.build;
  return RenderMetrics(Collect(), options);
}

}  // namespace hami::monitor
