// Simulated driver entry points: initialization, version, errors, devices and contexts.
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "gpuapi/cuda_functions.h"
#include "sim/cuda_errors.h"
#include "sim/cuda_process.h"
#include "sim/device_attributes.h"

using hami::sim::Context;
using hami::sim::Process;

namespace {

using Lock = std::lock_guard<std::mutex>;

CUresult CopyString(const std::string& value, char* out, int len) {
  if (out == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  size_t n = std::min(value.size(), static_cast<size_t>(len - 1));
  std::memcpy(out, value.data(), n);
  out[n] = '\0';
  return CUDA_SUCCESS;
}

// "GPU-8f3a..." -> 16 raw bytes.
CUuuid UuidBytes(const std::string& uuid) {
  CUuuid out{};
  int k = 0;
  for (size_t i = 4; i + 1 < uuid.size() && k < 16; ++i) {
    if (uuid[i] == '-') continue;
    unsigned byte = 0;
    if (std::sscanf(uuid.c_str() + i, "%2x", &byte) != 1) break;
    out.bytes[k++] = static_cast<char>(byte);
    ++i;
  }
  return out;
}

// The device of a context argument, validating the ordinal (for calls that take a CUdevice).
CUresult CheckDevice(Process& p, CUdevice dev) {
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  return p.ValidDevice(dev) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

CUresult CreateContext(CUcontext* pctx, unsigned flags, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (pctx == nullptr || flags > CU_CTX_FLAGS_MASK) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = p.NewContext(dev, false, flags);
  if (!p.Activate(ctx)) {
    p.Remove(ctx);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  p.ThreadStack().emplace_back(ctx, ctx->id);
  *pctx = reinterpret_cast<CUcontext>(ctx);
  return CUDA_SUCCESS;
}

}  // namespace

extern "C" {

CUresult cuInit(unsigned int flags) {
  if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
  Process& p = Process::Get();
  Lock lock(p.mu);
  return p.Init();
}

CUresult cuDriverGetVersion(int* driver_version) {
  if (driver_version == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *driver_version = hami::sim::kSimCudaDriverVersion;
  return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char** str) {
  if (str == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *str = hami::sim::CudaErrorString(error);
  return *str == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char** str) {
  if (str == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *str = hami::sim::CudaErrorName(error);
  return *str == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int* count) {
  if (count == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (p.no_device()) {  // cuInit found no GPU: report an empty machine
    *count = 0;
    return CUDA_SUCCESS;
  }
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  *count = p.device_count();
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice* device, int ordinal) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
  if (!p.ValidDevice(ordinal)) return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char* name, int len, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  return CopyString(p.Spec(dev).name, name, len);
}

CUresult cuDeviceGetUuid_v2(CUuuid* uuid, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (uuid == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *uuid = UuidBytes(p.Spec(dev).uuid);
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetUuid(CUuuid* uuid, CUdevice dev) { return cuDeviceGetUuid_v2(uuid, dev); }

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (bytes == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *bytes = p.Spec(dev).memory_bytes;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (pi == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto value = hami::sim::DeviceAttribute(p.Spec(dev), attrib);
  if (!value) return CUDA_ERROR_INVALID_VALUE;
  *pi = *value;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetPCIBusId(char* pci_bus_id, int len, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  hami::sim::PciAddress pci = hami::sim::ParsePciBusId(p.Spec(dev).pci_bus_id);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04x:%02x:%02x.0", pci.domain, pci.bus, pci.device);
  return CopyString(buf, pci_bus_id, len);
}

CUresult cuDeviceGetByPCIBusId(CUdevice* dev, const char* pci_bus_id) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (dev == nullptr || pci_bus_id == nullptr) return CUDA_ERROR_INVALID_VALUE;
  hami::sim::PciAddress want = hami::sim::ParsePciBusId(pci_bus_id);
  for (int i = 0; i < p.device_count(); ++i) {
    hami::sim::PciAddress have = hami::sim::ParsePciBusId(p.Spec(i).pci_bus_id);
    if (have.domain == want.domain && have.bus == want.bus && have.device == want.device) {
      *dev = i;
      return CUDA_SUCCESS;
    }
  }
  return CUDA_ERROR_INVALID_DEVICE;
}

CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (major == nullptr || minor == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *major = p.Spec(dev).cc_major;
  *minor = p.Spec(dev).cc_minor;
  return CUDA_SUCCESS;
}

CUresult cuDeviceCanAccessPeer(int* can_access_peer, CUdevice dev, CUdevice peer_dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (!p.ValidDevice(peer_dev)) return CUDA_ERROR_INVALID_DEVICE;
  if (can_access_peer == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *can_access_peer = dev != peer_dev ? 1 : 0;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = p.Primary(dev);
  if (!p.Activate(ctx)) return CUDA_ERROR_OUT_OF_MEMORY;
  ++ctx->retains;
  *pctx = reinterpret_cast<CUcontext>(ctx);
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Primary(dev);
  if (ctx->retains <= 0) return CUDA_ERROR_INVALID_CONTEXT;
  if (--ctx->retains == 0) p.Deactivate(ctx);
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  p.Deactivate(p.Primary(dev));
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int* flags, int* active) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (flags == nullptr || active == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = p.Primary(dev);
  *flags = ctx->flags;
  *active = ctx->active ? 1 : 0;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned int flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = CheckDevice(p, dev); r != CUDA_SUCCESS) return r;
  if (flags > CU_CTX_FLAGS_MASK) return CUDA_ERROR_INVALID_VALUE;
  p.Primary(dev)->flags = flags;
  return CUDA_SUCCESS;
}

CUresult cuCtxCreate_v2(CUcontext* pctx, unsigned int flags, CUdevice dev) {
  return CreateContext(pctx, flags, dev);
}

CUresult cuCtxCreate_v3(CUcontext* pctx, CUexecAffinityParam* params, int num_params,
                        unsigned int flags, CUdevice dev) {
  if (num_params < 0 || (num_params > 0 && params == nullptr)) return CUDA_ERROR_INVALID_VALUE;
  return CreateContext(pctx, flags, dev);
}

CUresult cuCtxCreate_v4(CUcontext* pctx, CUctxCreateParams* params, unsigned int flags,
                        CUdevice dev) {
  return CreateContext(pctx, flags, dev);
}

CUresult cuCtxDestroy_v2(CUcontext handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.ValidContext(handle);
  if (ctx == nullptr || ctx->primary) return CUDA_ERROR_INVALID_CONTEXT;
  auto& stack = p.ThreadStack();
  if (!stack.empty() && stack.back().first == ctx) stack.pop_back();
  p.Deactivate(ctx);
  p.Remove(ctx);
  return CUDA_SUCCESS;
}

CUresult cuCtxPushCurrent_v2(CUcontext handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.ValidContext(handle);
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  p.ThreadStack().emplace_back(ctx, ctx->id);
  return CUDA_SUCCESS;
}

CUresult cuCtxPopCurrent_v2(CUcontext* pctx) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto& stack = p.ThreadStack();
  if (stack.empty()) return CUDA_ERROR_INVALID_CONTEXT;
  if (pctx != nullptr) *pctx = reinterpret_cast<CUcontext>(stack.back().first);
  stack.pop_back();
  return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext handle) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  auto& stack = p.ThreadStack();
  if (handle == nullptr) {
    if (!stack.empty()) stack.pop_back();
    return CUDA_SUCCESS;
  }
  Context* ctx = p.ValidContext(handle);
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (stack.empty()) {
    stack.emplace_back(ctx, ctx->id);
  } else {
    stack.back() = {ctx, ctx->id};
  }
  return CUDA_SUCCESS;
}

CUresult cuCtxGetCurrent(CUcontext* pctx) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (pctx == nullptr) return CUDA_ERROR_INVALID_VALUE;
  auto& stack = p.ThreadStack();
  *pctx = stack.empty() ? nullptr : reinterpret_cast<CUcontext>(stack.back().first);
  return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice* device) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (device == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  *device = ctx->device;
  return CUDA_SUCCESS;
}

CUresult cuCtxGetFlags(unsigned int* flags) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (flags == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  *flags = ctx->flags;
  return CUDA_SUCCESS;
}

CUresult cuCtxGetApiVersion(CUcontext handle, unsigned int* version) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (version == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = handle == nullptr ? p.Current() : p.ValidContext(handle);
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  *version = 3020;
  return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
  int64_t until = 0;
  {
    Process& p = Process::Get();
    Lock lock(p.mu);
    if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
    Context* ctx = p.Current();
    if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
    until = ctx->last_end_ns;
  }
  hami::sim::WaitUntil(until);
  return CUDA_SUCCESS;
}

CUresult cuCtxGetLimit(size_t* value, CUlimit limit) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  if (value == nullptr) return CUDA_ERROR_INVALID_VALUE;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (limit < 0 || limit > CU_LIMIT_PERSISTING_L2_CACHE_SIZE) return CUDA_ERROR_UNSUPPORTED_LIMIT;
  *value = ctx->limits[limit];
  return CUDA_SUCCESS;
}

CUresult cuCtxSetLimit(CUlimit limit, size_t value) {
  Process& p = Process::Get();
  Lock lock(p.mu);
  if (CUresult r = p.Ready(); r != CUDA_SUCCESS) return r;
  Context* ctx = p.Current();
  if (ctx == nullptr) return CUDA_ERROR_INVALID_CONTEXT;
  if (limit < 0 || limit > CU_LIMIT_PERSISTING_L2_CACHE_SIZE) return CUDA_ERROR_UNSUPPORTED_LIMIT;
  // The device malloc heap and the printf FIFO are device memory of the context: growing them
  // takes it (or fails), shrinking returns it. (The stack size is not charged here.)
  if (limit == CU_LIMIT_MALLOC_HEAP_SIZE || limit == CU_LIMIT_PRINTF_FIFO_SIZE) {
    const uint64_t old = ctx->limits[limit];
    if (value > old && !p.Charge(ctx->device, value - old)) return CUDA_ERROR_OUT_OF_MEMORY;
    if (value < old) p.Uncharge(ctx->device, old - value);
    ctx->limit_charged = ctx->limit_charged + value - old;
  }
  ctx->limits[limit] = value;
  return CUDA_SUCCESS;
}

}  // extern "C"
