#include "k8s/resource_path.h"

#include <cstdio>
#include <vector>

namespace hami::k8s {
namespace {

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

ResourcePath Make(std::string_view gv, std::string_view resource, std::string_view ns,
                  std::string_view name) {
  ResourcePath path;
  path.group_version = std::string(gv);
  path.resource = std::string(resource);
  path.namespace_name = std::string(ns);
  path.name = std::string(name);
  return path;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

std::string ResourcePath::UrlPath() const {
  std::string out = group_version.find('/') == std::string::npos ? "/api/" : "/apis/";
  out += group_version;
  if (!namespace_name.empty()) out += "/namespaces/" + PercentEncode(namespace_name);
  out += "/" + resource;
  if (!name.empty()) {
    out += "/" + PercentEncode(name);
    if (!subresource.empty()) out += "/" + subresource;
  }
  return out;
}

std::string ResourcePath::Describe() const {
  std::string out = resource;
  if (!subresource.empty()) out += "/" + subresource;
  if (!name.empty() || !namespace_name.empty()) out += " " + ObjectKey(namespace_name, name);
  return out;
}

ResourcePath PodsPath(std::string_view ns, std::string_view name) {
  return Make("v1", "pods", ns, name);
}
ResourcePath NodesPath(std::string_view name) { return Make("v1", "nodes", "", name); }
ResourcePath EventsPath(std::string_view ns, std::string_view name) {
  return Make("v1", "events", ns, name);
}
ResourcePath LeasesPath(std::string_view ns, std::string_view name) {
  return Make("coordination.k8s.io/v1", "leases", ns, name);
}
ResourcePath NamespacesPath(std::string_view name) { return Make("v1", "namespaces", "", name); }

std::string BuildQuery(const ListOptions& options, bool watch) {
  std::vector<std::string> params;
  auto add = [&params](std::string_view key, std::string_view value) {
    params.push_back(std::string(key) + "=" + PercentEncode(value));
  };
  if (!options.label_selector.empty()) add("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) add("fieldSelector", options.field_selector);
  if (!options.resource_version.empty()) add("resourceVersion", options.resource_version);
  if (watch) {
    add("watch", "true");
    if (options.allow_watch_bookmarks) add("allowWatchBookmarks", "true");
    if (options.timeout_seconds > 0) add("timeoutSeconds", std::to_string(options.timeout_seconds));
  } else {
    if (options.limit > 0) add("limit", std::to_string(options.limit));
    if (!options.continue_token.empty()) add("continue", options.continue_token);
  }
  if (params.empty()) return "";
  std::string out = "?";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += "&";
    out += params[i];
  }
  return out;
}

std::string ObjectKey(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string out(ns);
  out += "/";
  out += name;
  return out;
}

}  // namespace hami::k8s
