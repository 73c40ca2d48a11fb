// Informer: keeps a local cache of one collection in step with the API server and tells handlers
// what changed.
//
// Loop (one background std::jthread per informer; no thread per object):
//   1. LIST every page (ListAll); Replace the cache; deliver the deltas (OnAdd/OnUpdate/OnDelete),
//      then OnResync(full item set); mark synced.
//   2. WATCH from the cache's resourceVersion with bookmarks and timeoutSeconds; apply each event
//      and deliver its delta.
//   3. Stream ended normally: watch again from the last resourceVersion. A watch error or a failed
//      list: wait with exponential backoff (initial..max, reset after progress; options.env's
//      SleepFor, which Stop() interrupts), then retry.
//      410 Gone (HTTP or ERROR event): LIST again (step 1), delivering the missed changes as deltas
//      plus OnResync: a resync never loses a delete.
// Handlers run on the informer thread, one at a time, in event order, with no informer lock held
// (they may call Get/List). They must not call Stop() (it joins that thread).
// Public methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "k8s/informer_cache.h"
#include "k8s/kube_api.h"

namespace hami::k8s {

struct InformerOptions {
  ResourcePath collection;  // e.g. PodsPath("") for pods in all namespaces
  std::string label_selector;
  std::string field_selector;
  int64_t page_size = 500;
  int64_t watch_timeout_seconds = 300;  // server ends each watch after this; we re-watch
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{30000};
  std::string name = "informer";  // for logs
  // The clock and sleeps of the backoff, and the clock of WaitForSync's timeout.
  base::Env* env = base::Env::Default();
};

struct InformerHandlers {
  std::function<void(const nlohmann::json& object)> on_add;
  std::function<void(const nlohmann::json& old_object, const nlohmann::json& new_object)> on_update;
  std::function<void(const nlohmann::json& last_known)> on_delete;
  // After every (re)list, with the full current set.
  std::function<void(const std::vector<nlohmann::json>& objects)> on_resync;
};

struct InformerStats {
  int lists = 0;         // successful LISTs (initial + relists)
  int relists_gone = 0;  // LISTs caused by 410 Gone
  int watches = 0;       // watch streams opened
  int errors = 0;        // failed LIST/WATCH calls
};

class Informer {
 public:
  // `api` must outlive the informer.
  Informer(KubeApi* api, InformerOptions options, InformerHandlers handlers);
  ~Informer();  // Stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void Start();  // starts the thread; a second call does nothing
  void Stop();   // interrupts list/watch/backoff and joins; idempotent

  // True once the first LIST has been delivered. WaitForSync returns false on timeout (on
  // options.env's clock) or Stop.
  bool HasSynced() const;
  bool WaitForSync(std::chrono::milliseconds timeout);

  std::optional<nlohmann::json> Get(const std::string& key) const;
  std::vector<nlohmann::json> List() const;
  std::string ResourceVersion() const;
  InformerStats stats() const;

 private:
  void Run(std::stop_token stop);
  bool ListAndReplace(std::stop_token stop);
  enum class WatchOutcome { kEnded, kFailed, kGone };
  // One watch stream; *progressed is set when it delivered an event.
  WatchOutcome WatchOnce(std::stop_token stop, bool* progressed);
  void Dispatch(const std::vector<Delta>& deltas);
  void Backoff(std::stop_token stop, std::chrono::milliseconds* delay);

  KubeApi* api_;
  InformerOptions options_;
  InformerHandlers handlers_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  InformerCache cache_;  // guarded by mu_
  bool synced_ = false;  // guarded by mu_
  InformerStats stats_;  // guarded by mu_
  std::jthread thread_;
};

}  // namespace hami::k8s
