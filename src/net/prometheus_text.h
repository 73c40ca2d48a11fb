// Prometheus text exposition format (version 0.0.4) writer: HELP/TYPE lines, samples with escaped
// label values, histograms with cumulative `le` buckets, `_sum` and `_count`.
//
// Contract: metric and label names are program constants and are written as given (not checked);
// label values and HELP text are escaped (`\\`, `\"` (labels only), `\n`). Values print as the
// shortest text that reads back to the same double (std::to_chars: 3000, 0.1, 1e+06, 5e-04,
// 3145728000); client_golang (FormatFloat 'g', -1) writes the same values, sometimes in the other
// notation (3.145728e+09), which Prometheus parses alike. NaN and ±Inf as "NaN", "+Inf", "-Inf".
// Families must be written whole (header, then its samples) — the writer does not reorder.
// Value type; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hami::net {

// WIRE: Content-Type of a /metrics response in this format.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string, std::string>>;  // written in this order

enum class MetricType { kCounter, kGauge, kHistogram, kUntyped };

struct HistogramBucket {
  double upper_bound;  // `le`; a +Inf bucket is added by the writer when missing
  uint64_t cumulative_count;
};

class PrometheusText {
 public:
  // "# HELP <name> <help>\n# TYPE <name> <type>\n".
  PrometheusText& Family(std::string_view name, std::string_view help, MetricType type);
  // "<name>{k="v",...} <value>\n" (no braces when `labels` is empty).
  PrometheusText& Sample(std::string_view name, const Labels& labels, double value);
  // One histogram series: <name>_bucket{labels...,le="b"} c for each bucket (+Inf = count),
  // <name>_sum, <name>_count. Buckets must be sorted by upper bound.
  PrometheusText& Histogram(std::string_view name, const Labels& labels,
                            const std::vector<HistogramBucket>& buckets, double sum,
                            uint64_t count);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);
// Escapes HELP text: backslash and newline.
std::string EscapeHelp(std::string_view help);
// The sample value text described above.
std::string FormatValue(double value);

}  // namespace hami::net
