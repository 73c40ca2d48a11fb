#include "monitor/container_dir.h"

#include <gtest/gtest.h>

namespace hami::monitor {
namespace {

TEST(ParseContainerDirName, SplitsAtFirstUnderscore) {
  auto a = ParseContainerDirName("0b6c2f4e-1111-2222-3333-444455556666_cuda");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pod_uid, "0b6c2f4e-1111-2222-3333-444455556666");
  EXPECT_EQ(a->container, "cuda");
  auto b = ParseContainerDirName("uid_ctr_extra");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->container, "ctr_extra");
  for (const char* bad : {"nounderscore", "_ctr", "uid_", ""}) {
    EXPECT_FALSE(ParseContainerDirName(bad)) << bad;
  }
}

TEST(ShouldRemoveDir, Table) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto resync = minutes(5);
  PodPresence synced{true, {"live"}};
  PodPresence unsynced{false, {}};
  struct Case {
    const char* name;
    const char* uid;
    const PodPresence* pods;
    system_clock::duration age;
    bool want;
  };
  const Case cases[] = {
      {"gone and old", "gone", &synced, minutes(6), true},
      {"gone, exactly resync old", "gone", &synced, minutes(5), true},
      {"gone but young (pod may not be in our cache yet)", "gone", &synced, minutes(4), false},
      {"pod still on node", "live", &synced, hours(10), false},
      {"pod list unknown (API never reached)", "gone", &unsynced, hours(10), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ShouldRemoveDir(c.uid, *c.pods, now - c.age, now, resync), c.want) << c.name;
  }
}

}  // namespace
}  // namespace hami::monitor
