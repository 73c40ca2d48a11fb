// The simulated NVML (libnvidia-ml.so.1): devices from HAMI_SIM_GPUS, memory, processes and
// utilization read from the shared machine state that the simulated CUDA driver writes.
//
// NVML indexes every configured GPU (CUDA_VISIBLE_DEVICES does not apply, as with the real
// library). Utilization is the busy fraction of the GPU's timeline over the last
// HAMI_SIM_UTIL_WINDOW_MS; temperature and power follow it. A GPU lost to an injected fault
// (hami-sim-ctl) answers NVML_ERROR_GPU_IS_LOST to the calls that read its hardware (memory,
// utilization, processes, temperature, power) and still reports its identity. Thread-safe.
#include <time.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gpuapi/nvml_functions.h"
#include "sim/config.h"
#include "sim/cuda_errors.h"
#include "sim/device_attributes.h"
#include "sim/nvml_state.h"
#include "sim/shared_state.h"

namespace {

using hami::sim::SharedState;
using hami::sim::nvml::AnyDevice;
using hami::sim::nvml::CopyString;
using hami::sim::nvml::Device;
using hami::sim::nvml::DeviceRef;
using hami::sim::nvml::InitHandles;
using hami::sim::nvml::Lock;
using hami::sim::nvml::NvmlState;
using hami::sim::nvml::Reachable;
using hami::sim::nvml::SpecOf;
using hami::sim::nvml::State;

nvmlReturn_t Initialize(NvmlState& s) {
  if (s.refcount > 0) {
    ++s.refcount;
    return NVML_SUCCESS;
  }
  auto gpus = hami::sim::ParseGpuList(hami::sim::ProcessEnv("HAMI_SIM_GPUS").value_or(""),
                                      hami::sim::ReadWholeFile);
  auto options = hami::sim::ParseOptions(hami::sim::ProcessEnv);
  if (!gpus.ok() || !options.ok()) {
    std::fprintf(stderr, "hami-sim: %s\n",
                 (!gpus.ok() ? gpus.error() : options.error()).message().c_str());
    return NVML_ERROR_DRIVER_NOT_LOADED;
  }
  auto mig = hami::sim::ParseMigGpus(options->mig, *gpus);
  if (!mig.ok()) {
    std::fprintf(stderr, "hami-sim: %s\n", mig.error().message().c_str());
    return NVML_ERROR_DRIVER_NOT_LOADED;
  }
  s.gpus = std::move(gpus).value();
  s.options = std::move(options).value();
  s.shared.reset();
  if (!s.gpus.empty()) {
    std::string path = s.options.state_path;
    if (path.empty()) {
      path = hami::sim::DefaultStatePath(hami::sim::ConfigDigest(s.gpus),
                                         access("/dev/shm", W_OK) == 0);
    }
    auto shared = SharedState::Open(path, s.gpus, *mig);
    if (!shared.ok()) {
      std::fprintf(stderr, "hami-sim: %s\n", shared.error().message().c_str());
      return NVML_ERROR_DRIVER_NOT_LOADED;
    }
    s.shared = std::move(shared).value();
  }
  InitHandles(s);
  s.refcount = 1;
  return NVML_SUCCESS;
}

unsigned Utilization(NvmlState& s, unsigned index) {
  int64_t window = static_cast<int64_t>(s.options.util_window_ms) * 1000000;
  int64_t now = hami::sim::MonotonicNowNs();
  int64_t busy = s.shared->BusyNs(static_cast<int>(index), now - window, now, 0);
  return static_cast<unsigned>(std::min<int64_t>(100, (busy * 100 + window / 2) / window));
}

template <typename Info>
nvmlReturn_t RunningProcesses(nvmlDevice_t device, unsigned* count, Info* infos) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (nvmlReturn_t r = Reachable(s, ref.index); r != NVML_SUCCESS) return r;
  auto processes = s.shared->Processes(static_cast<int>(ref.index));
  if (ref.mig()) {  // a MIG device lists the processes running on it
    std::erase_if(processes, [&](const hami::sim::ProcessUsage& p) {
      return p.gpu_instance != ref.gi || p.compute_instance != ref.ci;
    });
  }
  if (*count < processes.size() || (infos == nullptr && !processes.empty())) {
    *count = static_cast<unsigned>(processes.size());
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (size_t i = 0; i < processes.size(); ++i) {
    Info info{};
    info.pid = static_cast<unsigned>(processes[i].pid);
    info.usedGpuMemory = processes[i].used_bytes;
    if constexpr (sizeof(Info) == sizeof(nvmlProcessInfo_v2_t)) {
      const bool mig = processes[i].gpu_instance >= 0;
      info.gpuInstanceId =
          mig ? static_cast<unsigned>(processes[i].gpu_instance) : NVML_VALUE_NOT_AVAILABLE_UINT;
      info.computeInstanceId = mig ? static_cast<unsigned>(processes[i].compute_instance)
                                   : NVML_VALUE_NOT_AVAILABLE_UINT;
    }
    infos[i] = info;
  }
  *count = static_cast<unsigned>(processes.size());
  return NVML_SUCCESS;
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlInit_v2(void) {
  NvmlState& s = State();
  Lock lock(s.mu);
  return Initialize(s);
}

nvmlReturn_t nvmlInit(void) { return nvmlInit_v2(); }

nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
  if ((flags & ~(NVML_INIT_FLAG_NO_GPUS | NVML_INIT_FLAG_NO_ATTACH)) != 0) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  return nvmlInit_v2();
}

nvmlReturn_t nvmlShutdown(void) {
  NvmlState& s = State();
  Lock lock(s.mu);
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (--s.refcount == 0) s.shared.reset();
  return NVML_SUCCESS;
}

const char* nvmlErrorString(nvmlReturn_t result) {
  switch (result) {
    case NVML_SUCCESS:
      return "Success";
    case NVML_ERROR_UNINITIALIZED:
      return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT:
      return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
      return "Not Supported";
    case NVML_ERROR_NO_PERMISSION:
      return "Insufficient Permissions";
    case NVML_ERROR_ALREADY_INITIALIZED:
      return "Already Initialized";
    case NVML_ERROR_NOT_FOUND:
      return "Not Found";
    case NVML_ERROR_INSUFFICIENT_SIZE:
      return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED:
      return "Driver Not Loaded";
    case NVML_ERROR_TIMEOUT:
      return "Timeout";
    case NVML_ERROR_FUNCTION_NOT_FOUND:
      return "Function Not Found";
    case NVML_ERROR_GPU_IS_LOST:
      return "GPU is lost";
    case NVML_ERROR_MEMORY:
      return "Insufficient Memory";
    case NVML_ERROR_IN_USE:
      return "In use by another client";
    case NVML_ERROR_NO_DATA:
      return "No data";
    case NVML_ERROR_INSUFFICIENT_RESOURCES:
      return "Insufficient resources";
    case NVML_ERROR_ARGUMENT_VERSION_MISMATCH:
      return "Argument version mismatch";
    default:
      return "Unknown Error";
  }
}

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  return CopyString(hami::sim::kSimDriverRelease, version, length);
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned int length) {
  return CopyString(std::string("12.") + hami::sim::kSimDriverRelease, version, length);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* cuda_driver_version) {
  if (cuda_driver_version == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *cuda_driver_version = hami::sim::kSimCudaDriverVersion;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* cuda_driver_version) {
  return nvmlSystemGetCudaDriverVersion(cuda_driver_version);
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* device_count) {
  NvmlState& s = State();
  Lock lock(s.mu);
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (device_count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *device_count = static_cast<unsigned>(s.gpus.size());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int* device_count) {
  return nvmlDeviceGetCount_v2(device_count);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  NvmlState& s = State();
  Lock lock(s.mu);
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (device == nullptr || index >= s.gpus.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *device = &s.devices[index];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t* device) {
  return nvmlDeviceGetHandleByIndex_v2(index, device);
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char* uuid, nvmlDevice_t* device) {
  NvmlState& s = State();
  Lock lock(s.mu);
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (uuid == nullptr || device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  for (size_t i = 0; i < s.gpus.size(); ++i) {
    if (s.gpus[i].uuid == uuid) {
      *device = &s.devices[i];
      return NVML_SUCCESS;
    }
  }
  if (s.shared != nullptr) {
    if (auto mig = hami::sim::FindMigDevice(*s.shared, s.gpus, uuid)) {
      *device = &s.mig_devices[mig->phys][mig->gi][mig->ci];
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char* pci_bus_id, nvmlDevice_t* device) {
  NvmlState& s = State();
  Lock lock(s.mu);
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (pci_bus_id == nullptr || device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  hami::sim::PciAddress want = hami::sim::ParsePciBusId(pci_bus_id);
  for (size_t i = 0; i < s.gpus.size(); ++i) {
    hami::sim::PciAddress have = hami::sim::ParsePciBusId(s.gpus[i].pci_bus_id);
    if (have.domain == want.domain && have.bus == want.bus && have.device == want.device) {
      *device = &s.devices[i];
      return NVML_SUCCESS;
    }
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int* index) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (index == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *index = i;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  return CopyString(SpecOf(s, ref).uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  return CopyString(SpecOf(s, ref).name, name, length);
}

nvmlReturn_t nvmlDeviceGetSerial(nvmlDevice_t device, char* serial, unsigned int length) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  std::string digits;  // 13 decimal digits derived from the UUID
  for (char c : s.gpus[i].uuid) {
    if (c >= '0' && c <= '9' && digits.size() < 13) digits += c;
  }
  digits.resize(13, '0');
  return CopyString(digits, serial, length);
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int* minor_number) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (minor_number == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *minor_number = i;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (pci == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  hami::sim::PciAddress a = hami::sim::ParsePciBusId(s.gpus[i].pci_bus_id);
  *pci = nvmlPciInfo_t{};
  std::snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.0", a.domain & 0xffff,
                a.bus, a.device);
  std::snprintf(pci->busId, sizeof(pci->busId), "%08X:%02X:%02X.0", a.domain, a.bus, a.device);
  pci->domain = a.domain;
  pci->bus = a.bus;
  pci->device = a.device;
  pci->pciDeviceId = s.gpus[i].pci_device_id;
  pci->pciSubSystemId = (s.gpus[i].pci_device_id & 0xffff0000u) | 0x10DE;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int* major, int* minor) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  if (major == nullptr || minor == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *major = s.gpus[ref.index].cc_major;
  *minor = s.gpus[ref.index].cc_minor;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device, nvmlDeviceArchitecture_t* arch) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  if (arch == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *arch = s.gpus[ref.index].architecture;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetNumaNodeId(nvmlDevice_t device, unsigned int* node) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (node == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (s.gpus[i].numa_node < 0) return NVML_ERROR_NOT_SUPPORTED;
  *node = static_cast<unsigned>(s.gpus[i].numa_node);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int* current_mode,
                                  unsigned int* pending_mode) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (current_mode == nullptr || pending_mode == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (!s.gpus[i].mig_capable) return NVML_ERROR_NOT_SUPPORTED;
  hami::sim::MigModeValues mode = s.shared->MigMode(static_cast<int>(i));
  *current_mode = mode.current;
  *pending_mode = mode.pending;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  NvmlState& s = State();
  Lock lock(s.mu);
  DeviceRef ref;
  if (nvmlReturn_t r = AnyDevice(s, device, &ref); r != NVML_SUCCESS) return r;
  if (memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (nvmlReturn_t r = Reachable(s, ref.index); r != NVML_SUCCESS) return r;
  s.shared->ReclaimDead();
  const int i = static_cast<int>(ref.index);
  // A MIG device has its GPU instance's memory, used by the processes running on it.
  uint64_t total = ref.mig() ? SpecOf(s, ref).memory_bytes : s.shared->TotalBytes(i);
  uint64_t used = std::min(
      ref.mig() ? s.shared->MigUsedBytes(i, static_cast<unsigned>(ref.gi)) : s.shared->UsedBytes(i),
      total);
  *memory = nvmlMemory_t{total, total - used, used};
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory) {
  if (memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (memory->version != nvmlMemory_v2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  nvmlMemory_t v1;
  if (nvmlReturn_t r = nvmlDeviceGetMemoryInfo(device, &v1); r != NVML_SUCCESS) return r;
  memory->total = v1.total;
  memory->reserved = 0;
  memory->free = v1.free;
  memory->used = v1.used;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* utilization) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (utilization == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (nvmlReturn_t r = Reachable(s, i); r != NVML_SUCCESS) return r;
  utilization->gpu = Utilization(s, i);
  utilization->memory = 0;  // memory traffic is not simulated
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t device,
                                             nvmlProcessUtilizationSample_t* utilization,
                                             unsigned int* process_samples_count,
                                             unsigned long long last_seen_time_stamp) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (process_samples_count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (nvmlReturn_t r = Reachable(s, i); r != NVML_SUCCESS) return r;
  // Samples cover (max(now - window, last seen), now]; last_seen is CPU time in microseconds.
  timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  int64_t real_us = static_cast<int64_t>(real.tv_sec) * 1000000 + real.tv_nsec / 1000;
  int64_t now = hami::sim::MonotonicNowNs();
  int64_t from = now - static_cast<int64_t>(s.options.util_window_ms) * 1000000;
  if (last_seen_time_stamp != 0) {
    int64_t seen = now - (real_us - static_cast<int64_t>(last_seen_time_stamp)) * 1000;
    from = std::max(from, seen);
  }
  if (from >= now) return NVML_ERROR_NOT_FOUND;
  auto pids = s.shared->ActivePids(static_cast<int>(i), from, now);
  if (pids.empty()) return NVML_ERROR_NOT_FOUND;
  if (utilization == nullptr || *process_samples_count < pids.size()) {
    *process_samples_count = static_cast<unsigned>(pids.size());
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  for (size_t k = 0; k < pids.size(); ++k) {
    int64_t busy = s.shared->BusyNs(static_cast<int>(i), from, now, pids[k]);
    utilization[k] = nvmlProcessUtilizationSample_t{};
    utilization[k].pid = static_cast<unsigned>(pids[k]);
    utilization[k].timeStamp = static_cast<unsigned long long>(real_us);
    utilization[k].smUtil =
        static_cast<unsigned>(std::min<int64_t>(100, busy * 100 / (now - from)));
  }
  *process_samples_count = static_cast<unsigned>(pids.size());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int* info_count,
                                                  nvmlProcessInfo_v1_t* infos) {
  return RunningProcesses(device, info_count, infos);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device, unsigned int* info_count,
                                                     nvmlProcessInfo_v2_t* infos) {
  return RunningProcesses(device, info_count, infos);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int* info_count,
                                                     nvmlProcessInfo_t* infos) {
  return RunningProcesses(device, info_count, infos);
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensor,
                                      unsigned int* temp) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (temp == nullptr || sensor != NVML_TEMPERATURE_GPU) return NVML_ERROR_INVALID_ARGUMENT;
  if (nvmlReturn_t r = Reachable(s, i); r != NVML_SUCCESS) return r;
  *temp = 30 + Utilization(s, i) * 45 / 100;  // idle 30 C .. busy 75 C
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* milliwatts) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (milliwatts == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (nvmlReturn_t r = Reachable(s, i); r != NVML_SUCCESS) return r;
  *milliwatts = 50000 + Utilization(s, i) * 3000;  // idle 50 W .. busy 350 W
  return NVML_SUCCESS;
}

}  // extern "C"
