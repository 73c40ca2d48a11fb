// XID health: DP_DISABLE_HEALTHCHECKS parsing and classification (upstream's semantics), sticky
// marks and their recovery, and DevicePluginService's XID thread with a fake event source: a
// critical XID reaches the store and the register annotation at once (no poll), an application
// XID changes nothing, a mark survives polls until the GPU was down and came back.
#include "deviceplugin/xid_health.h"

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>

#include <gtest/gtest.h>

#include "codec/node_register.h"
#include "deviceplugin/service.h"
#include "k8s/resource_path.h"
#include "test/fakes/fake_env.h"
#include "test/fakes/fake_kube_api.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

TEST(XidPolicy, ParsesUpstreamsDisableHealthchecks) {
  struct Case {
    std::optional<std::string_view> env;
    bool enabled;
    std::set<uint64_t> extra;
    std::vector<std::string> bad;
  };
  const std::vector<Case> cases = {
      {std::nullopt, true, {}, {}},
      {"", true, {}, {}},
      {"all", false, {}, {}},
      {"ALL", false, {}, {}},
      {"xids", false, {}, {}},
      {"nvml,xids", false, {}, {}},
      {"48", true, {48}, {}},
      {" 48 , 79,", true, {48, 79}, {}},
      {"48,ecc,-1", true, {48}, {"ecc", "-1"}},
  };
  for (const auto& c : cases) {
    XidPolicy policy = ParseXidPolicy(c.env);
    std::set<uint64_t> ignored = kApplicationXids;
    ignored.insert(c.extra.begin(), c.extra.end());
    EXPECT_EQ(policy.enabled, c.enabled) << c.env.value_or("<unset>");
    if (c.enabled) {
      EXPECT_EQ(policy.ignored, ignored) << c.env.value_or("<unset>");
    }
    EXPECT_EQ(policy.bad_entries, c.bad) << c.env.value_or("<unset>");
  }
}

TEST(XidPolicy, ApplicationXidsAreNotCritical) {
  XidPolicy policy = ParseXidPolicy(std::nullopt);
  for (uint64_t xid : {13, 31, 43, 45, 68, 109}) EXPECT_FALSE(IsCriticalXid(policy, xid)) << xid;
  for (uint64_t xid : {48, 62, 64, 74, 79, 92, 94, 95}) EXPECT_TRUE(IsCriticalXid(policy, xid));
  EXPECT_FALSE(IsCriticalXid(ParseXidPolicy("79"), 79));
  EXPECT_FALSE(IsCriticalXid(ParseXidPolicy("xids"), 48));
}

GpuInfo Gpu(std::string uuid, bool healthy) {
  GpuInfo gpu;
  gpu.uuid = std::move(uuid);
  gpu.name = "Tesla T4";
  gpu.memory_mib = 15360;
  gpu.healthy = healthy;
  return gpu;
}

TEST(XidMarks, StickyUntilTheGpuWasDownAndCameBack) {
  XidMarks marks;
  EXPECT_TRUE(marks.Mark("GPU-a", 48));
  EXPECT_FALSE(marks.Mark("GPU-a", 94));
  EXPECT_EQ(marks.Marked(), (std::map<std::string, uint64_t>{{"GPU-a", 94}}));
  std::vector<GpuInfo> gpus = {Gpu("GPU-a", true), Gpu("GPU-b", true)};
  EXPECT_TRUE(marks.Apply(gpus).empty());
  EXPECT_FALSE(gpus[0].healthy) << "polling found it readable, the mark keeps it unhealthy";
  EXPECT_TRUE(gpus[1].healthy);
  gpus = {Gpu("GPU-b", true)};  // GPU-a gone (lost) for a poll
  EXPECT_TRUE(marks.Apply(gpus).empty());
  gpus = {Gpu("GPU-a", false), Gpu("GPU-b", true)};  // back but unreadable
  EXPECT_TRUE(marks.Apply(gpus).empty());
  gpus = {Gpu("GPU-a", true), Gpu("GPU-b", true)};  // reset: readable again
  EXPECT_EQ(marks.Apply(gpus), std::vector<std::string>{"GPU-a"});
  EXPECT_TRUE(gpus[0].healthy);
  EXPECT_TRUE(marks.Marked().empty());
}

// One GPU whose health the test sets, and XID events the test queues.
class EventSource : public DeviceSource {
 public:
  void SetHealthy(bool healthy) {
    std::lock_guard<std::mutex> lock(mu_);
    healthy_ = healthy;
  }
  void Post(XidEvent event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
    changed_.notify_all();
  }
  // Waits until the service has taken every queued event and asked for the next one.
  bool WaitUntilDrained() {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10),
                             [&] { return events_.empty() && calls_ > last_take_call_; });
  }
  int watch_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return watch_calls_;
  }
  base::Result<std::vector<GpuInfo>> Discover() override {
    std::lock_guard<std::mutex> lock(mu_);
    return std::vector<GpuInfo>{Gpu("GPU-x", healthy_)};
  }
  std::map<std::pair<std::string, std::string>, PairLink> Links(
      const std::vector<GpuInfo>& /*gpus*/) override {
    return {};
  }
  base::Status WatchXids(const std::vector<std::string>& uuids) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++watch_calls_;
    EXPECT_EQ(uuids, std::vector<std::string>{"GPU-x"});
    return {};
  }
  base::Result<std::optional<XidEvent>> NextXid(milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_;
    changed_.notify_all();
    if (!changed_.wait_for(lock, timeout, [&] { return !events_.empty(); })) {
      return std::optional<XidEvent>();
    }
    XidEvent event = events_.front();
    events_.pop_front();
    last_take_call_ = calls_;
    return std::optional<XidEvent>(event);
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<XidEvent> events_;
  bool healthy_ = true;
  int calls_ = 0, last_take_call_ = 0, watch_calls_ = 0;
};

constexpr milliseconds kHealthInterval{7000};

class XidServiceTest : public ::testing::Test {
 protected:
  void Start(XidPolicy policy) {
    char tmpl[] = "/tmp/hami_dp_xid_XXXXXX";
    root_ = mkdtemp(tmpl);
    fs::create_directories(root_ + "/device-plugins");
    env_.set_auto_advance(false);
    ASSERT_TRUE(api_.Create(k8s::NodesPath(), {{"metadata", {{"name", "node-a"}}}}).ok());
    auto source = std::make_unique<EventSource>();
    source_ = source.get();
    ServiceConfig config;
    config.plugin.node_name = "node-a";
    config.plugin_dir = root_ + "/device-plugins";
    config.host_vgpu_dir = root_ + "/vgpu";
    config.lock_dir = root_ + "/lock";
    config.health_interval = kHealthInterval;
    config.register_interval = milliseconds(21000);
    config.xid_policy = std::move(policy);
    config.xid_wait = milliseconds(50);
    config.env = &env_;
    service_ = std::make_unique<DevicePluginService>(api_, std::move(source), config);
    ASSERT_TRUE(service_->Start().ok());
  }
  void TearDown() override {
    service_.reset();  // Stop ends the XID thread within xid_wait
    if (!root_.empty()) fs::remove_all(root_);
  }
  bool Healthy() const {
    auto devices = service_->store().Devices();
    return !devices.empty() && devices.front().health;
  }
  // The health the register annotation gives GPU-x.
  bool RegisteredHealthy() {
    auto node = api_.Get(k8s::NodesPath("node-a"));
    auto devices =
        codec::DecodeNodeDevicesJson(node->at("metadata")
                                         .value("annotations", nlohmann::json::object())
                                         .value(vendor::nvidia::kRegisterAnnotation, ""));
    EXPECT_TRUE(devices.ok());
    return devices.ok() && devices->size() == 1 && devices->front().health;
  }
  // One poll of the discovery loop (fake clock).
  void Tick() {
    size_t before = 0;
    for (const auto& s : env_.sleeps()) before += s == kHealthInterval ? 1 : 0;
    env_.Advance(kHealthInterval);
    for (size_t sleeps = env_.sleeps().size();; ++sleeps) {
      size_t now = 0;
      for (const auto& s : env_.sleeps()) now += s == kHealthInterval ? 1 : 0;
      if (now > before) return;
      ASSERT_TRUE(env_.WaitForSleeps(sleeps + 1)) << "the discovery loop did not come back";
    }
  }
  void WaitForFirstSleep() { ASSERT_TRUE(env_.WaitForSleeps(1)); }

  std::string root_;
  fakes::FakeEnv env_;
  fakes::FakeKubeApi api_;
  EventSource* source_ = nullptr;
  std::unique_ptr<DevicePluginService> service_;
};

TEST_F(XidServiceTest, ACriticalXidMarksTheGpuAtOnceUntilItRecovers) {
  Start(ParseXidPolicy(std::nullopt));
  WaitForFirstSleep();
  EXPECT_EQ(source_->watch_calls(), 1);
  ASSERT_TRUE(Healthy());
  ASSERT_TRUE(RegisteredHealthy());
  source_->Post({"GPU-x", 48});
  ASSERT_TRUE(source_->WaitUntilDrained());
  EXPECT_FALSE(Healthy()) << "no poll ran: the event itself published it";
  EXPECT_FALSE(RegisteredHealthy());
  EXPECT_EQ(service_->XidMarked(), (std::map<std::string, uint64_t>{{"GPU-x", 48}}));
  Tick();
  EXPECT_FALSE(Healthy()) << "readable again is not repaired";
  source_->SetHealthy(false);  // lost (XID 79), then a reset
  Tick();
  EXPECT_FALSE(Healthy());
  source_->SetHealthy(true);
  Tick();
  EXPECT_TRUE(Healthy());
  EXPECT_TRUE(RegisteredHealthy());
  EXPECT_TRUE(service_->XidMarked().empty());
}

TEST_F(XidServiceTest, ApplicationXidsAndUnknownDevices) {
  Start(ParseXidPolicy("94"));
  WaitForFirstSleep();
  source_->Post({"GPU-x", 43});
  source_->Post({"GPU-x", 94});  // ignored by DP_DISABLE_HEALTHCHECKS=94
  ASSERT_TRUE(source_->WaitUntilDrained());
  EXPECT_TRUE(Healthy());
  EXPECT_TRUE(service_->XidMarked().empty());
  source_->Post({"", 79});  // a device the driver could not name: every GPU, as upstream
  ASSERT_TRUE(source_->WaitUntilDrained());
  EXPECT_FALSE(Healthy());
}

TEST_F(XidServiceTest, DisabledChecksListenToNothing) {
  Start(ParseXidPolicy("all"));
  WaitForFirstSleep();
  EXPECT_EQ(source_->watch_calls(), 0);
  EXPECT_TRUE(Healthy());
}

}  // namespace
}  // namespace hami::deviceplugin
