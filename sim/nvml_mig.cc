// The simulated NVML's MIG entry points, part one: the mode, GPU-instance profiles and
// placements, creating, listing and destroying GPU instances. The instances live in the shared
// state (sim/mig_state.cc), so every process of the simulated node sees the same ones; the profile
// tables are sim/mig_profiles.cc. Thread-safe.
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

using hami::sim::GiProfile;
using hami::sim::GpuInstanceRecord;
using hami::sim::MigModel;
using hami::sim::MigPlacement;
using hami::sim::nvml::Device;
using hami::sim::nvml::GiRef;
using hami::sim::nvml::GpuInstance;
using hami::sim::nvml::Lock;
using hami::sim::nvml::MigGpu;
using hami::sim::nvml::NvmlState;
using hami::sim::nvml::State;

void FillGiInfo(const GiProfile& p, nvmlGpuInstanceProfileInfo_t* info) {
  *info = nvmlGpuInstanceProfileInfo_t{};
  info->id = p.id;
  info->sliceCount = p.slices;
  info->instanceCount = p.instance_count;
  info->multiprocessorCount = p.sms;
  info->copyEngineCount = p.copy_engines;
  info->decoderCount = p.decoders;
  info->jpegCount = p.jpegs;
  info->ofaCount = p.ofas;
  info->memorySizeMB = p.memory_mib;
}

// The GPU-instance profile with NVML constant `profile` on a MIG GPU.
nvmlReturn_t GiProfileOf(NvmlState& s, nvmlDevice_t device, unsigned profile,
                         const GiProfile** out) {
  unsigned index = 0;
  const MigModel* model = nullptr;
  if (nvmlReturn_t r = MigGpu(s, device, &index, &model); r != NVML_SUCCESS) return r;
  if (profile >= NVML_GPU_INSTANCE_PROFILE_COUNT) return NVML_ERROR_INVALID_ARGUMENT;
  *out = hami::sim::GiProfileByConstant(*model, profile);
  return *out != nullptr ? NVML_SUCCESS : NVML_ERROR_NOT_SUPPORTED;
}

// The GPU-instance profile whose id is `profile_id` on a MIG GPU.
nvmlReturn_t GiProfileWithId(NvmlState& s, nvmlDevice_t device, unsigned profile_id,
                             unsigned* index, const MigModel** model, const GiProfile** out) {
  if (nvmlReturn_t r = MigGpu(s, device, index, model); r != NVML_SUCCESS) return r;
  *out = hami::sim::GiProfileById(**model, profile_id);
  return *out != nullptr ? NVML_SUCCESS : NVML_ERROR_INVALID_ARGUMENT;
}

nvmlReturn_t PossiblePlacements(nvmlDevice_t device, unsigned profile_id,
                                nvmlGpuInstancePlacement_t* placements, unsigned* count) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned index = 0;
  const MigModel* model = nullptr;
  const GiProfile* profile = nullptr;
  if (nvmlReturn_t r = GiProfileWithId(s, device, profile_id, &index, &model, &profile);
      r != NVML_SUCCESS) {
    return r;
  }
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const unsigned n = profile->placement_count;
  if (placements == nullptr) {
    *count = n;
    return NVML_SUCCESS;
  }
  if (*count < n) {
    *count = n;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (unsigned k = 0; k < n; ++k) {
    MigPlacement p = hami::sim::GiPlacementAt(*profile, k);
    placements[k] = {p.start, p.size};
  }
  *count = n;
  return NVML_SUCCESS;
}

nvmlReturn_t CreateGpuInstance(nvmlDevice_t device, unsigned profile_id,
                               const nvmlGpuInstancePlacement_t* placement, bool with_placement,
                               nvmlGpuInstance_t* gpu_instance) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned index = 0;
  const MigModel* model = nullptr;
  const GiProfile* profile = nullptr;
  if (nvmlReturn_t r = GiProfileWithId(s, device, profile_id, &index, &model, &profile);
      r != NVML_SUCCESS) {
    return r;
  }
  if (gpu_instance == nullptr || (with_placement && placement == nullptr)) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  std::optional<MigPlacement> where;
  if (with_placement) {
    where = MigPlacement{placement->start, placement->size};
    if (!hami::sim::IsPossiblePlacement(*profile, *where)) return NVML_ERROR_INVALID_ARGUMENT;
  }
  unsigned id = 0;
  nvmlReturn_t r =
      s.shared->CreateGpuInstance(static_cast<int>(index), *model, *profile, where, &id);
  if (r == NVML_SUCCESS) *gpu_instance = &s.gpu_instances[index][id];
  return r;
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlDeviceSetMigMode(nvmlDevice_t device, unsigned int mode,
                                  nvmlReturn_t* activation_status) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned index = 0;
  if (nvmlReturn_t r = Device(s, device, &index); r != NVML_SUCCESS) return r;
  if (hami::sim::FindMigModel(s.gpus[index]) == nullptr) return NVML_ERROR_NOT_SUPPORTED;
  if (activation_status == nullptr ||
      (mode != NVML_DEVICE_MIG_DISABLE && mode != NVML_DEVICE_MIG_ENABLE)) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  *activation_status = s.shared->SetMigMode(static_cast<int>(index), mode);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfo(nvmlDevice_t device, unsigned int profile,
                                                 nvmlGpuInstanceProfileInfo_t* info) {
  NvmlState& s = State();
  Lock lock(s.mu);
  const GiProfile* p = nullptr;
  if (nvmlReturn_t r = GiProfileOf(s, device, profile, &p); r != NVML_SUCCESS) return r;
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  FillGiInfo(*p, info);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfoV(nvmlDevice_t device, unsigned int profile,
                                                  nvmlGpuInstanceProfileInfo_v2_t* info) {
  NvmlState& s = State();
  Lock lock(s.mu);
  const GiProfile* p = nullptr;
  if (nvmlReturn_t r = GiProfileOf(s, device, profile, &p); r != NVML_SUCCESS) return r;
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (info->version != nvmlGpuInstanceProfileInfo_v2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  nvmlGpuInstanceProfileInfo_t v1;
  FillGiInfo(*p, &v1);
  *info = nvmlGpuInstanceProfileInfo_v2_t{};
  info->version = nvmlGpuInstanceProfileInfo_v2;
  info->id = v1.id;
  info->isP2pSupported = v1.isP2pSupported;
  info->sliceCount = v1.sliceCount;
  info->instanceCount = v1.instanceCount;
  info->multiprocessorCount = v1.multiprocessorCount;
  info->copyEngineCount = v1.copyEngineCount;
  info->decoderCount = v1.decoderCount;
  info->encoderCount = v1.encoderCount;
  info->jpegCount = v1.jpegCount;
  info->ofaCount = v1.ofaCount;
  info->memorySizeMB = v1.memorySizeMB;
  std::snprintf(info->name, sizeof(info->name), "MIG %s", p->name);
  return NVML_SUCCESS;
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
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned index = 0;
  const MigModel* model = nullptr;
  const GiProfile* profile = nullptr;
  if (nvmlReturn_t r = GiProfileWithId(s, device, profile_id, &index, &model, &profile);
      r != NVML_SUCCESS) {
    return r;
  }
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  std::vector<MigPlacement> used;
  unsigned same = 0;
  for (const GpuInstanceRecord& gi : s.shared->GpuInstances(static_cast<int>(index))) {
    used.push_back(gi.placement);
    if (gi.profile_id == profile_id) ++same;
  }
  *count = hami::sim::RemainingGpuInstances(*profile, used, same);
  return NVML_SUCCESS;
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
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  return s.shared->DestroyGpuInstance(static_cast<int>(gi.index), gi.record.id);
}

nvmlReturn_t nvmlDeviceGetGpuInstances(nvmlDevice_t device, unsigned int profile_id,
                                       nvmlGpuInstance_t* gpu_instances, unsigned int* count) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned index = 0;
  const MigModel* model = nullptr;
  const GiProfile* profile = nullptr;
  if (nvmlReturn_t r = GiProfileWithId(s, device, profile_id, &index, &model, &profile);
      r != NVML_SUCCESS) {
    return r;
  }
  if (gpu_instances == nullptr || count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  unsigned n = 0;
  for (const GpuInstanceRecord& gi : s.shared->GpuInstances(static_cast<int>(index))) {
    if (gi.profile_id == profile_id) gpu_instances[n++] = &s.gpu_instances[index][gi.id];
  }
  *count = n;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceById(nvmlDevice_t device, unsigned int id,
                                          nvmlGpuInstance_t* gpu_instance) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned index = 0;
  const MigModel* model = nullptr;
  if (nvmlReturn_t r = MigGpu(s, device, &index, &model); r != NVML_SUCCESS) return r;
  if (gpu_instance == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  for (const GpuInstanceRecord& gi : s.shared->GpuInstances(static_cast<int>(index))) {
    if (gi.id == id) {
      *gpu_instance = &s.gpu_instances[index][gi.id];
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlGpuInstanceGetInfo(nvmlGpuInstance_t gpu_instance, nvmlGpuInstanceInfo_t* info) {
  NvmlState& s = State();
  Lock lock(s.mu);
  GiRef gi;
  if (nvmlReturn_t r = GpuInstance(s, gpu_instance, &gi); r != NVML_SUCCESS) return r;
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *info = nvmlGpuInstanceInfo_t{};
  info->device = &s.devices[gi.index];
  info->id = gi.record.id;
  info->profileId = gi.record.profile_id;
  info->placement = {gi.record.placement.start, gi.record.placement.size};
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int* count) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned index = 0;
  if (nvmlReturn_t r = Device(s, device, &index); r != NVML_SUCCESS) return r;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const MigModel* model = hami::sim::FindMigModel(s.gpus[index]);
  if (model == nullptr) return NVML_ERROR_NOT_SUPPORTED;
  *count = 0;
  if (s.shared->MigMode(static_cast<int>(index)).current != NVML_DEVICE_MIG_ENABLE) {
    return NVML_SUCCESS;
  }
  for (const GiProfile& p : model->profiles) *count = std::max(*count, p.instance_count);
  return NVML_SUCCESS;
}

}  // extern "C"
