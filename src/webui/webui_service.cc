#include "webui/webui_service.h"

#include <set>

#include "base/log.h"
#include "codec/json_util.h"
#include "webui/api_json.h"

namespace hami::webui {
namespace {

WebUiConfig WithOneEnv(WebUiConfig config) {
  config.auth.env = config.env;
  config.scraper.env = config.env;
  return config;
}

}  // namespace

net::HttpServerOptions WebUiHttpOptions() {
  net::HttpServerOptions options;
  options.threads = 4;
  options.max_connections = 256;
  options.max_body_bytes = 64 << 10;
  return options;
}

WebUiService::WebUiService(ClusterSource source, const vendor::Registry& registry,
                           k8s::KubeApi* api, WebUiConfig config)
    : source_(std::move(source)),
      registry_(registry),
      api_(api),
      config_(WithOneEnv(std::move(config))),
      auth_(api, config_.auth) {
  scraper_ = std::make_unique<MonitorScraper>(
      config_.scraper, [this] { return Targets(); },
      config_.fetch ? config_.fetch : HttpFetch(config_.scraper.max_body_bytes));
}

WebUiService::~WebUiService() { Stop(); }

base::Status WebUiService::Start() {
  net::HttpServerOptions options = config_.http;
  options.bind_address = config_.bind_address;
  http_ = std::make_unique<net::HttpServer>(options);
  auto handle = [this](const net::HttpRequest& r) { return Handle(r); };
  http_->Handle("GET", "/", handle);
  http_->Handle("GET", "/ui/*", handle);
  http_->Handle("GET", "/api/*", handle);
  HAMI_RETURN_IF_ERROR(http_->Start());
  if (config_.scrape) scraper_->Start();
  stream_thread_ = std::jthread([this](std::stop_token stop) { StreamLoop(stop); });
  base::LogInfo("web UI serving",
                {{"address", config_.bind_address},
                 {"port", std::to_string(http_->port())},
                 {"auth", config_.auth.mode == AuthMode::kToken ? "token" : "none"}});
  return {};
}

void WebUiService::Stop() {
  stream_thread_.request_stop();
  if (stream_thread_.joinable()) stream_thread_.join();
  if (http_) http_->Stop();
  scraper_->Stop();
}

uint64_t WebUiService::Generation() const {
  return source_.generation() + scraper_->generation() + pending_.generation();
}

std::shared_ptr<const ClusterModel> WebUiService::Model() {
  const uint64_t wanted = Generation();
  const auto now = config_.env->SteadyNow();
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    if (model_ &&
        (model_->generation == wanted || now - built_at_ < config_.min_rebuild_interval)) {
      return model_;
    }
  }
  std::lock_guard<std::mutex> build(build_mu_);
  {
    std::lock_guard<std::mutex> lock(model_mu_);  // another request may have rebuilt it
    if (model_ && model_->generation == Generation()) return model_;
  }
  // The generation before reading: a change while building makes the next call build again.
  const uint64_t generation = Generation();
  const std::vector<nlohmann::json> nodes = source_.nodes();
  const std::vector<nlohmann::json> pods = source_.pods();
  const MonitorReports monitors = scraper_->Reports();
  const std::map<std::string, PendingEntry> pending = pending_.All();
  auto model = std::make_shared<ClusterModel>(
      BuildModel({nodes, pods, monitors, pending, 0, config_.env->UnixSeconds()}, registry_));
  std::set<std::string> still_pending;
  for (const PodRow& p : model->pods) {
    if (p.pending) still_pending.insert(p.Key());
  }
  pending_.Retain(still_pending);  // bound, deleted and finished pods leave the table
  model->generation = generation;
  std::lock_guard<std::mutex> lock(model_mu_);
  model_ = std::move(model);
  built_at_ = now;
  return model_;
}

std::vector<ScrapeTarget> WebUiService::Targets() {
  std::vector<ScrapeTarget> out;
  const auto model = Model();
  for (const NodeRow& n : model->nodes) {
    auto it = model->node_address.find(n.name);
    if (it != model->node_address.end() && !it->second.empty()) out.push_back({n.name, it->second});
  }
  return out;
}

void WebUiService::RecordFilter(const nlohmann::json& pod,
                                const std::map<std::string, std::string>& failed_nodes,
                                const std::string& error, bool placed) {
  const nlohmann::json meta = pod.value("metadata", nlohmann::json::object());
  std::vector<PendingReason> reasons;
  if (!placed) reasons = SummarizeFailures(failed_nodes, error, RequestFactsOf(pod, registry_));
  pending_.Record(meta.value("namespace", "default"), meta.value("name", ""), meta.value("uid", ""),
                  placed, std::move(reasons), config_.env->UnixSeconds());
}

net::HttpResponse WebUiService::Stream(const net::HttpRequest&) {
  auto stream = std::make_shared<net::HttpStream>();
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    std::erase_if(streams_, [](const auto& s) { return s->Gone(); });
    if (streams_.size() >= config_.max_streams) {
      return {503, "application/json", ErrorBody("too many open streams; retry later")};
    }
    streams_.push_back(stream);
  }
  net::HttpResponse response{
      200,
      "text/event-stream",
      "retry: 5000\n\nevent: update\ndata: " +
          codec::DumpJson(nlohmann::json{{"generation", Model()->generation}}) + "\n\n",
      {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}}};
  response.stream = std::move(stream);
  return response;
}

void WebUiService::StreamLoop(std::stop_token stop) {
  uint64_t sent = Model()->generation;
  auto last_write = config_.env->SteadyNow();
  while (config_.env->SleepFor(config_.stream_interval, stop)) {
    // The generation of a model already built, so a client refetching at once sees the change.
    const uint64_t now_generation = Model()->generation;
    const auto now = config_.env->SteadyNow();
    std::string message;
    if (now_generation != sent) {
      message = "event: update\ndata: " +
                codec::DumpJson(nlohmann::json{{"generation", now_generation}}) + "\n\n";
      sent = now_generation;
    } else if (now - last_write >= config_.keepalive) {
      message = ": keepalive\n\n";
    }
    if (message.empty()) continue;
    last_write = now;
    std::lock_guard<std::mutex> lock(streams_mu_);
    std::erase_if(streams_, [&](const auto& s) { return !s->Write(message); });
  }
  std::lock_guard<std::mutex> lock(streams_mu_);
  for (auto& s : streams_) s->Close();
  streams_.clear();
}

}  // namespace hami::webui
