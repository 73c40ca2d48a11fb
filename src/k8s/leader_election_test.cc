#include "k8s/leader_election.h"

#include <gtest/gtest.h>

#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::k8s {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;

LeaderElectionConfig Config(const std::string& identity) {
  LeaderElectionConfig config;
  config.lease_namespace = "kube-system";
  config.lease_name = "hami";
  config.identity = identity;
  config.lease_duration = seconds(15);
  return config;
}

Json Lease(const std::string& holder, const std::string& renew, int transitions,
           int duration = 15) {
  return {{"metadata", {{"name", "hami"}, {"namespace", "kube-system"}, {"resourceVersion", "7"}}},
          {"spec",
           {{"holderIdentity", holder},
            {"leaseDurationSeconds", duration},
            {"acquireTime", "2025-01-01T00:00:00.000000Z"},
            {"renewTime", renew},
            {"leaseTransitions", transitions}}}};
}

const LeaseClock::time_point kT0 = LeaseClock::time_point(seconds(1735689600));  // 2025-01-01

TEST(FormatMicroTimeTest, SixDigitFraction) {
  EXPECT_EQ(FormatMicroTime(kT0), "2025-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatMicroTime(kT0 + std::chrono::microseconds(1500042)),
            "2025-01-01T00:00:01.500042Z");
}

TEST(DecideLeadershipTest, CreatesMissingLease) {
  LeaderDecision d = DecideLeadership(std::nullopt, {}, kT0, Config("me"));
  EXPECT_EQ(d.action, LeaderAction::kCreate);
  EXPECT_EQ(d.lease["kind"], "Lease");
  EXPECT_EQ(d.lease["metadata"]["namespace"], "kube-system");
  EXPECT_EQ(d.lease["spec"]["holderIdentity"], "me");
  EXPECT_EQ(d.lease["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(d.lease["spec"]["renewTime"], "2025-01-01T00:00:00.000000Z");
  EXPECT_EQ(d.lease["spec"]["leaseTransitions"], 0);
}

TEST(DecideLeadershipTest, RenewsOwnLeaseKeepingVersionAndTransitions) {
  LeaderDecision d = DecideLeadership(Lease("me", "2025-01-01T00:00:00.000000Z", 3), {},
                                      kT0 + seconds(5), Config("me"));
  EXPECT_EQ(d.action, LeaderAction::kRenew);
  EXPECT_EQ(d.lease["spec"]["renewTime"], "2025-01-01T00:00:05.000000Z");
  EXPECT_EQ(d.lease["spec"]["acquireTime"], "2025-01-01T00:00:00.000000Z");
  EXPECT_EQ(d.lease["spec"]["leaseTransitions"], 3);
  EXPECT_EQ(d.lease["metadata"]["resourceVersion"], "7");  // the write is conditional
}

TEST(DecideLeadershipTest, WaitsWhileOtherHolderIsLiveOnLocalClock) {
  LeaderElectionConfig config = Config("me");
  Json lease = Lease("other", "2020-01-01T00:00:00.000000Z", 1);  // renewTime far in the past
  // First sight: observed now, so not expired even though renewTime is old (clock skew safe).
  LeaderDecision first = DecideLeadership(lease, {}, kT0, config);
  EXPECT_EQ(first.action, LeaderAction::kWait);
  EXPECT_EQ(first.holder, "other");
  EXPECT_EQ(first.observation.observed_at, kT0);
  // Same record 14 s later: still live.
  LeaderDecision second = DecideLeadership(lease, first.observation, kT0 + seconds(14), config);
  EXPECT_EQ(second.action, LeaderAction::kWait);
  EXPECT_EQ(second.observation.observed_at, kT0);
  // The holder renewed at 10 s (record changed): the clock restarts.
  Json renewed = Lease("other", "2020-01-01T00:00:10.000000Z", 1);
  LeaderDecision third = DecideLeadership(renewed, second.observation, kT0 + seconds(10), config);
  EXPECT_EQ(third.action, LeaderAction::kWait);
  EXPECT_EQ(DecideLeadership(renewed, third.observation, kT0 + seconds(24), config).action,
            LeaderAction::kWait);
  // No renewal for a full lease duration: take over, transitions + 1.
  LeaderDecision take = DecideLeadership(renewed, third.observation, kT0 + seconds(25), config);
  EXPECT_EQ(take.action, LeaderAction::kTakeOver);
  EXPECT_EQ(take.lease["spec"]["holderIdentity"], "me");
  EXPECT_EQ(take.lease["spec"]["leaseTransitions"], 2);
  EXPECT_EQ(take.lease["spec"]["acquireTime"], "2025-01-01T00:00:25.000000Z");
}

TEST(DecideLeadershipTest, HonoursHolderLeaseDuration) {
  Json lease = Lease("other", "x", 0, /*duration=*/60);
  LeaderDecision first = DecideLeadership(lease, {}, kT0, Config("me"));
  EXPECT_EQ(DecideLeadership(lease, first.observation, kT0 + seconds(30), Config("me")).action,
            LeaderAction::kWait);
  EXPECT_EQ(DecideLeadership(lease, first.observation, kT0 + seconds(60), Config("me")).action,
            LeaderAction::kTakeOver);
}

TEST(DecideLeadershipTest, TakesOverReleasedLeaseAtOnce) {
  Json released = ReleasedLease(Lease("other", "x", 4), kT0);
  EXPECT_EQ(released["spec"]["holderIdentity"], "");
  EXPECT_EQ(released["spec"]["leaseDurationSeconds"], 1);
  LeaderDecision d = DecideLeadership(released, {}, kT0, Config("me"));
  EXPECT_EQ(d.action, LeaderAction::kTakeOver);
  EXPECT_EQ(d.lease["spec"]["leaseTransitions"], 5);
  EXPECT_EQ(d.lease["spec"]["leaseDurationSeconds"], 15);
  Json no_spec = {{"metadata", {{"name", "hami"}}}};
  EXPECT_EQ(DecideLeadership(no_spec, {}, kT0, Config("me")).action, LeaderAction::kTakeOver);
}

TEST(LeaderElectorTest, TwoCandidatesHandOverOnRelease) {
  fakes::FakeKubeApi api;
  std::vector<std::string> events;
  LeaderElector a(&api, Config("a"),
                  {[&] { events.emplace_back("a started"); },
                   [&] { events.emplace_back("a stopped"); }, nullptr});
  LeaderElector b(
      &api, Config("b"),
      {[&] { events.emplace_back("b started"); }, [&] { events.emplace_back("b stopped"); },
       [&](const std::string& h) { events.emplace_back("b sees " + h); }});
  a.Tick();
  EXPECT_TRUE(a.IsLeader());
  b.Tick();
  EXPECT_FALSE(b.IsLeader());
  EXPECT_EQ(b.LastObservedHolder(), "a");
  a.Tick();  // renew
  EXPECT_TRUE(a.IsLeader());
  auto lease = api.Get(LeasesPath("kube-system", "hami"));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "a");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 0);
  a.Stop();  // releases
  EXPECT_FALSE(a.IsLeader());
  b.Tick();
  EXPECT_TRUE(b.IsLeader());
  lease = api.Get(LeasesPath("kube-system", "hami"));
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(events, (std::vector<std::string>{"a started", "b sees a", "a stopped", "b started",
                                              "b sees b"}));
}

TEST(LeaderElectorTest, LosesLeadershipWhenRenewalsFailPastDeadline) {
  fakes::FakeKubeApi api;
  LeaderElectionConfig config = Config("a");
  config.renew_deadline = seconds(0);
  LeaderElector a(&api, config);
  a.Tick();
  ASSERT_TRUE(a.IsLeader());
  api.FailNext("GET", base::Unavailable("api server down"));
  a.Tick();
  EXPECT_FALSE(a.IsLeader());
  a.Tick();  // the lease is still ours: renewed, leading again
  EXPECT_TRUE(a.IsLeader());
}

TEST(LeaderElectorTest, ConflictingWriteDoesNotLead) {
  fakes::FakeKubeApi api;
  LeaderElector a(&api, Config("a"));
  api.FailNext("CREATE", base::Status(base::StatusCode::kAlreadyExists, "raced"));
  a.Tick();
  EXPECT_FALSE(a.IsLeader());
  a.Tick();
  EXPECT_TRUE(a.IsLeader());
}

TEST(LeaderElectorTest, BackgroundLoopAcquires) {
  fakes::FakeKubeApi api;
  LeaderElector a(&api, Config("a"));
  a.Start();
  EXPECT_TRUE(a.WaitForLeadership(std::chrono::milliseconds(5000)));
  a.Stop();
  EXPECT_FALSE(a.IsLeader());
  auto lease = api.Get(LeasesPath("kube-system", "hami"));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "");
}

// Expiry on the elector's own clock (config.env): a holder that stops renewing loses the lease a
// full lease duration after the candidate last saw the record change.
TEST(LeaderElectorTest, TakesOverAnExpiredLeaseOnTheEnvClock) {
  fakes::FakeEnv env;
  fakes::FakeKubeApi api;
  LeaderElectionConfig config_a = Config("a"), config_b = Config("b");
  config_a.env = config_b.env = &env;
  LeaderElector a(&api, config_a), b(&api, config_b);
  a.Tick();
  ASSERT_TRUE(a.IsLeader());
  b.Tick();  // first sight of a's record
  env.Advance(seconds(10));
  a.Tick();  // renewed: b's expiry clock restarts at its next read
  b.Tick();
  env.Advance(seconds(14));
  b.Tick();
  EXPECT_FALSE(b.IsLeader());
  EXPECT_EQ(b.LastObservedHolder(), "a");
  env.Advance(seconds(1));  // 15 s since b saw the renewal; a has crashed (no Tick)
  b.Tick();
  EXPECT_TRUE(b.IsLeader());
  auto lease = api.Get(LeasesPath("kube-system", "hami"));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "b");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
  EXPECT_EQ((*lease)["spec"]["acquireTime"], "2025-01-01T00:00:25.000000Z");
  a.Tick();  // back: sees b holding it and steps down
  EXPECT_FALSE(a.IsLeader());
}

// A leader whose renewals fail keeps leading until renew_deadline has passed since its last
// successful renewal, then steps down; a renewal once the server is back leads again.
TEST(LeaderElectorTest, StepsDownOnlyAfterTheRenewDeadline) {
  fakes::FakeEnv env;
  fakes::FakeKubeApi api;
  LeaderElectionConfig config = Config("a");
  config.renew_deadline = seconds(10);
  config.env = &env;
  LeaderElector a(&api, config);
  a.Tick();
  ASSERT_TRUE(a.IsLeader());
  for (int i = 0; i < 3; ++i) api.FailNext("GET", base::Unavailable("api server down"));
  env.Advance(seconds(5));
  a.Tick();
  EXPECT_TRUE(a.IsLeader());
  env.Advance(seconds(5));
  a.Tick();
  EXPECT_TRUE(a.IsLeader());  // exactly the deadline: not past it
  env.Advance(seconds(1));
  a.Tick();
  EXPECT_FALSE(a.IsLeader());
  a.Tick();
  EXPECT_TRUE(a.IsLeader());
  auto lease = api.Get(LeasesPath("kube-system", "hami"));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["renewTime"], "2025-01-01T00:00:11.000000Z");
}

// The background loops sleep retry_period in the Env: with the clock held, nothing happens
// between rounds; a released lease is taken over at the next round, and WaitForLeadership returns
// when leadership arrives, not at its timeout.
TEST(LeaderElectorTest, BackgroundLoopsRunOneRoundPerRetryPeriod) {
  fakes::FakeEnv env;
  env.set_auto_advance(false);
  fakes::FakeKubeApi api;
  LeaderElectionConfig config_a = Config("a"), config_b = Config("b");
  config_a.env = config_b.env = &env;
  LeaderElector a(&api, config_a), b(&api, config_b);
  a.Start();
  ASSERT_TRUE(a.WaitForLeadership(std::chrono::milliseconds(30000)));
  b.Start();
  ASSERT_TRUE(env.WaitForBlocked(2));  // both between rounds
  EXPECT_FALSE(b.IsLeader());
  EXPECT_EQ(env.Elapsed(), seconds(0));
  a.Stop();  // releases the lease
  EXPECT_FALSE(b.IsLeader());
  env.Advance(config_b.retry_period);
  EXPECT_TRUE(b.WaitForLeadership(std::chrono::milliseconds(30000)));
  EXPECT_EQ(env.Elapsed(), config_b.retry_period);
  for (auto sleep : env.sleeps()) EXPECT_EQ(sleep, config_b.retry_period);
  b.Stop();
  EXPECT_FALSE(b.IsLeader());
}

}  // namespace
}  // namespace hami::k8s
