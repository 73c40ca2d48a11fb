// Context hooks: every context a process holds is charged its overhead (runtime_contexts.cc), and
// cuCtxSetLimit what it grows. Creating a context over the limit fails with
// CUDA_ERROR_OUT_OF_MEMORY before the driver is asked. WIRE: driver ABI names.
#include "shim/hooks/hook_util.h"

using hami::shim::Runtime;

extern "C" {

CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDevicePrimaryCtxRetain);
  if (pctx == nullptr) return real(pctx, dev);
  auto call = [&] { return real(pctx, dev); };
  return Runtime::Get().RetainPrimary(dev, call, pctx);
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDevicePrimaryCtxRelease_v2);
  auto call = [&] { return real(dev); };
  return Runtime::Get().ReleasePrimary(dev, call, /*reset=*/false);
}

CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuDevicePrimaryCtxReset_v2);
  auto call = [&] { return real(dev); };
  return Runtime::Get().ReleasePrimary(dev, call, /*reset=*/true);
}

CUresult cuCtxCreate_v2(CUcontext* pctx, unsigned int flags, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuCtxCreate_v2);
  if (pctx == nullptr) return real(pctx, flags, dev);
  auto call = [&] { return real(pctx, flags, dev); };
  return Runtime::Get().CreateContext(dev, call, pctx);
}

CUresult cuCtxCreate_v3(CUcontext* pctx, CUexecAffinityParam* params, int num_params,
                        unsigned int flags, CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuCtxCreate_v3);
  if (pctx == nullptr) return real(pctx, params, num_params, flags, dev);
  auto call = [&] { return real(pctx, params, num_params, flags, dev); };
  return Runtime::Get().CreateContext(dev, call, pctx);
}

CUresult cuCtxCreate_v4(CUcontext* pctx, CUctxCreateParams* params, unsigned int flags,
                        CUdevice dev) {
  HAMI_REAL_OR_FAIL(cuCtxCreate_v4);
  if (pctx == nullptr) return real(pctx, params, flags, dev);
  auto call = [&] { return real(pctx, params, flags, dev); };
  return Runtime::Get().CreateContext(dev, call, pctx);
}

CUresult cuCtxDestroy_v2(CUcontext ctx) {
  HAMI_REAL_OR_FAIL(cuCtxDestroy_v2);
  auto call = [&] { return real(ctx); };
  return Runtime::Get().DestroyContext(ctx, call);
}

CUresult cuCtxSetLimit(CUlimit limit, size_t value) {
  HAMI_REAL_OR_FAIL(cuCtxSetLimit);
  auto call = [&] { return real(limit, value); };
  return Runtime::Get().SetContextLimit(limit, value, call);
}

}  // extern "C"
