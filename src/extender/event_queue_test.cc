#include "extender/event_queue.h"

#include <gtest/gtest.h>

#include <chrono>

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
  EventQueue queue({10, /*qps=*/20, /*burst=*/1});
  for (int i = 0; i < 3; ++i) queue.Push({}, Normal("e"));
  std::stop_source stop;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queue.Pop(stop.get_token()));
  // One token at once, then 20/s: the third event is due >= 100 ms after the first.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(90));
}

TEST(EventQueueTest, StopWakesAWaitingPop) {
  EventQueue queue;
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.request_stop();
  });
  EXPECT_FALSE(queue.Pop(stop.get_token()));
  stopper.join();
}

}  // namespace
}  // namespace hami::extender
