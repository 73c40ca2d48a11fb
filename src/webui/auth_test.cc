// --webui-auth=token against a fake API server that answers TokenReviews and
// SubjectAccessReviews from a table, and the service's answers for such users.
#include "webui/auth.h"

#include <atomic>

#include <gtest/gtest.h>
#include <httplib.h>

#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"
#include "webui/test_cluster.h"
#include "webui/webui_service.h"

namespace hami::webui {
namespace {

// Tokens "alice" (may list pods in team-a only, no nodes) and "admin" (everything).
class ReviewingApi : public fakes::FakeKubeApi {
 public:
  base::Result<Json> Create(const k8s::ResourcePath& path, const Json& object) override {
    if (path.resource == "tokenreviews") {
      token_reviews++;
      const std::string token = object["spec"]["token"];
      if (token != "alice" && token != "admin") return Json{{"status", {{"authenticated", false}}}};
      return Json{{"status",
                   {{"authenticated", true}, {"user", {{"username", token}, {"groups", {"g"}}}}}}};
    }
    if (path.resource == "subjectaccessreviews") {
      access_reviews++;
      const Json& spec = object["spec"];
      const Json& attrs = spec["resourceAttributes"];
      const bool allowed = spec["user"] == "admin" || (attrs["resource"] == "pods" &&
                                                       attrs.value("namespace", "") == "team-a");
      return Json{{"status", {{"allowed", allowed}}}};
    }
    return FakeKubeApi::Create(path, object);
  }
  std::atomic<int> token_reviews{0}, access_reviews{0};
};

net::HttpRequest WithToken(const std::string& token) {
  net::HttpRequest r;
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  return r;
}

TEST(Authorizer, ReviewsTokensAndCachesAnswers) {
  ReviewingApi api;
  fakes::FakeEnv env;
  AuthConfig config{AuthMode::kToken, std::chrono::seconds(30), 100, &env};
  Authorizer auth(&api, config);
  EXPECT_EQ(auth.Check(WithToken(""), false).status, 401);
  EXPECT_EQ(auth.Check(WithToken("mallory"), false).status, 401);
  Access alice = auth.Check(WithToken("alice"), false);
  EXPECT_EQ(alice.status, 200);
  EXPECT_EQ(alice.user, "alice");
  EXPECT_FALSE(alice.nodes);
  ASSERT_TRUE(alice.pods);
  EXPECT_TRUE(alice.pods("team-a"));
  EXPECT_FALSE(alice.pods("team-b"));
  const int reviews = api.access_reviews.load();
  auth.Check(WithToken("alice"), false).pods("team-a");  // cached
  EXPECT_EQ(api.access_reviews.load(), reviews);
  env.Advance(std::chrono::seconds(31));
  auth.Check(WithToken("alice"), false).pods("team-a");  // expired: asked again
  EXPECT_GT(api.access_reviews.load(), reviews);
  Access admin = auth.Check(WithToken("admin"), false);
  EXPECT_TRUE(admin.nodes);
  EXPECT_FALSE(admin.pods);  // cluster-wide list pods: every namespace
  net::HttpRequest query;
  query.query = "access_token=admin";
  EXPECT_EQ(auth.Check(query, false).status, 401);
  EXPECT_EQ(auth.Check(query, true).status, 200);
  EXPECT_FALSE(ParseAuthMode("basic").ok());
}

TEST(Authorizer, ServiceShowsOnlyWhatTheUserMayList) {
  ReviewingApi api;
  vendor::Registry registry;
  std::vector<nlohmann::json> nodes = {testing::GpuNode("n1", 1)};
  std::vector<nlohmann::json> pods = {
      testing::SlicePod("team-a", "a", "n1", testing::Uuid("n1", 0), 1000, 10),
      testing::SlicePod("team-b", "b", "n1", testing::Uuid("n1", 0), 1000, 10)};
  WebUiConfig c;
  c.bind_address = "127.0.0.1:0";
  c.scrape = false;
  c.auth.mode = AuthMode::kToken;
  WebUiService service({[&] { return nodes; }, [&] { return pods; }, [] { return uint64_t{1}; }},
                       registry, &api, c);
  ASSERT_TRUE(service.Start().ok());
  httplib::Client client("127.0.0.1", service.port());
  auto res = client.Get("/api/v1/pods");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
  const httplib::Headers alice = {{"Authorization", "Bearer alice"}};
  res = client.Get("/api/v1/pods", alice);
  ASSERT_EQ(res->status, 200);
  auto body = nlohmann::json::parse(res->body);
  ASSERT_EQ(body["total"], 1);
  EXPECT_EQ(body["items"][0]["namespace"], "team-a");
  EXPECT_EQ(client.Get("/api/v1/pods/team-b/b", alice)->status, 403);
  EXPECT_EQ(client.Get("/api/v1/overview", alice)->status, 403);
  EXPECT_EQ(client.Get("/api/v1/nodes", alice)->status, 403);
  EXPECT_EQ(client.Get("/api/v1/pending", alice)->status, 200);
  EXPECT_EQ(client.Get("/api/version")->status, 200);  // no token needed
  EXPECT_EQ(client.Get("/")->status, 200);
  const httplib::Headers admin = {{"Authorization", "Bearer admin"}};
  body = nlohmann::json::parse(client.Get("/api/v1/gpus/" + testing::Uuid("n1", 0), admin)->body);
  EXPECT_EQ(body["slices"].size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(client.Get("/api/v1/pods", admin)->body)["total"], 2);
}

}  // namespace
}  // namespace hami::webui
