#include "monitor/region_scanner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "monitor/test_regions.h"

namespace hami::monitor {
namespace {

namespace fs = std::filesystem;
using testing::V0Image;
using testing::V1Image;
using testing::WriteFile;

constexpr char kUuid[] = "GPU-11111111-2222-3333-4444-555555555555";

class RegionScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hook_ = fs::temp_directory_path() /
            ("hami_scanner_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(hook_);
    fs::create_directories(hook_ / "containers");
  }
  void TearDown() override { fs::remove_all(hook_); }

  std::string Dir(const std::string& name) {
    fs::create_directories(hook_ / "containers" / name);
    return (hook_ / "containers" / name).string();
  }
  void Region(const std::string& dir, const std::vector<char>& image,
              const char* file = "a.cache") {
    ASSERT_TRUE(WriteFile(Dir(dir) + "/" + file, image));
  }
  ScannerOptions Options() { return {hook_.string(), std::chrono::seconds(60)}; }

  fs::path hook_;
};

TEST_F(RegionScannerTest, MapsEveryLayoutAndSkipsBadFilesOnce) {
  auto ours = V1Image(true, {kUuid}, {1 << 30});
  testing::AddV1Process(ours, 0, 42, 0, 5 << 20, 0);
  Region("pod-a_ours", ours);
  Region("pod-b_v1", V1Image(false, {kUuid}, {2ull << 30}));
  Region("pod-c_v0", V0Image(kUuid, 3ull << 30));
  Region("pod-d_truncated", std::vector<char>(ours.begin(), ours.begin() + 4096));
  std::vector<char> foreign(ours);
  testing::Put<int32_t>(foreign, 0, 7);
  Region("pod-e_foreign", foreign);
  Region("pod-f_tiny", std::vector<char>(5, 'x'));
  Region("pod-g_many", ours);
  Region("pod-g_many", ours, "b.cache");
  Region("pod-g_many", ours, "c.cache");
  Region("noseparator", ours);
  Region("pod-h_libonly", ours, "libvgpu.so.cache");
  Dir("pod-i_empty");

  RegionScanner scanner(Options());
  PodPresence none;
  scanner.Scan(none, std::chrono::system_clock::now());
  auto samples = scanner.Read();
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].pod_uid, "pod-a");
  EXPECT_EQ(samples[0].container, "ours");
  EXPECT_EQ(samples[0].reading.layout, Layout::kHamiCpp);
  EXPECT_EQ(samples[0].reading.devices[0].total, 5u << 20);
  EXPECT_EQ(samples[1].reading.layout, Layout::kV1);
  EXPECT_EQ(samples[1].reading.devices[0].limit, 2ull << 30);
  EXPECT_EQ(samples[2].reading.layout, Layout::kV0);
  EXPECT_EQ(samples[2].reading.devices[0].limit, 3ull << 30);
  // truncated, foreign, tiny, too many files, bad name: five skips
  EXPECT_EQ(scanner.errors(), 5u);
  scanner.Scan(none, std::chrono::system_clock::now());
  EXPECT_EQ(scanner.errors(), 5u) << "an unchanged bad file is logged once";
  // the truncated file becomes valid: picked up at the next scan
  Region("pod-d_truncated", ours);
  scanner.Scan(none, std::chrono::system_clock::now());
  EXPECT_EQ(scanner.Read().size(), 4u);
  auto layouts = scanner.RegionsByLayout();
  EXPECT_EQ(layouts["hami-cpp"], 2);
  EXPECT_EQ(layouts["v1"], 1);
  EXPECT_EQ(layouts["v0"], 1);
}

TEST_F(RegionScannerTest, TruncatedWhileMappedIsDroppedWithoutCrash) {
  Region("pod-a_c", V1Image(true, {kUuid}, {1 << 30}));
  RegionScanner scanner(Options());
  scanner.Scan({}, std::chrono::system_clock::now());
  ASSERT_EQ(scanner.Read().size(), 1u);
  const std::string file = (hook_ / "containers/pod-a_c/a.cache").string();
  ASSERT_EQ(truncate(file.c_str(), 100), 0);
  // No Scan in between: the read itself faults (SIGBUS) and is recovered.
  EXPECT_TRUE(scanner.Read().empty());
  EXPECT_EQ(scanner.errors(), 1u);
  scanner.Scan({}, std::chrono::system_clock::now());
  EXPECT_TRUE(scanner.Read().empty());
}

TEST_F(RegionScannerTest, RemovesDirectoriesOfGonePodsOnlyWhenKnownAndOld) {
  Region("gone_c", V1Image(true, {kUuid}, {0}));
  Region("live_c", V1Image(true, {kUuid}, {0}));
  RegionScanner scanner(Options());
  const auto now = std::chrono::system_clock::now();
  scanner.Scan({}, now + std::chrono::hours(1));
  EXPECT_TRUE(fs::exists(hook_ / "containers/gone_c")) << "unsynced pod list never deletes";
  PodPresence pods{true, {"live"}};
  scanner.Scan(pods, now);
  EXPECT_TRUE(fs::exists(hook_ / "containers/gone_c")) << "younger than the resync interval";
  scanner.Scan(pods, now + std::chrono::seconds(61));
  EXPECT_FALSE(fs::exists(hook_ / "containers/gone_c"));
  EXPECT_TRUE(fs::exists(hook_ / "containers/live_c"));
  EXPECT_EQ(scanner.dirs_removed(), 1u);
  auto left = scanner.Read();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].pod_uid, "live");
}

// Feedback over what the regions say (region_trust.h is tested on its own).
std::optional<FeedbackInput> AsWritten(const RegionSample& s) {
  return FeedbackInput{s.reading.all_uuids, s.reading.priority, s.reading.recent_kernel,
                       s.reading.utilization_switch};
}

TEST_F(RegionScannerTest, FeedbackWritesOnlyTheTwoWords) {
  auto high = V1Image(true, {kUuid}, {0}, 0);
  auto low = V1Image(false, {kUuid}, {0}, 1);
  Region("high_c", high);
  Region("low_c", low);
  Region("v0_c", V0Image("GPU-other", 0));
  RegionScanner scanner(Options());
  scanner.Scan({}, std::chrono::system_clock::now());
  FeedbackStats stats = scanner.Feedback(AsWritten);
  EXPECT_EQ(stats.regions, 3);
  auto samples = scanner.Read();
  ASSERT_EQ(samples.size(), 3u);
  // high: 2 -> 1, switch 1 -> 0; low: blocked; v0 alone on its GPU: 2 -> 1, switch 0.
  EXPECT_EQ(samples[0].reading.recent_kernel, 1);
  EXPECT_EQ(samples[0].reading.utilization_switch, 0);
  EXPECT_EQ(samples[1].reading.recent_kernel, -1);
  EXPECT_EQ(samples[1].reading.utilization_switch, 1);
  EXPECT_EQ(samples[2].reading.recent_kernel, 1);
  EXPECT_EQ(samples[2].reading.utilization_switch, 0);
  // Every other byte of the low file is unchanged.
  std::vector<char> now(low.size());
  FILE* f = fopen((hook_ / "containers/low_c/a.cache").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(fread(now.data(), 1, now.size(), f), now.size());
  fclose(f);
  size_t diffs = 0;
  for (size_t i = 0; i < low.size(); ++i) {
    if (low[i] != now[i]) {
      ++diffs;
      EXPECT_TRUE((i >= 2008900 && i < 2008908)) << "byte " << i << " changed";
    }
  }
  EXPECT_GT(diffs, 0u);
  // high goes idle: next rounds unblock low.
  scanner.Feedback(AsWritten);
  samples = scanner.Read();
  EXPECT_EQ(samples[0].reading.recent_kernel, 0);
  EXPECT_EQ(samples[1].reading.recent_kernel, 0);
}

// A region the filter refuses takes no part: it neither blocks others nor is written.
TEST_F(RegionScannerTest, FeedbackSkipsRegionsTheFilterRefuses) {
  auto forged = V1Image(true, {kUuid}, {0}, 0);
  Region("forged_c", forged);
  Region("victim_c", V1Image(true, {kUuid}, {0}, 1));
  RegionScanner scanner(Options());
  scanner.Scan({}, std::chrono::system_clock::now());
  FeedbackStats stats = scanner.Feedback(
      [](const RegionSample& s) { return s.pod_uid == "forged" ? std::nullopt : AsWritten(s); });
  EXPECT_EQ(stats.regions, 1);
  auto samples = scanner.Read();
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].reading.recent_kernel, 2) << "forged region untouched";
  EXPECT_EQ(samples[1].reading.recent_kernel, 1) << "victim not blocked";
}

}  // namespace
}  // namespace hami::monitor
