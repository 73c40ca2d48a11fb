#include "extender/event_queue.h"

#include <algorithm>

namespace hami::extender {

EventQueue::EventQueue(EventQueueConfig config)
    : capacity_(std::max<size_t>(config.capacity, 1)), pace_(config.qps, config.burst) {}

bool EventQueue::Push(nlohmann::json involved, k8s::EventSpec spec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (items_.size() >= capacity_) {
    auto normal = std::find_if(items_.begin(), items_.end(),
                               [](const Item& item) { return item.second.type != "Warning"; });
    if (spec.type != "Warning" || normal == items_.end()) {
      dropped_++;
      return false;
    }
    items_.erase(normal);
    dropped_++;
    items_.emplace_back(std::move(involved), std::move(spec));
    cv_.notify_one();
    return false;
  }
  items_.emplace_back(std::move(involved), std::move(spec));
  cv_.notify_one();
  return true;
}

std::optional<EventQueue::Item> EventQueue::Pop(std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, stop, [this] { return !items_.empty(); });
  if (stop.stop_requested()) return std::nullopt;
  // Pace before taking the item, so a Warning pushed meanwhile can still evict it.
  const auto wait = pace_.Reserve(k8s::TokenBucket::Clock::now());
  if (wait.count() > 0) {
    cv_.wait_for(lock, stop, wait, [] { return false; });
    if (stop.stop_requested()) return std::nullopt;
  }
  if (items_.empty()) return std::nullopt;  // cannot happen: only Pop() removes items
  Item item = std::move(items_.front());
  items_.pop_front();
  return item;
}

void EventQueue::Wake() { cv_.notify_all(); }

size_t EventQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

}  // namespace hami::extender
