#include "net/prometheus_text.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace hami::net {
namespace {

TEST(PrometheusText, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)"
                             "\nd"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(EscapeHelp("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");
}

TEST(PrometheusText, FormatsValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(3000), "3000");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1e6), "1e+06");  // as Go's strconv.FormatFloat(v, 'g', -1, 64)
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(FormatValue(1e300)), 1e300);
}

TEST(PrometheusText, CounterAndGaugeFamilies) {
  PrometheusText p;
  p.Family("GPUDeviceMemoryLimit", "Device memory limit\nin bytes", MetricType::kGauge)
      .Sample("GPUDeviceMemoryLimit",
              {{"nodeid", "n1"}, {"deviceuuid", "GPU-\"x\""}, {"devicetype", "NVIDIA-A100"}},
              8.5e10)
      .Sample("GPUDeviceMemoryLimit", {}, 1)
      .Family("hami_requests_total", "Requests.", MetricType::kCounter)
      .Sample("hami_requests_total", {{"path", "C:\\x"}}, 7);
  EXPECT_EQ(p.text(),
            "# HELP GPUDeviceMemoryLimit Device memory limit\\nin bytes\n"
            "# TYPE GPUDeviceMemoryLimit gauge\n"
            "GPUDeviceMemoryLimit{nodeid=\"n1\",deviceuuid=\"GPU-\\\"x\\\"\","
            "devicetype=\"NVIDIA-A100\"} 8.5e+10\n"
            "GPUDeviceMemoryLimit 1\n"
            "# HELP hami_requests_total Requests.\n"
            "# TYPE hami_requests_total counter\n"
            "hami_requests_total{path=\"C:\\\\x\"} 7\n");
}

TEST(PrometheusText, HistogramAddsInfBucketSumAndCount) {
  PrometheusText p;
  p.Family("filter_seconds", "Filter latency.", MetricType::kHistogram)
      .Histogram("filter_seconds", {{"code", "200"}}, {{0.001, 3}, {0.01, 5}}, 0.042, 6);
  EXPECT_EQ(p.text(),
            "# HELP filter_seconds Filter latency.\n"
            "# TYPE filter_seconds histogram\n"
            "filter_seconds_bucket{code=\"200\",le=\"0.001\"} 3\n"
            "filter_seconds_bucket{code=\"200\",le=\"0.01\"} 5\n"
            "filter_seconds_bucket{code=\"200\",le=\"+Inf\"} 6\n"
            "filter_seconds_sum{code=\"200\"} 0.042\n"
            "filter_seconds_count{code=\"200\"} 6\n");
}

TEST(PrometheusText, HistogramKeepsGivenInfBucket) {
  PrometheusText p;
  p.Histogram("h", {}, {{1, 1}, {std::numeric_limits<double>::infinity(), 2}}, 3, 2);
  EXPECT_EQ(p.text(),
            "h_bucket{le=\"1\"} 1\n"
            "h_bucket{le=\"+Inf\"} 2\n"
            "h_sum 3\n"
            "h_count 2\n");
}

}  // namespace
}  // namespace hami::net
