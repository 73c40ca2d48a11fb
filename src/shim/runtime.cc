#include "shim/runtime.h"

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "shim/loader.h"
#include "shim/log.h"
#include "shim/nvml_map.h"

namespace hami::shim {
namespace {

using region::kMaxDevices;
using region::Verdict;

std::atomic<bool> g_forked_child{false};

void AtForkChild() { g_forked_child.store(true, std::memory_order_relaxed); }

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

// Creates the directories above the per-container cache file <mount>/containers/<uid>_<name>/
// (Config::region_dirs_to_create); the mount itself must exist. False with errno set on failure.
bool MakeCacheDirs(const char* file) {
  char dir[sizeof(Config::region_path)];
  std::snprintf(dir, sizeof(dir), "%s", file);
  char* slash = std::strrchr(dir, '/');
  if (slash == nullptr) return true;
  *slash = '\0';  // <mount>/containers/<uid>_<name>
  char* parent = std::strrchr(dir, '/');
  if (parent == nullptr) return true;
  *parent = '\0';  // <mount>/containers
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return false;
  *parent = '/';
  return mkdir(dir, 0777) == 0 || errno == EEXIST;
}

}  // namespace

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
      vmm_(new VmmLedger),
      pools_(new PoolLedger),
      graphs_(new GraphLedger),
      contexts_(new std::unordered_map<uint64_t, ContextCharge>) {
  Attach();
  pthread_atfork(nullptr, nullptr, AtForkChild);
}

void Runtime::Break(const char* fmt, ...) {
  static std::atomic<bool> breaking{false};
  if (breaking.exchange(true)) return;  // the first reason is the one reported
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(broken_text_, sizeof(broken_text_), fmt, ap);
  va_end(ap);
  broken_.store(broken_text_, std::memory_order_release);
  SHIM_ERROR("cannot enforce the GPU limits: %s; this process gets no device memory", broken_text_);
}

void Runtime::Attach() {
  if (config_.error[0] != '\0') Break("%s", config_.error);
  if (config_.region_dirs_to_create && !MakeCacheDirs(config_.region_path)) {
    SHIM_ERROR("cannot create the directory of %s (errno %d); using /tmp/cudevshr.cache",
               config_.region_path, errno);
    std::snprintf(config_.region_path, sizeof(config_.region_path), "/tmp/cudevshr.cache");
  }
  region::RegionConfig rc;
  for (int d = 0; d < kMaxDevices; ++d) {
    rc.limit[d] = config_.mem_limit[d];
    rc.sm_limit[d] = config_.sm_limit[d];
  }
  rc.priority = config_.priority;
  region::Attach how = region::Attach::kAttached;
  const region::Error e = file_.OpenShared(config_.region_path, rc, &how);
  if (e == region::Error::kOk) {
    region_ = file_.get();
    AdoptRegionLimits();
  } else {
    static region::SharedRegion fallback;  // keeps the launch path working; holds no limit
    region::InitRegion(fallback, rc);
    region_ = &fallback;
    for (int d = 0; d < kMaxDevices; ++d) limit_[d] = config_.mem_limit[d];
  }
  enforcing_ = config_.Enforcing();
  for (uint64_t l : limit_) enforcing_ |= l != 0;
  if (e != region::Error::kOk) {
    if (enforcing_) {
      Break("shared region %s unusable (%s, errno %d)", config_.region_path, region::ErrorName(e),
            file_.last_errno());
    } else {
      SHIM_WARN("shared region %s unusable (%s, errno %d); no limit is set, running without it",
                config_.region_path, region::ErrorName(e), file_.last_errno());
    }
  }
  if (how == region::Attach::kLimitsDiffer) {
    SHIM_WARN("limits in %s differ from this process's environment; the environment's apply",
              config_.region_path);
  }
  const pid_t pid = getpid();
  if (!region::ClaimFor(*region_, account_, pid, region::ProcessStartTime(pid))) {
    if (enforcing_) {
      Break("all %d process slots of %s are taken", region::kControlSlot, config_.region_path);
    } else {
      SHIM_WARN("all %d process slots are taken: this process is not accounted",
                region::kControlSlot);
    }
  }
}

void Runtime::AdoptRegionLimits() {
  region::SharedRegion& r = *region_;
  config_.any_sm_limit = false;
  for (int d = 0; d < kMaxDevices; ++d) {
    limit_[d] = config_.mem_limit[d];
    const uint64_t file_limit = std::atomic_ref<uint64_t>(r.limit[d]).load();
    if (limit_[d] == 0 && file_limit != 0) {
      limit_[d] = file_limit;
      SHIM_INFO("device %d: no limit in the environment; the region's %llu bytes apply", d,
                U(file_limit));
    }
    const uint64_t file_sm = std::atomic_ref<uint64_t>(r.sm_limit[d]).load();
    if (config_.sm_limit[d] == 0 && file_sm > 0 && file_sm < 100) {
      config_.sm_limit[d] = static_cast<uint32_t>(file_sm);
    }
    if (config_.sm_limit[d] != 0) config_.any_sm_limit = true;
  }
  if (config_.policy == limit::CorePolicy::kDisable) config_.any_sm_limit = false;
}

void Runtime::AfterForkInChild() {
  // The parent's allocations, contexts and slot are not ours; mutexes may have been held by
  // threads that do not exist here, so fresh tables replace the inherited ones.
  allocs_ = new AllocTable;
  arrays_ = new AllocTable;
  vmm_ = new VmmLedger;
  pools_ = new PoolLedger;
  graphs_ = new GraphLedger;
  contexts_ = new std::unordered_map<uint64_t, ContextCharge>;
  new (&ctx_mu_) std::mutex;
  new (&compute_mu_) std::mutex;
  new (&account_mu_) std::mutex;
  for (DeviceCompute& dc : compute_) new (&dc.history_mu) std::mutex;
  for (int& r : primary_refs_) r = 0;
  for (uint64_t& k : primary_key_) k = 0;
  const pid_t pid = getpid();
  if (!region::ClaimFor(*region_, account_, pid, region::ProcessStartTime(pid)) && enforcing_) {
    Break("no free process slot for forked child %d", static_cast<int>(pid));
  }
}

void Runtime::Shutdown() {
  std::lock_guard<std::mutex> lock(account_mu_);
  if (account_.slot >= 0 && region_ != nullptr) region::ReleaseSlot(*region_, account_.slot);
  account_.slot = -1;
}

bool Runtime::Reserve(int dev, uint64_t bytes, region::UsageKind kind, bool force) {
  if (const char* why = broken()) {
    SHIM_WARN("device %d: %llu bytes denied: %s", dev, U(bytes), why);
    return false;
  }
  return Charge(dev, bytes, kind, force);
}

bool Runtime::Charge(int dev, uint64_t bytes, region::UsageKind kind, bool force) {
  const uint64_t limit = Limit(dev);
  Verdict v;
  bool repaired;
  {
    std::lock_guard<std::mutex> lock(account_mu_);
    v = region::TryReserve(*region_, account_, dev, bytes, kind, limit, force);
    repaired = account_.repairs != reported_repairs_;
    reported_repairs_ = account_.repairs;
  }
  if (repaired) {
    SHIM_ERROR("%s was rewritten by another process; this process's usage was restored",
               config_.region_path);
  }
  switch (v) {
    case Verdict::kGranted:
      return true;
    case Verdict::kOverLimit:
      SHIM_WARN("device %d: %llu bytes denied, %llu of %llu in use", dev, U(bytes),
                U(region::UsedBytes(*region_, dev)), U(limit));
      return false;
    case Verdict::kNoSlot:
    case Verdict::kBadDevice:
      if (!enforcing_) return true;  // nothing to enforce: runs unaccounted
      SHIM_ERROR("device %d: %llu bytes denied: %s", dev, U(bytes), region::VerdictName(v));
      return false;
    case Verdict::kLockTimeout:
      SHIM_ERROR("device %d: %llu bytes denied: %s lock not obtained", dev, U(bytes),
                 config_.region_path);
      return false;
    case Verdict::kSlotLost:
      Break("this process's slot in %s was taken and none is free", config_.region_path);
      return false;
  }
  return false;
}

void Runtime::Unreserve(int dev, uint64_t bytes, region::UsageKind kind) {
  std::lock_guard<std::mutex> lock(account_mu_);
  region::Unreserve(*region_, account_, dev, bytes, kind);
}

uint64_t Runtime::Limit(int dev) const {
  if (dev < 0 || dev >= kMaxDevices) return 0;
  return limit_[dev];
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

int CurrentDevice() {
  auto fn = CU_REAL(cuCtxGetDevice);
  CUdevice dev = -1;
  if (fn == nullptr || fn(&dev) != CUDA_SUCCESS) return -1;
  return dev;
}

uint64_t CurrentContextKey() {
  auto fn = CU_REAL(cuCtxGetCurrent);
  CUcontext ctx = nullptr;
  if (fn == nullptr || fn(&ctx) != CUDA_SUCCESS) return 0;
  return reinterpret_cast<uint64_t>(ctx);
}

}  // namespace hami::shim

// The slot goes back at exit (not on SIGKILL: reapers handle that).
__attribute__((destructor)) static void HamiShimRelease() {
  if (auto* rt = hami::shim::g_instance.load(std::memory_order_acquire)) rt->Shutdown();
}
