#include "extender/service.h"

#include "base/log.h"
#include "base/quantity.h"
#include "codec/json_util.h"
#include "codec/k8s_object.h"
#include "extender/pod_identity.h"
#include "k8s/resource_path.h"
#include "vendor/cluster_state.h"

namespace hami::extender {
namespace {

net::HttpResponse Json(int status, std::string body) {
  return {status, "application/json", std::move(body)};
}

// The status of a /filter or /bind answer whose body could not be parsed: 400 when it is nested
// deeper than JSON from outside may be (issue 14: a crash before), else 200 with the error in the
// result, as upstream answers kube-scheduler.
int BadBodyStatus(std::string_view body) { return codec::JsonDepthWithin(body) ? 200 : 400; }

// The service's Env is the one of everything it configures.
ServiceConfig WithOneEnv(ServiceConfig config) {
  config.bind.env = config.env;
  if (config.leader_election) config.leader_election->env = config.env;
  return config;
}

}  // namespace

net::HttpServerOptions MetricsHttpOptions() {
  net::HttpServerOptions options;
  options.threads = 2;
  options.max_connections = 256;
  options.max_body_bytes = 64 << 10;
  return options;
}

SchedulerService::SchedulerService(k8s::KubeApi& api, const vendor::Registry& registry,
                                   ServiceConfig config)
    : api_(api),
      registry_(registry),
      config_(WithOneEnv(std::move(config))),
      cache_(registry),
      binder_(api, cache_, registry, config_.bind),
      events_(config_.events, config_.env) {}

SchedulerService::~SchedulerService() { Stop(); }

void SchedulerService::Handle(const std::string& method, const std::string& path,
                              net::HttpHandler handler,
                              std::optional<net::ClientCertPolicy> clients) {
  routes_[{method, path}] = net::HttpRoute{std::move(handler), std::move(clients)};
}

base::Status SchedulerService::Start() {
  k8s::InformerOptions node_options;
  node_options.collection = k8s::NodesPath();
  node_options.label_selector = config_.node_label_selector;
  node_options.name = "nodes";
  node_options.env = config_.env;
  nodes_ = std::make_unique<k8s::Informer>(
      &api_, node_options,
      k8s::InformerHandlers{[this](const nlohmann::json& n) { OnNode(n); },
                            [this](const nlohmann::json&, const nlohmann::json& n) { OnNode(n); },
                            [this](const nlohmann::json& n) {
                              object_generation_++;
                              cache_.DeleteNode(n["metadata"].value("name", ""));
                            },
                            [this](const std::vector<nlohmann::json>& all) {
                              for (const auto& n : all) OnNode(n);
                            }});
  k8s::InformerOptions pod_options;
  pod_options.collection = k8s::PodsPath("");
  pod_options.name = "pods";
  pod_options.env = config_.env;
  pods_ = std::make_unique<k8s::Informer>(
      &api_, pod_options,
      k8s::InformerHandlers{[this](const nlohmann::json& p) { OnPod(p); },
                            [this](const nlohmann::json&, const nlohmann::json& p) { OnPod(p); },
                            [this](const nlohmann::json& p) { OnPodDeleted(p); },
                            [this](const std::vector<nlohmann::json>& all) {
                              for (const auto& p : all) OnPod(p);
                            }});
  k8s::InformerOptions quota_options;
  quota_options.collection = {"v1", "resourcequotas", "", "", ""};
  quota_options.name = "resourcequotas";
  quota_options.env = config_.env;
  quotas_ = std::make_unique<k8s::Informer>(
      &api_, quota_options,
      k8s::InformerHandlers{[this](const nlohmann::json& q) { OnQuota(q); },
                            [this](const nlohmann::json&, const nlohmann::json& q) { OnQuota(q); },
                            nullptr,
                            [this](const std::vector<nlohmann::json>& all) {
                              for (const auto& q : all) OnQuota(q);
                            }});
  nodes_->Start();
  pods_->Start();
  quotas_->Start();
  if (config_.leader_election) {
    elector_ = std::make_unique<k8s::LeaderElector>(
        &api_, *config_.leader_election,
        k8s::LeaderCallbacks{[] { base::LogInfo("became leader"); },
                             [] {
                               // Assumptions made as leader may be written by the next leader from
                               // scratch.
                               base::LogWarn("stopped leading");
                             },
                             [](const std::string& holder) {
                               base::LogInfo("leader", {{"holder", holder}});
                             }});
    elector_->Start();
  }

  http_ = std::make_unique<net::HttpServer>(config_.http);
  http_->Handle(
      "POST", "/filter", [this](const net::HttpRequest& r) { return HandleFilter(r); },
      config_.extender_clients);
  http_->Handle(
      "POST", "/bind", [this](const net::HttpRequest& r) { return HandleBind(r); },
      config_.extender_clients);
  http_->Handle("GET", "/healthz", [](const net::HttpRequest&) { return Json(200, ""); });
  http_->Handle("GET", "/readyz", [this](const net::HttpRequest&) {
    return Ready() ? Json(200, "ok") : Json(503, "informers not synced");
  });
  for (auto& [route, entry] : routes_) {
    http_->Handle(route.first, route.second, entry.handler, entry.client);
  }
  HAMI_RETURN_IF_ERROR(http_->Start());
  if (!config_.metrics_bind.empty()) {
    net::HttpServerOptions options = config_.metrics_http;
    options.bind_address = config_.metrics_bind;
    metrics_ = std::make_unique<net::HttpServer>(options);
    metrics_->Handle("GET", "/metrics", [this](const net::HttpRequest&) {
      return net::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", RenderMetrics()};
    });
    HAMI_RETURN_IF_ERROR(metrics_->Start());
  }
  event_thread_ = std::jthread([this](std::stop_token stop) { EventLoop(stop); });
  expiry_thread_ = std::jthread([this](std::stop_token stop) { ExpiryLoop(stop); });
  register_thread_ = std::jthread([this](std::stop_token stop) { RegisterLoop(stop); });
  base::LogInfo("hami-scheduler serving", {{"http", config_.http.bind_address},
                                           {"port", std::to_string(http_->port())},
                                           {"tls", config_.http.tls ? "true" : "false"}});
  return {};
}

void SchedulerService::Stop() {
  if (http_) http_->Stop();
  if (elector_) elector_->Stop();
  if (metrics_) metrics_->Stop();
  for (auto* informer : {nodes_.get(), pods_.get(), quotas_.get()}) {
    if (informer) informer->Stop();
  }
  event_thread_.request_stop();
  expiry_thread_.request_stop();
  register_thread_.request_stop();
  events_.Wake();
  if (event_thread_.joinable()) event_thread_.join();
  if (expiry_thread_.joinable()) expiry_thread_.join();
  if (register_thread_.joinable()) register_thread_.join();
}

bool SchedulerService::Ready() const {
  if (elector_ && !elector_->IsLeader()) return false;
  return nodes_ && pods_ && nodes_->HasSynced() && pods_->HasSynced();
}

bool SchedulerService::WaitUntilReady(base::Env::SteadyTime deadline) {
  auto remaining = [&] {
    return std::chrono::ceil<std::chrono::milliseconds>(deadline - config_.env->SteadyNow());
  };
  while (!Ready()) {
    if (remaining().count() <= 0) return false;
    // Each wait ends early on its own signal; false means the deadline passed or Stop().
    if (!nodes_->WaitForSync(remaining()) || !pods_->WaitForSync(remaining()) ||
        (elector_ && !elector_->WaitForLeadership(remaining()))) {
      return Ready();
    }
  }
  return true;
}

net::HttpResponse SchedulerService::HandleFilter(const net::HttpRequest& request) {
  filters_++;
  net::ScopedLatency timer(filter_latency_);
  // Upstream waits for the first registration pass; so do we (bounded by kube-scheduler's timeout).
  WaitUntilReady(config_.env->SteadyNow() + kFilterReadyTimeout);
  FilterResult result;
  auto args = ParseFilterArgs(request.body);
  if (!args.ok()) {
    result.error = args.error().message();
    return Json(BadBodyStatus(request.body), RenderFilterResult(result));
  }
  if (!Ready()) {
    result.error = elector_ && !elector_->IsLeader()
                       ? "hami-scheduler: this replica is not the leader"
                       : "hami-scheduler: node and pod caches are not synced yet";
    return Json(200, RenderFilterResult(result));
  }
  auto pod = VerifyFilteredPod(
      args->pod, [this](const std::string& key) { return pods_->Get(key); }, api_);
  if (!pod.ok()) {
    filter_failures_++;
    base::LogWarn("filter refused", {{"error", pod.error().message()}});
    result.error = "hami-scheduler: " + pod.error().message();
    return Json(200, RenderFilterResult(result));
  }
  args->pod = *std::move(pod);
  FilterOutcome out = Filter(cache_, registry_, config_.filter, *args, config_.env->SteadyNow());
  if (!out.result.error.empty() || !out.result.node_names) filter_failures_++;
  if (config_.on_filter) config_.on_filter(args->pod, out.result);
  const bool failed = out.event_reason == kFilteringFailed;
  if (!out.event_reason.empty() && (failed || config_.success_events)) {
    RecordEvent(args->pod, {out.event_reason, out.event_message, failed ? "Warning" : "Normal"});
  }
  return Json(200, RenderFilterResult(out.result));
}

net::HttpResponse SchedulerService::HandleBind(const net::HttpRequest& request) {
  binds_++;
  net::ScopedLatency timer(bind_latency_);
  auto args = ParseBindArgs(request.body);
  if (!args.ok()) {
    return Json(BadBodyStatus(request.body), RenderBindResult(args.error().message()));
  }
  if (elector_ && !elector_->IsLeader()) {
    return Json(200, RenderBindResult("hami-scheduler: this replica is not the leader"));
  }
  nlohmann::json involved = {
      {"kind", "Pod"},
      {"metadata",
       {{"name", args->pod_name}, {"namespace", args->pod_namespace}, {"uid", args->pod_uid}}}};
  base::Status status = binder_.Bind(*args);
  if (!status.ok()) {
    bind_failures_++;
    base::LogWarn("bind failed", {{"pod", args->pod_namespace + "/" + args->pod_name},
                                  {"node", args->node},
                                  {"error", status.message()}});
    RecordEvent(involved, {kBindingFailed, status.message(), "Warning"});
    return Json(200, RenderBindResult(status.message()));
  }
  if (config_.success_events) {
    RecordEvent(involved, {kBindingSucceed,
                           "Successfully binding node [" + args->node + "] to " +
                               args->pod_namespace + "/" + args->pod_name,
                           "Normal"});
  }
  return Json(200, RenderBindResult(""));
}

std::vector<nlohmann::json> SchedulerService::NodeObjects() const {
  return nodes_ ? nodes_->List() : std::vector<nlohmann::json>{};
}

std::vector<nlohmann::json> SchedulerService::PodObjects() const {
  return pods_ ? pods_->List() : std::vector<nlohmann::json>{};
}

std::map<std::string, std::string> SchedulerService::OnNode(const nlohmann::json& object) {
  object_generation_++;
  auto node = codec::NodeFromJson(object);
  if (!node.ok()) {
    base::LogWarn("node object rejected", {{"error", node.error().message()}});
    return {};
  }
  vendor::NodeHealth health = vendor::JudgeNode(*node, registry_, config_.env->UnixSeconds());
  base::Status status = cache_.UpsertNode(*node, health.dead_vendors);
  if (!status.ok() && status.code() != base::StatusCode::kNotFound) {
    base::LogWarn("node registration rejected",
                  {{"node", node->name}, {"error", status.message()}});
  }
  return std::move(health.writes);
}

void SchedulerService::OnPod(const nlohmann::json& object) {
  object_generation_++;
  auto pod = codec::PodFromJson(object);
  if (!pod.ok()) {
    base::LogWarn("pod object rejected", {{"error", pod.error().message()}});
    return;
  }
  base::Status status = cache_.UpsertPod(*pod, config_.env->UnixSeconds());
  if (!status.ok()) {
    base::LogWarn("pod allocation annotation rejected",
                  {{"pod", pod->Key()}, {"error", status.message()}});
  }
}

void SchedulerService::OnPodDeleted(const nlohmann::json& object) {
  object_generation_++;
  cache_.DeletePod(object["metadata"].value("uid", ""));
}

void SchedulerService::OnQuota(const nlohmann::json& object) {
  const std::string ns = object["metadata"].value("namespace", "");
  const nlohmann::json hard =
      object.value("spec", nlohmann::json::object()).value("hard", nlohmann::json::object());
  for (const auto& vendor : registry_.vendors()) {
    const vendor::QuotaResources names = vendor->Quota();
    std::optional<int64_t> mem, cores;
    if (auto it = hard.find("limits." + names.memory);
        !names.memory.empty() && it != hard.end() && it->is_string()) {
      auto mib = base::ParseMemoryMiB(it->get<std::string>());
      if (mib.ok()) mem = *mib * names.memory_factor;
    }
    if (auto it = hard.find("limits." + names.core);
        !names.core.empty() && it != hard.end() && it->is_string()) {
      auto value = base::ParseQuantityInt64(it->get<std::string>());
      if (value.ok()) cores = *value;
    }
    if (mem || cores) cache_.SetQuota(ns, vendor->Name(), mem, cores);
  }
}

void SchedulerService::RecordEvent(const nlohmann::json& involved, k8s::EventSpec spec) {
  if (!events_.Push(involved, std::move(spec)) && events_.dropped() % 100 == 1) {
    base::LogWarn("event queue full, dropping events",
                  {{"dropped", std::to_string(events_.dropped())}});
  }
}

void SchedulerService::EventLoop(std::stop_token stop) {
  while (auto next = events_.Pop(stop)) {
    nlohmann::json& involved = next->first;
    if (!involved.contains("kind")) involved["kind"] = "Pod";
    auto created = k8s::CreateEvent(api_, involved, next->second, config_.env);
    if (!created.ok()) {
      base::LogDebug("event not recorded",
                     {{"reason", next->second.reason}, {"error", created.error().message()}});
    }
  }
}

void SchedulerService::RegisterLoop(std::stop_token stop) {
  while (config_.env->SleepFor(config_.register_interval, stop)) {
    if (!nodes_ || !nodes_->HasSynced()) continue;
    const bool leading = !elector_ || elector_->IsLeader();
    for (const auto& object : nodes_->List()) {
      std::map<std::string, std::string> owed = OnNode(object);
      if (!leading || owed.empty()) continue;
      const std::string name = object["metadata"].value("name", "");
      nlohmann::json patch = {{"metadata", {{"annotations", owed}}}};
      auto patched = api_.Patch(k8s::NodesPath(name), k8s::PatchType::kMerge, patch);
      if (!patched.ok()) {
        base::LogWarn("handshake stamp not written",
                      {{"node", name}, {"error", patched.error().message()}});
      }
    }
  }
}

void SchedulerService::ExpiryLoop(std::stop_token stop) {
  while (config_.env->SleepFor(std::chrono::seconds(5), stop)) {
    for (const auto& pod : cache_.ExpireAssumed(config_.env->SteadyNow())) {
      base::LogWarn("assumption expired without bind", {{"pod", pod}});
    }
  }
}

}  // namespace hami::extender
