#include "base/env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "test/fakes/fake_env.h"

namespace hami::base {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(RealEnvTest, ClocksAreTheProcessClocks) {
  Env* env = Env::Default();
  EXPECT_EQ(env, Env::Default());
  const auto steady_before = std::chrono::steady_clock::now();
  const auto wall_before = std::chrono::system_clock::now();
  const auto steady = env->SteadyNow();
  const auto wall = env->WallNow();
  EXPECT_GE(steady, steady_before);
  EXPECT_LE(steady, std::chrono::steady_clock::now());
  EXPECT_GE(wall, wall_before);
  EXPECT_LE(wall, std::chrono::system_clock::now());
  const int64_t unix_now =
      std::chrono::duration_cast<seconds>(wall_before.time_since_epoch()).count();
  EXPECT_GE(env->UnixSeconds(), unix_now);
  EXPECT_LE(env->UnixSeconds(), unix_now + 60);
}

TEST(RealEnvTest, SleepReturnsFalseOnceStopped) {
  Env* env = Env::Default();
  EXPECT_TRUE(env->SleepFor(nanoseconds(0)));
  EXPECT_TRUE(env->SleepFor(nanoseconds(-5)));
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_FALSE(env->SleepFor(hours(1), stopped.get_token()));
  // A stop requested while the sleep runs (or before it starts) ends it: no hour passes.
  std::stop_source stop;
  bool slept = true;
  std::thread sleeper([&] { slept = env->SleepFor(hours(1), stop.get_token()); });
  stop.request_stop();
  sleeper.join();
  EXPECT_FALSE(slept);
}

TEST(RealEnvTest, WaitForReturnsOnTheConditionOrTimeout) {
  Env* env = Env::Default();
  std::mutex mu;
  std::condition_variable_any cv;
  bool ready = false;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_FALSE(env->WaitFor(cv, lock, nanoseconds(0), [&] { return ready; }));
  std::thread setter([&] {
    std::lock_guard<std::mutex> guard(mu);
    ready = true;
    cv.notify_all();
  });
  EXPECT_TRUE(env->WaitFor(cv, lock, hours(1), [&] { return ready; }));
  lock.unlock();
  setter.join();
}

TEST(RealEnvTest, GetEnvReadsTheProcessEnvironment) {
  ::setenv("HAMI_ENV_TEST_VALUE", "v1", 1);
  EXPECT_EQ(Env::Default()->GetEnv("HAMI_ENV_TEST_VALUE"), "v1");
  ::unsetenv("HAMI_ENV_TEST_VALUE");
  EXPECT_EQ(Env::Default()->GetEnv("HAMI_ENV_TEST_VALUE"), std::nullopt);
}

TEST(FakeEnvTest, ClocksMoveOnlyWhenTold) {
  fakes::FakeEnv env;
  const auto steady = env.SteadyNow();
  EXPECT_EQ(env.UnixSeconds(), 1735689600);
  EXPECT_EQ(env.SteadyNow(), steady);
  env.Advance(milliseconds(1500));
  EXPECT_EQ(env.SteadyNow() - steady, milliseconds(1500));
  EXPECT_EQ(env.UnixSeconds(), 1735689601);
  env.SetUnixSeconds(1700000000);
  EXPECT_EQ(env.UnixSeconds(), 1700000000);
  EXPECT_EQ(env.SteadyNow() - steady, milliseconds(1500));  // setting the wall clock is no step
  EXPECT_EQ(env.Elapsed(), milliseconds(1500));
}

TEST(FakeEnvTest, AutoAdvanceSleepsAndTimeoutsInstantly) {
  fakes::FakeEnv env;
  EXPECT_TRUE(env.SleepFor(milliseconds(100)));
  EXPECT_TRUE(env.SleepFor(seconds(2)));
  EXPECT_EQ(env.sleeps(), (std::vector<nanoseconds>{milliseconds(100), seconds(2)}));
  EXPECT_EQ(env.Elapsed(), milliseconds(2100));

  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  bool ready = false;
  EXPECT_FALSE(env.WaitFor(cv, lock, seconds(30), [&] { return ready; }));
  EXPECT_EQ(env.Elapsed(), milliseconds(32100));  // moved to the deadline
  ready = true;
  EXPECT_TRUE(env.WaitFor(cv, lock, seconds(30), [&] { return ready; }));
  EXPECT_EQ(env.Elapsed(), milliseconds(32100));  // the condition held: no time passed
  EXPECT_EQ(env.sleeps().size(), 2u);             // waits are not sleeps

  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(env.SleepFor(seconds(1), stop.get_token()));
  EXPECT_EQ(env.Elapsed(), milliseconds(32100));
}

TEST(FakeEnvTest, AutoAdvanceIsThreadSafe) {
  fakes::FakeEnv env;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) env.SleepFor(milliseconds(1));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(env.sleeps().size(), 400u);
  EXPECT_EQ(env.Elapsed(), milliseconds(400));
}

TEST(FakeEnvTest, ManualSleepBlocksUntilAdvancedPastItsDeadline) {
  fakes::FakeEnv env;
  env.set_auto_advance(false);
  bool slept = false;
  std::thread sleeper([&] { slept = env.SleepFor(seconds(10)); });
  ASSERT_TRUE(env.WaitForBlocked(1));
  env.Advance(seconds(9));
  EXPECT_EQ(env.blocked(), 1);
  env.Advance(seconds(1));
  sleeper.join();
  EXPECT_TRUE(slept);
  EXPECT_EQ(env.blocked(), 0);
  EXPECT_EQ(env.sleeps(), (std::vector<nanoseconds>{seconds(10)}));

  std::stop_source stop;
  std::thread stopped([&] { slept = env.SleepFor(seconds(10), stop.get_token()); });
  ASSERT_TRUE(env.WaitForBlocked(1));
  stop.request_stop();
  stopped.join();
  EXPECT_FALSE(slept);
  EXPECT_EQ(env.Elapsed(), seconds(10));
}

// A manual WaitFor returns when the condition is signalled (no fake time passes), at its deadline
// when Advance reaches it, and when stopped.
TEST(FakeEnvTest, ManualWaitEndsOnSignalDeadlineOrStop) {
  fakes::FakeEnv env;
  env.set_auto_advance(false);
  std::mutex mu;
  std::condition_variable_any cv;
  bool ready = false;
  auto wait = [&](std::stop_token stop) {
    std::unique_lock<std::mutex> lock(mu);
    return env.WaitFor(
        cv, lock, seconds(30), [&] { return ready; }, stop);
  };
  bool result = false;
  std::thread signalled([&] { result = wait({}); });
  ASSERT_TRUE(env.WaitForBlocked(1));
  {
    std::lock_guard<std::mutex> lock(mu);
    ready = true;
  }
  cv.notify_all();
  signalled.join();
  EXPECT_TRUE(result);
  EXPECT_EQ(env.Elapsed(), nanoseconds(0));

  ready = false;
  std::thread timed_out([&] { result = wait({}); });
  ASSERT_TRUE(env.WaitForBlocked(1));
  env.Advance(seconds(29));
  EXPECT_EQ(env.blocked(), 1);
  env.Advance(seconds(1));
  timed_out.join();
  EXPECT_FALSE(result);

  std::stop_source stop;
  result = true;
  std::thread stopped([&] { result = wait(stop.get_token()); });
  ASSERT_TRUE(env.WaitForBlocked(1));
  stop.request_stop();
  stopped.join();
  EXPECT_FALSE(result);
  EXPECT_EQ(env.Elapsed(), seconds(30));
}

TEST(FakeEnvTest, GetEnvAnswersFromItsOwnTable) {
  fakes::FakeEnv env;
  ::setenv("HAMI_ENV_TEST_VALUE", "process", 1);
  EXPECT_EQ(env.GetEnv("HAMI_ENV_TEST_VALUE"), std::nullopt);
  env.SetEnv("HAMI_ENV_TEST_VALUE", "fake");
  EXPECT_EQ(env.GetEnv("HAMI_ENV_TEST_VALUE"), "fake");
  env.UnsetEnv("HAMI_ENV_TEST_VALUE");
  EXPECT_EQ(env.GetEnv("HAMI_ENV_TEST_VALUE"), std::nullopt);
  ::unsetenv("HAMI_ENV_TEST_VALUE");
}

TEST(EnvTest, GetEnvOrFallsBackWhenUnsetOrEmpty) {
  fakes::FakeEnv env;
  EXPECT_EQ(env.GetEnvOr("NODE_NAME", "fallback"), "fallback");
  env.SetEnv("NODE_NAME", "");
  EXPECT_EQ(env.GetEnvOr("NODE_NAME", "fallback"), "fallback");
  env.SetEnv("NODE_NAME", "node-a");
  EXPECT_EQ(env.GetEnvOr("NODE_NAME", "fallback"), "node-a");
}

}  // namespace
}  // namespace hami::base
