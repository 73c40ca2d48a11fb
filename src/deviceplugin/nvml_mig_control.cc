// NvmlDeviceSource's dynamic MIG control (nvml_device_source.h): GPU instances at a placement, each
// with one compute instance spanning it, found again through NVML's MIG device handles.
#include <array>
#include <map>
#include <utility>

#include "deviceplugin/nvml_entry_points.h"

namespace hami::deviceplugin {
namespace {

using MigFns = NvmlDeviceSource::MigFunctions;
using Fns = NvmlDeviceSource::Functions;

std::string Where(const GpuInfo& gpu) { return "GPU " + gpu.uuid; }

std::string PlaceText(const model::Placement& p) {
  return "placement " + std::to_string(p.start) + "+" + std::to_string(p.size);
}

base::Status NvmlStatus(const Fns& fns, nvmlReturn_t rc, const std::string& what) {
  const std::string text = what + ": " + fns.error_string(rc);
  if (rc == NVML_ERROR_IN_USE) return base::FailedPrecondition(text);
  if (rc == NVML_ERROR_INSUFFICIENT_RESOURCES) return base::FailedPrecondition(text);
  return base::Unavailable(text);
}

// MIG device handle -> (GPU instance id -> (compute instance id, MIG UUID)).
std::map<uint32_t, std::pair<uint32_t, std::string>> MigDevices(const Fns& fns, const MigFns& mig,
                                                                nvmlDevice_t device) {
  std::map<uint32_t, std::pair<uint32_t, std::string>> out;
  unsigned int max = 0;
  if (mig.max_mig_devices(device, &max) != NVML_SUCCESS) return out;
  for (unsigned int i = 0; i < max; ++i) {
    nvmlDevice_t handle = nullptr;
    if (mig.mig_device_by_index(device, i, &handle) != NVML_SUCCESS) continue;
    unsigned int gi = 0, ci = 0;
    std::array<char, NVML_DEVICE_UUID_V2_BUFFER_SIZE> uuid{};
    if (mig.mig_gpu_instance_id(handle, &gi) != NVML_SUCCESS ||
        mig.mig_compute_instance_id(handle, &ci) != NVML_SUCCESS ||
        fns.uuid(handle, uuid.data(), uuid.size()) != NVML_SUCCESS) {
      continue;
    }
    out.emplace(gi, std::make_pair(ci, std::string(uuid.data())));
  }
  return out;
}

// The compute-instance profile whose slices equal the GPU instance's (the spanning one).
base::Result<unsigned int> SpanningCiProfile(const MigFns& mig, nvmlGpuInstance_t gi,
                                             int32_t slices, const std::string& where) {
  for (unsigned int c = 0; c < NVML_COMPUTE_INSTANCE_PROFILE_COUNT; ++c) {
    nvmlComputeInstanceProfileInfo_t info{};
    if (mig.ci_profile(gi, c, NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &info) != NVML_SUCCESS) {
      continue;
    }
    if (static_cast<int32_t>(info.sliceCount) == slices) return info.id;
  }
  return base::Unavailable(where + ": no compute-instance profile of " + std::to_string(slices) +
                           " slices");
}

base::Status DestroyGi(const Fns& fns, const MigFns& mig, nvmlGpuInstance_t gi,
                       const std::string& where) {
  for (unsigned int c = 0; c < NVML_COMPUTE_INSTANCE_PROFILE_COUNT; ++c) {
    nvmlComputeInstanceProfileInfo_t info{};
    if (mig.ci_profile(gi, c, NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &info) != NVML_SUCCESS) {
      continue;
    }
    std::array<nvmlComputeInstance_t, 8> cis{};
    unsigned int count = cis.size();
    if (mig.compute_instances(gi, info.id, cis.data(), &count) != NVML_SUCCESS) continue;
    for (unsigned int i = 0; i < count && i < cis.size(); ++i) {
      nvmlReturn_t rc = mig.destroy_compute_instance(cis[i]);
      if (rc != NVML_SUCCESS) return NvmlStatus(fns, rc, where + ": destroy compute instance");
    }
  }
  nvmlReturn_t rc = mig.destroy_gpu_instance(gi);
  if (rc != NVML_SUCCESS) return NvmlStatus(fns, rc, where + ": destroy GPU instance");
  return {};
}

}  // namespace

std::unique_ptr<NvmlDeviceSource::MigFunctions> NvmlDeviceSource::ResolveMig(void* handle) {
  auto m = std::make_unique<MigFunctions>();
  const bool ok =
      Resolve(handle, "nvmlDeviceGetGpuInstances", m->gpu_instances) &&
      Resolve(handle, "nvmlGpuInstanceGetInfo", m->gpu_instance_info) &&
      Resolve(handle, "nvmlDeviceGetGpuInstanceById", m->gpu_instance_by_id) &&
      Resolve(handle, "nvmlDeviceCreateGpuInstanceWithPlacement", m->create_gpu_instance) &&
      Resolve(handle, "nvmlGpuInstanceDestroy", m->destroy_gpu_instance) &&
      Resolve(handle, "nvmlGpuInstanceGetComputeInstanceProfileInfo", m->ci_profile) &&
      Resolve(handle, "nvmlGpuInstanceCreateComputeInstance", m->create_compute_instance) &&
      Resolve(handle, "nvmlGpuInstanceGetComputeInstances", m->compute_instances) &&
      Resolve(handle, "nvmlComputeInstanceGetInfo", m->compute_instance_info) &&
      Resolve(handle, "nvmlComputeInstanceDestroy", m->destroy_compute_instance) &&
      Resolve(handle, "nvmlDeviceGetMaxMigDeviceCount", m->max_mig_devices) &&
      Resolve(handle, "nvmlDeviceGetMigDeviceHandleByIndex", m->mig_device_by_index) &&
      Resolve(handle, "nvmlDeviceGetGpuInstanceId", m->mig_gpu_instance_id) &&
      Resolve(handle, "nvmlDeviceGetComputeInstanceId", m->mig_compute_instance_id);
  return ok ? std::move(m) : nullptr;
}

base::Result<std::vector<MigInstance>> NvmlDeviceSource::MigInstances(const GpuInfo& gpu) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!mig_fns_) return base::Unimplemented("NVML library has no MIG control");
  nvmlDevice_t device = nullptr;
  nvmlReturn_t rc = fns_->by_uuid(gpu.uuid.c_str(), &device);
  if (rc != NVML_SUCCESS) return NvmlStatus(*fns_, rc, Where(gpu));
  const auto devices = MigDevices(*fns_, *mig_fns_, device);
  std::vector<MigInstance> out;
  for (const auto& profile : gpu.mig_profiles) {
    std::array<nvmlGpuInstance_t, 8> gis{};
    unsigned int count = gis.size();
    rc = mig_fns_->gpu_instances(device, profile.profile_id, gis.data(), &count);
    if (rc != NVML_SUCCESS) {
      return NvmlStatus(*fns_, rc, Where(gpu) + ": list " + profile.name + " instances");
    }
    for (unsigned int i = 0; i < count && i < gis.size(); ++i) {
      nvmlGpuInstanceInfo_t info{};
      if (mig_fns_->gpu_instance_info(gis[i], &info) != NVML_SUCCESS) continue;
      MigInstance instance;
      instance.gpu_uuid = gpu.uuid;
      instance.profile = profile.name;
      instance.placement = {static_cast<int32_t>(info.placement.start),
                            static_cast<int32_t>(info.placement.size)};
      instance.gpu_instance_id = info.id;
      if (auto it = devices.find(info.id); it != devices.end()) {
        instance.compute_instance_id = it->second.first;
        instance.mig_uuid = it->second.second;
      }
      out.push_back(std::move(instance));
    }
  }
  return out;
}

base::Result<MigInstance> NvmlDeviceSource::CreateMigInstance(const GpuInfo& gpu,
                                                              const MigProfileInfo& profile,
                                                              const model::Placement& placement) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!mig_fns_) return base::Unimplemented("NVML library has no MIG control");
  const std::string where = Where(gpu) + ": " + profile.name + " at " + PlaceText(placement);
  nvmlDevice_t device = nullptr;
  nvmlReturn_t rc = fns_->by_uuid(gpu.uuid.c_str(), &device);
  if (rc != NVML_SUCCESS) return NvmlStatus(*fns_, rc, where);
  const nvmlGpuInstancePlacement_t at{static_cast<unsigned int>(placement.start),
                                      static_cast<unsigned int>(placement.size)};
  nvmlGpuInstance_t gi = nullptr;
  rc = mig_fns_->create_gpu_instance(device, profile.profile_id, &at, &gi);
  if (rc != NVML_SUCCESS) return NvmlStatus(*fns_, rc, where + ": create GPU instance");
  nvmlGpuInstanceInfo_t gi_info{};
  rc = mig_fns_->gpu_instance_info(gi, &gi_info);
  auto ci_profile = SpanningCiProfile(*mig_fns_, gi, profile.slice_count, where);
  nvmlComputeInstance_t ci = nullptr;
  nvmlComputeInstanceInfo_t ci_info{};
  base::Status failed;
  if (rc != NVML_SUCCESS) {
    failed = NvmlStatus(*fns_, rc, where + ": read the GPU instance");
  } else if (!ci_profile.ok()) {
    failed = ci_profile.error();
  } else if (rc = mig_fns_->create_compute_instance(gi, *ci_profile, &ci); rc != NVML_SUCCESS) {
    failed = NvmlStatus(*fns_, rc, where + ": create compute instance");
  } else if (rc = mig_fns_->compute_instance_info(ci, &ci_info); rc != NVML_SUCCESS) {
    failed = NvmlStatus(*fns_, rc, where + ": read the compute instance");
  }
  MigInstance instance;
  if (failed.ok()) {
    instance.gpu_uuid = gpu.uuid;
    instance.profile = profile.name;
    instance.placement = {static_cast<int32_t>(gi_info.placement.start),
                          static_cast<int32_t>(gi_info.placement.size)};
    instance.gpu_instance_id = gi_info.id;
    instance.compute_instance_id = ci_info.id;
    auto devices = MigDevices(*fns_, *mig_fns_, device);
    auto it = devices.find(gi_info.id);
    if (it == devices.end() || it->second.first != ci_info.id) {
      failed = base::Unavailable(where + ": the new instance has no MIG device");
    } else {
      instance.mig_uuid = it->second.second;
    }
  }
  if (failed.ok()) return instance;
  if (auto undo = DestroyGi(*fns_, *mig_fns_, gi, where); !undo.ok()) {
    return base::Status(failed.code(), failed.message() + "; undoing it failed: " + undo.message());
  }
  return failed;
}

base::Status NvmlDeviceSource::DestroyMigInstance(const GpuInfo& gpu, uint32_t gpu_instance_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!mig_fns_) return base::Unimplemented("NVML library has no MIG control");
  const std::string where = Where(gpu) + ": GPU instance " + std::to_string(gpu_instance_id);
  nvmlDevice_t device = nullptr;
  nvmlReturn_t rc = fns_->by_uuid(gpu.uuid.c_str(), &device);
  if (rc != NVML_SUCCESS) return NvmlStatus(*fns_, rc, where);
  nvmlGpuInstance_t gi = nullptr;
  rc = mig_fns_->gpu_instance_by_id(device, gpu_instance_id, &gi);
  if (rc == NVML_ERROR_NOT_FOUND) return {};  // already gone
  if (rc != NVML_SUCCESS) return NvmlStatus(*fns_, rc, where);
  return DestroyGi(*fns_, *mig_fns_, gi, where);
}

base::Result<std::vector<MigInstance>> DeviceSource::MigInstances(const GpuInfo&) {
  return base::Unimplemented("this device source has no MIG control");
}
base::Result<MigInstance> DeviceSource::CreateMigInstance(const GpuInfo&, const MigProfileInfo&,
                                                          const model::Placement&) {
  return base::Unimplemented("this device source has no MIG control");
}
base::Status DeviceSource::DestroyMigInstance(const GpuInfo&, uint32_t) {
  return base::Unimplemented("this device source has no MIG control");
}

}  // namespace hami::deviceplugin
