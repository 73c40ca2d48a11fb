// CUDA <-> NVML device identity for libvgpu (by UUID, so a re-ordered CUDA_VISIBLE_DEVICES cannot
// merge usage into the wrong device — upstream #225).
//
// The region's uuids[i] holds the NVML-style UUID of CUDA ordinal i (written by OnCudaInit in any
// process of the container). Thread-safe; NVML is initialised once on first need.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gpuapi/nvml_types.h"
#include "region/layout.h"

namespace hami::shim {

// 16 UUID bytes -> "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
void FormatUuid(const char bytes[16], char* out, size_t len);

// CUDA ordinal of `device`: its UUID among the region's uuids; else, without CUDA_VISIBLE_DEVICES,
// its NVML index; else its position in CUDA_VISIBLE_DEVICES (index or UUID-prefix entries); -1 if
// it is not visible to CUDA.
int NvmlToCudaIndex(const region::SharedRegion& r, nvmlDevice_t device);

// NVML handle of CUDA ordinal `dev` (by the region's UUID), or nullptr.
nvmlDevice_t NvmlHandleForCuda(const region::SharedRegion& r, int dev);

// Bytes the driver reports used on `device` (0 when unknown).
uint64_t NvmlUsedBytes(nvmlDevice_t device);

}  // namespace hami::shim
