// Names and descriptions of CUresult codes (cuGetErrorName / cuGetErrorString). Pure.
#pragma once

#include "gpuapi/cuda_types.h"

namespace hami::sim {

// nullptr for codes the driver does not define.
const char* CudaErrorName(CUresult code);
const char* CudaErrorString(CUresult code);

// Simulated driver version (cuDriverGetVersion, nvmlSystemGetCudaDriverVersion) and the NVIDIA
// driver release string NVML reports.
inline constexpr int kSimCudaDriverVersion = 12040;
inline constexpr const char* kSimDriverRelease = "550.54.15";

}  // namespace hami::sim
