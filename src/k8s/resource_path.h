// Where a Kubernetes object or collection lives on the API server, and the query strings of list
// and watch requests. Pure value types and functions; thread-compatible.
//
// URL shape: core group "/api/v1/...", other groups "/apis/<group>/<version>/...":
//   <prefix>[/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]
// Path segments and query values are percent-encoded (RFC 3986 unreserved characters kept).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hami::k8s {

struct ResourcePath {
  std::string group_version;   // "v1" (core), "coordination.k8s.io/v1", "events.k8s.io/v1"
  std::string resource;        // lowercase plural: "pods", "nodes", "leases", "events"
  std::string namespace_name;  // empty: cluster-scoped, or a collection across all namespaces
  std::string name;            // empty: the collection
  std::string subresource;     // "binding", "status", or empty

  // The URL path, e.g. "/api/v1/namespaces/default/pods/p1/binding".
  std::string UrlPath() const;
  // "pods default/p1" style description for error messages and logs.
  std::string Describe() const;

  friend bool operator==(const ResourcePath&, const ResourcePath&) = default;
};

// Constructors for the resources HAMi touches. Empty `name` means the collection.
ResourcePath PodsPath(std::string_view ns, std::string_view name = "");
ResourcePath NodesPath(std::string_view name = "");
ResourcePath EventsPath(std::string_view ns, std::string_view name = "");
ResourcePath LeasesPath(std::string_view ns, std::string_view name = "");
ResourcePath NamespacesPath(std::string_view name = "");

// Options of a LIST or WATCH request (the subset of metav1.ListOptions HAMi needs).
struct ListOptions {
  std::string label_selector;    // "app=x,tier!=db"
  std::string field_selector;    // "spec.nodeName=node1"
  std::string resource_version;  // "" = most recent (quorum read); "0" = any cached version
  int64_t limit = 0;             // page size; 0 = no paging
  std::string continue_token;    // from the previous page's metadata.continue
  int64_t timeout_seconds =
      0;  // watch: server closes the stream after this long; 0 = server default
  bool allow_watch_bookmarks = true;  // watch only
};

// "?labelSelector=...&..." for a LIST (watch=false) or WATCH (watch=true) request; empty when no
// option is set. Parameters appear in a fixed order so the string is stable for tests.
std::string BuildQuery(const ListOptions& options, bool watch);

// RFC 3986 percent-encoding of everything except ALPHA / DIGIT / "-" / "." / "_" / "~".
std::string PercentEncode(std::string_view text);

// "namespace/name", or "name" for cluster-scoped objects: the cache key informers use.
std::string ObjectKey(std::string_view ns, std::string_view name);

}  // namespace hami::k8s
