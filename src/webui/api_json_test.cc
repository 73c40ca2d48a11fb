#include "webui/api_json.h"

#include <gtest/gtest.h>

#include "webui/test_cluster.h"

namespace hami::webui {
namespace {

using testing::GpuNode;
using testing::PendingPod;
using testing::SlicePod;
using testing::Uuid;
constexpr uint64_t kMiB = 1 << 20;

monitor::Snapshot UsedSnapshot(const std::string& node, uint64_t used, unsigned util) {
  monitor::Snapshot s;
  s.node = node;
  for (int i = 0; i < 2; ++i) {
    monitor::HostGpu g;
    g.index = i;
    g.uuid = Uuid(node, i);
    g.memory_total = 40960 * kMiB;
    g.memory_used = used;
    g.utilization_gpu = util;
    s.gpus.push_back(g);
  }
  return s;
}

class ApiJsonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nodes_ = {GpuNode("n1", 2, "10.0.0.1", /*unhealthy=*/1),
              GpuNode("n2", 1),
              GpuNode("n3", 4),
              {{"kind", "Node"}, {"metadata", {{"name", "cpu-only"}}}}};
    pods_ = {SlicePod("team-a", "train", "n1", Uuid("n1", 0), 3000, 30),
             SlicePod("team-b", "infer", "n1", Uuid("n1", 0), 2000, 20),
             SlicePod("team-b", "big", "n3", Uuid("n3", 2), 40000, 100),
             SlicePod("team-b", "old", "n3", Uuid("n3", 1), 1000, 10, "Succeeded"),
             PendingPod("team-a", "waiting", 50000),
             {{"kind", "Pod"}, {"metadata", {{"namespace", "x"}, {"name", "cpu"}}}}};
    monitors_["n1"] = {UsedSnapshot("n1", 4000 * kMiB, 50), true, 90, ""};
    monitors_["n2"] = {std::nullopt, false, 0, "connection refused"};
    pending_["team-a/waiting"] = {
        "team-a",
        "waiting",
        "waiting-uid",
        80,
        95,
        {{"CardInsufficientMemory", "3 nodes: no GPU with 50000 MiB free", 3}}};
    model_ = BuildModel({nodes_, pods_, monitors_, pending_, 7, 100}, registry_);
  }
  vendor::Registry registry_;
  std::vector<nlohmann::json> nodes_, pods_;
  MonitorReports monitors_;
  std::map<std::string, PendingEntry> pending_;
  ClusterModel model_;
};

TEST_F(ApiJsonTest, Overview) {
  const nlohmann::json o = OverviewJson(model_, {});
  EXPECT_EQ(o["generatedAt"], "1970-01-01T00:01:40Z");
  const auto& t = o["totals"];
  EXPECT_EQ(t["nodes"], 3);
  EXPECT_EQ(t["gpus"], 7);
  EXPECT_EQ(t["healthyGpus"], 6);
  EXPECT_EQ(t["memoryTotal"], 7 * 40960 * kMiB);
  EXPECT_EQ(t["memoryAllocated"], (3000 + 2000 + 40000) * kMiB);
  EXPECT_EQ(t["memoryUsed"], 8000 * kMiB);  // the GPUs with a known value
  EXPECT_EQ(t["coresTotal"], 700);
  EXPECT_EQ(t["coresAllocated"], 150);
  EXPECT_EQ(t["utilization"], 50.0);
  EXPECT_EQ(t["pods"], 4);
  EXPECT_EQ(t["pendingPods"], 1);
  ASSERT_EQ(o["models"].size(), 1u);
  EXPECT_EQ(o["models"][0]["vendor"], "NVIDIA");
  EXPECT_EQ(o["models"][0]["gpus"], 7);
  EXPECT_EQ(o["monitors"]["reachable"], 1);
  EXPECT_EQ(o["monitors"]["unreachable"], nlohmann::json({"n2"}));
  // A viewer of team-b only counts team-b's pods.
  const Viewer team_b{[](const std::string& ns) { return ns == "team-b"; }};
  EXPECT_EQ(OverviewJson(model_, team_b)["totals"]["pods"], 2);
}

TEST_F(ApiJsonTest, NodesPageSortSearch) {
  auto page = NodesJson(model_, "");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["total"], 3);
  EXPECT_EQ((*page)["items"][0]["name"], "n1");
  const auto& n1 = (*page)["items"][0];
  EXPECT_EQ(n1["gpus"], 2);
  EXPECT_EQ(n1["healthyGpus"], 1);
  EXPECT_EQ(n1["memoryUsed"], 8000 * kMiB);
  EXPECT_EQ(n1["pods"], 2);
  EXPECT_EQ(n1["monitor"], "ok");
  EXPECT_EQ((*page)["items"][1]["monitor"], "unreachable");
  EXPECT_TRUE((*page)["items"][1]["memoryUsed"].is_null());
  EXPECT_EQ((*page)["items"][2]["monitor"], "unknown");

  page = NodesJson(model_, "sort=gpus&order=desc&pageSize=2&page=1");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["items"].size(), 2u);
  EXPECT_EQ((*page)["items"][0]["name"], "n3");
  EXPECT_EQ((*page)["items"][1]["name"], "n1");
  EXPECT_EQ((*page)["pageSize"], 2);
  page = NodesJson(model_, "sort=gpus&order=desc&pageSize=2&page=2");
  EXPECT_EQ((*page)["items"][0]["name"], "n2");
  // Unknown values sort last in either order.
  page = NodesJson(model_, "sort=memoryUsed&order=asc");
  EXPECT_EQ((*page)["items"][0]["name"], "n1");
  page = NodesJson(model_, "search=N3");
  EXPECT_EQ((*page)["total"], 1);
  EXPECT_FALSE(NodesJson(model_, "sort=bogus").ok());
}

TEST_F(ApiJsonTest, NodeAndGpuDetail) {
  const nlohmann::json n = NodeJson(model_, *model_.Node("n1"));
  ASSERT_EQ(n["gpus"].size(), 2u);
  EXPECT_EQ(n["gpus"][1]["health"], false);
  const GpuRow* g = model_.Gpu(Uuid("n1", 0));
  ASSERT_NE(g, nullptr);
  const nlohmann::json d =
      GpuJson(*g, model_, {{60, 40.0, 1000 * kMiB}, {75, std::nullopt, std::nullopt}}, {});
  EXPECT_EQ(d["slices"].size(), 2u);
  EXPECT_EQ(d["slices"][0]["namespace"], "team-a");
  EXPECT_EQ(d["slices"][0]["memoryLimit"], 3000 * kMiB);
  EXPECT_EQ(d["slices"][0]["cores"], 30);
  EXPECT_EQ(d["slices"][0]["priority"], 1);
  EXPECT_EQ(d["memoryAllocated"], 5000 * kMiB);
  EXPECT_EQ(d["history"][0],
            (nlohmann::json{{"t", 60}, {"utilization", 40.0}, {"memoryUsed", 1000 * kMiB}}));
  EXPECT_TRUE(d["history"][1]["utilization"].is_null());
  const Viewer team_b{[](const std::string& ns) { return ns == "team-b"; }};
  EXPECT_EQ(GpuJson(*g, model_, {}, team_b)["slices"].size(), 1u);
}

TEST_F(ApiJsonTest, GpusFilterAndSort) {
  auto page = GpusJson(model_, "node=n3&sort=memoryAllocated&order=desc");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["total"], 4);
  EXPECT_EQ((*page)["items"][0]["uuid"], Uuid("n3", 2));
  EXPECT_EQ((*page)["items"][0]["slices"], 1);
  page = GpusJson(model_, "search=n1-1");
  EXPECT_EQ((*page)["total"], 1);
  EXPECT_FALSE(GpusJson(model_, "pageSize=1000").ok());
}

TEST_F(ApiJsonTest, PodsAndPending) {
  auto page = PodsJson(model_, "", {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ((*page)["total"], 4);  // GPU pods only, finished ones left out
  page = PodsJson(model_, "pending=true", {});
  ASSERT_EQ((*page)["total"], 1);
  const auto& w = (*page)["items"][0];
  EXPECT_EQ(w["name"], "waiting");
  EXPECT_TRUE(w["node"].is_null());
  EXPECT_EQ(w["memory"], 50000 * kMiB);
  EXPECT_EQ(w["pendingReason"], "3 nodes: no GPU with 50000 MiB free");
  page = PodsJson(model_, "namespace=team-b&sort=memory&order=desc", {});
  EXPECT_EQ((*page)["items"][0]["name"], "big");
  EXPECT_EQ((*page)["items"][0]["gpus"], nlohmann::json({Uuid("n3", 2)}));
  EXPECT_FALSE(PodsJson(model_, "pending=maybe", {}).ok());
  const Viewer team_a{[](const std::string& ns) { return ns == "team-a"; }};
  EXPECT_EQ((*PodsJson(model_, "", team_a))["total"], 2);

  const nlohmann::json pending = PendingJson(model_, {});
  ASSERT_EQ(pending["items"].size(), 1u);
  EXPECT_EQ(pending["items"][0]["since"], "1970-01-01T00:01:20Z");
  EXPECT_EQ(pending["items"][0]["reasons"][0]["code"], "CardInsufficientMemory");
  EXPECT_EQ(pending["items"][0]["reasons"][0]["nodes"], 3);
}

TEST_F(ApiJsonTest, PodDetail) {
  const nlohmann::json events = {{"type", "Normal"},
                                 {"reason", "BindingSucceed"},
                                 {"message", "ok"},
                                 {"count", 2},
                                 {"lastTimestamp", "2026-01-01T00:00:00Z"}};
  const nlohmann::json p = PodJson(*model_.Pod("team-a/train"), {events});
  EXPECT_EQ(p["node"], "n1");
  EXPECT_EQ(p["uid"], "train-uid");
  ASSERT_EQ(p["containers"].size(), 1u);
  EXPECT_EQ(p["containers"][0]["name"], "main");
  EXPECT_EQ(p["containers"][0]["devices"][0]["memory"], 3000 * kMiB);
  EXPECT_EQ(p["containers"][0]["limits"]["CUDA_DEVICE_MEMORY_LIMIT_0"], "3000m");
  EXPECT_EQ(p["containers"][0]["limits"]["CUDA_DEVICE_SM_LIMIT"], "30");
  EXPECT_EQ(p["events"][0]["reason"], "BindingSucceed");
  EXPECT_EQ(p["events"][0]["count"], 2);
  EXPECT_TRUE(p["pending"].is_null());
  EXPECT_EQ(p["kubectl"], "kubectl -n team-a describe pod train");
  const nlohmann::json w = PodJson(*model_.Pod("team-a/waiting"), {});
  EXPECT_EQ(w["pending"]["reasons"][0]["text"], "3 nodes: no GPU with 50000 MiB free");
  EXPECT_EQ(VersionJson({})["versions"], nlohmann::json({"v1"}));
  EXPECT_EQ(ErrorBody("x"), R"({"error":"x"})");
}

}  // namespace
}  // namespace hami::webui
