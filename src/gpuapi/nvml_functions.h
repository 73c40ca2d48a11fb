// NVML entry points: prototypes with the exact exported (versioned) C symbol names.
//
// As in cuda_functions.h, the names nvml.h #defines to versioned symbols (nvmlInit -> nvmlInit_v2,
// nvmlDeviceGetCount -> _v2, nvmlDeviceGetHandleByIndex -> _v2, nvmlDeviceGetPciInfo -> _v3, ...)
// are declared under their real symbol; the legacy unsuffixed symbols the driver still exports are
// declared too. Both the simulated NVML (sim/) and libvgpu (src/shim/) define these functions.
#pragma once

// The C ABI as the vendor headers declare it: their names, and typedefs (this header is C too).
// NOLINTBEGIN(readability-identifier-naming, modernize-use-using)

#include "gpuapi/nvml_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HAMI_NVMLAPI __attribute__((visibility("default")))

// Library lifetime and system queries.
HAMI_NVMLAPI nvmlReturn_t nvmlInit(void);  // legacy v1 symbol
HAMI_NVMLAPI nvmlReturn_t nvmlInit_v2(void);
HAMI_NVMLAPI nvmlReturn_t nvmlInitWithFlags(unsigned int flags);
HAMI_NVMLAPI nvmlReturn_t nvmlShutdown(void);
HAMI_NVMLAPI const char* nvmlErrorString(nvmlReturn_t result);
HAMI_NVMLAPI nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length);
HAMI_NVMLAPI nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned int length);
HAMI_NVMLAPI nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* cuda_driver_version);
HAMI_NVMLAPI nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* cuda_driver_version);

// Device enumeration and identity.
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetCount(unsigned int* device_count);  // legacy v1 symbol
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* device_count);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t* device);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetHandleByUUID(const char* uuid, nvmlDevice_t* device);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char* pci_bus_id,
                                                           nvmlDevice_t* device);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int* index);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetSerial(nvmlDevice_t device, char* serial,
                                              unsigned int length);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int* minor_number);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t* pci);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int* major,
                                                             int* minor);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device,
                                                    nvmlDeviceArchitecture_t* arch);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetNumaNodeId(nvmlDevice_t device, unsigned int* node);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int* current_mode,
                                               unsigned int* pending_mode);

// MIG: mode, GPU instances, compute instances and MIG device handles.
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceSetMigMode(nvmlDevice_t device, unsigned int mode,
                                               nvmlReturn_t* activation_status);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfo(nvmlDevice_t device,
                                                              unsigned int profile,
                                                              nvmlGpuInstanceProfileInfo_t* info);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfoV(
    nvmlDevice_t device, unsigned int profile, nvmlGpuInstanceProfileInfo_v2_t* info);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements(
    nvmlDevice_t device, unsigned int profile_id, nvmlGpuInstancePlacement_t* placements,
    unsigned int* count);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements_v2(
    nvmlDevice_t device, unsigned int profile_id, nvmlGpuInstancePlacement_t* placements,
    unsigned int* count);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstanceRemainingCapacity(nvmlDevice_t device,
                                                                    unsigned int profile_id,
                                                                    unsigned int* count);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceCreateGpuInstance(nvmlDevice_t device, unsigned int profile_id,
                                                      nvmlGpuInstance_t* gpu_instance);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceCreateGpuInstanceWithPlacement(
    nvmlDevice_t device, unsigned int profile_id, const nvmlGpuInstancePlacement_t* placement,
    nvmlGpuInstance_t* gpu_instance);
HAMI_NVMLAPI nvmlReturn_t nvmlGpuInstanceDestroy(nvmlGpuInstance_t gpu_instance);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstances(nvmlDevice_t device, unsigned int profile_id,
                                                    nvmlGpuInstance_t* gpu_instances,
                                                    unsigned int* count);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstanceById(nvmlDevice_t device, unsigned int id,
                                                       nvmlGpuInstance_t* gpu_instance);
HAMI_NVMLAPI nvmlReturn_t nvmlGpuInstanceGetInfo(nvmlGpuInstance_t gpu_instance,
                                                 nvmlGpuInstanceInfo_t* info);
HAMI_NVMLAPI nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfo(
    nvmlGpuInstance_t gpu_instance, unsigned int profile, unsigned int eng_profile,
    nvmlComputeInstanceProfileInfo_t* info);
HAMI_NVMLAPI nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfoV(
    nvmlGpuInstance_t gpu_instance, unsigned int profile, unsigned int eng_profile,
    nvmlComputeInstanceProfileInfo_v2_t* info);
HAMI_NVMLAPI nvmlReturn_t nvmlGpuInstanceGetComputeInstanceRemainingCapacity(
    nvmlGpuInstance_t gpu_instance, unsigned int profile_id, unsigned int* count);
HAMI_NVMLAPI nvmlReturn_t
nvmlGpuInstanceCreateComputeInstance(nvmlGpuInstance_t gpu_instance, unsigned int profile_id,
                                     nvmlComputeInstance_t* compute_instance);
HAMI_NVMLAPI nvmlReturn_t nvmlComputeInstanceDestroy(nvmlComputeInstance_t compute_instance);
HAMI_NVMLAPI nvmlReturn_t
nvmlGpuInstanceGetComputeInstances(nvmlGpuInstance_t gpu_instance, unsigned int profile_id,
                                   nvmlComputeInstance_t* compute_instances, unsigned int* count);
HAMI_NVMLAPI nvmlReturn_t nvmlGpuInstanceGetComputeInstanceById(
    nvmlGpuInstance_t gpu_instance, unsigned int id, nvmlComputeInstance_t* compute_instance);
HAMI_NVMLAPI nvmlReturn_t nvmlComputeInstanceGetInfo(nvmlComputeInstance_t compute_instance,
                                                     nvmlComputeInstanceInfo_t* info);
HAMI_NVMLAPI nvmlReturn_t nvmlComputeInstanceGetInfo_v2(nvmlComputeInstance_t compute_instance,
                                                        nvmlComputeInstanceInfo_t* info);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int* count);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device,
                                                              unsigned int index,
                                                              nvmlDevice_t* mig_device);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig_device,
                                                                       nvmlDevice_t* device);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device,
                                                      unsigned int* is_mig_device);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int* id);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int* id);

// Memory, utilization, processes.
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                                        nvmlUtilization_t* utilization);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetProcessUtilization(
    nvmlDevice_t device, nvmlProcessUtilizationSample_t* utilization,
    unsigned int* process_samples_count, unsigned long long last_seen_time_stamp);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device,
                                                               unsigned int* info_count,
                                                               nvmlProcessInfo_v1_t* infos);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device,
                                                                  unsigned int* info_count,
                                                                  nvmlProcessInfo_v2_t* infos);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                                  unsigned int* info_count,
                                                                  nvmlProcessInfo_t* infos);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device,
                                                   nvmlTemperatureSensors_t sensor,
                                                   unsigned int* temp);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* milliwatts);

// Events: an event set receives the events of the devices registered on it that happen after
// the registration; nvmlEventSetWait_v2 returns NVML_ERROR_TIMEOUT when none came in time.
HAMI_NVMLAPI nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device,
                                                           unsigned long long* event_types);
HAMI_NVMLAPI nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device,
                                                   unsigned long long event_types,
                                                   nvmlEventSet_t set);
HAMI_NVMLAPI nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t* data,
                                           unsigned int timeoutms);  // legacy v1 symbol
HAMI_NVMLAPI nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data,
                                              unsigned int timeoutms);
HAMI_NVMLAPI nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set);

#ifdef __cplusplus
}  // extern "C"
#endif
// NOLINTEND(readability-identifier-naming, modernize-use-using)
