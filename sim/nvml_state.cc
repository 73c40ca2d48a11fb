#include "sim/nvml_state.h"

#include <cstdint>
#include <cstring>

namespace hami::sim::nvml {
namespace {

// True when `p` points at an element of `array` (any shape), an array of T.
template <typename T, typename Array>
bool HandleIn(const T* p, const Array& array) {
  const auto first = reinterpret_cast<uintptr_t>(&array);
  const auto at = reinterpret_cast<uintptr_t>(p);
  return at >= first && at < first + sizeof(array) && (at - first) % sizeof(T) == 0;
}

}  // namespace

NvmlState& State() {
  static NvmlState* state = new NvmlState();  // never destroyed: usable from atexit handlers
  return *state;
}

nvmlReturn_t Device(NvmlState& s, nvmlDevice_t device, unsigned* index) {
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (device < s.devices || device >= s.devices + s.gpus.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *index = device->index;
  return NVML_SUCCESS;
}

nvmlReturn_t Reachable(NvmlState& s, unsigned index) {
  return s.shared != nullptr && s.shared->Lost(static_cast<int>(index)) ? NVML_ERROR_GPU_IS_LOST
                                                                        : NVML_SUCCESS;
}

nvmlReturn_t AnyDevice(NvmlState& s, nvmlDevice_t device, DeviceRef* ref) {
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  unsigned index = 0;
  if (Device(s, device, &index) == NVML_SUCCESS) {
    *ref = DeviceRef{index};
    return NVML_SUCCESS;
  }
  if (!HandleIn(device, s.mig_devices) || device->index >= s.gpus.size()) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  DeviceRef mig{device->index, device->gi, device->ci};
  VisibleDevice v{static_cast<int>(mig.index), mig.gi, mig.ci};
  if (!MigDeviceSpec(*s.shared, s.gpus[mig.index], v)) return NVML_ERROR_INVALID_ARGUMENT;
  *ref = mig;
  return NVML_SUCCESS;
}

GpuSpec SpecOf(NvmlState& s, const DeviceRef& ref) {
  if (!ref.mig()) return s.gpus[ref.index];
  VisibleDevice v{static_cast<int>(ref.index), ref.gi, ref.ci};
  return MigDeviceSpec(*s.shared, s.gpus[ref.index], v).value_or(s.gpus[ref.index]);
}

nvmlReturn_t CopyString(const std::string& value, char* out, unsigned length) {
  if (out == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (length < value.size() + 1) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(out, value.c_str(), value.size() + 1);
  return NVML_SUCCESS;
}

void InitHandles(NvmlState& s) {
  for (unsigned i = 0; i < hami::sim::kMaxGpus; ++i) {
    s.devices[i] = {i, -1, -1};
    for (unsigned g = 0; g < hami::sim::kMaxGpuInstances; ++g) {
      s.gpu_instances[i][g] = {i, g};
      for (unsigned c = 0; c < hami::sim::kMaxComputeInstances; ++c) {
        s.mig_devices[i][g][c] = {i, static_cast<int>(g), static_cast<int>(c)};
        s.compute_instances[i][g][c] = {i, g, c};
      }
    }
  }
}

nvmlReturn_t MigGpu(NvmlState& s, nvmlDevice_t device, MigGpuRef* ref) {
  if (nvmlReturn_t r = Device(s, device, &ref->index); r != NVML_SUCCESS) return r;
  ref->model = hami::sim::FindMigModel(s.gpus[ref->index]);
  if (ref->model == nullptr) return NVML_ERROR_NOT_SUPPORTED;
  if (s.shared->MigMode(static_cast<int>(ref->index)).current != NVML_DEVICE_MIG_ENABLE) {
    return NVML_ERROR_NOT_SUPPORTED;
  }
  return NVML_SUCCESS;
}

nvmlReturn_t GpuInstance(NvmlState& s, nvmlGpuInstance_t handle, GiRef* ref) {
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (!HandleIn(handle, s.gpu_instances) || handle->index >= s.gpus.size()) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  const MigModel* model = hami::sim::FindMigModel(s.gpus[handle->index]);
  if (model == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  for (const GpuInstanceRecord& gi : s.shared->GpuInstances(static_cast<int>(handle->index))) {
    if (gi.id != handle->id) continue;
    ref->index = handle->index;
    ref->record = gi;
    ref->profile = hami::sim::GiProfileById(*model, gi.profile_id);
    return ref->profile != nullptr ? NVML_SUCCESS : NVML_ERROR_INVALID_ARGUMENT;
  }
  return NVML_ERROR_INVALID_ARGUMENT;
}

nvmlReturn_t ComputeInstance(NvmlState& s, nvmlComputeInstance_t handle, CiRef* ref) {
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (!HandleIn(handle, s.compute_instances)) return NVML_ERROR_INVALID_ARGUMENT;
  nvmlGpuInstance_t gi = &s.gpu_instances[handle->index][handle->gi];
  if (nvmlReturn_t r = GpuInstance(s, gi, &ref->gi); r != NVML_SUCCESS) return r;
  for (const ComputeInstanceRecord& ci :
       s.shared->ComputeInstances(static_cast<int>(handle->index), handle->gi)) {
    if (ci.id == handle->id) {
      ref->record = ci;
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_INVALID_ARGUMENT;
}

}  // namespace hami::sim::nvml
