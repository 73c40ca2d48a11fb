// WebUiService's routes: static assets, the API v1 dispatch, a pod's detail with its Events.
#include <algorithm>

#include "base/log.h"
#include "base/strings.h"
#include "codec/json_util.h"
#include "k8s/resource_path.h"
#include "webui/api_json.h"
#include "webui/assets.h"
#include "webui/query.h"
#include "webui/webui_service.h"

namespace hami::webui {
namespace {

net::HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  return {status, "application/json", codec::DumpJson(body), {{"Cache-Control", "no-store"}}};
}
net::HttpResponse Error(int status, std::string_view message) {
  net::HttpResponse r{
      status, "application/json", ErrorBody(message), {{"Cache-Control", "no-store"}}};
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}
net::HttpResponse FromResult(const base::Result<nlohmann::json>& result) {
  return result.ok() ? JsonResponse(200, *result) : Error(400, result.error().message());
}

net::HttpResponse ServeAsset(std::string_view name) {
  const Asset* asset = FindAsset(name);
  if (asset == nullptr) return {404, "text/plain; charset=utf-8", "not found\n"};
  return {200,
          std::string(asset->content_type),
          std::string(asset->data),
          {{"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}}};
}

// "/api/v1/a/b" -> {"a", "b"} after `prefix`; empty pieces are kept (a trailing '/').
std::vector<std::string> Segments(std::string_view path, std::string_view prefix) {
  std::vector<std::string> out;
  if (path.size() <= prefix.size()) return out;
  for (std::string_view s : base::Split(path.substr(prefix.size()), '/')) out.emplace_back(s);
  return out;
}

}  // namespace

net::HttpResponse WebUiService::Handle(const net::HttpRequest& request) {
  if (request.path == "/" || request.path == "/index.html") return ServeAsset("index.html");
  if (request.path.rfind("/ui/", 0) == 0) return ServeAsset(request.path.substr(4));
  if (request.path == "/api/version") return JsonResponse(200, VersionJson(config_.build));
  if (request.path.rfind("/api/v1/", 0) == 0) return Api(request);
  return Error(404, "no such path: " + request.path + " (see /api/version)");
}

net::HttpResponse WebUiService::Api(const net::HttpRequest& request) {
  const std::vector<std::string> seg = Segments(request.path, "/api/v1/");
  if (seg.empty()) return Error(404, "no such path: " + request.path);
  const std::string& what = seg[0];
  const Access access = auth_.Check(request, /*allow_query_token=*/what == "stream");
  if (access.status != 200) return Error(access.status, access.message);
  const Viewer viewer{access.pods};
  const bool node_scoped = what == "overview" || what == "nodes" || what == "gpus";
  if (node_scoped && !access.nodes) {
    return Error(403, "user " + access.user + " may not list nodes");
  }
  if (what == "stream" && seg.size() == 1) return Stream(request);
  const auto model = Model();
  if (what == "overview" && seg.size() == 1) return JsonResponse(200, OverviewJson(*model, viewer));
  if (what == "nodes" && seg.size() == 1) return FromResult(NodesJson(*model, request.query));
  if (what == "nodes" && seg.size() == 2) {
    const NodeRow* node = model->Node(seg[1]);
    return node ? JsonResponse(200, NodeJson(*model, *node)) : Error(404, "no GPU node " + seg[1]);
  }
  if (what == "gpus" && seg.size() == 1) return FromResult(GpusJson(*model, request.query));
  if (what == "gpus" && seg.size() == 2) {
    auto params = ParseQuery(request.query);
    if (!params.ok()) return Error(400, params.error().message());
    for (const auto& [key, value] : *params) {
      if (key != "node") return Error(400, "unknown parameter " + key + " (accepted: node)");
    }
    const std::string node = params->count("node") ? params->at("node") : "";
    const GpuRow* gpu = model->Gpu(seg[1], node);
    if (gpu == nullptr) return Error(404, "no GPU " + seg[1] + (node.empty() ? "" : " on " + node));
    return JsonResponse(200,
                        GpuJson(*gpu, *model, scraper_->History(gpu->node, gpu->uuid), viewer));
  }
  if (what == "pods" && seg.size() == 1) return FromResult(PodsJson(*model, request.query, viewer));
  if (what == "pods" && seg.size() == 3) {
    if (!viewer.Sees(seg[1])) {
      return Error(403, "user " + access.user + " may not list pods in namespace " + seg[1]);
    }
    return PodDetail(*model, seg[1], seg[2]);
  }
  if (what == "pending" && seg.size() == 1) return JsonResponse(200, PendingJson(*model, viewer));
  return Error(404, "no such path: " + request.path);
}

net::HttpResponse WebUiService::PodDetail(const ClusterModel& model, const std::string& ns,
                                          const std::string& name) {
  const PodRow* pod = model.Pod(ns + "/" + name);
  if (pod == nullptr) return Error(404, "no GPU pod " + ns + "/" + name);
  k8s::ListOptions options;
  options.field_selector = "involvedObject.name=" + name;
  if (!pod->uid.empty()) options.field_selector += ",involvedObject.uid=" + pod->uid;
  options.limit = 500;
  std::vector<nlohmann::json> events;
  auto listed = api_->List(k8s::EventsPath(ns), options);
  if (listed.ok()) {
    events = std::move(listed->items);
  } else {
    base::LogDebug("pod events not listed",
                   {{"pod", ns + "/" + name}, {"error", listed.error().message()}});
  }
  auto when = [](const nlohmann::json& e) {
    for (const char* key : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
      if (e.contains(key) && e[key].is_string()) return e[key].get<std::string>();
    }
    return std::string();
  };
  std::stable_sort(events.begin(), events.end(),
                   [&](const auto& a, const auto& b) { return when(a) > when(b); });
  if (events.size() > static_cast<size_t>(config_.max_events)) events.resize(config_.max_events);
  return JsonResponse(200, PodJson(*pod, events));
}

}  // namespace hami::webui
