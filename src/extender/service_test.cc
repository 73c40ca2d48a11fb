// SchedulerService over HTTPS on the in-memory API server fake: the issue-14 attacks on /filter,
// /bind and an added route (hami-scheduler's /webhook) from clients that are not kube-scheduler or
// the API server.
#include "extender/service.h"
#include "extender/service_test_util.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>

#include "net/test_pki.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::extender {
namespace {

using Json = nlohmann::json;
namespace test_pki = net::test_pki;

Json GpuPod(const std::string& name, const std::string& uid, int mem) {
  Json pod = Json::parse(R"({"metadata":{"namespace":"default"},"spec":{"containers":[{"name":"c",
      "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"0"}}}]}})");
  pod["metadata"]["name"] = name;
  if (!uid.empty()) pod["metadata"]["uid"] = uid;
  pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpumem"] = std::to_string(mem);
  return pod;
}

class ServiceTest : public ::testing::Test {
 protected:
  virtual bool SuccessEvents() const { return false; }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hami-service-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    ca_ = test_pki::MakeCert("test-ca", nullptr, "ca");
    ca_.Write(dir_, "ca");
    serving_ = test_pki::MakeCert("hami-scheduler", &ca_, "server");
    serving_.Write(dir_, "server");
    scheduler_ = test_pki::MakeCert("hami-extender-client", &ca_, "client");
    scheduler_.Write(dir_, "extender-client");
    apiserver_ = test_pki::MakeCert("hami-webhook-client", &ca_, "client");
    apiserver_.Write(dir_, "webhook-client");

    ServiceConfig config;
    config.http.bind_address = "127.0.0.1:0";
    config.http.tls = net::TlsFiles{serving_.cert_file, serving_.key_file};
    config.extender_clients = net::ClientCertPolicy{ca_.cert_file, {"hami-extender-client"}};
    config.metrics_bind = "";
    config.success_events = SuccessEvents();
    service_ = std::make_unique<SchedulerService>(api_, registry_, config);
    // As hami-scheduler adds /webhook (apps/hami_scheduler_main.cc), with a stand-in handler.
    service_->Handle(
        "POST", "/webhook",
        [](const net::HttpRequest& r) {
          return net::HttpResponse{200, "application/json", r.body};
        },
        net::ClientCertPolicy{ca_.cert_file, {"hami-webhook-client"}});
    ASSERT_TRUE(service_->Start().ok());
    ASSERT_TRUE(service_->cache().UpsertNode(OneT4Node()).ok());
  }
  void TearDown() override {
    service_->Stop();
    std::filesystem::remove_all(dir_);
  }

  // POST as the holder of `cert` (none: no client certificate); {status, body}, status -1 when
  // nothing came back.
  std::pair<int, std::string> Post(const std::string& path, const std::string& body,
                                   const test_pki::TestCert* cert) {
    auto client = cert ? std::make_unique<httplib::SSLClient>("127.0.0.1", service_->http_port(),
                                                              cert->cert_file, cert->key_file)
                       : std::make_unique<httplib::SSLClient>("127.0.0.1", service_->http_port());
    client->set_ca_cert_path(ca_.cert_file);
    client->set_read_timeout(30);
    auto res = client->Post(path, body, "application/json");
    return res ? std::make_pair(res->status, res->body) : std::make_pair(-1, std::string());
  }
  Json Filter(const Json& pod) {
    auto [status, body] =
        Post("/filter", Json{{"Pod", pod}, {"NodeNames", {"n1"}}}.dump(), &scheduler_);
    EXPECT_EQ(status, 200) << body;
    return status == 200 ? Json::parse(body) : Json();
  }

  // Filters and binds a pod that fits n1, then filters one that fits nowhere; returns the reasons
  // of the events recorded in namespace default once the last one (FilteringFailed, queued
  // after the others) has reached the API server.
  std::vector<std::string> EventsOfAFitAndAMiss() {
    Json fits = *api_.Create(k8s::PodsPath("default"), GpuPod("fits", "", 100));
    EXPECT_EQ(Filter(fits)["Error"], "");
    const std::string bind = Json{
        {"PodName", "fits"},
        {"PodNamespace", "default"},
        {"PodUID", fits["metadata"]["uid"]},
        {"Node", "n1"}}.dump();
    EXPECT_EQ(Post("/bind", bind, &scheduler_),
              std::make_pair(200, std::string(R"({"Error":""})")));
    Filter(*api_.Create(k8s::PodsPath("default"), GpuPod("too-big", "", 5000)));
    std::vector<std::string> reasons;
    for (int i = 0; i < 500; ++i) {
      reasons.clear();
      auto events = api_.List(k8s::EventsPath("default"), {});
      for (const auto& event : events->items) reasons.push_back(event["reason"]);
      if (!reasons.empty() && reasons.back() == kFilteringFailed) return reasons;
      usleep(10'000);
    }
    ADD_FAILURE() << "FilteringFailed never recorded";
    return reasons;
  }

  std::filesystem::path dir_;
  test_pki::TestCert ca_, serving_, scheduler_, apiserver_;
  fakes::FakeKubeApi api_;
  vendor::Registry registry_;
  std::unique_ptr<SchedulerService> service_;
};

// Issue 14: ten /filter calls for pods that do not exist booked the card for 120 s, so a real pod
// did not fit. Now they book nothing and the real pod fits.
TEST_F(ServiceTest, FakeUidsBookNothing) {
  for (int i = 0; i < 10; ++i) {
    Json out = Filter(GpuPod("fake-" + std::to_string(i), "uid-" + std::to_string(i), 100));
    EXPECT_EQ(out["Error"],
              "hami-scheduler: pod default/fake-" + std::to_string(i) + " does not exist");
  }
  EXPECT_EQ(service_->cache().PodCount(), 0u);
  Json real = *api_.Create(k8s::PodsPath("default"), GpuPod("real", "", 1000));
  Json out = Filter(real);
  EXPECT_EQ(out["Error"], "");
  EXPECT_EQ(out["NodeNames"], Json::array({"n1"}));
  EXPECT_EQ(service_->cache().PodCount(), 1u);
  // Its name with another UID books nothing more and leaves its decision alone.
  out = Filter(GpuPod("real", "uid-0", 1000));
  EXPECT_NE(out["Error"].get<std::string>().find("not uid-0"), std::string::npos);
  EXPECT_TRUE(service_->cache().Assumed(real["metadata"]["uid"]));
}

// Issue 14: /bind, without auth and without a /filter, posted a Binding for a pod of another
// namespace to an arbitrary node. Without kube-scheduler's certificate it is now 403; with it, a
// pod /filter did not decide for is not bound.
TEST_F(ServiceTest, BindNeedsTheSchedulersCertificateAndAFilter) {
  Json victim = *api_.Create(k8s::PodsPath("other"),
                             Json::parse(R"({"metadata":{"name":"victim","namespace":"other"},
                                             "spec":{"containers":[{"name":"c"}]}})"));
  const std::string bind = Json{
      {"PodName", "victim"},
      {"PodNamespace", "other"},
      {"PodUID", victim["metadata"]["uid"]},
      {"Node", "n1"}}.dump();
  EXPECT_EQ(Post("/bind", bind, nullptr).first, 403);
  EXPECT_EQ(Post("/bind", bind, &apiserver_).first, 403);
  auto [status, body] = Post("/bind", bind, &scheduler_);
  EXPECT_EQ(status, 200);
  EXPECT_NE(Json::parse(body)["Error"].get<std::string>().find("no /filter decision"),
            std::string::npos)
      << body;
  EXPECT_FALSE((*api_.Get(k8s::PodsPath("other", "victim")))["spec"].contains("nodeName"));
  // The real flow still binds: a pod asking for no device is passed through, then bound.
  Filter(victim);
  EXPECT_EQ(Post("/bind", bind, &scheduler_), std::make_pair(200, std::string(R"({"Error":""})")));
  EXPECT_EQ((*api_.Get(k8s::PodsPath("other", "victim")))["spec"]["nodeName"], "n1");
}

// Issue 15: the success events repeat kube-scheduler's Scheduled event at two API writes per
// pod; by default only the failures are recorded.
TEST_F(ServiceTest, RecordsOnlyFailureEventsByDefault) {
  EXPECT_EQ(EventsOfAFitAndAMiss(), std::vector<std::string>{kFilteringFailed});
}

class ServiceSuccessEventsTest : public ServiceTest {
 protected:
  bool SuccessEvents() const override { return true; }
};

// --success-events: upstream's events, in the order they happened.
TEST_F(ServiceSuccessEventsTest, RecordsUpstreamsSuccessEvents) {
  EXPECT_EQ(EventsOfAFitAndAMiss(),
            (std::vector<std::string>{kFilteringSucceed, kBindingSucceed, kFilteringFailed}));
}

// An added route is served on the /filter server with its own client policy.
TEST_F(ServiceTest, AddedRouteNeedsItsOwnClientsCertificate) {
  const std::string review = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
      "request":{"uid":"u","operation":"CREATE","object":{"metadata":{"namespace":"ml"},
      "spec":{"containers":[{"name":"c"}]}}}})";
  EXPECT_EQ(Post("/webhook", review, nullptr).first, 403);
  EXPECT_EQ(Post("/webhook", review, &scheduler_).first, 403);
  EXPECT_EQ(Post("/webhook", review, &apiserver_), std::make_pair(200, review));
  EXPECT_EQ(Post("/filter", "{}", &apiserver_).first, 403);
}

// Issue 14: ~135k nested '[' (270 KB) crashed hami-scheduler through a stack overflow. Now 400
// on /filter and /bind (and /webhook: webhook/handler_test.cc), and the service keeps answering.
TEST_F(ServiceTest, DeeplyNestedBodiesAre400) {
  const std::string deep = std::string(135000, '[') + std::string(135000, ']');
  auto [status, body] = Post("/filter", R"({"Pod":)" + deep + "}", &scheduler_);
  EXPECT_EQ(status, 400);
  EXPECT_NE(body.find("nested deeper than 100 levels"), std::string::npos) << body;
  EXPECT_EQ(Post("/bind", R"({"PodName":)" + deep + "}", &scheduler_).first, 400);
  Json real = *api_.Create(k8s::PodsPath("default"), GpuPod("real", "", 100));
  EXPECT_EQ(Filter(real)["Error"], "");
}

}  // namespace
}  // namespace hami::extender
