// Context accounting of the runtime (runtime.h): every context the process holds is charged its
// overhead — the primary context of a device while it is retained, each explicit context — and
// what cuCtxSetLimit grows (device malloc heap, printf FIFO, per-thread stack for every resident
// thread). Destroying or resetting a context returns its charge and those of the allocations and
// arrays the driver frees with it.
#include "shim/loader.h"
#include "shim/log.h"
#include "shim/nvml_map.h"
#include "shim/runtime.h"

namespace hami::shim {
namespace {

using region::kMaxDevices;
using region::UsageKind;

constexpr uint64_t kMaxMeasuredContext = 1ull << 30;

bool ValidDev(int dev) { return dev >= 0 && dev < kMaxDevices; }

uint64_t Key(CUcontext ctx) { return reinterpret_cast<uint64_t>(ctx); }

}  // namespace

// Caller holds ctx_mu_. Charges the overhead before `call` when it is known (denied over the
// limit), else measures the driver's usage growth around the first context of the device.
CUresult Runtime::ChargeNewContext(int dev, DriverCall call, uint64_t* charged) {
  *charged = 0;
  if (broken() != nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
  if (!ValidDev(dev)) return enforcing_ ? CUDA_ERROR_OUT_OF_MEMORY : call();
  if (config_.context_overhead_set || overhead_known_[dev]) {
    const uint64_t bytes = config_.context_overhead_set ? config_.context_overhead : overhead_[dev];
    if (bytes != 0 && !Reserve(dev, bytes, UsageKind::kContext)) return CUDA_ERROR_OUT_OF_MEMORY;
    const CUresult r = call();
    if (r != CUDA_SUCCESS) {
      if (bytes != 0) Unreserve(dev, bytes, UsageKind::kContext);
      return r;
    }
    *charged = bytes;
    return r;
  }
  const uint64_t before = NvmlUsedBytes(NvmlHandleForCuda(*region_, dev));
  const CUresult r = call();
  if (r != CUDA_SUCCESS) return r;
  // Measured: what the driver's device usage grew by, bounded so that a concurrent allocation
  // elsewhere cannot inflate it unreasonably. Unmeasurable stays unknown (measured next time).
  const uint64_t after = NvmlUsedBytes(NvmlHandleForCuda(*region_, dev));
  uint64_t overhead = after > before ? after - before : 0;
  if (before == 0 || overhead > kMaxMeasuredContext) overhead = 0;
  if (overhead == 0) return r;
  overhead_[dev] = overhead;
  overhead_known_[dev] = true;
  Reserve(dev, overhead, UsageKind::kContext, /*force=*/true);
  *charged = overhead;
  return r;
}

CUresult Runtime::RetainPrimary(int dev, DriverCall call, CUcontext* pctx) {
  std::lock_guard<std::mutex> lock(ctx_mu_);
  if (ValidDev(dev) && primary_refs_[dev] > 0) {
    const CUresult r = call();
    if (r == CUDA_SUCCESS) ++primary_refs_[dev];
    return r;
  }
  uint64_t charged = 0;
  const CUresult r = ChargeNewContext(dev, call, &charged);
  if (r != CUDA_SUCCESS || !ValidDev(dev)) return r;
  primary_refs_[dev] = 1;
  primary_key_[dev] = Key(*pctx);
  (*contexts_)[Key(*pctx)] = ContextCharge{dev, charged, 0};
  return r;
}

CUresult Runtime::ReleasePrimary(int dev, DriverCall call, bool reset) {
  std::lock_guard<std::mutex> lock(ctx_mu_);
  const CUresult r = call();
  if (r != CUDA_SUCCESS || !ValidDev(dev) || primary_refs_[dev] == 0) return r;
  primary_refs_[dev] = reset ? 0 : primary_refs_[dev] - 1;
  if (primary_refs_[dev] == 0) {
    ForgetContext(primary_key_[dev]);
    primary_key_[dev] = 0;
  }
  return r;
}

CUresult Runtime::CreateContext(int dev, DriverCall call, CUcontext* pctx) {
  std::lock_guard<std::mutex> lock(ctx_mu_);
  uint64_t charged = 0;
  const CUresult r = ChargeNewContext(dev, call, &charged);
  if (r == CUDA_SUCCESS && ValidDev(dev)) (*contexts_)[Key(*pctx)] = ContextCharge{dev, charged, 0};
  return r;
}

CUresult Runtime::DestroyContext(CUcontext ctx, DriverCall call) {
  std::lock_guard<std::mutex> lock(ctx_mu_);
  const CUresult r = call();
  if (r == CUDA_SUCCESS) ForgetContext(Key(ctx));
  return r;
}

// Caller holds ctx_mu_. Returns the context's charge and those of what the driver freed with it.
void Runtime::ForgetContext(uint64_t ctx_key) {
  auto it = contexts_->find(ctx_key);
  if (it != contexts_->end()) {
    Unreserve(it->second.dev, it->second.overhead + it->second.grown, UsageKind::kContext);
    contexts_->erase(it);
  }
  for (const AllocTable::Entry& e : allocs_->TakeContext(ctx_key)) {
    Unreserve(e.dev, e.bytes, static_cast<UsageKind>(e.kind));
  }
  for (const AllocTable::Entry& e : arrays_->TakeContext(ctx_key)) {
    Unreserve(e.dev, e.bytes, static_cast<UsageKind>(e.kind));
  }
}

uint64_t Runtime::LimitCost(int dev, CUlimit limit, size_t value) {
  if (limit == CU_LIMIT_MALLOC_HEAP_SIZE || limit == CU_LIMIT_PRINTF_FIFO_SIZE) return value;
  // The stack is reserved for every thread the device can hold at once.
  int sms = 0, tps = 0;
  if (auto attr = CU_REAL(cuDeviceGetAttribute)) {
    attr(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
    attr(&tps, CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, dev);
  }
  const uint64_t threads = static_cast<uint64_t>(sms > 0 ? sms : 1) * (tps > 0 ? tps : 2048);
  uint64_t cost = 0;
  return __builtin_mul_overflow(threads, static_cast<uint64_t>(value), &cost) ? UINT64_MAX : cost;
}

CUresult Runtime::SetContextLimit(CUlimit limit, size_t value, DriverCall call) {
  if (limit != CU_LIMIT_STACK_SIZE && limit != CU_LIMIT_PRINTF_FIFO_SIZE &&
      limit != CU_LIMIT_MALLOC_HEAP_SIZE) {
    return call();
  }
  const int dev = CurrentDevice();
  const uint64_t ctx = CurrentContextKey();
  auto get = CU_REAL(cuCtxGetLimit);
  size_t current = 0;
  if (!ValidDev(dev) || ctx == 0 || get == nullptr || get(&current, limit) != CUDA_SUCCESS) {
    return call();  // no current context: the driver refuses it
  }
  std::lock_guard<std::mutex> lock(ctx_mu_);
  ContextCharge& charge = (*contexts_)[ctx];
  charge.dev = dev;
  const uint64_t now = LimitCost(dev, limit, current), next = LimitCost(dev, limit, value);
  if (next > now && !Reserve(dev, next - now, UsageKind::kContext)) {
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  const CUresult r = call();
  if (next > now) {
    if (r == CUDA_SUCCESS) {
      charge.grown += next - now;
    } else {
      Unreserve(dev, next - now, UsageKind::kContext);
    }
  } else if (r == CUDA_SUCCESS) {
    const uint64_t back = std::min(now - next, charge.grown);
    charge.grown -= back;
    if (back != 0) Unreserve(dev, back, UsageKind::kContext);
  }
  return r;
}

}  // namespace hami::shim
