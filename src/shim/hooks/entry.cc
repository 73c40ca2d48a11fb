// Entry points by which applications reach the driver: cuInit, cuGetProcAddress[_v2] (the CUDA
// runtime's path) and dlsym (dlopen/dlsym callers). Answers come from the generated tables: a
// hooked symbol resolves to our hook in exactly the variant the driver itself chose for the
// requested cudaVersion and flags (pointer identity), so old-ABI and ptsz requests get matching
// hooks. WIRE: driver ABI names.
#include <cstring>

#include "shim/hooks/hook_util.h"

using hami::shim::ProcAddressAnswer;
using hami::shim::Runtime;

extern "C" {

// Fail closed: a process whose limits cannot be enforced is refused the driver from the start.
CUresult cuInit(unsigned int flags) {
  HAMI_REAL_OR_FAIL(cuInit);
  Runtime& rt = Runtime::Get();
  if (rt.broken() != nullptr) return CUDA_ERROR_NOT_PERMITTED;
  const CUresult r = real(flags);
  if (r == CUDA_SUCCESS) rt.OnCudaInit();
  return r;
}

CUresult cuGetProcAddress(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags) {
  HAMI_REAL_OR_FAIL(cuGetProcAddress);
  const CUresult r = real(symbol, pfn, cuda_version, flags);
  if (r == CUDA_SUCCESS && pfn != nullptr) {
    *pfn = ProcAddressAnswer(symbol, *pfn, cuda_version, flags);
  }
  return r;
}

CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags,
                             CUdriverProcAddressQueryResult* status) {
  HAMI_REAL_OR_FAIL(cuGetProcAddress_v2);
  const CUresult r = real(symbol, pfn, cuda_version, flags, status);
  if (r == CUDA_SUCCESS && pfn != nullptr) {
    *pfn = ProcAddressAnswer(symbol, *pfn, cuda_version, flags);
  }
  return r;
}

// Overrides glibc's dlsym for the application: driver and NVML symbols we hook resolve to the
// hook whatever the handle; everything else is glibc's answer unchanged. No recursion guard is
// needed (nothing here calls back into dlsym), so repeated lookups are never refused. Early: the
// sanitizer runtime of a sanitized program calls it before it is initialized (loader.h).
// NOLINTNEXTLINE(readability-identifier-naming): glibc's name, which this definition interposes.
__attribute__((visibility("default"))) HAMI_SHIM_EARLY void* dlsym(void* handle, const char* name) {
  void* p = hami::shim::RealDlsym(handle, name);
  if (p == nullptr || name == nullptr) return p;
  if (!((name[0] == 'c' && name[1] == 'u') || std::strncmp(name, "nvml", 4) == 0)) return p;
  void* hook = hami::shim::HookForDlsym(p, name);
  return hook != nullptr ? hook : p;
}

}  // extern "C"
