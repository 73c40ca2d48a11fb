// The simulated NVML's MIG entry points, part one: the mode, GPU-instance profiles and
// placements, creating, listing and destroying GPU instances. The instances live in the shared
// state (sim/mig_state.cc), so every process of the simulated node sees the same ones; the profile
// tables are sim/mig_profiles.cc. Thread-safe.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "gpuapi/nvml_functions.h"
#include "sim/mig_profiles.h"
#include "sim/nvml_state.h"
#include "sim/shared_state.h"

namespace {

using hami::sim::GiProfile;
using hami::sim::GpuInstanceRecord;
using hami::sim::MigModel;
using hami::sim::MigPlacement;
using hami::sim::nvml::Device;
using hami::sim::nvml::GiRef;
using hami::sim::nvml::GpuInstance;
using hami::sim::nvml::MigGpu;
using hami::sim::nvml::MigGpuRef;
using hami::sim::nvml::NvmlState;
using hami::sim::nvml::WithHandle;

// The fields nvmlGpuInstanceProfileInfo_t and its _v2 share, for `p`; every other field zero.
template <typename Info>
Info GiProfileInfo(const GiProfile& p) {
  Info info{};
  info.id = p.id;
  info.sliceCount = p.slices;
  info.instanceCount = p.instance_count;
  info.multiprocessorCount = p.sms;
  info.copyEngineCount = p.copy_engines;
  info.decoderCount = p.decoders;
  info.jpegCount = p.jpegs;
  info.ofaCount = p.ofas;
  info.memorySizeMB = p.memory_mib;
  return info;
}

// Under s.mu: the MIG GPU `device` and its GPU-instance profile with NVML constant `constant`
// (INVALID_ARGUMENT out of range, NOT_SUPPORTED when the GPU has none), then `answer(profile)`.
template <typename Answer>
nvmlReturn_t WithGiProfileConstant(nvmlDevice_t device, unsigned constant, Answer&& answer) {
  return WithHandle(device, MigGpu, [&](NvmlState&, const MigGpuRef& gpu) -> nvmlReturn_t {
    if (constant >= NVML_GPU_INSTANCE_PROFILE_COUNT) return NVML_ERROR_INVALID_ARGUMENT;
    const GiProfile* profile = hami::sim::GiProfileByConstant(*gpu.model, constant);
    if (profile == nullptr) return NVML_ERROR_NOT_SUPPORTED;
    return answer(*profile);
  });
}

// Under s.mu: the MIG GPU `device` and its GPU-instance profile whose id is `profile_id`
// (INVALID_ARGUMENT when none), then `answer(s, gpu, profile)`.
template <typename Answer>
nvmlReturn_t WithGiProfileId(nvmlDevice_t device, unsigned profile_id, Answer&& answer) {
  return WithHandle(device, MigGpu, [&](NvmlState& s, const MigGpuRef& gpu) -> nvmlReturn_t {
    const GiProfile* profile = hami::sim::GiProfileById(*gpu.model, profile_id);
    if (profile == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    return answer(s, gpu, *profile);
  });
}

std::vector<GpuInstanceRecord> GpuInstancesOf(NvmlState& s, const MigGpuRef& gpu) {
  return s.shared->GpuInstances(static_cast<int>(gpu.index));
}

nvmlGpuInstance_t GiHandle(NvmlState& s, const MigGpuRef& gpu, unsigned id) {
  return &s.gpu_instances[gpu.index][id];
}

nvmlReturn_t PossiblePlacements(nvmlDevice_t device, unsigned profile_id,
                                nvmlGpuInstancePlacement_t* placements, unsigned* count) {
  return WithGiProfileId(
      device, profile_id,
      [&](NvmlState&, const MigGpuRef&, const GiProfile& profile) -> nvmlReturn_t {
        if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
        const unsigned n = profile.placement_count;
        if (placements == nullptr) {
          *count = n;
          return NVML_SUCCESS;
        }
        if (*count < n) {
          *count = n;
          return NVML_ERROR_INSUFFICIENT_SIZE;
        }
        for (unsigned k = 0; k < n; ++k) {
          MigPlacement p = hami::sim::GiPlacementAt(profile, k);
          placements[k] = {p.start, p.size};
        }
        *count = n;
        return NVML_SUCCESS;
      });
}

nvmlReturn_t CreateGpuInstance(nvmlDevice_t device, unsigned profile_id,
                               const nvmlGpuInstancePlacement_t* placement, bool with_placement,
                               nvmlGpuInstance_t* gpu_instance) {
  return WithGiProfileId(
      device, profile_id,
      [&](NvmlState& s, const MigGpuRef& gpu, const GiProfile& profile) -> nvmlReturn_t {
        if (gpu_instance == nullptr || (with_placement && placement == nullptr)) {
          return NVML_ERROR_INVALID_ARGUMENT;
        }
        std::optional<MigPlacement> where;
        if (with_placement) {
          where = MigPlacement{placement->start, placement->size};
          if (!hami::sim::IsPossiblePlacement(profile, *where)) return NVML_ERROR_INVALID_ARGUMENT;
        }
        unsigned id = 0;
        nvmlReturn_t r = s.shared->CreateGpuInstance(static_cast<int>(gpu.index), *gpu.model,
                                                     profile, where, &id);
        if (r == NVML_SUCCESS) *gpu_instance = GiHandle(s, gpu, id);
        return r;
      });
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlDeviceSetMigMode(nvmlDevice_t device, unsigned int mode,
                                  nvmlReturn_t* activation_status) {
  return WithHandle(device, Device, [&](NvmlState& s, unsigned index) {
    if (hami::sim::FindMigModel(s.gpus[index]) == nullptr) return NVML_ERROR_NOT_SUPPORTED;
    if (activation_status == nullptr ||
        (mode != NVML_DEVICE_MIG_DISABLE && mode != NVML_DEVICE_MIG_ENABLE)) {
      return NVML_ERROR_INVALID_ARGUMENT;
    }
    *activation_status = s.shared->SetMigMode(static_cast<int>(index), mode);
    return NVML_SUCCESS;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfo(nvmlDevice_t device, unsigned int profile,
                                                 nvmlGpuInstanceProfileInfo_t* info) {
  return WithGiProfileConstant(device, profile, [&](const GiProfile& p) {
    if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    *info = GiProfileInfo<nvmlGpuInstanceProfileInfo_t>(p);
    return NVML_SUCCESS;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfoV(nvmlDevice_t device, unsigned int profile,
                                                  nvmlGpuInstanceProfileInfo_v2_t* info) {
  return WithGiProfileConstant(device, profile, [&](const GiProfile& p) {
    if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    if (info->version != nvmlGpuInstanceProfileInfo_v2) {
      return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    }
    *info = GiProfileInfo<nvmlGpuInstanceProfileInfo_v2_t>(p);
    info->version = nvmlGpuInstanceProfileInfo_v2;
    std::snprintf(info->name, sizeof(info->name), "MIG %s", p.name);
    return NVML_SUCCESS;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements_v2(nvmlDevice_t device,
                                                           unsigned int profile_id,
                                                           nvmlGpuInstancePlacement_t* placements,
                                                           unsigned int* count) {
  return PossiblePlacements(device, profile_id, placements, count);
}

nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements(nvmlDevice_t device,
                                                        unsigned int profile_id,
                                                        nvmlGpuInstancePlacement_t* placements,
                                                        unsigned int* count) {
  return PossiblePlacements(device, profile_id, placements, count);
}

nvmlReturn_t nvmlDeviceGetGpuInstanceRemainingCapacity(nvmlDevice_t device, unsigned int profile_id,
                                                       unsigned int* count) {
  return WithGiProfileId(
      device, profile_id,
      [&](NvmlState& s, const MigGpuRef& gpu, const GiProfile& profile) -> nvmlReturn_t {
        if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
        std::vector<MigPlacement> used;
        unsigned same = 0;
        for (const GpuInstanceRecord& gi : GpuInstancesOf(s, gpu)) {
          used.push_back(gi.placement);
          if (gi.profile_id == profile_id) ++same;
        }
        *count = hami::sim::RemainingGpuInstances(profile, used, same);
        return NVML_SUCCESS;
      });
}

nvmlReturn_t nvmlDeviceCreateGpuInstance(nvmlDevice_t device, unsigned int profile_id,
                                         nvmlGpuInstance_t* gpu_instance) {
  return CreateGpuInstance(device, profile_id, nullptr, false, gpu_instance);
}

nvmlReturn_t nvmlDeviceCreateGpuInstanceWithPlacement(nvmlDevice_t device, unsigned int profile_id,
                                                      const nvmlGpuInstancePlacement_t* placement,
                                                      nvmlGpuInstance_t* gpu_instance) {
  return CreateGpuInstance(device, profile_id, placement, true, gpu_instance);
}

nvmlReturn_t nvmlGpuInstanceDestroy(nvmlGpuInstance_t gpu_instance) {
  return WithHandle(gpu_instance, GpuInstance, [](NvmlState& s, const GiRef& gi) {
    return s.shared->DestroyGpuInstance(static_cast<int>(gi.index), gi.record.id);
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstances(nvmlDevice_t device, unsigned int profile_id,
                                       nvmlGpuInstance_t* gpu_instances, unsigned int* count) {
  return WithGiProfileId(device, profile_id,
                         [&](NvmlState& s, const MigGpuRef& gpu, const GiProfile&) -> nvmlReturn_t {
                           if (gpu_instances == nullptr || count == nullptr)
                             return NVML_ERROR_INVALID_ARGUMENT;
                           unsigned n = 0;
                           for (const GpuInstanceRecord& gi : GpuInstancesOf(s, gpu)) {
                             if (gi.profile_id == profile_id)
                               gpu_instances[n++] = GiHandle(s, gpu, gi.id);
                           }
                           *count = n;
                           return NVML_SUCCESS;
                         });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceById(nvmlDevice_t device, unsigned int id,
                                          nvmlGpuInstance_t* gpu_instance) {
  return WithHandle(device, MigGpu, [&](NvmlState& s, const MigGpuRef& gpu) {
    if (gpu_instance == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    for (const GpuInstanceRecord& gi : GpuInstancesOf(s, gpu)) {
      if (gi.id == id) {
        *gpu_instance = GiHandle(s, gpu, gi.id);
        return NVML_SUCCESS;
      }
    }
    return NVML_ERROR_NOT_FOUND;
  });
}

nvmlReturn_t nvmlGpuInstanceGetInfo(nvmlGpuInstance_t gpu_instance, nvmlGpuInstanceInfo_t* info) {
  return WithHandle(gpu_instance, GpuInstance, [&](NvmlState& s, const GiRef& gi) {
    if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    *info = nvmlGpuInstanceInfo_t{};
    info->device = &s.devices[gi.index];
    info->id = gi.record.id;
    info->profileId = gi.record.profile_id;
    info->placement = {gi.record.placement.start, gi.record.placement.size};
    return NVML_SUCCESS;
  });
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int* count) {
  return WithHandle(device, Device, [&](NvmlState& s, unsigned index) {
    if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
    const MigModel* model = hami::sim::FindMigModel(s.gpus[index]);
    if (model == nullptr) return NVML_ERROR_NOT_SUPPORTED;
    *count = 0;
    if (s.shared->MigMode(static_cast<int>(index)).current != NVML_DEVICE_MIG_ENABLE) {
      return NVML_SUCCESS;
    }
    for (const GiProfile& p : model->profiles) *count = std::max(*count, p.instance_count);
    return NVML_SUCCESS;
  });
}

}  // extern "C"
