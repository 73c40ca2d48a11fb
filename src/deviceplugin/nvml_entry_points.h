// The NVML entry points NvmlDeviceSource resolves with dlsym (declared by src/gpuapi), shared by
// its discovery (nvml_device_source.cc) and MIG control (nvml_mig_control.cc). Private to them.
#pragma once

#include <dlfcn.h>

#include "deviceplugin/nvml_device_source.h"
#include "gpuapi/nvml_functions.h"

namespace hami::deviceplugin {

// nvmlDeviceGetTopologyCommonAncestor is not declared in gpuapi (libvgpu does not hook it).
// WIRE (NVML ABI): nvmlReturn_t (nvmlDevice_t, nvmlDevice_t, nvmlGpuTopologyLevel_t*), the level
// an int-sized enum with the values of TopologyLevel.
using CommonAncestorFn = nvmlReturn_t (*)(nvmlDevice_t, nvmlDevice_t, int*);

template <typename T>
bool Resolve(void* handle, const char* symbol, T& out) {
  out = reinterpret_cast<T>(dlsym(handle, symbol));
  return out != nullptr;
}

struct NvmlDeviceSource::Functions {
  decltype(&nvmlInit_v2) init = nullptr;
  decltype(&nvmlShutdown) shutdown = nullptr;
  decltype(&nvmlErrorString) error_string = nullptr;
  decltype(&nvmlDeviceGetCount_v2) count = nullptr;
  decltype(&nvmlDeviceGetHandleByIndex_v2) by_index = nullptr;
  decltype(&nvmlDeviceGetHandleByUUID) by_uuid = nullptr;
  decltype(&nvmlDeviceGetUUID) uuid = nullptr;
  decltype(&nvmlDeviceGetName) name = nullptr;
  decltype(&nvmlDeviceGetMemoryInfo) memory = nullptr;
  decltype(&nvmlDeviceGetPciInfo_v3) pci = nullptr;
  // Optional (older drivers / the simulator may lack them).
  decltype(&nvmlDeviceGetNumaNodeId) numa = nullptr;
  decltype(&nvmlDeviceGetMigMode) mig = nullptr;
  decltype(&nvmlDeviceGetMinorNumber) minor = nullptr;
  decltype(&nvmlDeviceGetGpuInstanceProfileInfoV) mig_profile = nullptr;
  decltype(&nvmlDeviceGetGpuInstancePossiblePlacements_v2) mig_placements = nullptr;
  CommonAncestorFn common_ancestor = nullptr;
  // The event API, all or none (XID health).
  decltype(&nvmlEventSetCreate) event_set_create = nullptr;
  decltype(&nvmlDeviceGetSupportedEventTypes) supported_events = nullptr;
  decltype(&nvmlDeviceRegisterEvents) register_events = nullptr;
  decltype(&nvmlEventSetWait_v2) event_set_wait = nullptr;
  decltype(&nvmlEventSetFree) event_set_free = nullptr;
  bool has_events() const {
    return event_set_create && supported_events && register_events && event_set_wait &&
           event_set_free;
  }
};

struct NvmlDeviceSource::MigFunctions {
  decltype(&nvmlDeviceGetGpuInstances) gpu_instances = nullptr;
  decltype(&nvmlGpuInstanceGetInfo) gpu_instance_info = nullptr;
  decltype(&nvmlDeviceGetGpuInstanceById) gpu_instance_by_id = nullptr;
  decltype(&nvmlDeviceCreateGpuInstanceWithPlacement) create_gpu_instance = nullptr;
  decltype(&nvmlGpuInstanceDestroy) destroy_gpu_instance = nullptr;
  decltype(&nvmlGpuInstanceGetComputeInstanceProfileInfo) ci_profile = nullptr;
  decltype(&nvmlGpuInstanceCreateComputeInstance) create_compute_instance = nullptr;
  decltype(&nvmlGpuInstanceGetComputeInstances) compute_instances = nullptr;
  decltype(&nvmlComputeInstanceGetInfo) compute_instance_info = nullptr;
  decltype(&nvmlComputeInstanceDestroy) destroy_compute_instance = nullptr;
  decltype(&nvmlDeviceGetMaxMigDeviceCount) max_mig_devices = nullptr;
  decltype(&nvmlDeviceGetMigDeviceHandleByIndex) mig_device_by_index = nullptr;
  decltype(&nvmlDeviceGetGpuInstanceId) mig_gpu_instance_id = nullptr;
  decltype(&nvmlDeviceGetComputeInstanceId) mig_compute_instance_id = nullptr;
};

}  // namespace hami::deviceplugin
