#include "webhook/handler.h"

#include <gtest/gtest.h>
#include <httplib.h>

namespace hami::webhook {
namespace {

using nlohmann::json;

class WebhookHandlerTest : public testing::Test {
 protected:
  void SetUp() override {
    net::HttpServerOptions o;
    o.bind_address = "127.0.0.1:0";
    server_ = std::make_unique<net::HttpServer>(o);
    RegisterWebhook(*server_, WebhookConfig{}, registry_, nullptr);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  const vendor::Registry registry_;
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebhookHandlerTest, AdmitsOverHttp) {
  const json review = json::parse(R"({"apiVersion":"admission.k8s.io/v1beta1",
      "kind":"AdmissionReview","request":{"uid":"u-7","operation":"CREATE","object":{
      "metadata":{"generateName":"job-","namespace":"ml"},
      "spec":{"containers":[{"name":"c","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}}}})");
  auto res = client_->Post("/webhook", review.dump(), "application/json; charset=utf-8");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  const json out = json::parse(res->body);
  EXPECT_EQ(out["apiVersion"], "admission.k8s.io/v1beta1");
  EXPECT_EQ(out["response"]["uid"], "u-7");
  EXPECT_EQ(out["response"]["allowed"], true);
  auto ops = Base64Decode(out["response"]["patch"].get<std::string>());
  ASSERT_TRUE(ops.has_value());
  EXPECT_EQ(review["request"]["object"].patch(json::parse(*ops)),
            json::parse(R"({"metadata":{"generateName":"job-","namespace":"ml"},
                "spec":{"schedulerName":"hami-scheduler","containers":[{"name":"c",
                "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpucores":"100"}}}]}})"));
}

TEST_F(WebhookHandlerTest, DenialIsHttp200WithAllowedFalse) {
  auto res = client_->Post("/webhook",
                           R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
                               "request":{"uid":"u","object":{"spec":{"containers":[]}}}})",
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  const json out = json::parse(res->body);
  EXPECT_EQ(out["response"]["allowed"], false);
  EXPECT_EQ(out["response"]["status"]["message"], "pod has no containers");
}

TEST_F(WebhookHandlerTest, MalformedRequestsAre4xx) {
  struct Case {
    std::string body;
    std::string content_type;
    int status;
  };
  const std::vector<Case> cases = {
      {"{}", "text/plain", 415},
      {"", "application/json", 400},
      {"{not json", "application/json", 400},
      {R"({"apiVersion":"admission.k8s.io/v1","request":{}})", "application/json", 400},
      {R"({"apiVersion":"v1","kind":"Pod"})", "application/json", 400},
      {"[1,2]", "application/json", 400},
  };
  for (const auto& c : cases) {
    auto res = client_->Post("/webhook", c.body, c.content_type);
    ASSERT_TRUE(res) << c.body;
    EXPECT_EQ(res->status, c.status) << c.body << " -> " << res->body;
  }
  EXPECT_EQ(client_->Get("/webhook")->status, 405);
}

// Issue 14: 135k nested '[' (270 KB) crashed the scheduler with a stack overflow. Now a 400 and
// the server keeps answering.
TEST_F(WebhookHandlerTest, DeeplyNestedBodyIs400) {
  const std::string deep = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",)"
                           R"("request":{"uid":"u","object":)" +
                           std::string(135000, '[') + std::string(135000, ']') + "}}";
  auto res = client_->Post("/webhook", deep, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_NE(res->body.find("nested deeper than 100 levels"), std::string::npos) << res->body;
  auto again = client_->Post("/webhook", "{}", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 400);
}

}  // namespace
}  // namespace hami::webhook
