// WebUiService: the web UI of hami-scheduler (issue 17) on its own port (--webui-bind-address):
// the static pages (GET / and /ui/<file>, webui/assets.h) and the read-only JSON API v1
// (docs/webui-api.md) over the scheduler's cluster state (ClusterSource: its informers' caches),
// the node monitors' metrics (MonitorScraper) and the last /filter failure of each pending pod
// (RecordFilter, PendingTracker).
// The ClusterModel behind the API is rebuilt only when something changed (the source's
// generation, a scrape, a filter outcome), at most every `min_rebuild_interval`; requests share
// the latest one. /api/v1/stream sends an `update` event when that generation moved (checked
// every `stream_interval`) and a keepalive comment every `keepalive`; at most `max_streams` at
// once (503 beyond).
// Start() once, Stop() once (also from the destructor); Handle and RecordFilter are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/build_info.h"
#include "base/env.h"
#include "k8s/kube_api.h"
#include "net/http_server.h"
#include "vendor/registry.h"
#include "webui/auth.h"
#include "webui/cluster_model.h"
#include "webui/pending.h"
#include "webui/scraper.h"

namespace hami::webui {

// The cluster objects the UI reads. Each function is thread-safe; `generation` changes whenever
// the nodes or pods did.
struct ClusterSource {
  std::function<std::vector<nlohmann::json>()> nodes;
  std::function<std::vector<nlohmann::json>()> pods;
  std::function<uint64_t()> generation;
};

// The web UI's HTTP server: 4 workers, 256 connections, 64 KiB bodies (GET only).
net::HttpServerOptions WebUiHttpOptions();

struct WebUiConfig {
  std::string bind_address = ":9396";  // --webui-bind-address
  net::HttpServerOptions http = WebUiHttpOptions();
  AuthConfig auth;        // --webui-auth
  ScraperConfig scraper;  // --monitor-port, --webui-scrape-interval
  bool scrape = true;     // false: no scraper thread (tests drive ScrapeOnce through scraper())
  FetchFn fetch;          // unset: HttpFetch
  base::BuildInfo build;  // /api/version
  std::chrono::milliseconds min_rebuild_interval{1000};
  std::chrono::milliseconds stream_interval{2000};
  std::chrono::milliseconds keepalive{15000};
  size_t max_streams = 64;
  int64_t max_events = 50;                // Events listed in a pod's detail
  base::Env* env = base::Env::Default();  // replaces auth.env and scraper.env
};

class WebUiService {
 public:
  // `registry` and `api` must outlive the service. `api` lists a pod's Events and makes the
  // token and access reviews of --webui-auth=token.
  WebUiService(ClusterSource source, const vendor::Registry& registry, k8s::KubeApi* api,
               WebUiConfig config);
  ~WebUiService();

  base::Status Start();
  void Stop();
  int port() const { return http_ ? http_->port() : 0; }

  // hami-scheduler's /filter outcome for `pod` (the API server's copy): `placed` when it chose a
  // node, else `failed_nodes` (node -> rendered reasons) and `error`.
  void RecordFilter(const nlohmann::json& pod,
                    const std::map<std::string, std::string>& failed_nodes,
                    const std::string& error, bool placed);

  // Every route, as the server calls it (also for tests without a socket).
  net::HttpResponse Handle(const net::HttpRequest& request);
  // The current model (rebuilt first when stale).
  std::shared_ptr<const ClusterModel> Model();
  MonitorScraper& scraper() { return *scraper_; }

 private:
  uint64_t Generation() const;
  std::vector<ScrapeTarget> Targets();
  net::HttpResponse Api(const net::HttpRequest& request);
  net::HttpResponse Stream(const net::HttpRequest& request);
  net::HttpResponse PodDetail(const ClusterModel& model, const std::string& ns,
                              const std::string& name);
  void StreamLoop(std::stop_token stop);

  const ClusterSource source_;
  const vendor::Registry& registry_;
  k8s::KubeApi* api_;
  const WebUiConfig config_;
  Authorizer auth_;
  PendingTracker pending_;
  std::unique_ptr<MonitorScraper> scraper_;
  std::unique_ptr<net::HttpServer> http_;

  std::mutex build_mu_;  // one rebuild at a time
  std::mutex model_mu_;  // guards model_, built_at_
  std::shared_ptr<const ClusterModel> model_;
  base::Env::SteadyTime built_at_{};

  std::mutex streams_mu_;
  std::vector<std::shared_ptr<net::HttpStream>> streams_;  // guarded by streams_mu_
  std::jthread stream_thread_;
};

}  // namespace hami::webui
