// MonitorService's loop on a fake clock (fakes::FakeEnv, manual mode): one round at Start, then one
// per feedback interval and none in between; a container appearing is found by the next round;
// Stop ends a loop parked in its sleep at once. No test here sleeps for real to wait out an
// interval.
#include "monitor/monitor_service.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "monitor/test_regions.h"
#include "test/fakes/fake_env.h"

namespace hami::monitor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr milliseconds kInterval{5000};
constexpr char kUuid[] = "GPU-11111111-2222-3333-4444-555555555555";

class MonitorServiceLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hook_ = fs::temp_directory_path() / ("hami_monitor_loop_" + std::to_string(getpid()));
    fs::remove_all(hook_);
    fs::create_directories(hook_ / "containers");
    env_.set_auto_advance(false);
    MonitorConfig config;
    config.hook_path = hook_.string();
    config.metrics_bind = "127.0.0.1:0";
    config.nvml_library = (hook_ / "no-such-libnvidia-ml.so.1").string();  // host GPUs off
    config.feedback_interval = kInterval;
    config.env = &env_;
    service_ = std::make_unique<MonitorService>(config, /*api=*/nullptr);
    ASSERT_TRUE(service_->Start().ok());
    ASSERT_TRUE(env_.WaitForBlocked(1)) << "the loop never parked in its sleep";
  }
  void TearDown() override {
    service_.reset();
    fs::remove_all(hook_);
  }

  // Moves the clock by `step` and, when that completes an interval, returns once the loop has run
  // its round and is parked in the next sleep.
  void Advance(milliseconds step) {
    const size_t sleeps = env_.sleeps().size();
    env_.Advance(step);
    if (env_.Elapsed() >= kInterval * static_cast<int>(sleeps)) {
      ASSERT_TRUE(env_.WaitForSleeps(sleeps + 1)) << "the loop did not come back";
      ASSERT_TRUE(env_.WaitForBlocked(1));
    }
  }
  void AddRegion(const std::string& dir) {
    auto image = testing::V1Image(true, {kUuid}, {1ULL << 30});
    testing::AddV1Process(image, 0, 42, 0, 5 << 20, 0);
    fs::create_directories(hook_ / "containers" / dir);
    ASSERT_TRUE(testing::WriteFile((hook_ / "containers" / dir / "a.cache").string(), image));
  }
  uint64_t Rounds() { return service_->Collect().stats.feedback_rounds; }
  size_t Containers() { return service_->Collect().containers.size(); }

  fs::path hook_;
  fakes::FakeEnv env_;
  std::unique_ptr<MonitorService> service_;
};

TEST_F(MonitorServiceLoopTest, RunsOneRoundAtStartThenOnePerInterval) {
  EXPECT_EQ(Rounds(), 1U);
  Advance(kInterval - milliseconds(1));
  EXPECT_EQ(Rounds(), 1U) << "no round before the interval has passed";
  Advance(milliseconds(1));
  EXPECT_EQ(Rounds(), 2U);
  Advance(kInterval);
  EXPECT_EQ(Rounds(), 3U);
  for (const auto& sleep : env_.sleeps()) EXPECT_EQ(sleep, kInterval);
}

TEST_F(MonitorServiceLoopTest, ANewContainerIsFoundByTheNextRound) {
  AddRegion("pod-a_main");
  EXPECT_EQ(Containers(), 0U) << "discovery runs in rounds, not at scrape time";
  Advance(kInterval);
  ASSERT_EQ(Containers(), 1U);
  EXPECT_EQ(service_->Collect().containers.front().pod_uid, "pod-a");
}

TEST_F(MonitorServiceLoopTest, StopEndsALoopParkedInItsSleep) {
  service_->Stop();  // would hang until the fake clock moved if the stop token did not wake it
  EXPECT_EQ(env_.blocked(), 0);
  EXPECT_EQ(Rounds(), 1U);
}

}  // namespace
}  // namespace hami::monitor
