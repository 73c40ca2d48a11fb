#include "extender/event_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "test/fakes/fake_env.h"

namespace hami::extender {
namespace {

k8s::EventSpec Normal(const std::string& reason) { return {reason, "m", "Normal"}; }
k8s::EventSpec Warning(const std::string& reason) { return {reason, "m", "Warning"}; }

TEST(EventQueueTest, FullQueueDropsNormalButAWarningEvictsTheOldestNormal) {
  EventQueue queue({/*capacity=*/2, /*qps=*/0, /*burst=*/1});
  EXPECT_TRUE(queue.Push({}, Normal("FilteringSucceed")));
  EXPECT_TRUE(queue.Push({}, Normal("BindingSucceed")));
  EXPECT_FALSE(queue.Push({}, Normal("Late")));
  EXPECT_FALSE(queue.Push({}, Warning("BindingFailed")));  // evicts FilteringSucceed
  EXPECT_EQ(queue.dropped(), 2u);
  std::stop_source stop;
  EXPECT_EQ(queue.Pop(stop.get_token())->second.reason, "BindingSucceed");
  EXPECT_EQ(queue.Pop(stop.get_token())->second.reason, "BindingFailed");
}

TEST(EventQueueTest, WarningsAreDroppedOnlyWhenNothingElseCanGo) {
  EventQueue queue({1, 0, 1});
  EXPECT_TRUE(queue.Push({}, Warning("FilteringFailed")));
  EXPECT_FALSE(queue.Push({}, Warning("BindingFailed")));
  EXPECT_EQ(queue.dropped(), 1u);
  EXPECT_EQ(queue.size(), 1u);
}

TEST(EventQueueTest, PopIsPacedByItsOwnBucket) {
  fakes::FakeEnv env;
  EventQueue queue({10, /*qps=*/20, /*burst=*/1}, &env);
  for (int i = 0; i < 3; ++i) queue.Push({}, Normal("e"));
  std::stop_source stop;
  // One token at once, then 20/s: each later event waits out its 50 ms window (in fake time).
  ASSERT_TRUE(queue.Pop(stop.get_token()));
  EXPECT_EQ(env.Elapsed(), std::chrono::milliseconds(0));
  ASSERT_TRUE(queue.Pop(stop.get_token()));
  EXPECT_EQ(env.Elapsed(), std::chrono::milliseconds(50));
  ASSERT_TRUE(queue.Pop(stop.get_token()));
  EXPECT_EQ(env.Elapsed(), std::chrono::milliseconds(100));
  // A quiet second refills the bucket (burst 1): the next event goes at once.
  env.Advance(std::chrono::seconds(1));
  queue.Push({}, Normal("e"));
  ASSERT_TRUE(queue.Pop(stop.get_token()));
  EXPECT_EQ(env.Elapsed(), std::chrono::milliseconds(1100));
}

TEST(EventQueueTest, StopEndsAPacedWait) {
  fakes::FakeEnv env;
  env.set_auto_advance(false);
  EventQueue queue({10, /*qps=*/1, /*burst=*/1}, &env);
  for (int i = 0; i < 2; ++i) queue.Push({}, Normal("e"));
  std::stop_source stop;
  ASSERT_TRUE(queue.Pop(stop.get_token()));
  std::optional<EventQueue::Item> second = EventQueue::Item();
  std::thread popper([&] { second = queue.Pop(stop.get_token()); });
  ASSERT_TRUE(env.WaitForBlocked(1));  // waiting out its 1 s window
  stop.request_stop();
  popper.join();
  EXPECT_FALSE(second);
  EXPECT_EQ(queue.size(), 1u);  // not taken
}

TEST(EventQueueTest, StopWakesAWaitingPop) {
  EventQueue queue;
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });  // before or during the Pop: either ends it
  EXPECT_FALSE(queue.Pop(stop.get_token()));
  stopper.join();
}

}  // namespace
}  // namespace hami::extender
