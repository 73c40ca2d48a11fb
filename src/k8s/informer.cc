#include "k8s/informer.h"

#include <algorithm>

#include "base/log.h"
#include "k8s/api_status.h"

namespace hami::k8s {

Informer::Informer(KubeApi* api, InformerOptions options, InformerHandlers handlers)
    : api_(api), options_(std::move(options)), handlers_(std::move(handlers)) {}

Informer::~Informer() { Stop(); }

void Informer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void Informer::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  cv_.notify_all();
  thread_.join();
  cv_.notify_all();  // wake WaitForSync callers
}

bool Informer::HasSynced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_;
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  std::stop_token stop = thread_.get_stop_token();
  return options_.env->WaitFor(
      cv_, lock, timeout, [this] { return synced_; }, stop);
}

std::optional<nlohmann::json> Informer::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.Get(key);
}

std::vector<nlohmann::json> Informer::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.List();
}

std::string Informer::ResourceVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.resource_version();
}

InformerStats Informer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Informer::Dispatch(const std::vector<Delta>& deltas) {
  for (const Delta& delta : deltas) {
    switch (delta.kind) {
      case Delta::Kind::kAdd:
        if (handlers_.on_add) handlers_.on_add(delta.new_object);
        break;
      case Delta::Kind::kUpdate:
        if (handlers_.on_update) handlers_.on_update(delta.old_object, delta.new_object);
        break;
      case Delta::Kind::kDelete:
        if (handlers_.on_delete) handlers_.on_delete(delta.old_object);
        break;
    }
  }
}

void Informer::Backoff(std::stop_token stop, std::chrono::milliseconds* delay) {
  options_.env->SleepFor(*delay, stop);
  *delay = std::min(options_.max_backoff, *delay * 2);
}

bool Informer::ListAndReplace(std::stop_token stop) {
  ListOptions list_options;
  list_options.label_selector = options_.label_selector;
  list_options.field_selector = options_.field_selector;
  auto page = ListAll(*api_, options_.collection, list_options, options_.page_size);
  if (!page.ok()) {
    base::LogWarn("informer list failed",
                  {{"informer", options_.name}, {"error", page.error().ToString()}});
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.errors;
    return false;
  }
  std::vector<Delta> deltas;
  std::vector<nlohmann::json> snapshot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    deltas = cache_.Replace(std::move(page->items), page->resource_version);
    if (handlers_.on_resync) snapshot = cache_.List();
    ++stats_.lists;
  }
  Dispatch(deltas);
  if (handlers_.on_resync) handlers_.on_resync(snapshot);
  {
    std::lock_guard<std::mutex> lock(mu_);
    synced_ = true;
  }
  cv_.notify_all();
  base::LogDebug("informer listed", {{"informer", options_.name},
                                     {"resource_version", page->resource_version},
                                     {"changes", std::to_string(deltas.size())}});
  return true;
}

Informer::WatchOutcome Informer::WatchOnce(std::stop_token stop, bool* progressed) {
  ListOptions watch_options;
  watch_options.label_selector = options_.label_selector;
  watch_options.field_selector = options_.field_selector;
  watch_options.timeout_seconds = options_.watch_timeout_seconds;
  watch_options.allow_watch_bookmarks = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    watch_options.resource_version = cache_.resource_version();
    ++stats_.watches;
  }
  bool gone = false;
  base::Status event_error;
  base::Status status = api_->Watch(
      options_.collection, watch_options,
      [&](const WatchEvent& event) {
        if (event.type == WatchEventType::kError) {
          event_error =
              StatusFromApiStatus(event.object, "WATCH " + options_.collection.Describe());
          gone = IsGone(event_error);
          return false;
        }
        base::Result<std::vector<Delta>> deltas = std::vector<Delta>{};
        {
          std::lock_guard<std::mutex> lock(mu_);
          deltas = cache_.Apply(event);
        }
        if (!deltas.ok()) {
          base::LogWarn("informer skipped event",
                        {{"informer", options_.name}, {"error", deltas.error().message()}});
          return true;
        }
        *progressed = true;
        Dispatch(*deltas);
        return true;
      },
      stop);
  if (gone || IsGone(status)) return WatchOutcome::kGone;
  if (status.ok() && event_error.ok()) return WatchOutcome::kEnded;
  base::LogWarn(
      "informer watch failed",
      {{"informer", options_.name}, {"error", (status.ok() ? event_error : status).ToString()}});
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.errors;
  return WatchOutcome::kFailed;
}

void Informer::Run(std::stop_token stop) {
  std::chrono::milliseconds delay = options_.initial_backoff;
  bool need_list = true;
  while (!stop.stop_requested()) {
    if (need_list) {
      if (!ListAndReplace(stop)) {
        Backoff(stop, &delay);
        continue;
      }
      need_list = false;
      delay = options_.initial_backoff;
    }
    const auto started = options_.env->SteadyNow();
    bool progressed = false;
    WatchOutcome outcome = WatchOnce(stop, &progressed);
    if (stop.stop_requested()) break;
    if (outcome == WatchOutcome::kGone) {
      base::LogInfo("informer resource version expired, relisting", {{"informer", options_.name}});
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.relists_gone;
      need_list = true;
      continue;
    }
    // A failed stream, or one that ended at once with nothing in it, waits before the next
    // attempt so a misbehaving server is not hammered; a normal stream end re-watches at once.
    bool quick = options_.env->SteadyNow() - started < std::chrono::seconds(1);
    if (outcome == WatchOutcome::kEnded && (progressed || !quick)) {
      delay = options_.initial_backoff;
    } else {
      Backoff(stop, &delay);
    }
  }
}

}  // namespace hami::k8s
