// HttpKubeApi: KubeApi over HTTPS with libcurl.
//
// Thread-safe. A unary request borrows a curl easy handle from a pool and returns it afterwards;
// each pooled handle keeps its own keep-alive connections, so a request normally reuses a warm TLS
// connection (a new one costs a handshake plus parsing the CA and client key: ~1 ms of CPU). At
// most kMaxIdleHandles handles stay pooled; concurrency beyond that opens and closes extra ones.
// Handles share the DNS and TLS session caches (CURLSH). A watch uses a handle of its own for its
// lifetime. All requests (watches included) pass one TokenBucket (qps/burst), read on
// options.env's steady clock and waited out with options.env's SleepFor. Unary requests time out
// after `timeout`; a watch has no client timeout beyond timeoutSeconds + a margin, and notices its
// stop token within about a second. Key material from ClientConfig is passed as in-memory blobs.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/env.h"
#include "base/result.h"
#include "k8s/client_config.h"
#include "k8s/kube_api.h"
#include "k8s/rate_limiter.h"

namespace hami::k8s {

struct ClientOptions {
  double qps = 50;                           // --kube-qps; <= 0 disables throttling
  int burst = 100;                           // --kube-burst
  std::chrono::milliseconds timeout{30000};  // --kube-timeout, per unary request
  std::chrono::milliseconds connect_timeout{10000};
  std::string user_agent = "hami";
  size_t max_idle_handles = 64;  // pooled keep-alive handles (about one per concurrent caller)
  base::Env* env = base::Env::Default();  // the clock and sleeps of the qps/burst throttle
};

class HttpKubeApi : public KubeApi {
 public:
  // Fails on an unusable configuration (no server, unreadable token file, curl init failure).
  static base::Result<std::unique_ptr<HttpKubeApi>> New(ClientConfig config,
                                                        ClientOptions options = {});
  ~HttpKubeApi() override;
  HttpKubeApi(const HttpKubeApi&) = delete;
  HttpKubeApi& operator=(const HttpKubeApi&) = delete;

  base::Result<nlohmann::json> Get(const ResourcePath& object) override;
  base::Result<ListPage> List(const ResourcePath& collection, const ListOptions& options) override;
  base::Result<nlohmann::json> Create(const ResourcePath& collection,
                                      const nlohmann::json& object) override;
  base::Result<nlohmann::json> Update(const ResourcePath& object,
                                      const nlohmann::json& body) override;
  base::Result<nlohmann::json> Patch(const ResourcePath& object, PatchType type,
                                     const nlohmann::json& patch) override;
  base::Status Delete(const ResourcePath& object, const DeleteOptions& options = {}) override;
  base::Status Watch(const ResourcePath& collection, const ListOptions& options,
                     const WatchHandler& handler, std::stop_token stop) override;

  // GET of an arbitrary path (e.g. "/version", "/readyz"); the body as text.
  base::Result<std::string> GetRaw(const std::string& path);

  const ClientConfig& config() const { return config_; }

 private:
  struct Shared;  // CURLSH and its locks, the pool of idle easy handles
  struct Request;
  HttpKubeApi(ClientConfig config, ClientOptions options);

  base::Result<std::string> Do(const Request& request);
  base::Result<nlohmann::json> DoJson(const Request& request);
  void Throttle();

  ClientConfig config_;
  ClientOptions options_;
  TokenBucket bucket_;
  TokenSource token_;
  std::unique_ptr<Shared> shared_;
};

}  // namespace hami::k8s
