// Finding the real driver: the tables of real CUDA / NVML entry points and the answers given to
// dlsym and cuGetProcAddress, all generated from symbols/cuda.def and symbols/nvml.def.
//
// Contract: the real libraries are found by dlopen("libcuda.so.1") / dlopen("libnvidia-ml.so.1")
// (so LD_LIBRARY_PATH selects a driver, e.g. the simulated one). Each library is loaded at most
// once, lazily, by the first call that needs it (an NVML-only process never loads libcuda).
// Tables are written once under pthread_once and immutable afterwards: lookups are lock-free.
// A real entry point the driver lacks is nullptr; hooks then answer CUDA_ERROR_NOT_SUPPORTED /
// NVML_ERROR_FUNCTION_NOT_FOUND instead of crashing.
#pragma once

#include <cstdint>

#include "gpuapi/cuda_functions.h"
#include "gpuapi/nvml_functions.h"

// Code that can run before the AddressSanitizer runtime is initialized, so is left uninstrumented
// (its shadow memory is not mapped yet): a sanitized program's runtime looks up libc through dlsym
// from its pre-init start-up, and a preloaded libvgpu.so answers dlsym (hooks/entry.cc).
#define HAMI_SHIM_EARLY __attribute__((no_sanitize("address")))

namespace hami::shim {

enum class CudaFn : int {
#define CUDA_HOOK(sym, family, since, ptsz) k_##sym,
#define CUDA_REAL(sym) k_##sym,
#include "shim/symbols/cuda.def"
#undef CUDA_HOOK
#undef CUDA_REAL
  kCount
};

enum class NvmlFn : int {
#define NVML_HOOK(sym) k_##sym,
#define NVML_REAL(sym) k_##sym,
#include "shim/symbols/nvml.def"
#undef NVML_HOOK
#undef NVML_REAL
  kCount
};

// Real entry points (nullptr when the library or the symbol is absent). Loads on first use.
void* CudaReal(CudaFn fn);
void* NvmlReal(NvmlFn fn);
// Whether the library could be loaded (loads it if not yet tried).
bool CudaAvailable();
bool NvmlAvailable();

// glibc's dlsym (our exported dlsym overrides it for the application).
HAMI_SHIM_EARLY void* RealDlsym(void* handle, const char* name);

// If `real` is the driver's (or NVML's) entry point of a hooked symbol, our hook; else nullptr.
// Only consults libraries already loaded; never loads one.
void* HookForReal(void* real);

// dlsym's answer for a cu*/nvml* symbol whose glibc answer is `real`: our hook when `real` is a
// hooked entry point of a driver library the process has loaded (loading our tables from it on
// first sight); nullptr otherwise. Never loads a library the application did not load.
void* HookForDlsym(void* real, const char* name);

// The hook cuGetProcAddress should answer for `name` at `cuda_version` with `flags`, given the
// driver's own answer `real`: by pointer identity first, then by family/version/ptsz; `real`
// itself when the symbol is not intercepted.
void* ProcAddressAnswer(const char* name, void* real, int cuda_version, uint64_t flags);

}  // namespace hami::shim

// Typed access to a real entry point: CU_REAL(cuMemAlloc_v2)(&p, n), NVML_REAL_FN(nvmlInit_v2)().
#define CU_REAL(sym) \
  reinterpret_cast<decltype(&::sym)>(::hami::shim::CudaReal(::hami::shim::CudaFn::k_##sym))
#define NVML_REAL_FN(sym) \
  reinterpret_cast<decltype(&::sym)>(::hami::shim::NvmlReal(::hami::shim::NvmlFn::k_##sym))
