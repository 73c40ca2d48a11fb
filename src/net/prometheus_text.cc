#include "net/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace hami::net {
namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kUntyped:
      return "untyped";
  }
  return "untyped";
}

void AppendLabels(std::string* out, const Labels& labels) {
  if (labels.empty()) return;
  *out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) *out += ',';
    first = false;
    *out += name;
    *out += "=\"";
    *out += EscapeLabelValue(value);
    *out += '"';
  }
  *out += '}';
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, end);
}

PrometheusText& PrometheusText::Family(std::string_view name, std::string_view help,
                                       MetricType type) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  text_ += EscapeHelp(help);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += TypeName(type);
  text_ += '\n';
  return *this;
}

PrometheusText& PrometheusText::Sample(std::string_view name, const Labels& labels, double value) {
  text_ += name;
  AppendLabels(&text_, labels);
  text_ += ' ';
  text_ += FormatValue(value);
  text_ += '\n';
  return *this;
}

PrometheusText& PrometheusText::Histogram(std::string_view name, const Labels& labels,
                                          const std::vector<HistogramBucket>& buckets, double sum,
                                          uint64_t count) {
  const std::string base(name);
  bool has_inf = false;
  for (const auto& b : buckets) {
    Labels with_le = labels;
    with_le.emplace_back("le", FormatValue(b.upper_bound));
    has_inf = has_inf || std::isinf(b.upper_bound);
    Sample(base + "_bucket", with_le, static_cast<double>(b.cumulative_count));
  }
  if (!has_inf) {
    Labels with_le = labels;
    with_le.emplace_back("le", "+Inf");
    Sample(base + "_bucket", with_le, static_cast<double>(count));
  }
  Sample(base + "_sum", labels, sum);
  Sample(base + "_count", labels, static_cast<double>(count));
  return *this;
}

}  // namespace hami::net
