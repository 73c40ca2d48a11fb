// Context hooks: the first context a process holds on a device counts the context overhead in
// the region; the last one released returns it. WIRE: driver ABI names.
#include "shim/hooks/hook_util.h"

using hami::shim::Runtime;

namespace {

// Runs `call` (which creates a context on `dev`) with overhead accounting around it.
template <typename Call>
CUresult WithContextAccounting(CUdevice dev, Call&& call, CUcontext* created) {
  Runtime& rt = Runtime::Get();
  const uint64_t before = rt.FirstContextOn(dev) ? rt.DeviceUsedByDriver(dev) : 0;
  const CUresult r = call();
  if (r != CUDA_SUCCESS) return r;
  rt.ContextRef(dev, +1, before);
  if (created != nullptr && *created != nullptr) {
    rt.contexts().Insert(reinterpret_cast<uint64_t>(*created), {0, dev, 0});
  }
  return r;
}

}  // namespace

extern "C" {

CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDevicePrimaryCtxRetain);
  if (pctx == nullptr) return real(pctx, dev);
  return WithContextAccounting(dev, [&] { return real(pctx, dev); }, nullptr);
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDevicePrimaryCtxRelease_v2);
  const CUresult r = real(dev);
  if (r == CUDA_SUCCESS) Runtime::Get().ContextRef(dev, -1, 0);
  return r;
}

CUresult cuCtxCreate_v2(CUcontext* pctx, unsigned int flags, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuCtxCreate_v2);
  if (pctx == nullptr) return real(pctx, flags, dev);
  return WithContextAccounting(dev, [&] { return real(pctx, flags, dev); }, pctx);
}

CUresult cuCtxCreate_v3(CUcontext* pctx, CUexecAffinityParam* params, int num_params,
                        unsigned int flags, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuCtxCreate_v3);
  if (pctx == nullptr) return real(pctx, params, num_params, flags, dev);
  return WithContextAccounting(
      dev, [&] { return real(pctx, params, num_params, flags, dev); }, pctx);
}

CUresult cuCtxCreate_v4(CUcontext* pctx, CUctxCreateParams* params, unsigned int flags,
                        CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuCtxCreate_v4);
  if (pctx == nullptr) return real(pctx, params, flags, dev);
  return WithContextAccounting(dev, [&] { return real(pctx, params, flags, dev); }, pctx);
}

CUresult cuCtxDestroy_v2(CUcontext ctx) {
  HAMI_REAL_OR_FAIL(cuCtxDestroy_v2);
  Runtime& rt = Runtime::Get();
  hami::shim::AllocTable::Entry e;
  const bool known = ctx != nullptr && rt.contexts().Take(reinterpret_cast<uint64_t>(ctx), &e);
  const CUresult r = real(ctx);
  if (known) {
    if (r == CUDA_SUCCESS) rt.ContextRef(e.dev, -1, 0);
    else rt.contexts().Insert(reinterpret_cast<uint64_t>(ctx), e);
  }
  return r;
}

}  // extern "C"
