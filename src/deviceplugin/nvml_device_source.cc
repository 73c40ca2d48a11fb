#include "deviceplugin/nvml_device_source.h"

#include <dlfcn.h>

#include <cstring>
#include <fstream>

#include "base/strings.h"
#include "deviceplugin/nvml_entry_points.h"

namespace hami::deviceplugin {

namespace {

// NUMA node of a PCI device from sysfs ("00000000:3B:00.0" -> /sys/bus/pci/devices/0000:3b:00.0).
int32_t SysfsNuma(const std::string& bus_id) {
  if (bus_id.size() < 12) return 0;
  std::string id = base::ToLower(bus_id.substr(bus_id.size() - 12));
  std::ifstream in("/sys/bus/pci/devices/" + id + "/numa_node");
  int value = -1;
  if (!(in >> value) || value < 0) return 0;
  return value;
}

// Every GPU-instance profile of a MIG-mode GPU (NVML_GPU_INSTANCE_PROFILE_* constants the GPU
// supports), with its possible placements; empty when the library lacks the MIG calls.
std::vector<MigProfileInfo> MigProfiles(const NvmlDeviceSource::Functions& fns,
                                        nvmlDevice_t device) {
  std::vector<MigProfileInfo> out;
  if (fns.mig_profile == nullptr || fns.mig_placements == nullptr) return out;
  for (unsigned int constant = 0; constant < NVML_GPU_INSTANCE_PROFILE_COUNT; ++constant) {
    nvmlGpuInstanceProfileInfo_v2_t info{};
    info.version = nvmlGpuInstanceProfileInfo_v2;
    if (fns.mig_profile(device, constant, &info) != NVML_SUCCESS) continue;
    MigProfileInfo profile;
    std::string name(info.name, strnlen(info.name, sizeof(info.name)));
    profile.name = base::StartsWith(name, "MIG ") ? name.substr(4) : name;
    profile.profile_id = info.id;
    profile.slice_count = static_cast<int32_t>(info.sliceCount);
    profile.instance_count = static_cast<int32_t>(info.instanceCount);
    profile.sms = static_cast<int32_t>(info.multiprocessorCount);
    profile.memory_mib = static_cast<int64_t>(info.memorySizeMB);
    unsigned int count = 0;
    if (fns.mig_placements(device, info.id, nullptr, &count) == NVML_SUCCESS && count > 0) {
      std::vector<nvmlGpuInstancePlacement_t> placements(count);
      if (fns.mig_placements(device, info.id, placements.data(), &count) == NVML_SUCCESS) {
        for (unsigned int i = 0; i < count && i < placements.size(); ++i) {
          profile.placements.push_back({static_cast<int32_t>(placements[i].start),
                                        static_cast<int32_t>(placements[i].size)});
        }
      }
    }
    out.push_back(std::move(profile));
  }
  return out;
}

}  // namespace

base::Result<std::unique_ptr<NvmlDeviceSource>> NvmlDeviceSource::Open(const std::string& library) {
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    return base::FailedPrecondition("load NVML " + library + ": " + (err ? err : "unknown"));
  }
  auto fns = std::make_unique<Functions>();
  bool ok = Resolve(handle, "nvmlInit_v2", fns->init) &&
            Resolve(handle, "nvmlShutdown", fns->shutdown) &&
            Resolve(handle, "nvmlErrorString", fns->error_string) &&
            Resolve(handle, "nvmlDeviceGetCount_v2", fns->count) &&
            Resolve(handle, "nvmlDeviceGetHandleByIndex_v2", fns->by_index) &&
            Resolve(handle, "nvmlDeviceGetHandleByUUID", fns->by_uuid) &&
            Resolve(handle, "nvmlDeviceGetUUID", fns->uuid) &&
            Resolve(handle, "nvmlDeviceGetName", fns->name) &&
            Resolve(handle, "nvmlDeviceGetMemoryInfo", fns->memory) &&
            Resolve(handle, "nvmlDeviceGetPciInfo_v3", fns->pci);
  if (!ok) {
    dlclose(handle);
    return base::FailedPrecondition("load NVML " + library + ": missing required symbols");
  }
  Resolve(handle, "nvmlDeviceGetNumaNodeId", fns->numa);
  Resolve(handle, "nvmlDeviceGetMigMode", fns->mig);
  Resolve(handle, "nvmlDeviceGetMinorNumber", fns->minor);
  Resolve(handle, "nvmlDeviceGetGpuInstanceProfileInfoV", fns->mig_profile);
  Resolve(handle, "nvmlDeviceGetGpuInstancePossiblePlacements_v2", fns->mig_placements);
  Resolve(handle, "nvmlDeviceGetTopologyCommonAncestor", fns->common_ancestor);
  Resolve(handle, "nvmlEventSetCreate", fns->event_set_create);
  Resolve(handle, "nvmlDeviceGetSupportedEventTypes", fns->supported_events);
  Resolve(handle, "nvmlDeviceRegisterEvents", fns->register_events);
  Resolve(handle, "nvmlEventSetWait_v2", fns->event_set_wait);
  Resolve(handle, "nvmlEventSetFree", fns->event_set_free);
  nvmlReturn_t rc = fns->init();
  if (rc != NVML_SUCCESS) {
    std::string message = fns->error_string(rc);
    dlclose(handle);
    return base::FailedPrecondition("nvmlInit (" + library + "): " + message);
  }
  return std::unique_ptr<NvmlDeviceSource>(
      new NvmlDeviceSource(handle, std::move(fns), ResolveMig(handle)));
}

NvmlDeviceSource::NvmlDeviceSource(void* handle, std::unique_ptr<Functions> fns,
                                   std::unique_ptr<MigFunctions> mig_fns)
    : handle_(handle), fns_(std::move(fns)), mig_fns_(std::move(mig_fns)) {}

NvmlDeviceSource::~NvmlDeviceSource() {
  if (events_ != nullptr) fns_->event_set_free(events_);
  fns_->shutdown();
  dlclose(handle_);
}

base::Result<GpuInfo> NvmlDeviceSource::Query(unsigned int index) {
  GpuInfo gpu;
  gpu.index = static_cast<int32_t>(index);
  nvmlDevice_t device = nullptr;
  nvmlReturn_t rc = fns_->by_index(index, &device);
  if (rc != NVML_SUCCESS) {
    return base::Unavailable("GPU " + std::to_string(index) + ": " + fns_->error_string(rc));
  }
  char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {0};
  rc = fns_->uuid(device, text, sizeof(text));
  if (rc != NVML_SUCCESS) {
    return base::Unavailable("GPU " + std::to_string(index) + " UUID: " + fns_->error_string(rc));
  }
  gpu.uuid = text;
  char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = {0};
  if (fns_->name(device, name, sizeof(name)) == NVML_SUCCESS) gpu.name = name;
  nvmlMemory_t memory{};
  rc = fns_->memory(device, &memory);
  if (rc == NVML_SUCCESS) {
    gpu.memory_mib = static_cast<int64_t>(memory.total >> 20);
    memory_mib_[gpu.uuid] = *gpu.memory_mib;
  } else if (rc != NVML_ERROR_NOT_SUPPORTED) {
    gpu.healthy = false;  // e.g. NVML_ERROR_GPU_IS_LOST
    // Its last known size keeps it registered, with health false, instead of dropping it.
    if (auto known = memory_mib_.find(gpu.uuid); known != memory_mib_.end()) {
      gpu.memory_mib = known->second;
    }
  }
  nvmlPciInfo_t pci{};
  if (fns_->pci(device, &pci) == NVML_SUCCESS) gpu.pci_bus_id = pci.busId;
  unsigned int numa = 0;
  if (fns_->numa != nullptr && fns_->numa(device, &numa) == NVML_SUCCESS) {
    gpu.numa = static_cast<int32_t>(numa);
  } else {
    gpu.numa = SysfsNuma(gpu.pci_bus_id);
  }
  unsigned int current = 0, pending = 0;
  if (fns_->mig != nullptr && fns_->mig(device, &current, &pending) == NVML_SUCCESS) {
    gpu.mig_enabled = current == NVML_DEVICE_MIG_ENABLE;
  }
  if (gpu.mig_enabled) gpu.mig_profiles = MigProfiles(*fns_, device);
  unsigned int minor = 0;
  if (fns_->minor != nullptr && fns_->minor(device, &minor) == NVML_SUCCESS) gpu.minor = minor;
  return gpu;
}

base::Result<std::vector<GpuInfo>> NvmlDeviceSource::Discover() {
  std::lock_guard<std::mutex> lock(mu_);
  unsigned int count = 0;
  nvmlReturn_t rc = fns_->count(&count);
  if (rc != NVML_SUCCESS) {
    return base::Unavailable(std::string("nvmlDeviceGetCount: ") + fns_->error_string(rc));
  }
  std::vector<GpuInfo> gpus;
  for (unsigned int i = 0; i < count; ++i) {
    auto gpu = Query(i);
    // A GPU whose identity cannot be read cannot be advertised; the store marks it unhealthy
    // when it had been seen before.
    if (gpu.ok()) gpus.push_back(std::move(gpu).value());
  }
  return gpus;
}

std::map<std::pair<std::string, std::string>, PairLink> NvmlDeviceSource::Links(
    const std::vector<GpuInfo>& gpus) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::pair<std::string, std::string>, PairLink> links;
  if (fns_->common_ancestor == nullptr) return links;
  std::vector<nvmlDevice_t> handles(gpus.size(), nullptr);
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (fns_->by_uuid(gpus[i].uuid.c_str(), &handles[i]) != NVML_SUCCESS) handles[i] = nullptr;
  }
  for (size_t i = 0; i < gpus.size(); ++i) {
    for (size_t j = 0; j < gpus.size(); ++j) {
      if (i == j || handles[i] == nullptr || handles[j] == nullptr) continue;
      int level = 0;
      if (fns_->common_ancestor(handles[i], handles[j], &level) != NVML_SUCCESS) continue;
      PairLink link;
      if (level % 10 == 0 && level >= 0 && level <= 50) {
        link.level = static_cast<TopologyLevel>(level);
      }
      links[{gpus[i].uuid, gpus[j].uuid}] = link;
    }
  }
  return links;
}

}  // namespace hami::deviceplugin
