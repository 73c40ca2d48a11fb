// cuDeviceGetAttribute answers for a simulated GPU. Pure.
#pragma once

#include <optional>

#include "gpuapi/cuda_types.h"
#include "sim/config.h"

namespace hami::sim {

// The value of `attribute` for `gpu`; nullopt for values outside the driver's attribute range
// (CUDA_ERROR_INVALID_VALUE). Attributes the simulation does not model read 0 ("unsupported").
std::optional<int> DeviceAttribute(const GpuSpec& gpu, int attribute);

// Largest dynamic shared memory per block a kernel may opt into.
int SharedMemoryOptin(const GpuSpec& gpu);

// Most blocks of `threads_per_block` threads that can be resident on the whole GPU at once
// (the cooperative-launch limit).
uint64_t MaxResidentBlocks(const GpuSpec& gpu, unsigned threads_per_block);

// PCI fields parsed from the GPU's bus id ("00000000:10:00.0"); zeros when malformed.
struct PciAddress {
  unsigned domain = 0, bus = 0, device = 0;
};
PciAddress ParsePciBusId(const std::string& bus_id);

}  // namespace hami::sim
