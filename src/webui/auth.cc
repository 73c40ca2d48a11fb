#include "webui/auth.h"

#include "base/log.h"
#include "webui/query.h"

namespace hami::webui {
namespace {

std::string BearerToken(const net::HttpRequest& request, bool allow_query_token) {
  const std::string header = request.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() > kBearer.size() && header.compare(0, kBearer.size(), kBearer) == 0) {
    return header.substr(kBearer.size());
  }
  if (allow_query_token) {
    auto query = ParseQuery(request.query);
    if (query.ok()) {
      if (auto it = query->find("access_token"); it != query->end()) return it->second;
    }
  }
  return "";
}

}  // namespace

base::Result<AuthMode> ParseAuthMode(const std::string& text) {
  if (text == "none") return AuthMode::kNone;
  if (text == "token") return AuthMode::kToken;
  return base::InvalidArgument("--webui-auth=" + text + ": want none or token");
}

Authorizer::Authorizer(k8s::KubeApi* api, AuthConfig config) : api_(api), config_(config) {}

Access Authorizer::Check(const net::HttpRequest& request, bool allow_query_token) {
  Access access;
  if (config_.mode == AuthMode::kNone) return access;
  const std::string token = BearerToken(request, allow_query_token);
  if (token.empty()) {
    access.status = 401;
    access.message = "an Authorization: Bearer <token> header is required";
    return access;
  }
  auto user = Review(token);
  if (!user.ok()) {
    access.status = user.error().code() == base::StatusCode::kPermissionDenied ? 401 : 503;
    access.message = user.error().message();
    return access;
  }
  access.user = user->name;
  access.nodes = Allowed(*user, "nodes", "");
  if (!Allowed(*user, "pods", "")) {
    access.pods = [this, u = *user](const std::string& ns) { return Allowed(u, "pods", ns); };
  }
  return access;
}

base::Result<Authorizer::User> Authorizer::Review(const std::string& token) {
  const auto now = config_.env->SteadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = users_.find(token); it != users_.end() && it->second.expires > now) {
      return it->second.value;
    }
  }
  nlohmann::json review = {{"apiVersion", "authentication.k8s.io/v1"},
                           {"kind", "TokenReview"},
                           {"spec", {{"token", token}}}};
  auto answer = api_->Create({"authentication.k8s.io/v1", "tokenreviews", "", "", ""}, review);
  if (!answer.ok()) return base::Unavailable("TokenReview failed: " + answer.error().message());
  const nlohmann::json status = answer->value("status", nlohmann::json::object());
  if (!status.value("authenticated", false)) {
    return base::Status(base::StatusCode::kPermissionDenied,
                        "the token was not accepted" +
                            (status.contains("error") ? ": " + status.value("error", "") : ""));
  }
  const nlohmann::json info = status.value("user", nlohmann::json::object());
  User user{info.value("username", ""), info.value("uid", ""),
            info.value("groups", std::vector<std::string>{}),
            info.value("extra", nlohmann::json::object())};
  std::lock_guard<std::mutex> lock(mu_);
  if (users_.size() >= config_.max_cache_entries) users_.clear();
  users_[token] = {user, now + config_.cache_ttl};
  return user;
}

bool Authorizer::Allowed(const User& user, const std::string& resource, const std::string& ns) {
  std::string key = user.name + "\n" + resource + "\n" + ns;
  for (const std::string& g : user.groups) key += "\n" + g;
  const auto now = config_.env->SteadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = decisions_.find(key); it != decisions_.end() && it->second.expires > now) {
      return it->second.value;
    }
  }
  nlohmann::json attributes = {{"verb", "list"}, {"resource", resource}};
  if (!ns.empty()) attributes["namespace"] = ns;
  nlohmann::json spec = {
      {"user", user.name}, {"groups", user.groups}, {"resourceAttributes", attributes}};
  if (!user.uid.empty()) spec["uid"] = user.uid;
  if (!user.extra.empty()) spec["extra"] = user.extra;
  nlohmann::json review = {
      {"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SubjectAccessReview"}, {"spec", spec}};
  auto answer =
      api_->Create({"authorization.k8s.io/v1", "subjectaccessreviews", "", "", ""}, review);
  if (!answer.ok()) {
    base::LogWarn("SubjectAccessReview failed", {{"error", answer.error().message()}});
    return false;  // not cached: the next request asks again
  }
  const bool allowed = answer->value("status", nlohmann::json::object()).value("allowed", false);
  std::lock_guard<std::mutex> lock(mu_);
  if (decisions_.size() >= config_.max_cache_entries) decisions_.clear();
  decisions_[key] = {allowed, now + config_.cache_ttl};
  return allowed;
}

}  // namespace hami::webui
