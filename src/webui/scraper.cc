#include "webui/scraper.h"

#include <httplib.h>

#include <set>

#include "base/log.h"
#include "monitor/smi.h"

namespace hami::webui {

FetchFn HttpFetch(size_t max_bytes) {
  return [max_bytes](const std::string& url,
                     std::chrono::milliseconds timeout) -> base::Result<std::string> {
    const size_t scheme = url.find("://");
    const size_t path_at = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    httplib::Client client(url.substr(0, path_at));
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    std::string body;
    bool too_big = false;
    auto res = client.Get(url.substr(path_at), [&](const char* data, size_t n) {
      if (body.size() + n > max_bytes) {
        too_big = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (too_big) return base::Unavailable(url + ": answer larger than the limit");
    if (!res) return base::Unavailable(url + ": " + httplib::to_string(res.error()));
    if (res->status != 200) return base::Unavailable(url + ": HTTP " + std::to_string(res->status));
    return body;
  };
}

MonitorScraper::MonitorScraper(ScraperConfig config,
                               std::function<std::vector<ScrapeTarget>()> targets, FetchFn fetch)
    : config_(config), targets_(std::move(targets)), fetch_(std::move(fetch)) {}

MonitorScraper::~MonitorScraper() { Stop(); }

void MonitorScraper::Start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    do {
      ScrapeOnce();
    } while (config_.env->SleepFor(config_.interval, stop));
  });
}

void MonitorScraper::Stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

void MonitorScraper::ScrapeOnce() {
  const std::vector<ScrapeTarget> targets = targets_();
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) Scrape(targets[i]);
  };
  {
    std::vector<std::jthread> helpers;
    const size_t n = std::min(config_.workers, targets.size());
    for (size_t i = 1; i < n; ++i) helpers.emplace_back(work);
    work();
  }
  std::set<std::string> live;
  for (const ScrapeTarget& t : targets) live.insert(t.node);
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(reports_, [&](const auto& entry) { return live.count(entry.first) == 0; });
  // A GPU's history goes with the last snapshot that lists it (its node left, or it was removed).
  std::set<std::string> listed;
  for (const auto& [node, report] : reports_) {
    if (!report.snapshot) continue;
    for (const monitor::HostGpu& g : report.snapshot->gpus) listed.insert(node + "/" + g.uuid);
  }
  std::erase_if(history_, [&](const auto& entry) { return listed.count(entry.first) == 0; });
  generation_++;
}

void MonitorScraper::Scrape(const ScrapeTarget& target) {
  const bool v6 = target.address.find(':') != std::string::npos;
  const std::string url = "http://" + (v6 ? "[" + target.address + "]" : target.address) + ":" +
                          std::to_string(config_.monitor_port) + "/metrics";
  base::Result<monitor::Snapshot> snapshot = [&]() -> base::Result<monitor::Snapshot> {
    HAMI_ASSIGN_OR_RETURN(std::string body, fetch_(url, config_.timeout));
    HAMI_ASSIGN_OR_RETURN(auto samples, monitor::ParsePrometheusText(body));
    return monitor::SnapshotFromMetrics(samples, target.node);
  }();
  const int64_t now = config_.env->UnixSeconds();
  std::lock_guard<std::mutex> lock(mu_);
  MonitorReport& report = reports_[target.node];
  if (!snapshot.ok()) {
    if (report.reachable || report.error.empty()) {
      base::LogDebug("monitor unreachable",
                     {{"node", target.node}, {"error", snapshot.error().message()}});
    }
    report.reachable = false;
    report.error = snapshot.error().message();
    return;
  }
  for (const monitor::HostGpu& g : snapshot->gpus) {
    auto [it, added] = history_.try_emplace(target.node + "/" + g.uuid, config_.history_points);
    std::optional<double> util;
    if (g.utilization_gpu) util = *g.utilization_gpu;
    it->second.Add({now, util, g.memory_used});
  }
  report.snapshot = *std::move(snapshot);
  report.reachable = true;
  report.scraped_at = now;
  report.error.clear();
}

MonitorReports MonitorScraper::Reports() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reports_;
}

std::vector<HistoryPoint> MonitorScraper::History(const std::string& node,
                                                  const std::string& uuid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = history_.find(node + "/" + uuid);
  return it == history_.end() ? std::vector<HistoryPoint>{} : it->second.Points();
}

}  // namespace hami::webui
