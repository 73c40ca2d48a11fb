// FakeKubeApi: an in-memory k8s::KubeApi for unit tests of adapters, informers and leader election.
//
// Behaves like a small API server: objects per (groupVersion, resource), a global resourceVersion
// counter, uid/namespace/resourceVersion filled on create, optimistic concurrency (an update or
// patch whose metadata.resourceVersion is stale fails with 409 Conflict), merge and JSON patches,
// delete with uid precondition, pods/<name>/binding (sets spec.nodeName once, merges the
// Binding's annotations), <x>/status (replaces
// status only), label selectors (k=v, k==v, k!=v, k, !k), field selectors metadata.name /
// metadata.namespace / spec.nodeName, paged lists (limit/continue), and watches that replay the
// event log after a resourceVersion then stream live events.
// Scripting: FailNext() injects an error for the next call of a verb; LoseNextResponse() lets the
// next Binding take effect and then returns an error (a response lost to a timeout);
// CloseWatches() ends open streams; Compact() forgets the event log so watches from older
// versions get ERROR 410;
// HoldWatches() parks new watch calls (a client that is disconnected while things change).
// Errors are produced by k8s::StatusFromHttp, so IsConflict/IsGone/IsNotFound work unchanged.
// Thread-safe; watch handlers run on the watching thread without the fake's lock held.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/strings.h"
#include "k8s/api_status.h"
#include "k8s/kube_api.h"

namespace hami::fakes {

class FakeKubeApi : public k8s::KubeApi {
 public:
  using Json = nlohmann::json;

  base::Result<Json> Get(const k8s::ResourcePath& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    HAMI_RETURN_IF_ERROR(TakeFailure("GET"));
    const Json* object = Find(path);
    if (object == nullptr) return NotFoundError(path);
    return *object;
  }

  base::Result<k8s::ListPage> List(const k8s::ResourcePath& path,
                                   const k8s::ListOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    HAMI_RETURN_IF_ERROR(TakeFailure("LIST"));
    std::vector<Json> matching;
    for (const auto& [key, object] : store_[Collection(path)]) {
      if (Matches(path, options, object)) matching.push_back(object);
    }
    size_t start = options.continue_token.empty() ? 0 : std::stoul(options.continue_token);
    k8s::ListPage page;
    page.resource_version = std::to_string(rv_);
    size_t end = matching.size();
    if (options.limit > 0 && start + options.limit < end) {
      end = start + options.limit;
      page.continue_token = std::to_string(end);
    }
    for (size_t i = start; i < end; ++i) page.items.push_back(matching[i]);
    return page;
  }

  base::Result<Json> Create(const k8s::ResourcePath& path, const Json& object) override {
    std::lock_guard<std::mutex> lock(mu_);
    HAMI_RETURN_IF_ERROR(TakeFailure("CREATE"));
    if (path.subresource == "binding") {
      auto bound = Bind(path, object);
      if (bound.ok() && !lost_creates_.empty()) {
        base::Status lost = lost_creates_.front();
        lost_creates_.pop_front();
        return lost;
      }
      return bound;
    }
    Json created = object;
    Json& meta = created["metadata"];
    if (!meta.contains("name") && meta.contains("generateName")) {
      meta["name"] = meta["generateName"].get<std::string>() + std::to_string(++uid_);
    }
    std::string name = meta.value("name", "");
    if (name.empty()) return Error(422, "Invalid", "metadata.name: Required value", "CREATE");
    if (!path.namespace_name.empty()) meta["namespace"] = path.namespace_name;
    k8s::ResourcePath object_path = path;
    object_path.name = name;
    if (Find(object_path) != nullptr) {
      return Error(409, "AlreadyExists", path.resource + " \"" + name + "\" already exists",
                   "CREATE " + object_path.Describe());
    }
    meta["uid"] = "uid-" + std::to_string(++uid_);
    return Store(object_path, std::move(created), k8s::WatchEventType::kAdded);
  }

  base::Result<Json> Update(const k8s::ResourcePath& path, const Json& body) override {
    std::lock_guard<std::mutex> lock(mu_);
    HAMI_RETURN_IF_ERROR(TakeFailure("UPDATE"));
    const Json* current = Find(path);
    if (current == nullptr) return NotFoundError(path);
    HAMI_RETURN_IF_ERROR(CheckVersion(path, *current, body));
    Json updated = *current;
    if (path.subresource == "status") {
      updated["status"] = body.value("status", Json::object());
    } else {
      updated = body;
      updated["metadata"]["uid"] = (*current)["metadata"]["uid"];
      if (!path.namespace_name.empty()) updated["metadata"]["namespace"] = path.namespace_name;
    }
    return Store(path, std::move(updated), k8s::WatchEventType::kModified);
  }

  base::Result<Json> Patch(const k8s::ResourcePath& path, k8s::PatchType type,
                           const Json& patch) override {
    std::lock_guard<std::mutex> lock(mu_);
    HAMI_RETURN_IF_ERROR(TakeFailure("PATCH"));
    const Json* current = Find(path);
    if (current == nullptr) return NotFoundError(path);
    Json patched = *current;
    if (type == k8s::PatchType::kMerge) {
      HAMI_RETURN_IF_ERROR(CheckVersion(path, *current, patch));
      patched.merge_patch(patch);
    } else {
      try {
        patched = current->patch(patch);
      } catch (const std::exception& e) {
        return Error(422, "Invalid", e.what(), "PATCH " + path.Describe());
      }
    }
    patched["metadata"]["uid"] = (*current)["metadata"]["uid"];
    return Store(path, std::move(patched), k8s::WatchEventType::kModified);
  }

  // Removes at once (no graceful termination), whatever the grace period.
  base::Status Delete(const k8s::ResourcePath& path,
                      const k8s::DeleteOptions& options = {}) override {
    const std::string& uid = options.uid;
    std::lock_guard<std::mutex> lock(mu_);
    HAMI_RETURN_IF_ERROR(TakeFailure("DELETE"));
    const Json* current = Find(path);
    if (current == nullptr) return NotFoundError(path).status();
    if (!uid.empty() && (*current)["metadata"].value("uid", "") != uid) {
      return Error(409, "Conflict", "Precondition failed: UID in precondition: " + uid,
                   "DELETE " + path.Describe());
    }
    Json gone = *current;
    store_[Collection(path)].erase(Key(path));
    gone["metadata"]["resourceVersion"] = std::to_string(++rv_);
    Record(path, k8s::WatchEventType::kDeleted, gone);
    return base::Status::Ok();
  }

  base::Status Watch(const k8s::ResourcePath& path, const k8s::ListOptions& options,
                     const k8s::WatchHandler& handler, std::stop_token stop) override {
    // Registered before taking mu_: the callback runs at once when stop is already requested.
    std::stop_callback wake(stop, [this] {
      std::lock_guard<std::mutex> guard(mu_);
      cv_.notify_all();
    });
    std::unique_lock<std::mutex> lock(mu_);
    HAMI_RETURN_IF_ERROR(TakeFailure("WATCH"));
    if (hold_watches_) {
      ++held_watches_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_watches_ || stop.stop_requested(); });
      --held_watches_;
      if (stop.stop_requested()) return base::Status::Ok();
    }
    int64_t cursor = options.resource_version.empty() ? rv_ : std::stoll(options.resource_version);
    if (cursor < compacted_) {
      Json status = {{"kind", "Status"},
                     {"apiVersion", "v1"},
                     {"status", "Failure"},
                     {"code", 410},
                     {"reason", "Expired"},
                     {"message", "too old resource version: " + std::to_string(cursor)}};
      lock.unlock();
      handler(k8s::WatchEvent{k8s::WatchEventType::kError, status});
      return base::Status::Ok();
    }
    int64_t generation = close_generation_;
    ++active_watches_;
    cv_.notify_all();
    while (true) {
      std::vector<k8s::WatchEvent> batch;
      for (const LoggedEvent& logged : log_) {
        if (logged.rv > cursor && logged.collection == Collection(path) &&
            Matches(path, options, logged.event.object)) {
          batch.push_back(logged.event);
        }
      }
      if (!log_.empty()) cursor = std::max(cursor, log_.back().rv);
      bool keep_going = true;
      if (!batch.empty()) {
        lock.unlock();
        for (k8s::WatchEvent& event : batch) {
          if (!handler(std::move(event))) {
            keep_going = false;
            break;
          }
        }
        lock.lock();
      }
      bool has_new = !log_.empty() && log_.back().rv > cursor;
      if (!keep_going || stop.stop_requested() || generation != close_generation_) break;
      if (!has_new) {
        cv_.wait(lock, [&] {
          return stop.stop_requested() || generation != close_generation_ ||
                 (!log_.empty() && log_.back().rv > cursor);
        });
      }
    }
    --active_watches_;
    cv_.notify_all();
    return base::Status::Ok();
  }

  // --- scripting ---
  // The next call of `verb` (GET LIST CREATE UPDATE PATCH DELETE WATCH) fails with `status`.
  void FailNext(const std::string& verb, base::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_[verb].push_back(std::move(status));
  }
  // The next successful pods/<name>/binding CREATE is applied, then answers `status`.
  void LoseNextResponse(base::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    lost_creates_.push_back(std::move(status));
  }
  // Ends every open watch stream (as the server does at timeoutSeconds).
  void CloseWatches() {
    std::lock_guard<std::mutex> lock(mu_);
    ++close_generation_;
    cv_.notify_all();
  }
  // Forgets the event log: watches from a resourceVersion older than now get ERROR 410.
  void Compact() {
    std::lock_guard<std::mutex> lock(mu_);
    log_.clear();
    compacted_ = rv_;
  }
  // While held, new Watch calls wait before reading the log (to script a disconnected client).
  void HoldWatches(bool hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_watches_ = hold;
    cv_.notify_all();
  }
  bool WaitForHeldWatches(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_watches_ >= n; });
  }
  // Blocks until at least `n` watches are open (or `timeout` passes); true when reached.
  bool WaitForWatches(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return active_watches_ >= n; });
  }
  int Calls(const std::string& verb) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[verb];
  }
  int64_t resource_version() {
    std::lock_guard<std::mutex> lock(mu_);
    return rv_;
  }

 private:
  struct LoggedEvent {
    int64_t rv;
    std::string collection;
    k8s::WatchEvent event;
  };

  static std::string Collection(const k8s::ResourcePath& path) {
    return path.group_version + "/" + path.resource;
  }
  static std::string Key(const k8s::ResourcePath& path) {
    return k8s::ObjectKey(path.namespace_name, path.name);
  }
  const Json* Find(const k8s::ResourcePath& path) {
    auto& objects = store_[Collection(path)];
    auto it = objects.find(Key(path));
    return it == objects.end() ? nullptr : &it->second;
  }
  static base::Status Error(int code, const std::string& reason, const std::string& message,
                            const std::string& what) {
    Json body = {{"kind", "Status"}, {"code", code}, {"reason", reason}, {"message", message}};
    return k8s::StatusFromHttp(code, body.dump(), what);
  }
  static base::Result<Json> NotFoundError(const k8s::ResourcePath& path) {
    return Error(404, "NotFound", path.resource + " \"" + path.name + "\" not found",
                 path.Describe());
  }
  base::Status TakeFailure(const std::string& verb) {
    ++calls_[verb];
    auto& queue = failures_[verb];
    if (queue.empty()) return base::Status::Ok();
    base::Status status = queue.front();
    queue.pop_front();
    return status;
  }
  static base::Status CheckVersion(const k8s::ResourcePath& path, const Json& current,
                                   const Json& body) {
    auto meta = body.find("metadata");
    if (meta == body.end() || !meta->is_object() || !meta->contains("resourceVersion")) {
      return base::Status::Ok();
    }
    if ((*meta)["resourceVersion"] == current["metadata"]["resourceVersion"]) {
      return base::Status::Ok();
    }
    return Error(409, "Conflict",
                 "Operation cannot be fulfilled on " + path.resource + " \"" + path.name +
                     "\": the object has been modified; please apply your changes to the latest "
                     "version and try again",
                 "UPDATE " + path.Describe());
  }
  base::Result<Json> Store(const k8s::ResourcePath& path, Json object, k8s::WatchEventType type) {
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    object["metadata"]["name"] = path.name;
    store_[Collection(path)][Key(path)] = object;
    Record(path, type, object);
    return object;
  }
  void Record(const k8s::ResourcePath& path, k8s::WatchEventType type, const Json& object) {
    log_.push_back({rv_, Collection(path), k8s::WatchEvent{type, object}});
    cv_.notify_all();
  }
  base::Result<Json> Bind(const k8s::ResourcePath& path, const Json& binding) {
    k8s::ResourcePath pod_path = path;
    pod_path.subresource.clear();
    const Json* pod = Find(pod_path);
    if (pod == nullptr) return NotFoundError(pod_path);
    if (!pod->value("spec", Json::object()).value("nodeName", "").empty()) {
      return Error(409, "Conflict", "pod " + path.name + " is already assigned to node",
                   "CREATE " + path.Describe());
    }
    Json bound = *pod;
    bound["spec"]["nodeName"] = binding.value("target", Json::object()).value("name", "");
    // As the API server's Binding: its annotations are merged into the pod's.
    const Json annotations =
        binding.value("metadata", Json::object()).value("annotations", Json::object());
    for (const auto& [key, value] : annotations.items()) {
      bound["metadata"]["annotations"][key] = value;
    }
    HAMI_RETURN_IF_ERROR(Store(pod_path, bound, k8s::WatchEventType::kModified).status());
    return Json{{"kind", "Status"}, {"status", "Success"}, {"code", 201}};
  }
  static std::string Field(const Json& object, const std::string& field) {
    auto dot = field.find('.');
    if (dot == std::string::npos) return "";
    auto outer = object.find(field.substr(0, dot));
    if (outer == object.end() || !outer->is_object()) return "";
    return outer->value(field.substr(dot + 1), "");
  }
  static bool Matches(const k8s::ResourcePath& path, const k8s::ListOptions& options,
                      const Json& object) {
    const Json meta = object.value("metadata", Json::object());
    if (!path.namespace_name.empty() && meta.value("namespace", "") != path.namespace_name) {
      return false;
    }
    const Json labels = meta.value("labels", Json::object());
    for (std::string_view term : base::Split(options.label_selector, ',')) {
      if (!SelectorTermMatches(std::string(base::Trim(term)),
                               [&](const std::string& key) -> const Json* {
                                 auto it = labels.find(key);
                                 return it == labels.end() ? nullptr : &*it;
                               })) {
        return false;
      }
    }
    for (std::string_view term : base::Split(options.field_selector, ',')) {
      std::string t(base::Trim(term));
      if (t.empty()) continue;
      bool negate = t.find("!=") != std::string::npos;
      auto op = t.find(negate ? "!=" : "=");
      std::string key = t.substr(0, op);
      std::string value = t.substr(op + (negate ? 2 : 1));
      if (!value.empty() && value[0] == '=') value.erase(0, 1);
      if ((Field(object, key) == value) == negate) return false;
    }
    return true;
  }
  template <typename Lookup>
  static bool SelectorTermMatches(const std::string& term, Lookup lookup) {
    if (term.empty()) return true;
    if (term[0] == '!') return lookup(term.substr(1)) == nullptr;
    auto neq = term.find("!=");
    auto eq = term.find('=');
    if (neq == std::string::npos && eq == std::string::npos) return lookup(term) != nullptr;
    bool negate = neq != std::string::npos;
    std::string key = term.substr(0, negate ? neq : eq);
    std::string value = term.substr(negate ? neq + 2 : eq + 1);
    if (!value.empty() && value[0] == '=') value.erase(0, 1);
    const Json* actual = lookup(key);
    bool equal = actual != nullptr && actual->is_string() && actual->get<std::string>() == value;
    return equal != negate;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::map<std::string, Json>> store_;
  std::vector<LoggedEvent> log_;
  std::map<std::string, std::deque<base::Status>> failures_;
  std::deque<base::Status> lost_creates_;
  std::map<std::string, int> calls_;
  int64_t rv_ = 100;
  int64_t compacted_ = 0;
  int64_t uid_ = 0;
  int64_t close_generation_ = 0;
  int active_watches_ = 0;
  bool hold_watches_ = false;
  int held_watches_ = 0;
};

}  // namespace hami::fakes
