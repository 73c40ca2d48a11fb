// Informer reconnect backoff through InformerOptions::env (FakeEnv): the delays asked for are
// checked exactly and the retries run without sleeping.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "k8s/informer.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::k8s {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using Sleeps = std::vector<nanoseconds>;

// Counts handler calls; Wait bounds a test's wait in real time (a safety net, not a clock).
class Latch {
 public:
  std::function<void()> Handler() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++count_;
      cv_.notify_all();
    };
  }
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [this] { return count_ > 0; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

InformerOptions Options(base::Env* env) {
  InformerOptions options;
  options.collection = PodsPath("");
  options.initial_backoff = milliseconds(200);
  options.max_backoff = milliseconds(1000);
  options.env = env;
  return options;
}

TEST(InformerBackoffTest, FailedListsBackOffDoublingToTheCapThenSync) {
  fakes::FakeEnv env;
  fakes::FakeKubeApi api;
  for (int i = 0; i < 5; ++i) api.FailNext("LIST", base::Unavailable("down"));
  Latch listed;
  Informer informer(
      &api, Options(&env),
      {nullptr, nullptr, nullptr, [&](const std::vector<nlohmann::json>&) { listed.Handler()(); }});
  informer.Start();
  ASSERT_TRUE(listed.Wait());
  EXPECT_EQ(env.sleeps(), (Sleeps{milliseconds(200), milliseconds(400), milliseconds(800),
                                  milliseconds(1000), milliseconds(1000)}));
  EXPECT_EQ(env.Elapsed(), milliseconds(3400));
  EXPECT_EQ(informer.stats().errors, 5);
  EXPECT_EQ(informer.stats().lists, 1);
  informer.Stop();
  EXPECT_TRUE(informer.HasSynced());
  EXPECT_EQ(listed.count(), 1);
}

TEST(InformerBackoffTest, ProgressResetsTheBackoffAndFailedWatchesBackOff) {
  fakes::FakeEnv env;
  fakes::FakeKubeApi api;
  for (int i = 0; i < 2; ++i) api.FailNext("LIST", base::Unavailable("down"));
  for (int i = 0; i < 3; ++i) api.FailNext("WATCH", base::Unavailable("reset"));
  Informer informer(&api, Options(&env), {});
  informer.Start();
  // Two failed lists (200, 400), a successful list resets the delay, then three failed watches
  // (200, 400, 800); the fourth watch is served and blocks in the fake API server.
  ASSERT_TRUE(api.WaitForWatches(1));
  ASSERT_TRUE(env.WaitForSleeps(5));
  EXPECT_EQ(env.sleeps(), (Sleeps{milliseconds(200), milliseconds(400), milliseconds(200),
                                  milliseconds(400), milliseconds(800)}));
  EXPECT_EQ(informer.stats().watches, 4);
  informer.Stop();
}

// A watch that the server ends at once with nothing in it is not re-opened in a tight loop; one
// that lived a second (on the Env's clock) is re-opened at once.
TEST(InformerBackoffTest, QuickEmptyWatchEndsBackOff) {
  fakes::FakeEnv env;
  env.set_auto_advance(false);
  fakes::FakeKubeApi api;
  Latch added;  // on_add: the re-opened watch delivered a pod created after the close
  Informer informer(&api, Options(&env),
                    {[&](const nlohmann::json&) { added.Handler()(); }, nullptr, nullptr, nullptr});
  informer.Start();
  ASSERT_TRUE(api.WaitForWatches(1));
  api.CloseWatches();  // ends the stream at once, nothing delivered
  ASSERT_TRUE(env.WaitForBlocked(1));
  EXPECT_EQ(env.sleeps(), (Sleeps{milliseconds(200)}));
  env.Advance(milliseconds(200));
  ASSERT_TRUE(api.WaitForWatches(1));
  env.Advance(std::chrono::seconds(1));  // the second stream lives a (fake) second
  api.CloseWatches();
  // Only a watch re-opened without a sleep can deliver this: the fake clock no longer moves.
  ASSERT_TRUE(api.Create(PodsPath("default"), {{"metadata", {{"name", "p1"}}}}).ok());
  ASSERT_TRUE(added.Wait());
  EXPECT_EQ(env.sleeps(), (Sleeps{milliseconds(200)}));
  informer.Stop();
}

}  // namespace
}  // namespace hami::k8s
