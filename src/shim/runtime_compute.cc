// The compute side of the runtime: the monitor's priority block and the shared SM-limit bucket
// (docs/libvgpu.md, "Compute").
#include <time.h>

#include <cerrno>

#include "shim/limit/token_bucket.h"
#include "shim/loader.h"
#include "shim/log.h"
#include "shim/nvml_map.h"
#include "shim/runtime.h"

namespace hami::shim {
namespace {

using region::kMaxDevices;

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
constexpr uint64_t kHistoryGapNs = 5'000'000;  // at most one history record per 5 ms
constexpr uint64_t kWaveNs = 1'000'000;        // first guess: one full wave per ms

}  // namespace

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
      dc.initial_rate =
          limit::InitialRate(sms > 0 ? sms : 1, tps > 0 ? tps : 1024, target, kWaveNs);
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

}  // namespace hami::shim
