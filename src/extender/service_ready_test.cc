// SchedulerService on a FakeEnv (manual clock): /filter waits for the caches on signals, not by
// polling, up to kFilterReadyTimeout of the Env's clock; assumptions expire on the Env's clock.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "extender/service.h"
#include "extender/service_test_util.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::extender {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

class ServiceReadyTest : public ::testing::Test {
 protected:
  ServiceReadyTest() { env_.set_auto_advance(false); }

  // Starts the service; its own loops (expiry, registration) are then blocked in the Env.
  void Start(ServiceConfig config = {}) {
    config.http.bind_address = "127.0.0.1:0";
    config.metrics_bind = "";
    config.register_interval = std::chrono::hours(1);
    config.env = &env_;
    service_ = std::make_unique<SchedulerService>(api_, registry_, config);
    ASSERT_TRUE(service_->Start().ok());
    ASSERT_TRUE(service_->cache().UpsertNode(OneT4Node()).ok());
  }
  void TearDown() override {
    if (filter_.joinable()) filter_.join();
    if (service_) service_->Stop();
  }

  Json CreatePod(const std::string& name) {
    Json pod = Json::parse(R"({"metadata":{"namespace":"default"},"spec":{"containers":[{"name":"c",
        "resources":{"limits":{"nvidia.com/gpu":"1","nvidia.com/gpumem":"100"}}}]}})");
    pod["metadata"]["name"] = name;
    return *api_.Create(k8s::PodsPath("default"), pod);
  }
  // POSTs /filter for `pod` on a thread; the answer lands in filtered_ / answer_.
  void FilterInBackground(const Json& pod) {
    filter_ = std::thread([this, pod] {
      httplib::Client client("127.0.0.1", service_->http_port());
      client.set_read_timeout(60);
      auto res = client.Post("/filter", Json{{"Pod", pod}, {"NodeNames", {"n1"}}}.dump(),
                             "application/json");
      answer_ = res && res->status == 200 ? Json::parse(res->body) : Json();
      filtered_ = true;
    });
  }
  Json Answer() {
    filter_.join();
    return answer_;
  }

  fakes::FakeEnv env_;
  fakes::FakeKubeApi api_;
  vendor::Registry registry_;
  std::unique_ptr<SchedulerService> service_;
  std::thread filter_;
  std::atomic<bool> filtered_{false};
  Json answer_;
};

// Blocked in the Env once started: three informers backing off from a failed LIST, the expiry
// loop and the registration loop.
constexpr int kBackgroundSleepers = 5;

TEST_F(ServiceReadyTest, FilterReturnsAsSoonAsTheCachesSync) {
  for (int i = 0; i < 3; ++i) api_.FailNext("LIST", base::Unavailable("apiserver starting"));
  Json pod = CreatePod("p");
  Start();
  ASSERT_TRUE(env_.WaitForBlocked(kBackgroundSleepers));
  EXPECT_FALSE(service_->Ready());
  FilterInBackground(pod);
  ASSERT_TRUE(env_.WaitForBlocked(kBackgroundSleepers + 1));  // /filter waits for the sync
  EXPECT_FALSE(filtered_);
  env_.Advance(milliseconds(200));  // the informers' backoff ends; their LISTs succeed
  Json answer = Answer();
  EXPECT_EQ(answer["Error"], "");
  EXPECT_EQ(answer["NodeNames"], Json::array({"n1"}));
  EXPECT_TRUE(service_->Ready());
  EXPECT_EQ(env_.Elapsed(), milliseconds(200));  // woken by the sync, far before the deadline
}

TEST_F(ServiceReadyTest, FilterAnswersNotSyncedAtTheDeadline) {
  for (int i = 0; i < 30; ++i) api_.FailNext("LIST", base::Unavailable("apiserver down"));
  Json pod = CreatePod("p");
  Start();
  ASSERT_TRUE(env_.WaitForBlocked(kBackgroundSleepers));
  FilterInBackground(pod);
  ASSERT_TRUE(env_.WaitForBlocked(kBackgroundSleepers + 1));
  env_.Advance(kFilterReadyTimeout - seconds(1));
  EXPECT_FALSE(filtered_);
  env_.Advance(seconds(1));
  Json answer = Answer();
  EXPECT_EQ(answer["Error"], "hami-scheduler: node and pod caches are not synced yet");
  EXPECT_EQ(env_.Elapsed(), kFilterReadyTimeout);
  EXPECT_EQ(service_->cache().PodCount(), 0u);
}

// With leader election, /filter also waits for leadership: here the lease of a holder that has
// stopped renewing expires on the Env's clock, the elector takes it over, and /filter goes on.
TEST_F(ServiceReadyTest, FilterWaitsForLeadership) {
  ASSERT_TRUE(api_.Create(k8s::LeasesPath("kube-system"),
                          {{"metadata", {{"name", "hami-scheduler"}, {"namespace", "kube-system"}}},
                           {"spec",
                            {{"holderIdentity", "other"},
                             {"leaseDurationSeconds", 15},
                             {"renewTime", "2025-01-01T00:00:00.000000Z"},
                             {"leaseTransitions", 0}}}})
                  .ok());
  Json pod = CreatePod("p");
  ServiceConfig config;
  config.leader_election = k8s::LeaderElectionConfig();
  config.leader_election->identity = "me";
  Start(config);
  // The elector (between rounds), the expiry and registration loops, then /filter.
  ASSERT_TRUE(env_.WaitForBlocked(3));
  FilterInBackground(pod);
  ASSERT_TRUE(env_.WaitForBlocked(4));
  EXPECT_FALSE(filtered_);
  env_.Advance(seconds(15));  // the other holder's lease has expired at the elector's next round
  Json answer = Answer();
  EXPECT_EQ(answer["Error"], "");
  EXPECT_EQ(answer["NodeNames"], Json::array({"n1"}));
  EXPECT_EQ(env_.Elapsed(), seconds(15));
}

// An assumption /filter made and /bind never wrote expires assume_ttl after the filter, on the
// Env's steady clock (the expiry loop runs every 5 s of it).
TEST_F(ServiceReadyTest, AssumptionsExpireOnTheEnvClock) {
  Json pod = CreatePod("p");
  Start();
  FilterInBackground(pod);
  ASSERT_EQ(Answer()["NodeNames"], Json::array({"n1"}));
  const std::string uid = pod["metadata"]["uid"];
  ASSERT_TRUE(service_->cache().Assumed(uid));
  ASSERT_TRUE(env_.WaitForBlocked(2));  // expiry and registration loops
  const size_t sleeps = env_.sleeps().size();
  const auto ttl = FilterConfig().assume_ttl;
  env_.Advance(ttl - seconds(1));  // one expiry round, before the deadline
  ASSERT_TRUE(env_.WaitForSleeps(sleeps + 1));
  EXPECT_TRUE(service_->cache().Assumed(uid));
  env_.Advance(seconds(5));  // the next round, past it
  ASSERT_TRUE(env_.WaitForSleeps(sleeps + 2));
  EXPECT_FALSE(service_->cache().Assumed(uid));
  EXPECT_EQ(service_->cache().PodCount(), 0u);
}

}  // namespace
}  // namespace hami::extender
