#include "net/latency_histogram.h"

#include <gtest/gtest.h>

namespace hami::net {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(LatencyHistogramTest, BucketsAreCumulativeAndSumIsInSeconds) {
  LatencyHistogram h;
  h.Observe(microseconds(300));         // <= 0.5 ms
  h.Observe(milliseconds(3));           // <= 5 ms
  h.Observe(milliseconds(20));          // <= 25 ms
  h.Observe(std::chrono::seconds(60));  // above every bound: only +Inf
  PrometheusText out;
  h.Render(out, "x_seconds", "help");
  const std::string& text = out.text();
  EXPECT_NE(text.find("# TYPE x_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_bucket{le=\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_bucket{le=\"0.025\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_bucket{le=\"10\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_bucket{le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_sum 60.0233\n"), std::string::npos);
  EXPECT_NE(text.find("x_seconds_count 4\n"), std::string::npos);
}

TEST(LatencyHistogramTest, ScopedLatencyObservesOnce) {
  LatencyHistogram h;
  { ScopedLatency timer(h); }
  EXPECT_EQ(h.count(), 1u);
}

}  // namespace
}  // namespace hami::net
