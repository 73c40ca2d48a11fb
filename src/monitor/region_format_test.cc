#include "monitor/region_format.h"

#include <cstddef>

#include <gtest/gtest.h>

#include "monitor/test_regions.h"

namespace hami::monitor {
namespace {

using testing::AddV0Process;
using testing::AddV1Process;
using testing::V0Image;
using testing::V1Image;

// Upstream's v0 struct (pkg/monitor/nvidia/v0/spec.go) transcribed to C: pins the kV0* offsets.
struct UpstreamV0Memory {
  uint64_t context, module, buffer, offset, total;
};
struct UpstreamV0Util {
  uint64_t dec, enc, sm;
};
struct UpstreamV0Slot {
  int32_t pid, hostpid;
  UpstreamV0Memory used[16];
  uint64_t monitorused[16];
  UpstreamV0Util util[16];
  int32_t status;
};
struct UpstreamV0Region {
  int32_t initialized_flag, sm_init_flag;
  uint32_t owner_pid;
  char sem[32];
  uint64_t num;
  char uuids[16][96];
  uint64_t limit[16], sm_limit[16];
  UpstreamV0Slot procs[1024];
  int32_t procnum, utilization_switch, recent_kernel, priority;
};
static_assert(sizeof(UpstreamV0Slot) == kV0SlotSize);
static_assert(offsetof(UpstreamV0Slot, used) == kV0SlotUsedOffset);
static_assert(offsetof(UpstreamV0Slot, util) == kV0SlotUtilOffset);
static_assert(offsetof(UpstreamV0Slot, status) == kV0SlotStatusOffset);
static_assert(sizeof(UpstreamV0Region) == kV0Size);
static_assert(offsetof(UpstreamV0Region, num) == kV0DeviceNumOffset);
static_assert(offsetof(UpstreamV0Region, uuids) == kV0UuidsOffset);
static_assert(offsetof(UpstreamV0Region, limit) == kV0LimitOffset);
static_assert(offsetof(UpstreamV0Region, sm_limit) == kV0SmLimitOffset);
static_assert(offsetof(UpstreamV0Region, procs) == kV0ProcsOffset);
static_assert(offsetof(UpstreamV0Region, procnum) == kV0ProcNumOffset);
static_assert(offsetof(UpstreamV0Region, utilization_switch) == kV0UtilizationSwitchOffset);
static_assert(offsetof(UpstreamV0Region, recent_kernel) == kV0RecentKernelOffset);
static_assert(offsetof(UpstreamV0Region, priority) == kV0PriorityOffset);

constexpr char kUuid[] = "GPU-11111111-2222-3333-4444-555555555555";

TEST(DetectLayout, OursUpstreamV1AndV0) {
  auto ours = V1Image(true, {kUuid}, {1 << 30});
  auto v1 = V1Image(false, {kUuid}, {1 << 30});
  auto v0 = V0Image(kUuid, 1 << 30);
  EXPECT_EQ(*DetectLayout(ours.data(), ours.size()), Layout::kHamiCpp);
  EXPECT_EQ(*DetectLayout(v1.data(), v1.size()), Layout::kV1);
  // upstream's exact struct size (no trailing byte) is still v1
  EXPECT_EQ(*DetectLayout(v1.data(), v1.size() - 1), Layout::kV1);
  EXPECT_EQ(*DetectLayout(v0.data(), v0.size()), Layout::kV0);
}

TEST(DetectLayout, RejectsBadFilesWithReasons) {
  auto v1 = V1Image(false, {kUuid}, {0});
  struct Case {
    const char* name;
    std::vector<char> bytes;
    size_t size;
    const char* reason;
  };
  std::vector<char> foreign = v1;
  testing::Put<int32_t>(foreign, 0, 12345);
  std::vector<char> corrupt = v1;
  testing::Put<uint64_t>(corrupt, 56, 999);
  std::vector<char> v2 = v1;
  testing::Put<uint32_t>(v2, 4, 2);
  const std::vector<Case> cases = {
      {"empty", {}, 0, "smaller than the 12-byte header"},
      {"header only", v1, 11, "smaller than the 12-byte header"},
      {"foreign", foreign, foreign.size(), "bad magic 12345"},
      {"truncated v1", v1, 600000, "unknown region: 600000 bytes, version 1.2"},
      {"truncated between v0 and v1 is v0-sized but has v1 header", v1, 1500000, ""},
      {"unknown major", v2, v2.size(), "unknown region"},
      {"corrupt device count", corrupt, corrupt.size(), "999 devices"},
  };
  for (const Case& c : cases) {
    auto r = DetectLayout(c.bytes.empty() ? nullptr : c.bytes.data(), c.size);
    if (std::string(c.reason).empty()) {
      // upstream reads a v0-sized file as v0 whatever its header says; so do we.
      ASSERT_TRUE(r.ok()) << c.name;
      EXPECT_EQ(*r, Layout::kV0) << c.name;
      continue;
    }
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.error().message().find(c.reason), std::string::npos)
        << c.name << ": " << r.error().message();
  }
}

TEST(ReadRegion, V1SumsLiveSlotsWithinProcNum) {
  auto image = V1Image(true, {kUuid, "GPU-b"}, {3000ull << 20, 0}, 0);
  AddV1Process(image, 0, 10, 1 << 20, 100 << 20, 30);
  AddV1Process(image, 1, 11, 1 << 20, 50 << 20, 20);
  AddV1Process(image, 2, 12, 0, 7 << 20, 5);
  // slot 2 dead: skipped; slot 5 beyond proc_num after we lower it: skipped
  auto* r = reinterpret_cast<region::SharedRegion*>(image.data());
  r->procs[2].status = region::kSlotDead;
  r->last_kernel_time = 1700000000;
  r->recent_kernel = 2;
  RegionReading got = ReadRegion(image.data(), image.size(), Layout::kHamiCpp);
  EXPECT_EQ(got.major_version, 1u);
  EXPECT_EQ(got.minor_version, 2u);
  ASSERT_EQ(got.devices.size(), 2u);
  EXPECT_EQ(got.devices[0].uuid, kUuid);
  EXPECT_EQ(got.devices[0].uuid_label, kUuid);
  EXPECT_TRUE(got.devices[0].uuid_valid);
  EXPECT_EQ(got.devices[0].limit, 3000ull << 20);
  EXPECT_EQ(got.devices[0].total, (2ull << 20) + (150ull << 20));
  EXPECT_EQ(got.devices[0].context, 2ull << 20);
  EXPECT_EQ(got.devices[0].buffer, 150ull << 20);
  EXPECT_EQ(got.devices[0].sm_util, 50u);
  EXPECT_EQ(got.devices[1].uuid, "GPU-b");
  EXPECT_EQ(got.proc_num, 3);
  EXPECT_EQ(got.live_processes, 2);
  EXPECT_EQ(got.priority, 0);
  EXPECT_EQ(got.recent_kernel, 2);
  EXPECT_EQ(got.last_kernel_time, 1700000000u);
  EXPECT_EQ(got.all_uuids.size(), 16u);
}

TEST(ReadRegion, ProcNumIsClamped) {
  auto image = V1Image(false, {kUuid}, {0});
  AddV1Process(image, 0, 10, 0, 4096, 0);
  reinterpret_cast<region::SharedRegion*>(image.data())->proc_num = -5;
  EXPECT_EQ(ReadRegion(image.data(), image.size(), Layout::kV1).devices[0].total, 0u);
  reinterpret_cast<region::SharedRegion*>(image.data())->proc_num = 1 << 30;
  RegionReading r = ReadRegion(image.data(), image.size(), Layout::kV1);
  EXPECT_EQ(r.proc_num, 1024);
  EXPECT_EQ(r.devices[0].total, 4096u);
}

TEST(ReadRegion, V0Offsets) {
  auto image = V0Image(kUuid, 2000ull << 20);
  AddV0Process(image, 0, 1 << 20, 10 << 20);
  AddV0Process(image, 1, 1 << 20, 20 << 20);
  RegionReading r = ReadRegion(image.data(), image.size(), Layout::kV0);
  ASSERT_EQ(r.devices.size(), 1u);
  EXPECT_EQ(r.devices[0].uuid, kUuid);
  EXPECT_EQ(r.devices[0].limit, 2000ull << 20);
  EXPECT_EQ(r.devices[0].sm_limit, 50u);
  EXPECT_EQ(r.devices[0].total, 32ull << 20);
  EXPECT_EQ(r.devices[0].context, 2ull << 20);
  EXPECT_EQ(r.live_processes, 2);
  EXPECT_EQ(r.priority, 1);
  EXPECT_EQ(r.recent_kernel, 2);
  EXPECT_EQ(r.utilization_switch, 1);
  EXPECT_EQ(r.last_kernel_time, 0u);
  EXPECT_EQ(RecentKernelOffset(Layout::kV0), 1197888u);
  EXPECT_EQ(UtilizationSwitchOffset(Layout::kV0), 1197884u);
  EXPECT_EQ(RecentKernelOffset(Layout::kV1), 2008904u);
  EXPECT_EQ(UtilizationSwitchOffset(Layout::kV1), 2008900u);
}

TEST(ReadRegion, UuidLabelIsFirst40BytesAndMustBeUtf8) {
  std::string long_uuid = std::string(kUuid) + "-EXTRA";
  auto image = V1Image(false, {long_uuid, "\xff\xfe-bad", ""}, {0, 0, 0});
  RegionReading r = ReadRegion(image.data(), image.size(), Layout::kV1);
  EXPECT_EQ(r.devices[0].uuid, long_uuid);
  EXPECT_EQ(r.devices[0].uuid_label, kUuid);
  EXPECT_TRUE(r.devices[0].uuid_valid);
  EXPECT_FALSE(r.devices[1].uuid_valid);
  EXPECT_FALSE(r.devices[2].uuid_valid);
}

}  // namespace
}  // namespace hami::monitor
