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

TEST(UsageTest, PartitionGrantsBookTheirSlots) {
  model::PodDevices devices;
  devices["Enflame"] = {{{0, "e0", "Enflame", 20480, 50, 3}}};
  EXPECT_EQ(CollapseUsage(devices, 0).at("e0"), (DeviceBooking{3, 20480, 50}));
  EXPECT_EQ(CollapseUsage(devices, 1).at("e0"), (DeviceBooking{3, 20480, 50}));
}

TEST(UsageTest, ApplyAndRemoveAreInverse) {
  auto node = testing::NodeBuilder("n").Gpus(2).Build();
  model::PodDevices devices;
  devices["NVIDIA"] = {{{1, "n-GPU-1", "NVIDIA", 3000, 30}}};
  PodBooking booking = MakePodBooking(devices, {{"NVIDIA", 0, 1, "n-GPU-1", "1g.5gb", "", {2, 1}}},
                                      {{"NVIDIA", {"online"}}}, 0);
  EXPECT_TRUE(ApplyBooking(node, booking, +1).empty());
  EXPECT_EQ(node.devices[1].usage.usedmem, 3000);
  EXPECT_EQ(node.devices[1].usage.partitions,
            (std::vector<model::PartitionBooking>{{"1g.5gb", {2, 1}}}));
  EXPECT_EQ(node.devices[1].usage.tags, std::vector<std::string>{"online"});
  EXPECT_EQ(node.devices[0].usage.used, 0);
  EXPECT_EQ(booking.quota.at("NVIDIA"), (std::pair<int64_t, int64_t>{3000, 30}));
  ApplyBooking(node, booking, -1);
  EXPECT_EQ(node.devices[1].usage, model::DeviceUsage{});
  PodBooking elsewhere;
  elsewhere.devices["GPU-elsewhere"] = {1, 1, 1};
  EXPECT_EQ(ApplyBooking(node, elsewhere, +1), std::vector<std::string>{"GPU-elsewhere"});
}

}  // namespace
}  // namespace hami::sched
