#include "k8s/informer_cache.h"

#include "k8s/resource_path.h"

namespace hami::k8s {
namespace {

std::string MetaString(const nlohmann::json& object, const char* key) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto value = meta->find(key);
  if (value == meta->end() || !value->is_string()) return "";
  return value->get<std::string>();
}

}  // namespace

std::string KeyOf(const nlohmann::json& object) {
  std::string name = MetaString(object, "name");
  if (name.empty()) return "";
  return ObjectKey(MetaString(object, "namespace"), name);
}

std::string ResourceVersionOf(const nlohmann::json& object) {
  return MetaString(object, "resourceVersion");
}

std::vector<Delta> InformerCache::Replace(std::vector<nlohmann::json> items,
                                          std::string resource_version) {
  std::vector<Delta> deltas;
  std::map<std::string, nlohmann::json> next;
  for (nlohmann::json& item : items) {
    std::string key = KeyOf(item);
    if (key.empty()) continue;
    auto old = objects_.find(key);
    if (old == objects_.end()) {
      deltas.push_back({Delta::Kind::kAdd, nullptr, item});
    } else if (ResourceVersionOf(old->second) != ResourceVersionOf(item)) {
      deltas.push_back({Delta::Kind::kUpdate, old->second, item});
    }
    next[key] = std::move(item);
  }
  for (auto& [key, object] : objects_) {
    if (!next.count(key)) deltas.push_back({Delta::Kind::kDelete, std::move(object), nullptr});
  }
  objects_ = std::move(next);
  resource_version_ = std::move(resource_version);
  return deltas;
}

base::Result<std::vector<Delta>> InformerCache::Apply(const WatchEvent& event) {
  std::vector<Delta> deltas;
  if (event.type == WatchEventType::kError) {
    return base::InvalidArgument("informer cache: ERROR events are not applied");
  }
  std::string rv = ResourceVersionOf(event.object);
  if (event.type == WatchEventType::kBookmark) {
    if (!rv.empty()) resource_version_ = rv;
    return deltas;
  }
  std::string key = KeyOf(event.object);
  if (key.empty()) return base::InvalidArgument("informer cache: watch event object has no name");
  auto it = objects_.find(key);
  if (event.type == WatchEventType::kDeleted) {
    if (it != objects_.end()) {
      deltas.push_back({Delta::Kind::kDelete, std::move(it->second), nullptr});
      objects_.erase(it);
    }
  } else if (it == objects_.end()) {
    deltas.push_back({Delta::Kind::kAdd, nullptr, event.object});
    objects_[key] = event.object;
  } else {
    deltas.push_back({Delta::Kind::kUpdate, it->second, event.object});
    it->second = event.object;
  }
  if (!rv.empty()) resource_version_ = rv;
  return deltas;
}

std::optional<nlohmann::json> InformerCache::Get(const std::string& key) const {
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<nlohmann::json> InformerCache::List() const {
  std::vector<nlohmann::json> out;
  out.reserve(objects_.size());
  for (const auto& [key, object] : objects_) out.push_back(object);
  return out;
}

}  // namespace hami::k8s
