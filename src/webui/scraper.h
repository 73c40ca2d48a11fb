// MonitorScraper: fetches each GPU node's hami-monitor /metrics
// (http://<InternalIP>:<port>/metrics) every `interval` on a bounded set of workers (never a thread
// per node), keeps per node the last good snapshot with its time and whether the last try worked,
// and per GPU a ring of recent utilization and memory used for charts. An unreachable monitor is
// reported, never fatal. Start() once, Stop() once (also from the destructor); every method is
// thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/env.h"
#include "base/result.h"
#include "webui/cluster_model.h"
#include "webui/history.h"

namespace hami::webui {

struct ScraperConfig {
  int monitor_port = 9394;                                       // --monitor-port
  std::chrono::milliseconds interval{std::chrono::seconds(15)};  // --webui-scrape-interval
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};    // per fetch
  size_t workers = 8;
  size_t history_points = 240;        // 1 h at 15 s
  size_t max_body_bytes = 16u << 20;  // a larger /metrics answer is refused
  base::Env* env = base::Env::Default();
};

struct ScrapeTarget {
  std::string node;
  std::string address;  // InternalIP (an IPv6 address is bracketed in the URL)
};

// GETs `url` within `timeout`; the body, or why not.
using FetchFn = std::function<base::Result<std::string>(const std::string& url,
                                                        std::chrono::milliseconds timeout)>;
// The real fetch (cpp-httplib), refusing bodies over `max_bytes`.
FetchFn HttpFetch(size_t max_bytes);

class MonitorScraper {
 public:
  // `targets` is asked at every round for the nodes to scrape.
  MonitorScraper(ScraperConfig config, std::function<std::vector<ScrapeTarget>()> targets,
                 FetchFn fetch);
  ~MonitorScraper();
  MonitorScraper(const MonitorScraper&) = delete;
  MonitorScraper& operator=(const MonitorScraper&) = delete;

  void Start();
  void Stop();
  // One round now, on the calling thread plus up to config.workers - 1 helpers; returns when
  // every target was tried. Nodes no longer among the targets are forgotten, and so is the
  // history of every GPU no remaining snapshot lists.
  void ScrapeOnce();

  MonitorReports Reports() const;
  std::vector<HistoryPoint> History(const std::string& node, const std::string& uuid) const;
  // Bumped after every round that changed something.
  uint64_t generation() const { return generation_.load(); }

 private:
  void Scrape(const ScrapeTarget& target);

  const ScraperConfig config_;
  const std::function<std::vector<ScrapeTarget>()> targets_;
  const FetchFn fetch_;
  mutable std::mutex mu_;
  MonitorReports reports_;                     // guarded by mu_
  std::map<std::string, GpuHistory> history_;  // by "<node>/<GPU UUID>"; guarded by mu_
  std::atomic<uint64_t> generation_{0};
  std::jthread thread_;
};

}  // namespace hami::webui
