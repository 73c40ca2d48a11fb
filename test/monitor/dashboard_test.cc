// The Grafana dashboard (deploy/grafana/hami-dashboard.json) names only metrics we export: every
// PromQL expression of every panel and template variable is reduced to its metric names, which must
// be among the families the monitor's renderer writes (legacy included) or the scheduler's
// /metrics writes. Renaming a metric without updating the dashboard fails this test. Label: unit.
#include <fstream>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "extender/service.h"
#include "monitor/metrics.h"
#include "test/fakes/fake_kube_api.h"
#include "vendor/registry.h"

namespace hami {
namespace {

// Metric names referenced by a PromQL expression (functions, aggregations, keywords, label names
// in matchers and grouping clauses, strings, ranges and template variables are not metrics).
std::set<std::string> MetricsIn(std::string expr) {
  expr = std::regex_replace(expr, std::regex(R"("(\\.|[^"\\])*")"), " ");
  expr = std::regex_replace(expr, std::regex(R"(\{[^}]*\})"), " ");
  expr = std::regex_replace(expr, std::regex(R"(\[[^\]]*\])"), " ");
  expr = std::regex_replace(
      expr, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"), " ");
  static const std::set<std::string> kKeywords = {
      "by",     "without", "on",     "ignoring", "group_left", "group_right", "and", "or",
      "unless", "bool",    "offset", "inf",      "nan",        "Inf",         "NaN"};
  std::set<std::string> out;
  static const std::regex token(R"([A-Za-z_:][A-Za-z0-9_:]*)");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), token);
       it != std::sregex_iterator(); ++it) {
    const size_t pos = it->position(), end = pos + it->length();
    if (pos > 0 && (std::isalnum(static_cast<unsigned char>(expr[pos - 1])) ||
                    expr[pos - 1] == '.' || expr[pos - 1] == '$')) {
      continue;  // the tail of a number (1e3) or a $variable
    }
    size_t next = end;
    while (next < expr.size() && expr[next] == ' ') ++next;
    if (next < expr.size() && expr[next] == '(') continue;  // function or aggregation
    if (kKeywords.count(it->str()) == 0) out.insert(it->str());
  }
  return out;
}

// label_values(<expr>, <label>) / label_values(<label>): only <expr> holds metrics.
std::set<std::string> MetricsInVariable(const std::string& query) {
  static const std::regex lv(R"(^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$)");
  std::smatch m;
  if (std::regex_match(query, m, lv)) return MetricsIn(m[1]);
  if (query.rfind("label_values(", 0) == 0) return {};
  return MetricsIn(query);
}

std::set<std::string> FamiliesOf(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) out.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return out;
}

std::set<std::string> ExportedMetrics() {
  std::set<std::string> names;
  for (const std::string& n : monitor::MetricNames(true)) names.insert(n);
  fakes::FakeKubeApi api;
  vendor::Registry registry;
  extender::SchedulerService scheduler(api, registry, extender::ServiceConfig{});
  for (const std::string& n : FamiliesOf(scheduler.RenderMetrics())) names.insert(n);
  return names;
}

void CollectExprs(const nlohmann::json& panels,
                  std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& p : panels) {
    for (const auto& t : p.value("targets", nlohmann::json::array())) {
      if (t.contains("expr"))
        out->emplace_back(p.value("title", "?"), t["expr"].get<std::string>());
    }
    if (p.contains("panels")) CollectExprs(p["panels"], out);
  }
}

TEST(DashboardChecker, ExtractsMetricNames) {
  EXPECT_EQ(
      MetricsIn(
          R"(sum by (node) (rate(a_total{x=~"$n",y="b c"}[$__rate_interval])) / on(device_uuid) group_left(node) b * 1e3)"),
      (std::set<std::string>{"a_total", "b"}));
  EXPECT_EQ(MetricsIn("x and on(d) y unless z offset 5m"), (std::set<std::string>{"x", "y", "z"}));
  EXPECT_EQ(MetricsInVariable(R"(label_values(m{node=~"$node"}, device_uuid))"),
            (std::set<std::string>{"m"}));
  EXPECT_TRUE(MetricsInVariable("label_values(node)").empty());
}

TEST(Dashboard, EveryQueryNamesOnlyExportedMetrics) {
  std::ifstream in(HAMI_SOURCE_DIR "/deploy/grafana/hami-dashboard.json");
  ASSERT_TRUE(in) << "deploy/grafana/hami-dashboard.json missing";
  const nlohmann::json dash = nlohmann::json::parse(in);
  const std::set<std::string> exported = ExportedMetrics();
  ASSERT_GT(exported.count("hami_vgpu_memory_used_bytes"), 0u);
  ASSERT_GT(exported.count("hami_gpu_memory_allocated_bytes"), 0u) << "scheduler names missing";
  EXPECT_EQ(exported.count("hami_no_such_metric"), 0u);

  std::vector<std::pair<std::string, std::string>> exprs;
  CollectExprs(dash["panels"], &exprs);
  ASSERT_GE(exprs.size(), 20u);
  std::set<std::string> used;
  for (const auto& [title, expr] : exprs) {
    const auto names = MetricsIn(expr);
    EXPECT_FALSE(names.empty()) << title << ": " << expr;
    for (const std::string& n : names) {
      used.insert(n);
      EXPECT_EQ(exported.count(n), 1u) << "panel \"" << title << "\" queries " << n
                                       << ", which neither hami-monitor nor hami-scheduler exports";
    }
  }
  std::set<std::string> variables;
  for (const auto& v : dash["templating"]["list"]) {
    variables.insert(v["name"].get<std::string>());
    if (v.value("type", "") != "query") continue;
    const std::string q =
        v["query"].is_object() ? v["query"].value("query", "") : v["query"].get<std::string>();
    for (const std::string& n : MetricsInVariable(q)) {
      EXPECT_EQ(exported.count(n), 1u) << "variable " << v["name"] << " queries " << n;
    }
  }
  for (const char* v : {"node", "gpu", "namespace", "pod"}) EXPECT_EQ(variables.count(v), 1u) << v;
  // The drill-down covers host, slice and scheduler metrics.
  for (const char* n : {"hami_host_gpu_utilization_ratio", "hami_vgpu_memory_used_bytes",
                        "hami_vgpu_memory_limit_bytes", "hami_gpu_memory_allocated_bytes",
                        "hami_container_blocked"}) {
    EXPECT_EQ(used.count(n), 1u) << n << " not on the dashboard";
  }
}

}  // namespace
}  // namespace hami
