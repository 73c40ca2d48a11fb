#include "shim/runtime.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "shim/limit/token_bucket.h"
#include "shim/loader.h"
#include "shim/log.h"
#include "shim/nvml_map.h"

namespace hami::shim {
namespace {

using region::kMaxDevices;

std::atomic<bool> g_forked_child{false};

void AtForkChild() { g_forked_child.store(true, std::memory_order_relaxed); }

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

// A memory limit variable: nullopt when unset; logs and ignores a malformed one.
std::optional<uint64_t> MemEnv(const char* name) {
  const char* v = Env(name);
  if (v == nullptr) return std::nullopt;
  auto p = limit::ParseMemoryLimit(v);
  if (!p) SHIM_ERROR("%s=\"%s\" is not a memory size (bytes, or k/m/g/Ki/Mi/Gi); ignored", name, v);
  return p;
}

std::optional<uint32_t> SmEnv(const char* name) {
  const char* v = Env(name);
  if (v == nullptr) return std::nullopt;
  auto p = limit::ParseSmLimit(v);
  if (!p) SHIM_ERROR("%s=\"%s\" is not a percentage 0..100; ignored", name, v);
  return p;
}

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

void SleepNs(uint64_t ns) {
  timespec req{static_cast<time_t>(ns / 1000000000ull), static_cast<long>(ns % 1000000000ull)};
  while (nanosleep(&req, &req) != 0 && errno == EINTR) {
  }
}

constexpr uint64_t kBurstNs = 50'000'000;  // tolerated burst (rate time): absorbs late wake-ups
constexpr uint64_t kSampleEveryNs = 100'000'000;  // one utilization sample per device per period
// The span NVML's utilization is taken to cover (the driver's sample period is 1/6 s to 1 s
// depending on the product; the simulator's default is 1 s). A mismatch slows convergence but
// not the steady state: at a constant rate any window gives the same GPU time per unit.
constexpr uint64_t kUtilWindowNs = 1'000'000'000;
constexpr uint64_t kHistoryGapNs = 5'000'000;     // at most one history record per 5 ms
constexpr uint64_t kWaveNs = 1'000'000;           // first guess: one full wave per ms
constexpr uint64_t kMaxMeasuredContext = 1ull << 30;

}  // namespace

Config ReadConfig() {
  Config c;
  if (const char* v = Env("LIBCUDA_LOG_LEVEL")) {
    auto lvl = limit::ParseSmallInt(v);
    SetLogLevel(lvl ? *lvl : 1);
    if (!lvl) SHIM_ERROR("LIBCUDA_LOG_LEVEL=\"%s\" is not an integer; using 1", v);
  }
  const std::optional<uint64_t> all = MemEnv("CUDA_DEVICE_MEMORY_LIMIT");
  const std::optional<uint32_t> all_sm = SmEnv("CUDA_DEVICE_SM_LIMIT");
  for (int d = 0; d < kMaxDevices; ++d) {
    char name[64];
    std::snprintf(name, sizeof(name), "CUDA_DEVICE_MEMORY_LIMIT_%d", d);
    std::optional<uint64_t> mem = MemEnv(name);
    c.mem_limit[d] = mem ? *mem : all.value_or(0);
    std::snprintf(name, sizeof(name), "CUDA_DEVICE_SM_LIMIT_%d", d);
    std::optional<uint32_t> sm = SmEnv(name);
    uint32_t pct = sm ? *sm : all_sm.value_or(0);
    c.sm_limit[d] = pct >= 100 ? 0 : pct;
  }
  if (const char* v = Env("GPU_CORE_UTILIZATION_POLICY")) {
    auto p = limit::ParseCorePolicy(v);
    if (p) c.policy = *p;
    else SHIM_ERROR("GPU_CORE_UTILIZATION_POLICY=\"%s\" unknown (default|force|disable)", v);
  }
  if (const char* v = Env("CUDA_TASK_PRIORITY")) {
    auto p = limit::ParseSmallInt(v);
    if (p) c.priority = *p;
    else SHIM_ERROR("CUDA_TASK_PRIORITY=\"%s\" is not an integer; using 1", v);
  }
  if (auto v = MemEnv("HAMI_CONTEXT_OVERHEAD")) {
    c.context_overhead = *v;
    c.context_overhead_set = true;
  }
  if (const char* v = Env("CUDA_DEVICE_MEMORY_SHARED_CACHE")) {
    std::snprintf(c.region_path, sizeof(c.region_path), "%s", v);
  }
  return c;
}

std::atomic<Runtime*> g_instance{nullptr};

Runtime& Runtime::Get() {
  static Runtime* rt = [] {
    Runtime* r = new Runtime();
    g_instance.store(r, std::memory_order_release);
    return r;
  }();
  if (g_forked_child.load(std::memory_order_relaxed) && g_forked_child.exchange(false)) {
    rt->AfterForkInChild();
  }
  return *rt;
}

Runtime::Runtime()
    : config_(ReadConfig()),
      allocs_(new AllocTable),
      arrays_(new AllocTable),
      vmm_(new AllocTable),
      contexts_(new AllocTable) {
  Attach();
  pthread_atfork(nullptr, nullptr, AtForkChild);
}

void Runtime::Attach() {
  region::RegionConfig rc;
  for (int d = 0; d < kMaxDevices; ++d) {
    rc.limit[d] = config_.mem_limit[d];
    rc.sm_limit[d] = config_.sm_limit[d];
  }
  rc.priority = config_.priority;
  region::Attach how = region::Attach::kAttached;
  region::Error e = file_.OpenShared(config_.region_path, rc, &how);
  if (e != region::Error::kOk) {
    SHIM_ERROR("shared region %s unusable (%s, errno %d): limits hold for this process only",
               config_.region_path, region::ErrorName(e), file_.last_errno());
    e = file_.OpenPrivate(rc);
  }
  if (e != region::Error::kOk) {
    SHIM_ERROR("cannot map any region (%s); accounting disabled", region::ErrorName(e));
    static region::SharedRegion fallback;
    region::InitRegion(fallback, rc);
    region_ = &fallback;
  } else {
    region_ = file_.get();
  }
  if (how == region::Attach::kLimitsDiffer) {
    SHIM_WARN("limits in %s differ from this process's environment; the file's limits apply",
              config_.region_path);
  }
  config_.any_sm_limit = false;
  for (int d = 0; d < kMaxDevices; ++d) {
    const uint64_t sm = region_->sm_limit[d];
    config_.sm_limit[d] = (sm >= 100) ? 0 : static_cast<uint32_t>(sm);
    config_.mem_limit[d] = region_->limit[d];
    if (config_.sm_limit[d] != 0) config_.any_sm_limit = true;
  }
  if (config_.policy == limit::CorePolicy::kDisable) config_.any_sm_limit = false;
  const pid_t pid = getpid();
  slot_ = region::ClaimSlot(*region_, pid, region::ProcessStartTime(pid));
  if (slot_ < 0) {
    region::ReapDead(*region_);
    slot_ = region::ClaimSlot(*region_, pid, region::ProcessStartTime(pid));
  }
  if (slot_ < 0) SHIM_ERROR("all %d process slots are taken: this process is not accounted",
                            region::kControlSlot);
}

void Runtime::AfterForkInChild() {
  // The parent's allocations, contexts and slot are not ours; mutexes may have been held by
  // threads that do not exist here, so fresh tables replace the inherited ones.
  allocs_ = new AllocTable;
  arrays_ = new AllocTable;
  vmm_ = new AllocTable;
  contexts_ = new AllocTable;
  new (&ctx_mu_) std::mutex;
  new (&compute_mu_) std::mutex;
  for (DeviceCompute& dc : compute_) new (&dc.history_mu) std::mutex;
  for (int& r : ctx_refs_) r = 0;
  const pid_t pid = getpid();
  slot_ = region::ClaimSlot(*region_, pid, region::ProcessStartTime(pid));
}

void Runtime::Shutdown() {
  if (slot_ >= 0 && region_ != nullptr) region::ReleaseSlot(*region_, slot_);
  slot_ = -1;
}

bool Runtime::Reserve(int dev, uint64_t bytes, region::UsageKind kind, bool force) {
  const bool ok = region::TryReserve(*region_, slot_, dev, bytes, kind, force);
  if (!ok) {
    SHIM_WARN("device %d: %llu bytes denied, %llu of %llu in use", dev,
              static_cast<unsigned long long>(bytes),
              static_cast<unsigned long long>(region::UsedBytes(*region_, dev)),
              static_cast<unsigned long long>(Limit(dev)));
  }
  return ok;
}

void Runtime::Unreserve(int dev, uint64_t bytes, region::UsageKind kind) {
  region::Unreserve(*region_, slot_, dev, bytes, kind);
}

uint64_t Runtime::Limit(int dev) const {
  if (dev < 0 || dev >= kMaxDevices) return 0;
  return std::atomic_ref<uint64_t>(region_->limit[dev]).load(std::memory_order_relaxed);
}

uint64_t Runtime::Used(int dev) {
  // Rate-limited reclamation so reporting does not keep showing a killed process's memory.
  static std::atomic<uint64_t> last_reap{0};
  const uint64_t now = MonotonicNs();
  uint64_t prev = last_reap.load(std::memory_order_relaxed);
  if (now - prev > 1'000'000'000ull && last_reap.compare_exchange_strong(prev, now)) {
    region::TryReapDead(*region_);
  }
  return region::UsedBytes(*region_, dev);
}

bool Runtime::FirstContextOn(int dev) {
  if (dev < 0 || dev >= kMaxDevices) return false;
  std::lock_guard<std::mutex> lock(ctx_mu_);
  return ctx_refs_[dev] == 0;
}

uint64_t Runtime::DeviceUsedByDriver(int dev) {
  if (config_.context_overhead_set) return 0;
  return NvmlUsedBytes(NvmlHandleForCuda(*region_, dev));
}

void Runtime::ContextRef(int dev, int delta, uint64_t used_before) {
  if (dev < 0 || dev >= kMaxDevices) return;
  std::lock_guard<std::mutex> lock(ctx_mu_);
  const int before = ctx_refs_[dev];
  ctx_refs_[dev] = before + delta < 0 ? 0 : before + delta;
  if (before == 0 && ctx_refs_[dev] > 0) {
    uint64_t overhead = config_.context_overhead;
    if (!config_.context_overhead_set) {
      // Measured: what the driver's device usage grew by while the context was created,
      // bounded so that a concurrent allocation elsewhere cannot inflate it unreasonably.
      const uint64_t after = NvmlUsedBytes(NvmlHandleForCuda(*region_, dev));
      overhead = after > used_before ? after - used_before : 0;
      if (used_before == 0 || overhead > kMaxMeasuredContext) overhead = 0;
    }
    ctx_bytes_[dev] = overhead;
    if (overhead != 0) Reserve(dev, overhead, region::UsageKind::kContext, /*force=*/true);
  } else if (before > 0 && ctx_refs_[dev] == 0 && ctx_bytes_[dev] != 0) {
    Unreserve(dev, ctx_bytes_[dev], region::UsageKind::kContext);
    ctx_bytes_[dev] = 0;
  }
}

void Runtime::OnCudaInit() {
  auto count_fn = CU_REAL(cuDeviceGetCount);
  auto get_fn = CU_REAL(cuDeviceGet);
  auto uuid_fn = CU_REAL(cuDeviceGetUuid);
  int count = 0;
  if (count_fn == nullptr || get_fn == nullptr || uuid_fn == nullptr ||
      count_fn(&count) != CUDA_SUCCESS) {
    return;
  }
  if (count > kMaxDevices) count = kMaxDevices;
  for (int i = 0; i < count; ++i) {
    CUdevice dev;
    CUuuid u;
    if (get_fn(&dev, i) != CUDA_SUCCESS || uuid_fn(&u, dev) != CUDA_SUCCESS) continue;
    char text[region::kUuidLen];
    FormatUuid(u.bytes, text, sizeof(text));
    if (std::strncmp(region_->uuids[i], text, sizeof(text)) != 0) {
      std::memcpy(region_->uuids[i], text, std::strlen(text) + 1);
    }
  }
  std::atomic_ref<uint64_t>(region_->device_num).store(count, std::memory_order_release);
}

int Runtime::CudaIndexForNvml(void* nvml_device) {
  return NvmlToCudaIndex(*region_, static_cast<nvmlDevice_t>(nvml_device));
}

void Runtime::LaunchSlowPath(uint64_t threads) {
  region::SharedRegion& r = *region_;
  std::atomic_ref<int32_t> recent(r.recent_kernel);
  // The monitor sets recent_kernel < 0 to hold this lower-priority container back.
  if (recent.load(std::memory_order_acquire) < 0) {
    SHIM_INFO("launches blocked by the monitor (priority)");
    while (recent.load(std::memory_order_acquire) < 0) SleepNs(10'000'000);
  }
  if (recent.load(std::memory_order_relaxed) != 2) recent.store(2, std::memory_order_relaxed);
  const int64_t sec = time(nullptr);
  if (last_kernel_second_.load(std::memory_order_relaxed) != sec) {
    last_kernel_second_.store(sec, std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(r.last_kernel_time).store(sec, std::memory_order_relaxed);
  }
  if (!config_.any_sm_limit) return;
  if (config_.policy == limit::CorePolicy::kDefault &&
      std::atomic_ref<int32_t>(r.utilization_switch).load(std::memory_order_relaxed) == 0) {
    return;
  }
  Throttle(CurrentDevice(), threads);
}

void Runtime::Throttle(int dev, uint64_t threads) {
  if (dev < 0 || dev >= kMaxDevices) return;
  const uint32_t target = config_.sm_limit[dev];
  if (target == 0) return;
  DeviceCompute& dc = compute_[dev];
  if (!dc.ready.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(compute_mu_);
    if (!dc.ready.load(std::memory_order_relaxed)) {
      int sms = 0, tps = 0;
      if (auto attr = CU_REAL(cuDeviceGetAttribute)) {
        attr(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
        attr(&tps, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, dev);
      }
      dc.wave = static_cast<uint64_t>(sms > 0 ? sms : 1) * (tps > 0 ? tps : 1024);
      dc.initial_rate = limit::InitialRate(sms > 0 ? sms : 1, tps > 0 ? tps : 1024, target,
                                           kWaveNs);
      dc.nvml = NvmlHandleForCuda(*region_, dev);
      dc.ready.store(true, std::memory_order_release);
    }
  }
  if (threads == kOneWave) threads = dc.wave;
  region::SharedRegion& r = *region_;
  std::atomic_ref<uint64_t> rate_word(region::BucketRate(r, dev));
  uint64_t rate = rate_word.load(std::memory_order_relaxed);
  if (rate == 0) {
    uint64_t zero = 0;
    rate_word.compare_exchange_strong(zero, dc.initial_rate);
    rate = rate_word.load(std::memory_order_relaxed);
  }
  std::atomic_ref<uint64_t> units_word(region::BucketUnits(r, dev));
  const uint64_t now = MonotonicNs();
  const uint64_t cum = units_word.load(std::memory_order_relaxed);
  if (now - dc.last_record_ns.load(std::memory_order_relaxed) >= kHistoryGapNs &&
      dc.history_mu.try_lock()) {
    dc.history.Record(now, cum, kHistoryGapNs);
    dc.last_record_ns.store(now, std::memory_order_relaxed);
    dc.history_mu.unlock();
  }
  std::atomic_ref<uint64_t> sample_word(region::BucketSampleNs(r, dev));
  uint64_t last = sample_word.load(std::memory_order_relaxed);
  if (dc.nvml != nullptr && now - last >= kSampleEveryNs &&
      sample_word.compare_exchange_strong(last, now)) {
    // This process won the period: the device's busy time over the window and the units the
    // container launched over the same window give the GPU time per unit, hence the rate.
    const uint64_t util = SampleUtilization(dev);
    uint64_t then = 0;
    bool known = false;
    {
      std::lock_guard<std::mutex> lock(dc.history_mu);
      known = now > kUtilWindowNs && dc.history.CumAt(now - kUtilWindowNs, &then);
    }
    if (util <= 100) std::atomic_ref<uint64_t>(region::BucketLastUtil(r, dev)).store(util);
    if (util <= 100 && known) {
      const uint64_t lo = dc.initial_rate / 10000 + 1, hi = dc.initial_rate * 10000;
      rate = limit::RateFromUtilization(rate, static_cast<uint32_t>(util), kUtilWindowNs,
                                        cum - then, target, lo, hi);
      rate_word.store(rate, std::memory_order_relaxed);
    }
  }
  const uint64_t wait = limit::Acquire(std::atomic_ref<uint64_t>(region::BucketTat(r, dev)), now,
                                       threads, rate, kBurstNs);
  if (wait > 0) SleepNs(wait);
  // Counted when submitted (after the wait), so the counter matches what reached the GPU.
  units_word.fetch_add(threads, std::memory_order_relaxed);
}

uint64_t Runtime::SampleUtilization(int dev) {
  auto fn = NVML_REAL_FN(nvmlDeviceGetUtilizationRates);
  nvmlUtilization_t u{};
  if (fn == nullptr || fn(static_cast<nvmlDevice_t>(compute_[dev].nvml), &u) != NVML_SUCCESS) {
    return UINT64_MAX;
  }
  return u.gpu;
}

int CurrentDevice() {
  auto fn = CU_REAL(cuCtxGetDevice);
  CUdevice dev = -1;
  if (fn == nullptr || fn(&dev) != CUDA_SUCCESS) return -1;
  return dev;
}

}  // namespace hami::shim

// The slot goes back at exit (not on SIGKILL: reapers handle that).
__attribute__((destructor)) static void HamiShimRelease() {
  if (auto* rt = hami::shim::g_instance.load(std::memory_order_acquire)) rt->Shutdown();
}
