// HttpKubeApi against FakeApiServer (real HTTP on 127.0.0.1): the --kube-qps/--kube-burst
// throttle waits through ClientOptions::env, so its windows are checked without sleeping.
#include "k8s/http_kube_api.h"

#include <gtest/gtest.h>

#include "test/fakes/fake_api_server.h"
#include "test/fakes/fake_env.h"

namespace hami::k8s {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

class HttpKubeApiThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api_.Create(NodesPath(), {{"metadata", {{"name", "n1"}}}}).ok());
    ASSERT_GT(server_.Start(), 0);
  }

  std::unique_ptr<HttpKubeApi> Client(double qps, int burst) {
    ClientConfig config;
    config.server = server_.url();
    ClientOptions options;
    options.qps = qps;
    options.burst = burst;
    options.env = &env_;
    auto client = HttpKubeApi::New(config, options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(*client) : nullptr;
  }

  fakes::FakeEnv env_;
  fakes::FakeKubeApi api_;
  fakes::FakeApiServer server_{&api_};
};

TEST_F(HttpKubeApiThrottleTest, BurstThenOneRequestPerWindow) {
  auto client = Client(/*qps=*/10, /*burst=*/3);
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->Get(NodesPath("n1")).ok());
  EXPECT_TRUE(env_.sleeps().empty());  // the burst goes at once
  // Then one token per 100 ms: each request waits for its window (fake time, no real sleep).
  ASSERT_TRUE(client->Get(NodesPath("n1")).ok());
  ASSERT_TRUE(client->Get(NodesPath("n1")).ok());
  EXPECT_EQ(env_.sleeps(), (std::vector<nanoseconds>{milliseconds(100), milliseconds(100)}));
  EXPECT_EQ(env_.Elapsed(), milliseconds(200));
  // A second of quiet refills the bucket to its burst, never beyond it.
  env_.Advance(std::chrono::seconds(1));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->Get(NodesPath("n1")).ok());
  EXPECT_EQ(env_.sleeps().size(), 2u);
  ASSERT_TRUE(client->Get(NodesPath("n1")).ok());
  EXPECT_EQ(env_.sleeps().size(), 3u);
  EXPECT_EQ(env_.sleeps().back(), milliseconds(100));
}

TEST_F(HttpKubeApiThrottleTest, NoThrottleWithoutQps) {
  auto client = Client(/*qps=*/0, /*burst=*/1);
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->Get(NodesPath("n1")).ok());
  EXPECT_TRUE(env_.sleeps().empty());
  EXPECT_EQ(env_.Elapsed(), nanoseconds(0));
}

}  // namespace
}  // namespace hami::k8s
