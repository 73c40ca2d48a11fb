// FakeApiServer: serves a FakeKubeApi over real HTTP (plain, 127.0.0.1, any free port) so a binary
// under test talks to it through its real client (k8s::HttpKubeApi, curl, watch streams).
//
// Routes (core group only, what node agents read): GET /api/v1[/namespaces/<ns>]/<resource> as a
// LIST (labelSelector, fieldSelector, limit, continue, resourceVersion) or, with watch=true, a
// chunked WATCH stream of {"type","object"} lines that ends after timeoutSeconds (default 60) or at
// Stop(); GET .../<resource>/<name>. Errors come back as metav1.Status with the fake's code.
// PATCH .../<resource>/<name> (merge or JSON patch) for agents that annotate their objects; other
// writes go to the FakeKubeApi directly (the test owns it). WriteKubeconfig() writes a kubeconfig
// pointing at the server. Thread-safe; Stop() ends open watches and joins.
#pragma once

#include <httplib.h>

#include <fstream>
#include <regex>
#include <stop_token>
#include <string>
#include <thread>

#include "k8s/api_status.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::fakes {

class FakeApiServer {
 public:
  explicit FakeApiServer(FakeKubeApi* api) : api_(api) {
    server_.Get(R"(/api/v1/(.*))",
                [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); });
    server_.Patch(R"(/api/v1/(.*))",
                  [this](const httplib::Request& req, httplib::Response& res) { Patch(req, res); });
  }
  ~FakeApiServer() { Stop(); }

  // Binds 127.0.0.1 on `port` (0 = a free one) and serves on a background thread; returns the
  // port, or -1 when it cannot bind.
  int Start(int port = 0) {
    if (port == 0) {
      port_ = server_.bind_to_any_port("127.0.0.1");
    } else {
      port_ = server_.bind_to_port("127.0.0.1", port) ? port : -1;
    }
    if (port_ <= 0) return -1;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return port_;
  }
  void Stop() {
    stop_.request_stop();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int lists() const { return lists_.load(); }
  int watches() const { return watches_.load(); }

  // A kubeconfig (mode 0600) for this server; returns false when it cannot be written.
  bool WriteKubeconfig(const std::string& path) const {
    std::ofstream out(path);
    out << "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
        << "clusters:\n- name: fake\n  cluster:\n    server: " << url() << "\n"
        << "users:\n- name: fake\n  user:\n    token: fake-token\n"
        << "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n";
    return static_cast<bool>(out);
  }

 private:
  static k8s::ResourcePath ParsePath(const std::string& rest) {
    static const std::regex re(R"((?:namespaces/([^/]+)/)?([a-z]+)(?:/([^/]+))?)");
    std::smatch m;
    k8s::ResourcePath path;
    path.group_version = "v1";
    if (std::regex_match(rest, m, re)) {
      path.namespace_name = m[1];
      path.resource = m[2];
      path.name = m[3];
    }
    return path;
  }

  static void Fail(httplib::Response& res, const base::Status& s) {
    int code = 500;
    switch (s.code()) {
      case base::StatusCode::kNotFound:
        code = 404;
        break;
      case base::StatusCode::kAlreadyExists:
      case base::StatusCode::kFailedPrecondition:
        code = 409;
        break;  // conflicts stay conflicts
      case base::StatusCode::kInvalidArgument:
        code = 422;
        break;
      default:
        break;
    }
    nlohmann::json status = {{"kind", "Status"},
                             {"apiVersion", "v1"},
                             {"status", "Failure"},
                             {"message", s.message()},
                             {"code", code}};
    res.status = code;
    res.set_content(status.dump(), "application/json");
  }

  void Serve(const httplib::Request& req, httplib::Response& res) {
    const k8s::ResourcePath path = ParsePath(req.matches[1]);
    if (path.resource.empty()) return Fail(res, base::NotFound("unknown path " + req.path));
    if (!path.name.empty()) {
      auto got = api_->Get(path);
      if (!got.ok()) return Fail(res, got.error());
      return res.set_content(got->dump(), "application/json");
    }
    k8s::ListOptions options;
    options.label_selector = req.get_param_value("labelSelector");
    options.field_selector = req.get_param_value("fieldSelector");
    options.resource_version = req.get_param_value("resourceVersion");
    options.continue_token = req.get_param_value("continue");
    if (req.has_param("limit")) options.limit = std::stoll(req.get_param_value("limit"));
    const std::string watch = req.get_param_value("watch");
    if (watch == "true" || watch == "1") return Watch(req, res, path, options);
    ++lists_;
    auto page = api_->List(path, options);
    if (!page.ok()) return Fail(res, page.error());
    nlohmann::json body = {{"kind", "List"},
                           {"apiVersion", "v1"},
                           {"metadata", {{"resourceVersion", page->resource_version}}},
                           {"items", page->items}};
    if (!page->continue_token.empty()) body["metadata"]["continue"] = page->continue_token;
    res.set_content(body.dump(), "application/json");
  }

  // PATCH of a named object: merge patch (application/merge-patch+json) or JSON patch.
  void Patch(const httplib::Request& req, httplib::Response& res) {
    const k8s::ResourcePath path = ParsePath(req.matches[1]);
    if (path.name.empty()) return Fail(res, base::NotFound("unknown path " + req.path));
    nlohmann::json patch = nlohmann::json::parse(req.body, nullptr, false);
    if (patch.is_discarded()) return Fail(res, base::InvalidArgument("patch body is not JSON"));
    const bool merge =
        req.get_header_value("Content-Type").find("merge-patch") != std::string::npos;
    auto patched = api_->Patch(path, merge ? k8s::PatchType::kMerge : k8s::PatchType::kJson, patch);
    if (!patched.ok()) return Fail(res, patched.error());
    res.set_content(patched->dump(), "application/json");
  }

  void Watch(const httplib::Request& req, httplib::Response& res, const k8s::ResourcePath& path,
             const k8s::ListOptions& options) {
    ++watches_;
    // httplib would gzip/brotli the stream for a client that accepts it, and its compressor holds
    // events back until a buffer fills: serve watches uncompressed, event by event.
    const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
    int timeout = 60;
    if (req.has_param("timeoutSeconds")) timeout = std::stoi(req.get_param_value("timeoutSeconds"));
    res.set_chunked_content_provider(
        "application/json", [this, path, options, timeout](size_t, httplib::DataSink& sink) {
          std::stop_source local;
          std::stop_callback on_server_stop(stop_.get_token(), [&] { local.request_stop(); });
          std::jthread timer([&local, timeout](std::stop_token t) {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock<std::mutex> lock(m);
            cv.wait_for(lock, t, std::chrono::seconds(timeout), [] { return false; });
            local.request_stop();
          });
          // The watch ends with the stream (client gone, timeout or server stop); its status is
          // the fake's own bookkeeping, not something the HTTP client could be told any more.
          (void)api_->Watch(
              path, options,
              [&sink](k8s::WatchEvent event) {
                nlohmann::json line = {{"type", std::string(k8s::WatchEventTypeName(event.type))},
                                       {"object", event.object}};
                const std::string text = line.dump() + "\n";
                return sink.write(text.data(), text.size());
              },
              local.get_token());
          timer.request_stop();
          sink.done();
          return true;
        });
  }

  FakeKubeApi* api_;
  httplib::Server server_;
  std::thread thread_;
  std::stop_source stop_;
  int port_ = 0;
  std::atomic<int> lists_{0};
  std::atomic<int> watches_{0};
};

}  // namespace hami::fakes
