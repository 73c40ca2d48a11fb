// The simulated NVML's MIG entry points, part two: compute instances and MIG device handles
// (see nvml_mig.cc). Thread-safe.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "gpuapi/nvml_functions.h"
#include "sim/mig_profiles.h"
#include "sim/nvml_state.h"
#include "sim/shared_state.h"

namespace {

using hami::sim::CiProfile;
using hami::sim::ComputeInstanceRecord;
using hami::sim::GiProfile;
using hami::sim::GpuInstanceRecord;
using hami::sim::MigPlacement;
using hami::sim::nvml::AnyDevice;
using hami::sim::nvml::CiRef;
using hami::sim::nvml::ComputeInstance;
using hami::sim::nvml::Device;
using hami::sim::nvml::DeviceRef;
using hami::sim::nvml::GiRef;
using hami::sim::nvml::GpuInstance;
using hami::sim::nvml::Lock;
using hami::sim::nvml::NvmlState;
using hami::sim::nvml::State;

void FillCiInfo(const GiProfile& gi, const CiProfile& ci, nvmlComputeInstanceProfileInfo_t* info) {
  *info = nvmlComputeInstanceProfileInfo_t{};
  info->id = ci.id;
  info->sliceCount = ci.slices;
  info->instanceCount = ci.instance_count;
  info->multiprocessorCount = ci.sms;
  info->sharedCopyEngineCount = gi.copy_engines;
  info->sharedDecoderCount = gi.decoders;
  info->sharedJpegCount = gi.jpegs;
  info->sharedOfaCount = gi.ofas;
}

nvmlReturn_t CiProfileOf(const GiRef& gi, unsigned profile, unsigned eng_profile, CiProfile* out) {
  if (eng_profile != NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED ||
      profile >= NVML_COMPUTE_INSTANCE_PROFILE_COUNT) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  auto ci = hami::sim::ComputeInstanceProfile(*gi.profile, profile);
  if (!ci) return NVML_ERROR_NOT_SUPPORTED;
  *out = *ci;
  return NVML_SUCCESS;
}

nvmlReturn_t ComputeInstanceInfo(nvmlComputeInstance_t compute_instance,
                                 nvmlComputeInstanceInfo_t* info) {
  NvmlState& s = State();
  Lock lock(s.mu);
  CiRef ci;
  if (nvmlReturn_t r = ComputeInstance(s, compute_instance, &ci); r != NVML_SUCCESS) return r;
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *info = nvmlComputeInstanceInfo_t{};
  info->device = &s.devices[ci.gi.index];
  info->gpuInstance = &s.gpu_instances[ci.gi.index][ci.gi.record.id];
  info->id = ci.record.id;
  info->profileId = ci.record.profile;
  info->placement = {ci.record.placement.start, ci.record.placement.size};
  return NVML_SUCCESS;
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfo(nvmlGpuInstance_t gpu_instance,
                                                          unsigned int profile,
                                                          unsigned int eng_profile,
                                                          nvmlComputeInstanceProfileInfo_t* info) {
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  CiProfile ci{};
  if (nvmlReturn_t r = CiProfileOf(gi, profile, eng_profile, &ci); r != NVML_SUCCESS) return r;
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  FillCiInfo(*gi.profile, ci, info);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfoV(
    nvmlGpuInstance_t gpu_instance, unsigned int profile, unsigned int eng_profile,
    nvmlComputeInstanceProfileInfo_v2_t* info) {
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  CiProfile ci{};
  if (nvmlReturn_t r = CiProfileOf(gi, profile, eng_profile, &ci); r != NVML_SUCCESS) return r;
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (info->version != nvmlComputeInstanceProfileInfo_v2) {
    return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  }
  nvmlComputeInstanceProfileInfo_t v1;
  FillCiInfo(*gi.profile, ci, &v1);
  *info = nvmlComputeInstanceProfileInfo_v2_t{};
  info->version = nvmlComputeInstanceProfileInfo_v2;
  info->id = v1.id;
  info->sliceCount = v1.sliceCount;
  info->instanceCount = v1.instanceCount;
  info->multiprocessorCount = v1.multiprocessorCount;
  info->sharedCopyEngineCount = v1.sharedCopyEngineCount;
  info->sharedDecoderCount = v1.sharedDecoderCount;
  info->sharedEncoderCount = v1.sharedEncoderCount;
  info->sharedJpegCount = v1.sharedJpegCount;
  info->sharedOfaCount = v1.sharedOfaCount;
  std::snprintf(info->name, sizeof(info->name), "%s",
                hami::sim::CiProfileName(*gi.profile, ci).c_str());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceRemainingCapacity(nvmlGpuInstance_t gpu_instance,
                                                                unsigned int profile_id,
                                                                unsigned int* count) {
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  CiProfile ci{};
  if (nvmlReturn_t r =
          CiProfileOf(gi, profile_id, NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &ci);
      r != NVML_SUCCESS) {
    return r;
  }
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  std::vector<MigPlacement> used;
  unsigned same = 0;
  for (const ComputeInstanceRecord& c :
       s.shared->ComputeInstances(static_cast<int>(gi.index), gi.record.id)) {
    used.push_back(c.placement);
    if (c.profile == profile_id) ++same;
  }
  *count = hami::sim::RemainingComputeInstances(ci, used, same);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpuInstanceCreateComputeInstance(nvmlGpuInstance_t gpu_instance,
                                                  unsigned int profile_id,
                                                  nvmlComputeInstance_t* compute_instance) {
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  CiProfile ci{};
  if (nvmlReturn_t r =
          CiProfileOf(gi, profile_id, NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &ci);
      r != NVML_SUCCESS) {
    return r;
  }
  if (compute_instance == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned id = 0;
  nvmlReturn_t r =
      s.shared->CreateComputeInstance(static_cast<int>(gi.index), gi.record.id, ci, &id);
  if (r == NVML_SUCCESS) *compute_instance = &s.compute_instances[gi.index][gi.record.id][id];
  return r;
}

nvmlReturn_t nvmlComputeInstanceDestroy(nvmlComputeInstance_t compute_instance) {
  NvmlState& s = State();
  Lock lock(s.mu);
  CiRef ci;
  if (nvmlReturn_t r = ComputeInstance(s, compute_instance, &ci); r != NVML_SUCCESS) return r;
  return s.shared->DestroyComputeInstance(static_cast<int>(ci.gi.index), ci.gi.record.id,
                                          ci.record.id);
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstances(nvmlGpuInstance_t gpu_instance,
                                                unsigned int profile_id,
                                                nvmlComputeInstance_t* compute_instances,
                                                unsigned int* count) {
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  CiProfile ci{};
  if (nvmlReturn_t r =
          CiProfileOf(gi, profile_id, NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &ci);
      r != NVML_SUCCESS) {
    return r;
  }
  if (compute_instances == nullptr || count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned n = 0;
  for (const ComputeInstanceRecord& c :
       s.shared->ComputeInstances(static_cast<int>(gi.index), gi.record.id)) {
    if (c.profile == profile_id) {
      compute_instances[n++] = &s.compute_instances[gi.index][gi.record.id][c.id];
    }
  }
  *count = n;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceById(nvmlGpuInstance_t gpu_instance, unsigned int id,
                                                   nvmlComputeInstance_t* compute_instance) {
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  if (compute_instance == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  for (const ComputeInstanceRecord& c :
       s.shared->ComputeInstances(static_cast<int>(gi.index), gi.record.id)) {
    if (c.id == id) {
      *compute_instance = &s.compute_instances[gi.index][gi.record.id][c.id];
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlComputeInstanceGetInfo_v2(nvmlComputeInstance_t compute_instance,
                                           nvmlComputeInstanceInfo_t* info) {
  return ComputeInstanceInfo(compute_instance, info);
}

nvmlReturn_t nvmlComputeInstanceGetInfo(nvmlComputeInstance_t compute_instance,
                                        nvmlComputeInstanceInfo_t* info) {
  return ComputeInstanceInfo(compute_instance, info);
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                 nvmlDevice_t* mig_device) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned gpu = 0;
  if (nvmlReturn_t r = Device(s, device, &gpu); r != NVML_SUCCESS) return r;
  if (mig_device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (hami::sim::FindMigModel(s.gpus[gpu]) == nullptr) return NVML_ERROR_NOT_SUPPORTED;
  unsigned k = 0;  // MIG devices in order of GPU-instance id, then compute-instance id
  for (const GpuInstanceRecord& gi : s.shared->GpuInstances(static_cast<int>(gpu))) {
    for (const ComputeInstanceRecord& ci :
         s.shared->ComputeInstances(static_cast<int>(gpu), gi.id)) {
      if (k++ == index) {
        *mig_device = &s.mig_devices[gpu][gi.id][ci.id];
        return NVML_SUCCESS;
      }
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig_device,
                                                          nvmlDevice_t* device) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, mig_device, &ref); r != NVML_SUCCESS) return r;
  if (device == nullptr || !ref.mig()) return NVML_ERROR_INVALID_ARGUMENT;
  *device = &s.devices[ref.index];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device, unsigned int* is_mig_device) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  if (is_mig_device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *is_mig_device = ref.mig() ? 1 : 0;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int* id) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  if (id == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (!ref.mig()) return NVML_ERROR_NOT_SUPPORTED;
  *id = static_cast<unsigned>(ref.gi);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int* id) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  if (id == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (!ref.mig()) return NVML_ERROR_NOT_SUPPORTED;
  *id = static_cast<unsigned>(ref.ci);
  return NVML_SUCCESS;
}

}  // extern "C"
