// Health transitions as ListAndWatch sees them, including recovery (unlike upstream).
#include "deviceplugin/device_store.h"

#include <gtest/gtest.h>

#include <thread>

namespace hami::deviceplugin {
namespace {

model::DeviceInfo Dev(std::string id, bool healthy, int32_t count = 2) {
  model::DeviceInfo d;
  d.id = std::move(id);
  d.count = count;
  d.health = healthy;
  return d;
}

TEST(DeviceStoreTest, HealthTransitions) {
  DeviceStore store;
  struct Step {
    std::vector<model::DeviceInfo> devices;
    std::vector<HealthChange> changes;
    bool version_bumps;
    std::vector<bool> replica_health;  // GPU-a x2 then GPU-b x2
  } steps[] = {
      {{Dev("GPU-a", true), Dev("GPU-b", true)}, {}, true, {true, true, true, true}},
      {{Dev("GPU-a", true), Dev("GPU-b", true)}, {}, false, {true, true, true, true}},
      {{Dev("GPU-a", true), Dev("GPU-b", false)},
       {{"GPU-b", false}},
       true,
       {true, true, false, false}},
      {{Dev("GPU-a", true), Dev("GPU-b", false)}, {}, false, {true, true, false, false}},
      {{Dev("GPU-a", true), Dev("GPU-b", true)}, {{"GPU-b", true}}, true, {true, true, true, true}},
      // GPU-a vanishes: still advertised, Unhealthy.
      {{Dev("GPU-b", true)}, {{"GPU-a", false}}, true, {false, false, true, true}},
      // ... and comes back.
      {{Dev("GPU-a", true), Dev("GPU-b", true)}, {{"GPU-a", true}}, true, {true, true, true, true}},
  };
  int i = 0;
  for (const auto& step : steps) {
    SCOPED_TRACE("step " + std::to_string(i++));
    uint64_t before = store.version();
    EXPECT_EQ(store.Update(step.devices), step.changes);
    EXPECT_EQ(store.version() != before, step.version_bumps);
    auto replicas = store.Replicas();
    ASSERT_EQ(replicas.size(), step.replica_health.size());
    std::map<std::string, bool> by_uuid;
    std::vector<bool> got;
    for (const auto& r : replicas) by_uuid[r.id] = r.healthy;
    for (const char* id : {"GPU-a-0", "GPU-a-1", "GPU-b-0", "GPU-b-1"}) got.push_back(by_uuid[id]);
    EXPECT_EQ(got, step.replica_health);
  }
  EXPECT_EQ(store.ReplicaToUuid().at("GPU-b-1"), "GPU-b");
}

TEST(DeviceStoreTest, GpuFirstSeenUnhealthyIsAChange) {
  DeviceStore store;
  EXPECT_EQ(store.Update({Dev("GPU-a", false)}), (std::vector<HealthChange>{{"GPU-a", false}}));
}

TEST(DeviceStoreTest, WaitForChangeWakesOnUpdateAndClose) {
  DeviceStore store;
  uint64_t seen = store.version();
  std::thread writer([&] { store.Update({Dev("GPU-a", true)}); });
  uint64_t now = seen;
  while (now == seen) now = store.WaitForChange(seen, std::chrono::seconds(5));
  writer.join();
  EXPECT_NE(now, seen);
  std::thread closer([&] { store.Close(); });
  store.WaitForChange(now, std::chrono::seconds(30));
  closer.join();
  EXPECT_TRUE(store.closed());
}

}  // namespace
}  // namespace hami::deviceplugin
