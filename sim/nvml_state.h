// The simulated NVML's per-process state and the handle checks its entry points share
// (nvml_exports.cc: devices, memory, processes; nvml_mig.cc, nvml_mig_compute.cc: MIG).
//
// Handles are pointers into fixed arrays of NvmlState, so they stay valid for the process's life
// and are validated on every use: a GPU (gi < 0), a MIG device (compute instance ci of GPU
// instance gi of GPU index), a GPU instance and a compute instance. MIG handles are accepted only
// while their instance exists in the shared state. Entry points hold NvmlState::mu while they run
// (lock order: NvmlState::mu, then the shared state's mutexes).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gpuapi/nvml_types.h"
#include "sim/config.h"
#include "sim/mig_profiles.h"
#include "sim/shared_state.h"

struct nvmlDevice_st {
  unsigned index;
  int gi;  // -1: the GPU itself
  int ci;
};

struct nvmlGpuInstance_st {
  unsigned index;
  unsigned id;
};

struct nvmlComputeInstance_st {
  unsigned index;
  unsigned gi;
  unsigned id;
};

// An event set: per GPU registered, the event types and the number of the next XID event to
// deliver (nvml_events.cc). Owned by NvmlState::event_sets; guarded by NvmlState::mu.
struct nvmlEventSet_st {
  struct Registration {
    unsigned index = 0;
    unsigned long long types = 0;
    uint64_t next_seq = 1;
    int stalls = 0;  // polls that found next_seq posted but not yet readable
  };
  std::vector<Registration> registrations;
};

namespace hami::sim::nvml {

using Lock = std::lock_guard<std::mutex>;

struct NvmlState {
  std::mutex mu;
  int refcount = 0;
  std::vector<GpuSpec> gpus;
  SimOptions options;
  std::unique_ptr<SharedState> shared;
  nvmlDevice_st devices[kMaxGpus];
  nvmlDevice_st mig_devices[kMaxGpus][kMaxGpuInstances][kMaxComputeInstances];
  nvmlGpuInstance_st gpu_instances[kMaxGpus][kMaxGpuInstances];
  nvmlComputeInstance_st compute_instances[kMaxGpus][kMaxGpuInstances][kMaxComputeInstances];
  std::map<const nvmlEventSet_st*, std::unique_ptr<nvmlEventSet_st>> event_sets;  // live handles
};

// The process's state (never destroyed: usable from atexit handlers).
NvmlState& State();

// Checks initialization and a GPU handle (not a MIG device); *index is the GPU index.
nvmlReturn_t Device(NvmlState& s, nvmlDevice_t device, unsigned* index);

// NVML_ERROR_GPU_IS_LOST while GPU `index` is lost (an injected fault, docs/sim.md), else
// NVML_SUCCESS. Checked by the calls that read the hardware; identity queries still answer.
nvmlReturn_t Reachable(NvmlState& s, unsigned index);

// A GPU or a live MIG device.
struct DeviceRef {
  unsigned index = 0;
  int gi = -1;
  int ci = -1;
  bool mig() const { return gi >= 0; }
};
nvmlReturn_t AnyDevice(NvmlState& s, nvmlDevice_t device, DeviceRef* ref);

// The description of `ref`: the GPU's spec, or its MIG device's (MigDeviceSpec).
GpuSpec SpecOf(NvmlState& s, const DeviceRef& ref);

nvmlReturn_t CopyString(const std::string& value, char* out, unsigned length);

// Points every handle of the fixed arrays at its GPU, instance and compute instance.
void InitHandles(NvmlState& s);

// A GPU handle with a MIG table, in MIG mode: its index and table. NOT_SUPPORTED otherwise.
struct MigGpuRef {
  unsigned index = 0;
  const MigModel* model = nullptr;
};
nvmlReturn_t MigGpu(NvmlState& s, nvmlDevice_t device, MigGpuRef* ref);

// A GPU-instance handle whose instance exists: its GPU, record and profile.
struct GiRef {
  unsigned index = 0;
  GpuInstanceRecord record;
  const GiProfile* profile = nullptr;
};
nvmlReturn_t GpuInstance(NvmlState& s, nvmlGpuInstance_t handle, GiRef* ref);

// A compute-instance handle whose instance exists.
struct CiRef {
  GiRef gi;
  ComputeInstanceRecord record;
};
nvmlReturn_t ComputeInstance(NvmlState& s, nvmlComputeInstance_t handle, CiRef* ref);

// The shape every entry point shares: under s.mu, `lookup` (Device, AnyDevice, MigGpu,
// GpuInstance or ComputeInstance) checks `handle`, and its error is the answer; otherwise
// `answer(s, ref)` gives it, still under s.mu.
template <typename Handle, typename Ref, typename Answer>
nvmlReturn_t WithHandle(Handle handle, nvmlReturn_t (*lookup)(NvmlState&, Handle, Ref*),
                        Answer&& answer) {
  NvmlState& s = State();
  Lock lock(s.mu);
  Ref ref{};
  if (nvmlReturn_t r = lookup(s, handle, &ref); r != NVML_SUCCESS) return r;
  return answer(s, static_cast<const Ref&>(ref));
}

}  // namespace hami::sim::nvml
