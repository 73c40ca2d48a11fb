// Authorizer: who may read the web UI's API (--webui-auth).
//   none:  everyone who reaches the port sees everything (read-only).
//   token: each request carries "Authorization: Bearer <token>" (the stream may pass it as
//          ?access_token=, since browsers' EventSource sends no headers). The token is checked
//          with a TokenReview; what its user may see with SubjectAccessReviews: `list nodes`
//          (cluster-scoped) for nodes, GPUs and totals, `list pods` per namespace for pods and
//          their slices, instances and events (a cluster-wide `list pods` answers every
//          namespace at once). Answers are cached for `cache_ttl` (bounded; the cache is
//          dropped when full).
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "base/result.h"
#include "k8s/kube_api.h"
#include "net/http_server.h"

namespace hami::webui {

enum class AuthMode { kNone, kToken };
// "none" or "token"; anything else is an error naming the valid values.
base::Result<AuthMode> ParseAuthMode(const std::string& text);

struct AuthConfig {
  AuthMode mode = AuthMode::kNone;
  std::chrono::seconds cache_ttl{30};
  size_t max_cache_entries = 10000;
  base::Env* env = base::Env::Default();
};

// What one request may see.
struct Access {
  int status = 200;     // 401 (no or bad token) or 503 (review failed); 200 otherwise
  std::string message;  // why not, for the error body
  std::string user;     // "" with auth none
  bool nodes = true;    // may list nodes (nodes, GPUs, totals)
  // Unset: every namespace. Set: whether the user may list pods in the namespace.
  std::function<bool(const std::string& ns)> pods;
};

class Authorizer {
 public:
  // `api` must outlive the authorizer (used only in token mode).
  Authorizer(k8s::KubeApi* api, AuthConfig config);

  AuthMode mode() const { return config_.mode; }
  // Reads the token of `request` (header, or access_token in `query` when `allow_query_token`).
  Access Check(const net::HttpRequest& request, bool allow_query_token);

 private:
  struct User {
    std::string name, uid;
    std::vector<std::string> groups;
    nlohmann::json extra;
  };
  base::Result<User> Review(const std::string& token);
  // Whether `user` may `verb` `resource` in `ns` ("" = cluster-wide); false when the review fails.
  bool Allowed(const User& user, const std::string& resource, const std::string& ns);
  template <class T>
  struct Cached {
    T value;
    base::Env::SteadyTime expires;
  };

  k8s::KubeApi* api_;
  const AuthConfig config_;
  std::mutex mu_;
  std::map<std::string, Cached<User>> users_;      // by token
  std::map<std::string, Cached<bool>> decisions_;  // by user, resource, namespace
};

}  // namespace hami::webui
