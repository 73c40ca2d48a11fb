#include "extender/event_queue.h"

#include <algorithm>

namespace hami::extender {

EventQueue::EventQueue(EventQueueConfig config, base::Env* env)
    : capacity_(std::max<size_t>(config.capacity, 1)), env_(env), pace_(config.qps, config.burst) {}

bool EventQueue::Push(nlohmann::json involved, k8s::EventSpec spec) {
  std::lock_guard<std::mutex> lock(mu_);
  bool nothing_dropped = true;
  if (items_.size() >= capacity_) {
    dropped_++;
    auto normal = std::find_if(items_.begin(), items_.end(),
                               [](const Item& item) { return item.second.type != "Warning"; });
    if (spec.type != "Warning" || normal == items_.end()) return false;
    items_.erase(normal);
    nothing_dropped = false;
  }
  items_.emplace_back(std::move(involved), std::move(spec));
  cv_.notify_one();
  return nothing_dropped;
}

std::optional<EventQueue::Item> EventQueue::Pop(std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  while (cv_.wait(lock, stop, [this] { return !items_.empty(); })) {
    // Pace before taking the item, so a Warning pushed meanwhile can still evict it.
    const auto wait = pace_.Reserve(env_->SteadyNow());
    if (wait.count() > 0) {
      env_->WaitFor(
          cv_, lock, wait, [] { return false; }, stop);
    }
    if (stop.stop_requested()) break;
    if (items_.empty()) continue;
    Item item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  return std::nullopt;  // stop requested
}

void EventQueue::Wake() { cv_.notify_all(); }

size_t EventQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

}  // namespace hami::extender
