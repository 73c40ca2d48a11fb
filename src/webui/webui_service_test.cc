// The web UI's HTTP surface: routes, errors, assets, scraping, pending reasons and the event
// stream, against a fake cluster source and a fake API server.
#include "webui/webui_service.h"
#include "test/fakes/loopback_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>
#include <httplib.h>

#include "monitor/metrics.h"
#include "test/fakes/fake_kube_api.h"
#include "webui/test_cluster.h"

namespace hami::webui {
namespace {

using fakes::ReadUntil;

using testing::GpuNode;
using testing::PendingPod;
using testing::SlicePod;
using testing::Uuid;

class WebUiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nodes_ = {GpuNode("n1", 2, "10.0.0.1"), GpuNode("n2", 1, "10.0.0.2")};
    pods_ = {SlicePod("team-a", "train", "n1", Uuid("n1", 0), 3000, 30),
             PendingPod("team-a", "waiting", 50000)};
    ASSERT_TRUE(api_.Create(k8s::EventsPath("team-a"),
                            {{"metadata", {{"name", "e1"}, {"namespace", "team-a"}}},
                             {"involvedObject", {{"name", "train"}, {"uid", "train-uid"}}},
                             {"type", "Normal"},
                             {"reason", "BindingSucceed"},
                             {"message", "bound"},
                             {"count", 1}})
                    .ok());
    WebUiConfig c;
    c.bind_address = "127.0.0.1:0";
    c.scrape = false;
    c.min_rebuild_interval = std::chrono::milliseconds(0);
    c.stream_interval = std::chrono::milliseconds(20);
    c.keepalive = std::chrono::milliseconds(60000);
    c.max_streams = 1;
    c.fetch = [this](const std::string& url,
                     std::chrono::milliseconds) -> base::Result<std::string> {
      fetched_++;
      if (url != "http://10.0.0.1:9394/metrics") return base::Unavailable(url + ": refused");
      monitor::Snapshot s;
      s.node = "n1";
      monitor::HostGpu g;
      g.uuid = Uuid("n1", 0);
      g.memory_total = 40960ULL << 20;
      g.memory_used = 1234ULL << 20;
      g.utilization_gpu = 42;
      s.gpus.push_back(g);
      return monitor::RenderMetrics(s, {});
    };
    ClusterSource source{[this] { return nodes_; }, [this] { return pods_; },
                         [this] { return generation_.load(); }};
    service_ = std::make_unique<WebUiService>(source, registry_, &api_, c);
    ASSERT_TRUE(service_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", service_->port());
  }
  nlohmann::json GetJson(const std::string& path, int want = 200) {
    auto res = client_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return nullptr;
    EXPECT_EQ(res->status, want) << path << ": " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json") << path;
    return nlohmann::json::parse(res->body);
  }

  vendor::Registry registry_;
  fakes::FakeKubeApi api_;
  std::vector<nlohmann::json> nodes_, pods_;
  std::atomic<uint64_t> generation_{1};
  std::atomic<int> fetched_{0};
  std::unique_ptr<WebUiService> service_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebUiServiceTest, RoutesAndErrors) {
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(client_->Get("/ui/index.html")->body, res->body);
  EXPECT_EQ(client_->Get("/ui/no-such.js")->status, 404);
  EXPECT_EQ(client_->Post("/api/v1/overview", "", "text/plain")->status, 405);

  EXPECT_EQ(GetJson("/api/version")["versions"], nlohmann::json({"v1"}));
  EXPECT_EQ(GetJson("/api/v1/overview")["totals"]["gpus"], 3);
  EXPECT_EQ(GetJson("/api/v1/nodes")["total"], 2);
  EXPECT_EQ(GetJson("/api/v1/nodes/n1")["gpus"].size(), 2u);
  EXPECT_EQ(GetJson("/api/v1/gpus?node=n2")["total"], 1);
  EXPECT_EQ(GetJson("/api/v1/gpus/" + Uuid("n1", 0))["slices"][0]["pod"], "train");
  EXPECT_EQ(GetJson("/api/v1/pods")["total"], 2);
  const nlohmann::json pod = GetJson("/api/v1/pods/team-a/train");
  EXPECT_EQ(pod["events"][0]["reason"], "BindingSucceed");
  EXPECT_EQ(pod["containers"][0]["limits"]["CUDA_DEVICE_MEMORY_LIMIT_0"], "3000m");

  EXPECT_NE(GetJson("/api/v1/nope", 404)["error"].get<std::string>().find("/api/v1/nope"),
            std::string::npos);
  EXPECT_TRUE(GetJson("/api/v2/overview", 404).contains("error"));
  EXPECT_TRUE(GetJson("/api/v1/nodes/zz", 404).contains("error"));
  EXPECT_TRUE(GetJson("/api/v1/gpus/GPU-zz", 404).contains("error"));
  EXPECT_TRUE(GetJson("/api/v1/pods/team-a/zz", 404).contains("error"));
  EXPECT_NE(GetJson("/api/v1/nodes?pageSize=501", 400)["error"].get<std::string>().find("pageSize"),
            std::string::npos);
  EXPECT_TRUE(GetJson("/api/v1/pods?pending=x", 400).contains("error"));
}

TEST_F(WebUiServiceTest, PendingReasonsFromFilterUntilBound) {
  service_->RecordFilter(
      pods_[1], {{"n1", "2/2 CardInsufficientMemory"}, {"n2", "1/1 CardInsufficientMemory"}}, "",
      false);
  nlohmann::json pending = GetJson("/api/v1/pending");
  ASSERT_EQ(pending["items"].size(), 1u);
  EXPECT_EQ(pending["items"][0]["reasons"][0]["text"], "2 nodes: no GPU with 50000 MiB free");
  EXPECT_EQ(GetJson("/api/v1/pods?pending=true")["items"][0]["pendingReason"],
            "2 nodes: no GPU with 50000 MiB free");
  EXPECT_EQ(GetJson("/api/v1/pods/team-a/waiting")["pending"]["reasons"][0]["code"],
            "CardInsufficientMemory");
  pods_[1] = SlicePod("team-a", "waiting", "n2", Uuid("n2", 0), 30000, 0);
  generation_++;
  EXPECT_TRUE(GetJson("/api/v1/pending")["items"].empty());
  EXPECT_TRUE(GetJson("/api/v1/pods/team-a/waiting")["pending"].is_null());
}

TEST_F(WebUiServiceTest, ScrapesMonitorsAndKeepsHistory) {
  service_->scraper().ScrapeOnce();
  EXPECT_EQ(fetched_.load(), 2);
  const nlohmann::json o = GetJson("/api/v1/overview");
  EXPECT_EQ(o["monitors"]["reachable"], 1);
  EXPECT_EQ(o["monitors"]["unreachable"], nlohmann::json({"n2"}));
  const nlohmann::json gpu = GetJson("/api/v1/gpus/" + Uuid("n1", 0));
  EXPECT_EQ(gpu["memoryUsed"], 1234ULL << 20);
  EXPECT_EQ(gpu["utilization"], 42.0);
  ASSERT_EQ(gpu["history"].size(), 1u);
  EXPECT_EQ(gpu["history"][0]["memoryUsed"], 1234ULL << 20);
  EXPECT_EQ(GetJson("/api/v1/nodes/n2")["monitor"], "unreachable");
}

TEST_F(WebUiServiceTest, GpuDetailOnTheNodeAsked) {
  // Simulated nodes of one model share UUIDs: n2's GPU takes n1's.
  auto& reg = nodes_[1]["metadata"]["annotations"]["hami.io/node-nvidia-register"];
  std::string text = reg.get<std::string>();
  text.replace(text.find(Uuid("n2", 0)), Uuid("n2", 0).size(), Uuid("n1", 0));
  reg = text;
  generation_++;
  EXPECT_EQ(GetJson("/api/v1/gpus/" + Uuid("n1", 0) + "?node=n2")["node"], "n2");
  EXPECT_EQ(GetJson("/api/v1/gpus/" + Uuid("n1", 0) + "?node=n1")["node"], "n1");
  EXPECT_TRUE(GetJson("/api/v1/gpus/" + Uuid("n1", 0) + "?node=n3", 404).contains("error"));
  EXPECT_TRUE(GetJson("/api/v1/gpus/" + Uuid("n1", 0) + "?nod=n1", 400).contains("error"));
}

TEST_F(WebUiServiceTest, HistoryGoesWithItsNode) {
  service_->scraper().ScrapeOnce();
  ASSERT_EQ(service_->scraper().History("n1", Uuid("n1", 0)).size(), 1u);
  nodes_.erase(nodes_.begin());  // n1 leaves the cluster
  generation_++;
  service_->scraper().ScrapeOnce();
  EXPECT_TRUE(service_->scraper().History("n1", Uuid("n1", 0)).empty());
}

TEST_F(WebUiServiceTest, StreamSendsUpdatesAndIsBounded) {
  const int fd = fakes::ConnectLoopback(service_->port());
  const std::string req = "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string got;
  ReadUntil(fd, "}\n\n", &got);  // the head and the first event
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
  EXPECT_NE(got.find("Cache-Control: no-cache"), std::string::npos);
  EXPECT_NE(got.find("event: update\ndata: {\"generation\":"), std::string::npos) << got;
  // A second stream is over the bound (max_streams 1).
  EXPECT_EQ(client_->Get("/api/v1/stream")->status, 503);
  // A change is announced.
  const size_t before = got.size();
  generation_ += 5;
  std::string more;
  ReadUntil(fd, "}\n\n", &more);
  EXPECT_NE(more.find("event: update\ndata: {\"generation\":"), std::string::npos) << more;
  EXPECT_GT(before, 0u);
  close(fd);
}

}  // namespace
}  // namespace hami::webui
