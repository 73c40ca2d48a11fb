#include "net/latency_histogram.h"

namespace hami::net {

void LatencyHistogram::Observe(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(elapsed.count() > 0 ? elapsed.count() : 0),
                    std::memory_order_relaxed);
}

void LatencyHistogram::Render(PrometheusText& out, std::string_view name, std::string_view help,
                              const Labels& labels) const {
  std::vector<HistogramBucket> buckets;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    buckets.push_back({kBounds[i], cumulative});
  }
  const uint64_t count = count_.load(std::memory_order_relaxed);
  out.Family(name, help, MetricType::kHistogram);
  out.Histogram(name, labels, buckets, sum_ns_.load(std::memory_order_relaxed) / 1e9,
                count < cumulative ? cumulative : count);
}

}  // namespace hami::net
