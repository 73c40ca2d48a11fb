// The simulated NVML's MIG entry points, part two: compute instances and MIG device handles
// (see nvml_mig.cc). Thread-safe.
#include <cstdint>
#include <cstdio>
#include <utility>
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
using hami::sim::nvml::NvmlState;
using hami::sim::nvml::WithHandle;

// The fields nvmlComputeInstanceProfileInfo_t and its _v2 share, for `ci` inside a GPU instance of
// `gi`; every other field zero.
template <typename Info>
Info CiProfileInfo(const GiProfile& gi, const CiProfile& ci) {
  Info info{};
  info.id = ci.id;
  info.sliceCount = ci.slices;
  info.instanceCount = ci.instance_count;
  info.multiprocessorCount = ci.sms;
  info.sharedCopyEngineCount = gi.copy_engines;
  info.sharedDecoderCount = gi.decoders;
  info.sharedJpegCount = gi.jpegs;
  info.sharedOfaCount = gi.ofas;
  return info;
}

// Under s.mu: the live GPU instance `handle` and its compute-instance profile `profile` with
// engine profile `eng_profile` (only shared engines are modelled: INVALID_ARGUMENT otherwise, as
// for a constant out of range; NOT_SUPPORTED for a profile the GPU instance cannot hold), then
// `answer(s, gi, ci)`.
template <typename Answer>
nvmlReturn_t WithCiProfile(nvmlGpuInstance_t handle, unsigned profile, unsigned eng_profile,
                           Answer&& answer) {
  return WithHandle(handle, GpuInstance, [&](NvmlState& s, const GiRef& gi) -> nvmlReturn_t {
    if (eng_profile != NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED ||
        profile >= NVML_COMPUTE_INSTANCE_PROFILE_COUNT) {
      return NVML_ERROR_INVALID_ARGUMENT;
    }
    auto ci = hami::sim::ComputeInstanceProfile(*gi.profile, profile);
    if (!ci) return NVML_ERROR_NOT_SUPPORTED;
    return answer(s, gi, *ci);
  });
}

// WithCiProfile for the entry points that take a profile id only (shared engines).
template <typename Answer>
nvmlReturn_t WithCiProfile(nvmlGpuInstance_t handle, unsigned profile_id, Answer&& answer) {
  return WithCiProfile(handle, profile_id, NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED,
                       std::forward<Answer>(answer));
}

std::vector<ComputeInstanceRecord> ComputeInstancesOf(NvmlState& s, const GiRef& gi) {
  return s.shared->ComputeInstances(static_cast<int>(gi.index), gi.record.id);
}

nvmlComputeInstance_t CiHandle(NvmlState& s, const GiRef& gi, unsigned id) {
  return &s.compute_instances[gi.index][gi.record.id][id];
}

nvmlReturn_t ComputeInstanceInfo(nvmlComputeInstance_t compute_instance,
                                 nvmlComputeInstanceInfo_t* info) {
  return WithHandle(compute_instance, ComputeInstance,
                    [&](NvmlState& s, const CiRef& ci) -> nvmlReturn_t {
                      if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
                      *info = nvmlComputeInstanceInfo_t{};
                      info->device = &s.devices[ci.gi.index];
                      info->gpuInstance = &s.gpu_instances[ci.gi.index][ci.gi.record.id];
                      info->id = ci.record.id;
                      info->profileId = ci.record.profile;
                      info->placement = {ci.record.placement.start, ci.record.placement.size};
                      return NVML_SUCCESS;
                    });
}

// The GPU-instance or compute-instance id (`member`) of a MIG device handle; NOT_SUPPORTED for a
// GPU handle.
nvmlReturn_t MigDeviceId(nvmlDevice_t device, int DeviceRef::*member, unsigned* id) {
  return WithHandle(device, AnyDevice, [&](NvmlState&, const DeviceRef& ref) -> nvmlReturn_t {
    if (id == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    if (!ref.mig()) return NVML_ERROR_NOT_SUPPORTED;
    *id = static_cast<unsigned>(ref.*member);
    return NVML_SUCCESS;
  });
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfo(nvmlGpuInstance_t gpu_instance,
                                                          unsigned int profile,
                                                          unsigned int eng_profile,
                                                          nvmlComputeInstanceProfileInfo_t* info) {
  return WithCiProfile(gpu_instance, profile, eng_profile,
                       [&](NvmlState&, const GiRef& gi, const CiProfile& ci) -> nvmlReturn_t {
                         if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
                         *info = CiProfileInfo<nvmlComputeInstanceProfileInfo_t>(*gi.profile, ci);
                         return NVML_SUCCESS;
                       });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfoV(
    nvmlGpuInstance_t gpu_instance, unsigned int profile, unsigned int eng_profile,
    nvmlComputeInstanceProfileInfo_v2_t* info) {
  return WithCiProfile(gpu_instance, profile, eng_profile,
                       [&](NvmlState&, const GiRef& gi, const CiProfile& ci) -> nvmlReturn_t {
                         if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
                         if (info->version != nvmlComputeInstanceProfileInfo_v2) {
                           return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
                         }
                         *info =
                             CiProfileInfo<nvmlComputeInstanceProfileInfo_v2_t>(*gi.profile, ci);
                         info->version = nvmlComputeInstanceProfileInfo_v2;
                         std::snprintf(info->name, sizeof(info->name), "%s",
                                       hami::sim::CiProfileName(*gi.profile, ci).c_str());
                         return NVML_SUCCESS;
                       });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceRemainingCapacity(nvmlGpuInstance_t gpu_instance,
                                                                unsigned int profile_id,
                                                                unsigned int* count) {
  return WithCiProfile(gpu_instance, profile_id,
                       [&](NvmlState& s, const GiRef& gi, const CiProfile& ci) -> nvmlReturn_t {
                         if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
                         std::vector<MigPlacement> used;
                         unsigned same = 0;
                         for (const ComputeInstanceRecord& c : ComputeInstancesOf(s, gi)) {
                           used.push_back(c.placement);
                           if (c.profile == profile_id) ++same;
                         }
                         *count = hami::sim::RemainingComputeInstances(ci, used, same);
                         return NVML_SUCCESS;
                       });
}

nvmlReturn_t nvmlGpuInstanceCreateComputeInstance(nvmlGpuInstance_t gpu_instance,
                                                  unsigned int profile_id,
                                                  nvmlComputeInstance_t* compute_instance) {
  return WithCiProfile(gpu_instance, profile_id,
                       [&](NvmlState& s, const GiRef& gi, const CiProfile& ci) -> nvmlReturn_t {
                         if (compute_instance == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
                         unsigned id = 0;
                         nvmlReturn_t r = s.shared->CreateComputeInstance(
                             static_cast<int>(gi.index), gi.record.id, ci, &id);
                         if (r == NVML_SUCCESS) *compute_instance = CiHandle(s, gi, id);
                         return r;
                       });
}

nvmlReturn_t nvmlComputeInstanceDestroy(nvmlComputeInstance_t compute_instance) {
  return WithHandle(compute_instance, ComputeInstance, [](NvmlState& s, const CiRef& ci) {
    return s.shared->DestroyComputeInstance(static_cast<int>(ci.gi.index), ci.gi.record.id,
                                            ci.record.id);
  });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstances(nvmlGpuInstance_t gpu_instance,
                                                unsigned int profile_id,
                                                nvmlComputeInstance_t* compute_instances,
                                                unsigned int* count) {
  return WithCiProfile(gpu_instance, profile_id,
                       [&](NvmlState& s, const GiRef& gi, const CiProfile&) {
                         if (compute_instances == nullptr || count == nullptr)
                           return NVML_ERROR_INVALID_ARGUMENT;
                         unsigned n = 0;
                         for (const ComputeInstanceRecord& c : ComputeInstancesOf(s, gi)) {
                           if (c.profile == profile_id)
                             compute_instances[n++] = CiHandle(s, gi, c.id);
                         }
                         *count = n;
                         return NVML_SUCCESS;
                       });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceById(nvmlGpuInstance_t gpu_instance, unsigned int id,
                                                   nvmlComputeInstance_t* compute_instance) {
  return WithHandle(gpu_instance, GpuInstance, [&](NvmlState& s, const GiRef& gi) {
    if (compute_instance == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    for (const ComputeInstanceRecord& c : ComputeInstancesOf(s, gi)) {
      if (c.id == id) {
        *compute_instance = CiHandle(s, gi, c.id);
        return NVML_SUCCESS;
      }
    }
    return NVML_ERROR_NOT_FOUND;
  });
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
  return WithHandle(device, Device, [&](NvmlState& s, unsigned gpu) {
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
  });
}

nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig_device,
                                                          nvmlDevice_t* device) {
  return WithHandle(mig_device, AnyDevice, [&](NvmlState& s, const DeviceRef& ref) {
    if (device == nullptr || !ref.mig()) return NVML_ERROR_INVALID_ARGUMENT;
    *device = &s.devices[ref.index];
    return NVML_SUCCESS;
  });
}

nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device, unsigned int* is_mig_device) {
  return WithHandle(device, AnyDevice, [&](NvmlState&, const DeviceRef& ref) {
    if (is_mig_device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    *is_mig_device = ref.mig() ? 1 : 0;
    return NVML_SUCCESS;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int* id) {
  return MigDeviceId(device, &DeviceRef::gi, id);
}

nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int* id) {
  return MigDeviceId(device, &DeviceRef::ci, id);
}

}  // extern "C"
