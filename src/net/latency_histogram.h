// LatencyHistogram: a fixed-bucket duration histogram for /metrics (seconds, Prometheus buckets).
//
// Observe() is lock-free (relaxed atomics); Snapshot() may see a bucket count and the sum from
// slightly different moments, which Prometheus tolerates. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "net/prometheus_text.h"

namespace hami::net {

class LatencyHistogram {
 public:
  // Upper bounds in seconds: 0.5 ms .. 10 s, roughly x2.5 apart.
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  10.0};

  void Observe(std::chrono::nanoseconds elapsed);

  // Writes the family header and one series (`labels`) to `out`.
  void Render(PrometheusText& out, std::string_view name, std::string_view help,
              const Labels& labels = {}) const;

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kBounds.size()> buckets_{};  // not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

// Observes the time from construction to destruction into `histogram`.
class ScopedLatency {
 public:
  explicit ScopedLatency(LatencyHistogram& histogram)
      : histogram_(histogram), start_(std::chrono::steady_clock::now()) {}
  ~ScopedLatency() { histogram_.Observe(std::chrono::steady_clock::now() - start_); }
  ScopedLatency(const ScopedLatency&) = delete;
  ScopedLatency& operator=(const ScopedLatency&) = delete;

 private:
  LatencyHistogram& histogram_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace hami::net
