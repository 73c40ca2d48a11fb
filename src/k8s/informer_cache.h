// InformerCache: the object cache behind an Informer, as a pure state machine.
//
// Replace(list) and Apply(watch event) update the cache and return the changes (deltas) the
// handlers should see. Keys are "namespace/name" (ObjectKey). Replace diffs against the cache: new
// keys are adds, a changed metadata.resourceVersion is an update, vanished keys are deletes (with
// the last known object), unchanged objects produce nothing. Watch events are reconciled with the
// cache (ADDED for a known key is an update, MODIFIED for an unknown key an add, DELETED for an
// unknown key nothing). BOOKMARK only advances the resourceVersion. ERROR is not applied (the
// caller handles it). Pure; thread-compatible.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "k8s/watch_stream.h"

namespace hami::k8s {

struct Delta {
  enum class Kind { kAdd, kUpdate, kDelete };
  Kind kind;
  nlohmann::json old_object;  // kUpdate, kDelete
  nlohmann::json new_object;  // kAdd, kUpdate
};

// metadata.namespace/name of an object as a cache key; empty when it has no name.
std::string KeyOf(const nlohmann::json& object);
// metadata.resourceVersion, or "".
std::string ResourceVersionOf(const nlohmann::json& object);

class InformerCache {
 public:
  std::vector<Delta> Replace(std::vector<nlohmann::json> items, std::string resource_version);
  // InvalidArgument for an ERROR event or an object without a name.
  base::Result<std::vector<Delta>> Apply(const WatchEvent& event);

  std::optional<nlohmann::json> Get(const std::string& key) const;
  std::vector<nlohmann::json> List() const;
  size_t size() const { return objects_.size(); }
  // The resourceVersion to resume a watch from.
  const std::string& resource_version() const { return resource_version_; }

 private:
  std::map<std::string, nlohmann::json> objects_;
  std::string resource_version_;
};

}  // namespace hami::k8s
