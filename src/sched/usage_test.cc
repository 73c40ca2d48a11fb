#include "sched/usage.h"

#include <gtest/gtest.h>

#include "test/builders/sched_builders.h"

namespace hami::sched {
namespace {

TEST(UsageTest, CollapsesInitPeakAgainstAppSum) {
  model::PodDevices devices;
  devices["NVIDIA"] = {
      {{0, "g0", "NVIDIA", 5000, 50}},                                 // init
      {{0, "g0", "NVIDIA", 2000, 20}, {1, "g1", "NVIDIA", 1000, 10}},  // app 1
      {{0, "g0", "NVIDIA", 2000, 20}},                                 // app 2
  };
  auto booking = CollapseUsage(devices, 1);
  EXPECT_EQ(booking.at("g0"), (DeviceBooking{2, 5000, 50}));
  EXPECT_EQ(booking.at("g1"), (DeviceBooking{1, 1000, 10}));
  // Once init containers are done, only the app sums remain.
  EXPECT_EQ(CollapseUsage(devices, 0).at("g0"), (DeviceBooking{3, 9000, 90}));
}

TEST(UsageTest, ApplyAndRemoveAreInverse) {
  auto node = testing::NodeBuilder("n").Gpus(2).Build();
  std::map<std::string, DeviceBooking> booking = {{"n-GPU-1", {1, 3000, 30}}};
  EXPECT_TRUE(ApplyBooking(node, booking, +1).empty());
  EXPECT_EQ(node.devices[1].usage.usedmem, 3000);
  EXPECT_EQ(node.devices[0].usage.used, 0);
  ApplyBooking(node, booking, -1);
  EXPECT_EQ(node.devices[1].usage, model::DeviceUsage{});
  EXPECT_EQ(ApplyBooking(node, {{"GPU-elsewhere", {1, 1, 1}}}, +1),
            std::vector<std::string>{"GPU-elsewhere"});
}

}  // namespace
}  // namespace hami::sched
