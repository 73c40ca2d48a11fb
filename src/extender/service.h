// SchedulerService: hami-scheduler's wiring of the pure parts to the outside world.
//
// Owns the SchedulerCache, fed by informers on Nodes, Pods and ResourceQuotas (list+watch, so a
// restart rebuilds every booking from annotations); serves /filter, /bind, /healthz, /readyz and
// the routes added with Handle() (hami-scheduler adds /webhook: apps/hami_scheduler_main.cc) on
// one HTTP(S) server and /metrics on another; records Events from a bounded background
// queue so /filter never waits on the API server; expires assumptions that never got a /bind.
// /filter decides only for pods the API server has under the UID sent (pod_identity.h); /bind
// binds only what /filter decided (Binder::Bind). /filter before the caches are ready waits for
// them (informer sync, leadership: signalled, not polled) up to kFilterReadyTimeout.
// Every clock read, sleep and timed wait of the service and of what it owns (informers, elector,
// node locks, event pacing, expiry) goes through ServiceConfig::env.
// Start() once, Stop() once (also from the destructor). Handlers are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/build_info.h"
#include "base/env.h"
#include "extender/bind.h"
#include "extender/event_queue.h"
#include "extender/filter.h"
#include "extender/scheduler_cache.h"
#include "k8s/informer.h"
#include "k8s/kube_api.h"
#include "k8s/leader_election.h"
#include "net/http_server.h"
#include "net/latency_histogram.h"
#include "vendor/registry.h"

namespace hami::extender {

// The /metrics server: 2 workers, 256 connections (scrapers are few; the cap keeps a flood of
// connections from holding more than a bounded amount of memory).
net::HttpServerOptions MetricsHttpOptions();

struct ServiceConfig {
  net::HttpServerOptions http;  // --http_bind, --cert_file/--key_file
  // Who may call /filter and /bind (kube-scheduler): TLS clients with a certificate from the CA,
  // CN among the names (--extender-client-ca-file, --extender-client-names); unset = anyone who
  // reaches the port. Routes added with Handle() carry their own policy.
  std::optional<net::ClientCertPolicy> extender_clients;
  std::string metrics_bind = ":9395";  // --metrics-bind-address ("" disables)
  net::HttpServerOptions metrics_http = MetricsHttpOptions();  // bind_address from metrics_bind
  FilterConfig filter;
  BindConfig bind;
  std::string node_label_selector;  // --node-label-selector
  // --leader-elect: only the Lease holder answers /filter and /bind (others report not ready and
  // return an error, so kube-scheduler retries); unset = always leader.
  std::optional<k8s::LeaderElectionConfig> leader_election;
  EventQueueConfig events;  // pacing and bound of the events below
  // --success-events: also record kFilteringSucceed and kBindingSucceed, as upstream does. Off by
  // default: they repeat kube-scheduler's own Scheduled event and cost two API writes per pod.
  // The failure events (kFilteringFailed, kBindingFailed) are always recorded.
  bool success_events = false;
  bool legacy_metrics = false;  // --legacy-metrics: also the pre-2.5 metric names
  // How often every node's vendor handshakes are judged again and owed stamps are written
  // (upstream's 15 s registration loop).
  std::chrono::milliseconds register_interval{std::chrono::seconds(15)};
  base::BuildInfo build;  // hami_build_info labels
  // Called after each /filter decided for a pod (the API server's copy) with its result, on the
  // handler's thread; must be quick and thread-safe (the web UI records pending reasons).
  std::function<void(const nlohmann::json& pod, const FilterResult& result)> on_filter;
  // Clocks and sleeps of the service and everything it owns; replaces bind.env,
  // leader_election->env and the informers' env.
  base::Env* env = base::Env::Default();
};

// How long /filter waits for the caches to sync (and, with leader election, for leadership)
// before answering an error; kube-scheduler's extender call times out about then.
inline constexpr std::chrono::seconds kFilterReadyTimeout{30};

class SchedulerService {
 public:
  SchedulerService(k8s::KubeApi& api, const vendor::Registry& registry, ServiceConfig config);
  ~SchedulerService();

  // Serves `handler` for `method` and `path` on the /filter server too, reachable only by TLS
  // clients `clients` accepts when set (net::HttpServer::Handle). Before Start() only. The
  // handler runs concurrently; what it refers to must outlive this service.
  void Handle(const std::string& method, const std::string& path, net::HttpHandler handler,
              std::optional<net::ClientCertPolicy> clients = std::nullopt);

  base::Status Start();
  void Stop();
  bool Ready() const;  // informers synced and (with leader election) leading
  // Waits until Ready() or `deadline` (on config.env's steady clock); returns Ready(). Wakes on
  // the informers' sync and the elector's leadership changes. Only after Start().
  bool WaitUntilReady(base::Env::SteadyTime deadline);
  int http_port() const { return http_ ? http_->port() : 0; }
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }
  SchedulerCache& cache() { return cache_; }
  // The informers' node and pod objects (copies; empty before Start()), and a counter that moves
  // whenever either changed (for readers that rebuild views only on change).
  std::vector<nlohmann::json> NodeObjects() const;
  std::vector<nlohmann::json> PodObjects() const;
  uint64_t ObjectGeneration() const { return object_generation_.load(); }

  // The /metrics body (upstream's scheduler metric names, hami-wire §6.1).
  std::string RenderMetrics() const;

 private:
  net::HttpResponse HandleFilter(const net::HttpRequest& request);
  net::HttpResponse HandleBind(const net::HttpRequest& request);
  void OnPod(const nlohmann::json& pod);
  void OnPodDeleted(const nlohmann::json& pod);
  // Registers the node with its vendors' handshakes judged now; returns the handshake stamps owed.
  std::map<std::string, std::string> OnNode(const nlohmann::json& node);
  void OnQuota(const nlohmann::json& quota);
  void RecordEvent(const nlohmann::json& involved, k8s::EventSpec spec);
  void EventLoop(std::stop_token stop);
  void ExpiryLoop(std::stop_token stop);
  // Every register_interval: judge every node's handshakes again (a plugin that stops answering
  // is noticed without a node event) and, as leader, write the Requesting stamps owed.
  void RegisterLoop(std::stop_token stop);

  k8s::KubeApi& api_;
  const vendor::Registry& registry_;
  ServiceConfig config_;
  SchedulerCache cache_;
  Binder binder_;
  std::unique_ptr<k8s::Informer> nodes_;
  std::unique_ptr<k8s::Informer> pods_;
  std::unique_ptr<k8s::Informer> quotas_;
  std::unique_ptr<k8s::LeaderElector> elector_;
  net::HttpRoutes routes_;  // added with Handle(), registered on http_ by Start()
  std::unique_ptr<net::HttpServer> http_;
  std::unique_ptr<net::HttpServer> metrics_;

  EventQueue events_;
  std::atomic<uint64_t> object_generation_{0};
  std::atomic<uint64_t> filters_{0}, filter_failures_{0}, binds_{0}, bind_failures_{0};
  net::LatencyHistogram filter_latency_, bind_latency_;  // handler time, request parsed to reply
  std::jthread event_thread_;
  std::jthread expiry_thread_;
  std::jthread register_thread_;
};

}  // namespace hami::extender
