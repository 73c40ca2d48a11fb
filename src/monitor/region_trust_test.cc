#include "monitor/region_trust.h"

#include <functional>

#include <gtest/gtest.h>

#include "monitor/fault_log.h"

namespace hami::monitor {
namespace {

constexpr char kMine[] = "GPU-aaaaaaaa-1111-2222-3333-444444444444";
constexpr char kVictims[] = "GPU-bbbbbbbb-1111-2222-3333-444444444444";
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kDeviceMemory = 40960 * kMiB;
constexpr int64_t kNow = 1700000000;

// A container granted kMine with 1000 MiB and 30 % at priority 1.
ContainerGrant Grant() {
  ContainerGrant g;
  g.uuids = {kMine};
  g.memory_limits = {1000 * kMiB};
  g.sm_limits = {30};
  g.priority = 1;
  return g;
}

// What libvgpu writes for that grant: one device, one process using 100 MiB, active.
RegionReading Honest() {
  RegionReading r;
  DeviceReading d;
  d.uuid = d.uuid_label = kMine;
  d.uuid_valid = true;
  d.limit = 1000 * kMiB;
  d.sm_limit = 30;
  d.total = d.buffer = 100 * kMiB;
  d.sm_util = 40;
  r.devices = {d};
  r.all_uuids = {kMine};
  r.priority = 1;
  r.recent_kernel = 2;
  r.live_processes = 1;
  r.last_kernel_time = kNow - 1;
  return r;
}

struct Case {
  const char* name;
  std::function<void(RegionReading&)> forge;
  std::vector<std::string> reasons;  // fault reasons, in order
  bool device_exported;
};

class VerifyRegionTest : public testing::TestWithParam<Case> {};

TEST_P(VerifyRegionTest, FaultsAreNamedAndNeverActedOn) {
  const Case& c = GetParam();
  RegionReading r = Honest();
  c.forge(r);
  const ContainerGrant grant = Grant();
  const GrantLookup found{GrantLookup::Status::kFound, &grant};
  const Verdict v = VerifyRegion(
      r, found, {{UuidKey(kMine), kDeviceMemory}, {UuidKey(kVictims), kDeviceMemory}}, kNow);
  std::vector<std::string> reasons;
  for (const RegionFault& f : v.faults) reasons.push_back(f.reason);
  EXPECT_EQ(reasons, c.reasons);
  ASSERT_TRUE(v.exported);
  ASSERT_FALSE(v.reading.devices.empty());
  EXPECT_EQ(v.reading.devices[0].uuid_valid, c.device_exported);
  // Feedback always counts the container on its granted device at no more than its priority.
  ASSERT_TRUE(v.feedback.has_value());
  EXPECT_EQ(v.feedback->uuids, std::vector<std::string>{UuidKey(kMine)});
  EXPECT_GE(v.feedback->priority, grant.priority);
  EXPECT_GE(v.feedback->recent_kernel, -1);
  EXPECT_LE(v.feedback->recent_kernel, 2);
  EXPECT_GE(v.reading.priority, grant.priority);
}

INSTANTIATE_TEST_SUITE_P(
    Forgeries, VerifyRegionTest,
    testing::Values(Case{"Honest", [](RegionReading&) {}, {}, true},
                    Case{"LowerPriorityIsTheContainersRight",
                         [](RegionReading& r) { r.priority = 5; },
                         {},
                         true},
                    Case{"CoTenantsGpuAtPriorityZero",
                         [](RegionReading& r) {
                           r.devices[0].uuid = r.devices[0].uuid_label = kVictims;
                           r.all_uuids = {kVictims};
                           r.priority = 0;
                         },
                         {kFaultForeignDevice, kFaultPriorityRaised},
                         false},
                    Case{"SecondDeviceClaimed",
                         [](RegionReading& r) {
                           r.devices.push_back(r.devices[0]);
                           r.devices[1].uuid = kVictims;
                         },
                         {kFaultForeignDevice},
                         true},
                    Case{"SameDeviceListedTwice",
                         [](RegionReading& r) { r.devices.push_back(r.devices[0]); },
                         {kFaultForeignDevice},
                         true},
                    Case{"UsedTwoToTheSixtyFour",
                         [](RegionReading& r) { r.devices[0].total = UINT64_MAX; },
                         {kFaultOutOfBounds},
                         false},
                    Case{"ContextAboveTheDevice",
                         [](RegionReading& r) { r.devices[0].context = kDeviceMemory + 1; },
                         {kFaultOutOfBounds},
                         false},
                    Case{"UtilizationAbove100",
                         [](RegionReading& r) { r.devices[0].sm_util = 101; },
                         {kFaultOutOfBounds},
                         false},
                    Case{"LimitZeroMeansUnlimited",
                         [](RegionReading& r) { r.devices[0].limit = 0; },
                         {kFaultLimitMismatch},
                         false},
                    Case{"LimitRaised",
                         [](RegionReading& r) { r.devices[0].limit = 2000 * kMiB; },
                         {kFaultLimitMismatch},
                         false},
                    Case{"SmLimitLifted",
                         [](RegionReading& r) { r.devices[0].sm_limit = 0; },
                         {kFaultLimitMismatch},
                         false},
                    Case{"RecentKernelPinnedActive",
                         [](RegionReading& r) { r.recent_kernel = 1 << 30; },
                         {kFaultOutOfBounds},
                         true},
                    Case{"LastKernelInTheFuture",
                         [](RegionReading& r) { r.last_kernel_time = kNow + 3600; },
                         {kFaultOutOfBounds},
                         true}),
    [](const auto& info) { return info.param.name; });

TEST(VerifyRegion, ClampsWhatFeedbackAndMetricsSee) {
  RegionReading r = Honest();
  r.priority = INT32_MIN;
  r.recent_kernel = INT32_MAX;
  r.last_kernel_time = UINT64_MAX;
  const ContainerGrant grant = Grant();
  const Verdict v = VerifyRegion(r, {GrantLookup::Status::kFound, &grant}, {}, kNow);
  EXPECT_EQ(v.reading.priority, 1);
  EXPECT_EQ(v.reading.recent_kernel, 2);
  EXPECT_EQ(v.reading.last_kernel_time, 0u);
  EXPECT_EQ(v.feedback->priority, 1);
  EXPECT_EQ(v.feedback->recent_kernel, 2);
  EXPECT_EQ(v.faults[0].detail, "recent_kernel 2147483647");
}

TEST(VerifyRegion, WithoutAGrantNothingIsActedOn) {
  const RegionReading r = Honest();
  const Verdict unknown = VerifyRegion(r, {GrantLookup::Status::kUnknownPod}, {}, kNow);
  EXPECT_FALSE(unknown.exported);
  EXPECT_FALSE(unknown.feedback.has_value());
  EXPECT_TRUE(unknown.faults.empty()) << "a pod not yet in the cache is not a fault";
  const Verdict no_grant = VerifyRegion(
      r, {GrantLookup::Status::kNoGrant, nullptr, "pod ns/p grants c nothing"}, {}, kNow);
  EXPECT_FALSE(no_grant.exported);
  EXPECT_FALSE(no_grant.feedback.has_value());
  EXPECT_EQ(no_grant.faults,
            (std::vector<RegionFault>{{kFaultNoGrant, "pod ns/p grants c nothing"}}));
}

TEST(VerifyRegion, WithoutAnApiOnlyPhysicalBoundsApplyAndNoFeedback) {
  RegionReading r = Honest();
  r.devices[0].uuid = kVictims;  // cannot be checked without the pod
  r.devices.push_back(Honest().devices[0]);
  r.devices[1].total = UINT64_MAX;
  const Verdict v =
      VerifyRegion(r, {GrantLookup::Status::kNoApi}, {{UuidKey(kMine), kDeviceMemory}}, kNow);
  EXPECT_TRUE(v.exported);
  EXPECT_FALSE(v.feedback.has_value());
  EXPECT_TRUE(v.reading.devices[0].uuid_valid);
  EXPECT_FALSE(v.reading.devices[1].uuid_valid);
  ASSERT_EQ(v.faults.size(), 1u);
  EXPECT_EQ(v.faults[0].detail,
            "device 1 memory 18446744073709551615 bytes exceeds the device's "
            "42949672960");
}

TEST(VerifyRegion, UnknownDeviceMemoryIsBoundedAtOneTebibyte) {
  RegionReading r = Honest();
  r.devices[0].total = kUnknownDeviceMemoryBound;
  EXPECT_TRUE(VerifyRegion(r, {GrantLookup::Status::kNoApi}, {}, kNow).faults.empty());
  r.devices[0].total = kUnknownDeviceMemoryBound + 1;
  EXPECT_EQ(VerifyRegion(r, {GrantLookup::Status::kNoApi}, {}, kNow).faults.size(), 1u);
  r = Honest();
  r.devices[0].limit = UINT64_MAX;
  EXPECT_EQ(VerifyRegion(r, {GrantLookup::Status::kNoApi}, {}, kNow).faults.size(), 1u);
}

TEST(VerifyRegion, MigInstancesAreTheContainersDevices) {
  ContainerGrant g = Grant();
  g.mig_uuids = {"MIG-cccccccc-1111-2222-3333-444444444444"};
  g.sm_limits = {100};
  RegionReading r = Honest();
  r.devices[0].uuid = "GPU-CCCCCCCC-1111-2222-3333-444444444444";
  r.devices[0].sm_limit = 0;  // libvgpu's "no limit" for a granted 100 %
  const Verdict v = VerifyRegion(r, {GrantLookup::Status::kFound, &g}, {}, kNow);
  EXPECT_TRUE(v.faults.empty()) << v.faults[0].detail;
  EXPECT_EQ(v.feedback->uuids, (std::vector<std::string>{"cccccccc-1111-2222-3333-444444444444"}));
}

TEST(VerifyRegion, AnotherSchedulersPodIsUnverifiedAndNeverActedOn) {
  RegionReading r = Honest();
  r.devices.push_back(r.devices[0]);  // the same GPU twice
  const std::map<std::string, uint64_t> memory = {{UuidKey(r.devices[0].uuid), 40ull << 30}};
  const Verdict v = VerifyRegion(r, {GrantLookup::Status::kOtherScheduler}, memory, kNow);
  EXPECT_FALSE(v.exported);
  EXPECT_TRUE(v.unverified);
  EXPECT_FALSE(v.feedback.has_value());
  EXPECT_TRUE(v.reading.devices[0].uuid_valid);
  EXPECT_FALSE(v.reading.devices[1].uuid_valid);
  ASSERT_EQ(v.faults.size(), 1u);
  EXPECT_EQ(v.faults[0].reason, kFaultForeignDevice);
  const Verdict elsewhere =
      VerifyRegion(Honest(), {GrantLookup::Status::kOtherScheduler}, {}, kNow);
  EXPECT_FALSE(elsewhere.reading.devices[0].uuid_valid) << "not a GPU of this node";
}

TEST(PodIndex, Lookup) {
  PodRef pod{"u1", "ns", "p", {"init", "a", "b"}, ""};
  pod.grants["a"] = Grant();
  PodRef broken{"u2", "ns", "q", {"a"}, ""};
  broken.grant_error = "hami.io/vgpu-devices-allocated: bad";
  PodRef koord{"u3", "ns", "k", {"a"}, ""};
  const std::optional<std::vector<PodRef>> pods = std::vector<PodRef>{pod, broken, koord};
  const PodIndex index(pods);
  using S = GrantLookup::Status;
  EXPECT_EQ(index.Lookup("u1", "a").status, S::kFound);
  EXPECT_EQ(index.Lookup("u1", "a").grant->uuids, std::vector<std::string>{kMine});
  EXPECT_EQ(index.Lookup("u1", "b").status, S::kNoGrant);
  EXPECT_EQ(index.Lookup("u1", "b").why, "pod ns/p grants container b no NVIDIA device");
  EXPECT_EQ(index.Lookup("u1", "zzz").status, S::kUnknownPod);
  EXPECT_EQ(index.Lookup("u9", "a").status, S::kUnknownPod);
  EXPECT_EQ(index.Lookup("u2", "a").status, S::kNoGrant);
  EXPECT_EQ(index.Lookup("u2", "a").why, "hami.io/vgpu-devices-allocated: bad");
  EXPECT_EQ(index.Lookup("u3", "a").status, S::kOtherScheduler) << "no grant of ours at all";
  EXPECT_EQ(PodIndex(std::nullopt).Lookup("u1", "a").status, S::kNoApi);
}

TEST(FaultLog, CountsEachAppearanceOnce) {
  FaultLog log("/hook/containers");
  const RegionFault foreign{kFaultForeignDevice, "device 0 uuid \"GPU-b\" is not granted"};
  const RegionFault raised{kFaultPriorityRaised, "priority 0 above the granted 1"};
  log.Round({{"u1_c", {foreign, raised}}});
  log.Round({{"u1_c", {foreign, raised}}});  // still there: not counted again
  EXPECT_EQ(log.Counts(),
            (std::map<std::string, uint64_t>{{kFaultForeignDevice, 1}, {kFaultPriorityRaised, 1}}));
  log.Round({{"u1_c", {foreign}}, {"u2_c", {foreign}}});
  log.Round({});
  log.Round({{"u1_c", {raised}}});  // gone for a round, then back: counted again
  EXPECT_EQ(log.Counts(),
            (std::map<std::string, uint64_t>{{kFaultForeignDevice, 2}, {kFaultPriorityRaised, 2}}));
}

TEST(UuidKey, PrefixAndCaseInsensitive) {
  EXPECT_EQ(UuidKey("GPU-AbC"), "abc");
  EXPECT_EQ(UuidKey("MIG-abc"), "abc");
  EXPECT_EQ(UuidKey(" gpu-abc "), "abc");
  EXPECT_EQ(UuidKey("abc"), "abc");
  EXPECT_EQ(UuidKey(""), "");
}

}  // namespace
}  // namespace hami::monitor
