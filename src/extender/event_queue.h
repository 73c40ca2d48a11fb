// EventQueue: the bounded queue between the HTTP handlers and the thread that POSTs Events.
//
// Events are the low-priority writes of the extender: they must never take API capacity away from
// binds. So they are paced by their own token bucket (separate from --kube-qps, as kube-scheduler
// uses a separate client for events) and bounded: when the queue is full a Warning event
// (FilteringFailed, BindingFailed: what a user debugging a Pending pod looks for) evicts the oldest
// Normal event; a Normal event is dropped. Every drop is counted.
// Thread-safe. Pop() blocks until an event is due or the stop token fires; pacing reads and waits
// on `env`.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "k8s/kube_api.h"
#include "k8s/rate_limiter.h"

namespace hami::extender {

struct EventQueueConfig {
  size_t capacity = 1000;
  double qps = 20;  // POSTs per second; <= 0: unpaced
  int burst = 50;
};

class EventQueue {
 public:
  using Item = std::pair<nlohmann::json, k8s::EventSpec>;  // involved object, event

  explicit EventQueue(EventQueueConfig config = {}, base::Env* env = base::Env::Default());

  // Queues an event; false when it (or, for a Warning, an older Normal one) was dropped.
  bool Push(nlohmann::json involved, k8s::EventSpec spec);
  // The next event, once the pacing allows it; nullopt when `stop` was requested.
  std::optional<Item> Pop(std::stop_token stop);
  // Wakes a Pop() waiting on a stop token that was just requested.
  void Wake();

  uint64_t dropped() const { return dropped_.load(); }
  size_t size() const;

 private:
  const size_t capacity_;
  base::Env* const env_;
  k8s::TokenBucket pace_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Item> items_;
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace hami::extender
