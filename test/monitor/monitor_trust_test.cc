// Issue 14 regressions against the real hami-monitor binary: a tenant writing its own region file
// cannot make the monitor act against a co-tenant or export impossible values.
//
//   ForgedRegionClaimingACoTenantsGpuDoesNotFreezeIt: the victim (GPU B, priority 1) launches
//     kernels under libvgpu; the attacker's container (granted GPU A) writes a region claiming GPU
//     B at priority 0 and keeps recent_kernel at 2. Before (measured): the victim was blocked in
//     190 of ~200 samples, its longest pause 2113 ms = the whole forgery. Now: 0 samples, longest
//     pause 17 ms; the claim is a fault, logged and counted, never acted on.
//   RegionClaimingTwoToTheSixtyFourBytesIsNotExported: a region whose process slot claims
//     2^64 - 1 bytes used. Before: exported as hami_vgpu_memory_used_bytes 18446744073709551616.
//     Now: dropped and counted.
// Issue 18, pods another scheduler placed (no grant of ours):
//   KoordinatorAndKaiRegionsAreExportedUnverified: libvgpu under koordlet's and KAI's env; both
//     regions exported as hami_unverified_* with their pods' names and schedulers.
//   AForeignPodsForgedRegionNeverBlocksATenant: such a pod's region at priority 0, launching on a
//     tenant's GPU and naming a GPU the node lacks, blocks the tenant in 0 samples.
// Label: integration.
#include <fcntl.h>
#include <sys/mman.h>

#include <atomic>
#include <thread>

#include "monitor/test_regions.h"
#include "region/region.h"
#include "test/monitor/monitor_fixture.h"

namespace hami::monitor::it {
namespace {

// Keeps the forged region's recent_kernel at 2 ("launching") every 20 ms until stopped.
class ForgedActivity {
 public:
  explicit ForgedActivity(const std::string& path) {
    fd_ = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) return;
    data_ = mmap(nullptr, sizeof(region::SharedRegion), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (data_ == MAP_FAILED) data_ = nullptr;
    if (data_ == nullptr) return;
    auto* r = static_cast<region::SharedRegion*>(data_);
    thread_ = std::thread([this, r] {
      while (!stop_.load()) {
        std::atomic_ref<int32_t>(r->recent_kernel).store(2);
        std::this_thread::sleep_for(milliseconds(20));
      }
    });
  }
  ~ForgedActivity() {
    Stop();
    if (data_ != nullptr) munmap(data_, sizeof(region::SharedRegion));
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return data_ != nullptr; }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Samples the victim's `recent_kernel` every 10 ms for `span` while `forged` runs, then stops the
// forgery; returns how many samples read blocked (< 0: the monitor holds its launches back).
int BlockedSamplesDuring(std::atomic_ref<int32_t> recent, ForgedActivity& forged,
                         milliseconds span) {
  const auto start = steady_clock::now();
  int blocked = 0;
  while (steady_clock::now() - start < span) {
    blocked += recent.load() < 0 ? 1 : 0;
    std::this_thread::sleep_for(milliseconds(10));
  }
  forged.Stop();
  return blocked;
}

// Waits until the monitor exports `pod`'s memory (its region is mapped and joined).
bool Joined(int port, const std::string& pod) {
  return WaitFor(
      [&] {
        return Sample(Scrape(port), "hami_vgpu_memory_limit_bytes", {"pod=\"" + pod + "\""})
            .has_value();
      },
      milliseconds(8000));
}

TEST_F(MonitorIT, ForgedRegionClaimingACoTenantsGpuDoesNotFreezeIt) {
  const std::string kubeconfig = StartApi();
  ASSERT_FALSE(kubeconfig.empty());
  const std::string victim = CreatePod("victim", kGpuB, 1000);
  const std::string attacker = CreatePod("attacker", kGpuA, 1000);
  const int port = StartMonitor("100ms", {"--kubeconfig", kubeconfig});
  ASSERT_GT(port, 0);
  // The victim launches for 4 s on GPU B; the forgery runs from ~1 s to ~3 s of that.
  Child v = Probe(victim + "_main", {HAMI_SM_PROBE, "kernel", "0", "4000", "800"}, 1, "1000m", 1);
  ASSERT_TRUE(Joined(port, "victim")) << Scrape(port);
  region::RegionFile victim_region;
  ASSERT_EQ(victim_region.OpenReadOnly(RegionPath(victim + "_main").c_str()), region::Error::kOk);
  std::atomic_ref<int32_t> victim_recent(victim_region.get()->recent_kernel);

  ASSERT_TRUE(testing::WriteFile(RegionPath(attacker + "_main"),
                                 testing::V1Image(true, {kGpuB}, {1000ull << 20}, 0)));
  ForgedActivity forged(RegionPath(attacker + "_main"));
  ASSERT_TRUE(forged.ok());
  const int blocked_samples = BlockedSamplesDuring(victim_recent, forged, milliseconds(2000));
  const std::string out = v.ReadAll();
  EXPECT_EQ(v.Wait(), 0) << out;
  const uint64_t gap = std::strtoull(out.c_str() + out.find("longest_gap_ns=") + 15, nullptr, 10);
  const double launches = std::strtod(out.c_str() + out.find("launches=") + 9, nullptr);
  std::printf(
      "[ measured ] victim under a 2 s forgery: %.0f launches/s over 4 s, longest pause "
      "%.0f ms, blocked in %d of ~200 samples\n",
      launches / 4.0, gap / 1e6, blocked_samples);
  EXPECT_EQ(blocked_samples, 0) << "the monitor blocked the victim";
  EXPECT_LT(gap, 500'000'000ull) << out;

  const std::string text = Scrape(port);
  EXPECT_GE(Sample(text, "hami_monitor_region_faults_total", {"reason=\"foreign_device\""}), 1)
      << text;
  EXPECT_GE(Sample(text, "hami_monitor_region_faults_total", {"reason=\"priority_raised\""}), 1);
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_limit_bytes", {"pod=\"attacker\""}), std::nullopt)
      << "the forged device is not exported";
  EXPECT_EQ(Sample(text, "hami_container_priority", {"pod=\"attacker\""}), 1)
      << "exported at the granted priority";
  const std::string log = ReadFile(log_);
  EXPECT_EQ(CountLines(log, {"distrusting shared region", attacker + "_main", "foreign_device"}), 1)
      << log;
  EXPECT_EQ(CountLines(log, {"blocking launches"}), 0) << log;
}

// A pod another scheduler placed on this node: container "main", no annotation of ours.
nlohmann::json ForeignPod(const std::string& name, const std::string& scheduler) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"namespace", "team-b"}}},
      {"spec",
       {{"schedulerName", scheduler}, {"nodeName", kNode}, {"containers", {{{"name", "main"}}}}}}};
}

TEST_F(MonitorIT, KoordinatorAndKaiRegionsAreExportedUnverified) {
  const std::string kubeconfig = StartApi();
  ASSERT_FALSE(kubeconfig.empty());
  auto koord = api_.Create(k8s::PodsPath("team-b"), ForeignPod("koord", "koord-scheduler"));
  auto kai = api_.Create(k8s::PodsPath("team-b"), ForeignPod("kai", "kai-scheduler"));
  ASSERT_TRUE(koord.ok() && kai.ok());
  const std::string koord_dir = (*koord)["metadata"]["uid"].get<std::string>() + "_main";
  const std::string kai_uid = (*kai)["metadata"]["uid"];
  const int port = StartMonitor("100ms", {"--kubeconfig", kubeconfig});
  ASSERT_GT(port, 0);
  // koordlet's env (docs/integrations/koordinator.md): unindexed bytes, an SM limit, the cache in
  // the container directory it mounts at /usr/local/vgpu.
  Env koord_env = SimEnv();
  koord_env["LD_PRELOAD"] = HAMI_LIBVGPU;
  koord_env["CUDA_VISIBLE_DEVICES"] = "0";
  koord_env["CUDA_DEVICE_MEMORY_LIMIT"] = "4294967296";
  koord_env["CUDA_DEVICE_SM_LIMIT"] = "50";
  koord_env["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = Dir(koord_dir) + "/" + koord_dir + ".cache";
  // KAI's and its isolator's (docs/integrations/kai.md): MiB, no SM limit, the region under
  // <CONTAINER_VGPU_MOUNT>/containers/<POD_UID>_<CONTAINER_NAME>/.
  Env kai_env = SimEnv();
  kai_env["LD_PRELOAD"] = HAMI_LIBVGPU;
  kai_env["CUDA_VISIBLE_DEVICES"] = "1";
  kai_env["CUDA_DEVICE_MEMORY_LIMIT"] = "4147m";
  kai_env["POD_UID"] = kai_uid;
  kai_env["CONTAINER_NAME"] = "main";
  kai_env["CONTAINER_VGPU_MOUNT"] = (root_ / "hook").string();
  Child k = Spawn({HAMI_SHIM_PROBE, "dlsym", "hold", "100", "2"}, koord_env);
  Child i = Spawn({HAMI_SHIM_PROBE, "dlsym", "hold", "50", "1"}, kai_env);
  ASSERT_NE(k.ReadUntil("held=2").find("held=2"), std::string::npos);
  ASSERT_NE(i.ReadUntil("held=1").find("held=1"), std::string::npos);
  const std::vector<std::string> koord_labels = {"pod=\"koord\"", "namespace=\"team-b\"",
                                                 "scheduler=\"koord-scheduler\"",
                                                 std::string("device_uuid=\"") + kGpuA + "\""};
  const std::vector<std::string> kai_labels = {"pod=\"kai\"", "scheduler=\"kai-scheduler\"",
                                               std::string("device_uuid=\"") + kGpuB + "\""};
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        return Sample(text, "hami_unverified_vgpu_memory_used_bytes", koord_labels) == 200 * kMiB &&
               Sample(text, "hami_unverified_vgpu_memory_used_bytes", kai_labels) == 50 * kMiB;
      },
      milliseconds(8000)))
      << text;
  EXPECT_EQ(Sample(text, "hami_unverified_vgpu_memory_limit_bytes", koord_labels), 4096 * kMiB);
  EXPECT_EQ(Sample(text, "hami_unverified_vgpu_core_limit_ratio", koord_labels), 50);
  EXPECT_EQ(Sample(text, "hami_unverified_vgpu_memory_limit_bytes", kai_labels), 4147 * kMiB);
  EXPECT_EQ(Sample(text, "hami_unverified_vgpu_core_limit_ratio", kai_labels), 100);
  for (const char* pod : {"pod=\"koord\"", "pod=\"kai\""}) {
    EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {pod}), std::nullopt) << pod;
    EXPECT_EQ(Sample(text, "hami_container_priority", {pod}), std::nullopt) << pod;
  }
  EXPECT_EQ(Sample(text, "hami_monitor_region_faults_total", {"reason=\"no_grant\""}), 0);
  EXPECT_EQ(k.Wait(), 0);
  EXPECT_EQ(i.Wait(), 0);
}

TEST_F(MonitorIT, AForeignPodsForgedRegionNeverBlocksATenant) {
  const std::string kubeconfig = StartApi();
  ASSERT_FALSE(kubeconfig.empty());
  const std::string victim = CreatePod("victim", kGpuB, 1000);
  auto foreign = api_.Create(k8s::PodsPath("team-b"), ForeignPod("koord", "koord-scheduler"));
  ASSERT_TRUE(foreign.ok());
  const std::string forged_dir = (*foreign)["metadata"]["uid"].get<std::string>() + "_main";
  const int port = StartMonitor("100ms", {"--kubeconfig", kubeconfig});
  ASSERT_GT(port, 0);
  Child v = Probe(victim + "_main", {HAMI_SM_PROBE, "kernel", "0", "3000", "800"}, 1, "1000m", 1);
  ASSERT_TRUE(Joined(port, "victim")) << Scrape(port);
  region::RegionFile victim_region;
  ASSERT_EQ(victim_region.OpenReadOnly(RegionPath(victim + "_main").c_str()), region::Error::kOk);
  std::atomic_ref<int32_t> victim_recent(victim_region.get()->recent_kernel);
  // Priority 0, "launching", on the victim's GPU and on one this node does not have.
  ASSERT_TRUE(
      testing::WriteFile(RegionPath(forged_dir),
                         testing::V1Image(true, {kGpuB, "GPU-ffffffff-0000-1111-2222-333333333333"},
                                          {1000ull << 20, 1000ull << 20}, 0)));
  ForgedActivity forged(RegionPath(forged_dir));
  ASSERT_TRUE(forged.ok());
  const int blocked_samples = BlockedSamplesDuring(victim_recent, forged, milliseconds(1500));
  const std::string out = v.ReadAll();
  EXPECT_EQ(v.Wait(), 0) << out;
  EXPECT_EQ(blocked_samples, 0) << "the monitor acted on another scheduler's region";
  const std::string text = Scrape(port);
  EXPECT_GE(Sample(text, "hami_monitor_region_faults_total", {"reason=\"foreign_device\""}), 1)
      << text;
  EXPECT_EQ(Sample(text, "hami_unverified_vgpu_memory_limit_bytes", {"vdevice_index=\"1\""}),
            std::nullopt)
      << "the GPU the node lacks is not exported";
  EXPECT_EQ(CountLines(ReadFile(log_), {"blocking launches"}), 0) << ReadFile(log_);
}

TEST_F(MonitorIT, RegionClaimingTwoToTheSixtyFourBytesIsNotExported) {
  const std::string kubeconfig = StartApi();
  ASSERT_FALSE(kubeconfig.empty());
  const std::string liar = CreatePod("liar", kGpuA, 1000);
  std::vector<char> image = testing::V1Image(true, {kGpuA}, {1000ull << 20}, 1);
  testing::AddV1Process(image, 0, getpid(), 0, UINT64_MAX, 0);
  ASSERT_TRUE(testing::WriteFile(RegionPath(liar + "_main"), image));
  const int port = StartMonitor("100ms", {"--kubeconfig", kubeconfig});
  ASSERT_GT(port, 0);
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        text = Scrape(port);
        return Sample(text, "hami_container_processes", {"pod=\"liar\""}).has_value() &&
               Sample(text, "hami_monitor_region_faults_total", {"reason=\"out_of_bounds\""}) == 1;
      },
      milliseconds(8000)))
      << text;
  EXPECT_EQ(Sample(text, "hami_vgpu_memory_used_bytes", {"pod=\"liar\""}), std::nullopt) << text;
  EXPECT_EQ(text.find("e+19"), std::string::npos) << text;
  EXPECT_EQ(CountLines(ReadFile(log_), {"distrusting shared region", "out_of_bounds",
                                        "18446744073709551615 bytes exceeds"}),
            1)
      << ReadFile(log_);
}

}  // namespace
}  // namespace hami::monitor::it
