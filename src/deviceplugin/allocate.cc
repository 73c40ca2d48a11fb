#include "deviceplugin/allocate.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "codec/pod_devices.h"
#include "model/device.h"
#include "model/protocol.h"
#include "vendor/cluster_state.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {

namespace nvidia = vendor::nvidia;
namespace {

using Json = nlohmann::json;

std::string AnnotationOr(const model::Pod& pod, const std::string& key) {
  const std::string* value = pod.Annotation(key);
  return value ? *value : "";
}

const model::Container* ContainerAt(const model::Pod& pod, size_t index) {
  if (index < pod.init_containers.size()) return &pod.init_containers[index];
  index -= pod.init_containers.size();
  return index < pod.containers.size() ? &pod.containers[index] : nullptr;
}

std::optional<uint32_t> ReadId(const Json& security_context, const char* key) {
  if (!security_context.is_object()) return std::nullopt;
  auto it = security_context.find(key);
  if (it == security_context.end() || !it->is_number_integer()) return std::nullopt;
  int64_t v = it->get<int64_t>();
  if (v < 0 || v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

bool HasNvidiaDevice(const model::PodSingleDevice& devices) {
  for (const auto& container : devices) {
    for (const auto& device : container) {
      if (device.type == nvidia::kVendorName) return true;
    }
  }
  return false;
}

std::string VisibleDevices(const model::ContainerDevices& devices,
                           const AllocateSettings& settings) {
  std::vector<std::string> names;
  for (const auto& device : devices) {
    std::string name = device.uuid;
    if (settings.device_id_strategy == DeviceIdStrategy::kIndex) {
      auto it = settings.uuid_to_index.find(device.uuid);
      name = it == settings.uuid_to_index.end() ? device.uuid : std::to_string(it->second);
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return base::Join(names, ",");
}

// Mode "mps": the MPS client contract of AllocateSettings::mps_root, added to `out`.
void AddMpsClient(const model::ContainerDevices& devices, const std::string& mps_root,
                  ContainerAllocation& out) {
  auto& env = out.envs;
  env[nvidia::kMpsPipeDirectoryEnv] = kContainerMpsPipeDir;
  if (devices.front().usedcores > 0) {
    env[nvidia::kMpsActiveThreadPercentageEnv] =
        std::to_string(std::min<int64_t>(devices.front().usedcores, 100));
  }
  std::vector<std::string> limits;
  for (size_t i = 0; i < devices.size(); ++i) {
    limits.push_back(std::to_string(i) + "=" + std::to_string(devices[i].usedmem) + "M");
  }
  env[nvidia::kMpsPinnedDeviceMemLimitEnv] = base::Join(limits, ",");
  env[nvidia::kCorePolicyEnv] = "disable";
  out.mounts.push_back({kContainerMpsPipeDir, mps_root + "/" + kMpsPipeSubdir, false});
  out.mounts.push_back({kContainerShm, mps_root + "/" + kMpsShmSubdir, false});
}

bool IsMigDevice(const std::string& id) { return base::StartsWith(id, nvidia::kMigUuidPrefix); }

// How many of `devices` are static MIG devices (migStrategy single).
size_t MigDeviceCount(const model::ContainerDevices& devices) {
  return static_cast<size_t>(std::count_if(devices.begin(), devices.end(),
                                           [](const auto& d) { return IsMigDevice(d.uuid); }));
}

ContainerAllocation BuildContainer(const model::Pod& pod, const model::Container& container,
                                   const model::ContainerDevices& devices,
                                   const AllocateSettings& settings,
                                   const std::string& cache_name) {
  ContainerAllocation out;
  out.container_name = container.name;
  if (settings.mig) return out;  // NVIDIA_VISIBLE_DEVICES once its instances exist
  if (MigDeviceCount(devices) == devices.size()) {
    std::vector<std::string> uuids;
    for (const auto& device : devices) uuids.push_back(device.uuid);
    SetMigVisibleDevices(out, uuids);
    return out;
  }
  out.host_dir = settings.host_vgpu_dir + "/containers/" + pod.uid + "_" + container.name;
  auto& env = out.envs;
  env[nvidia::kVisibleDevicesEnv] = VisibleDevices(devices, settings);
  for (size_t i = 0; i < devices.size(); ++i) {
    env[nvidia::kMemoryLimitEnvPrefix + std::to_string(i)] =
        std::to_string(devices[i].usedmem) + "m";
  }
  env[nvidia::kSmLimitEnv] = std::to_string(devices.front().usedcores);
  env[nvidia::kSharedCacheEnv] = std::string(kContainerVgpuDir) + "/" + cache_name + ".cache";
  if (settings.memory_scaling > 1) env[nvidia::kOversubscribeEnv] = "true";
  if (!settings.lib_cuda_log_level.empty()) env[nvidia::kLogLevelEnv] = settings.lib_cuda_log_level;
  if (settings.disable_core_limit) env[nvidia::kCorePolicyEnv] = "disable";

  out.mounts.push_back({kContainerLibVgpu, settings.host_vgpu_dir + "/libvgpu.so", true});
  out.mounts.push_back({kContainerVgpuDir, out.host_dir, false});
  out.mounts.push_back({kContainerLockDir, settings.host_lock_dir, false});
  auto control = container.env.find(nvidia::kDisableControlEnv);
  if (control == container.env.end() || control->second != "true") {
    out.mounts.push_back({kContainerPreload, settings.host_vgpu_dir + "/ld.so.preload", true});
  }
  if (!settings.mps_root.empty()) AddMpsClient(devices, settings.mps_root, out);
  if (settings.pass_device_specs) {
    std::set<std::string> seen;
    for (const auto& device : devices) {
      auto node = settings.uuid_to_device_node.find(device.uuid);
      if (node != settings.uuid_to_device_node.end() && seen.insert(node->second).second) {
        out.devices.push_back({node->second, node->second, "rw"});
      }
    }
    for (const auto& path : settings.control_device_nodes)
      out.devices.push_back({path, path, "rw"});
  }
  return out;
}

}  // namespace

std::optional<model::Pod> SelectPendingPod(const std::vector<model::Pod>& pods,
                                           const std::string& node) {
  for (const auto& pod : pods) {
    if (pod.phase != "Pending") continue;
    if (pod.Annotation(model::kBindTimeAnnotation) == nullptr) continue;
    std::string phase = AnnotationOr(pod, model::kBindPhaseAnnotation);
    if (phase != model::kBindPhaseAllocating && phase != model::kBindPhaseSuccess) continue;
    if (AnnotationOr(pod, model::kVgpuNodeAnnotation) != node) continue;
    return pod;
  }
  return std::nullopt;
}

Json FinishBindPatch(Json annotations, const std::string& node) {
  annotations[model::kBindPhaseAnnotation] = model::kBindPhaseSuccess;
  return {{"metadata",
           {{"annotations", std::move(annotations)},
            {"labels", {{model::kVgpuNodeAnnotation, node}}}}}};
}

std::optional<std::string> LostFinishRemaining(const model::Pod& pod, const std::string& node) {
  if (pod.node_name != node || (pod.phase != "Running" && pod.phase != "Succeeded")) {
    return std::nullopt;
  }
  if (AnnotationOr(pod, model::kBindPhaseAnnotation) != model::kBindPhaseAllocating) {
    return std::nullopt;
  }
  const std::string* annotation = pod.Annotation(nvidia::kToAllocateAnnotation);
  if (annotation == nullptr) return std::nullopt;
  auto decoded = codec::DecodePodSingleDevice(*annotation);
  if (!decoded.ok() || !HasNvidiaDevice(*decoded)) return std::nullopt;
  for (auto& entry : *decoded) entry.clear();
  auto encoded = codec::EncodePodSingleDevice(*decoded);
  if (!encoded.ok()) return std::nullopt;
  return std::move(encoded).value();
}

ContainerOwner OwnerOf(const Json& pod, const std::string& container) {
  ContainerOwner owner;
  const Json& spec = pod.contains("spec") ? pod["spec"] : Json::object();
  if (spec.contains("securityContext")) {
    owner.uid = ReadId(spec["securityContext"], "runAsUser");
    owner.gid = ReadId(spec["securityContext"], "runAsGroup");
  }
  for (const char* list : {"initContainers", "containers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (const auto& c : spec[list]) {
      if (!c.is_object() || c.value("name", "") != container) continue;
      if (!c.contains("securityContext")) continue;
      if (auto uid = ReadId(c["securityContext"], "runAsUser")) owner.uid = uid;
      if (auto gid = ReadId(c["securityContext"], "runAsGroup")) owner.gid = gid;
    }
  }
  return owner;
}

base::Result<AllocatePlan> PlanAllocate(const model::Pod& pod,
                                        const std::vector<std::vector<std::string>>& requests,
                                        const AllocateSettings& settings,
                                        const std::map<std::string, ContainerOwner>& owners,
                                        const std::function<std::string()>& new_cache_name) {
  const std::string where = "pod " + pod.Key();
  const std::string* annotation = pod.Annotation(nvidia::kToAllocateAnnotation);
  if (annotation == nullptr) {
    return base::FailedPrecondition(where + ": no " + std::string(nvidia::kToAllocateAnnotation));
  }
  auto decoded = codec::DecodePodSingleDevice(*annotation);
  if (!decoded.ok()) return decoded.error().WithContext(where);
  model::PodSingleDevice pending = std::move(decoded).value();

  AllocatePlan plan;
  for (size_t r = 0; r < requests.size(); ++r) {
    auto next = std::find_if(pending.begin(), pending.end(),
                             [](const auto& entry) { return !entry.empty(); });
    if (next == pending.end()) {
      return base::FailedPrecondition(where + ": container request " + std::to_string(r) +
                                      ": no device left to allocate in " +
                                      nvidia::kToAllocateAnnotation);
    }
    size_t index = static_cast<size_t>(next - pending.begin());
    const model::Container* container = ContainerAt(pod, index);
    if (container == nullptr) {
      return base::InvalidArgument(where + ": to-allocate entry " + std::to_string(index) +
                                   " has no matching container");
    }
    if (next->size() != requests[r].size()) {
      return base::FailedPrecondition(
          where + " container " + container->name + ": device number not matched (annotation " +
          std::to_string(next->size()) + ", kubelet " + std::to_string(requests[r].size()) + ")");
    }
    if (const size_t mig = MigDeviceCount(*next); mig != 0 && mig != next->size()) {
      return base::FailedPrecondition(where + " container " + container->name +
                                      ": MIG devices and whole GPUs in one container (" +
                                      std::to_string(mig) + " of " + std::to_string(next->size()) +
                                      " are MIG devices); CUDA cannot use both");
    }
    ContainerAllocation allocation =
        BuildContainer(pod, *container, *next, settings, new_cache_name());
    allocation.container_index = static_cast<int32_t>(index);
    auto owner = owners.find(container->name);
    if (owner != owners.end()) allocation.owner = owner->second;
    plan.containers.push_back(std::move(allocation));
    next->clear();
  }
  HAMI_ASSIGN_OR_RETURN(plan.remaining_to_allocate, codec::EncodePodSingleDevice(pending));
  plan.all_allocated = !HasNvidiaDevice(pending);
  return plan;
}

base::Result<std::vector<model::MigAllocation>> MigBookingsFor(
    const model::Pod& pod, const std::vector<model::MigAllocation>& all,
    const ContainerAllocation& container, size_t devices) {
  std::vector<model::MigAllocation> out;
  for (const auto& entry : all) {
    if (entry.container_index == container.container_index) out.push_back(entry);
  }
  if (out.size() != devices) {
    return base::FailedPrecondition("pod " + pod.Key() + " container " + container.container_name +
                                    ": " + std::to_string(out.size()) + " MIG bookings in " +
                                    nvidia::kMigAllocationsAnnotation + " for " +
                                    std::to_string(devices) + " devices");
  }
  return out;
}

void SetMigVisibleDevices(ContainerAllocation& container, const std::vector<std::string>& uuids) {
  container.envs[nvidia::kVisibleDevicesEnv] = base::Join(uuids, ",");
}

base::Result<std::vector<ContainerAllocation>> PlanStaticMigAllocate(
    const std::vector<std::vector<std::string>>& requests, const std::set<std::string>& known) {
  std::vector<ContainerAllocation> out;
  for (size_t r = 0; r < requests.size(); ++r) {
    for (const auto& id : requests[r]) {
      if (known.count(id) == 0) {
        return base::FailedPrecondition("container request " + std::to_string(r) +
                                        ": unknown MIG device " + id);
      }
    }
    ContainerAllocation allocation;
    SetMigVisibleDevices(allocation, requests[r]);
    out.push_back(std::move(allocation));
  }
  return out;
}

std::vector<std::vector<std::string>> PreferredAllocation(
    const model::Pod& pod, const std::vector<PreferredRequest>& requests,
    const std::map<std::string, std::string>& replica_to_uuid) {
  std::vector<std::vector<std::string>> out(requests.size());
  const std::string* annotation = pod.Annotation(nvidia::kToAllocateAnnotation);
  if (annotation == nullptr) return out;
  auto decoded = codec::DecodePodSingleDevice(*annotation);
  if (!decoded.ok()) return out;
  std::vector<model::ContainerDevices> entries;
  for (auto& entry : *decoded) {
    if (!entry.empty()) entries.push_back(std::move(entry));
  }
  for (size_t i = 0; i < requests.size() && i < entries.size(); ++i) {
    const auto& request = requests[i];
    const auto& entry = entries[i];
    if (request.size <= 0 || static_cast<size_t>(request.size) > entry.size()) continue;
    std::vector<std::string> chosen;
    auto pick = [&](const std::vector<std::string>& ids, const std::string& uuid) {
      for (const auto& id : ids) {
        auto it = replica_to_uuid.find(id);
        if (it == replica_to_uuid.end() || it->second != uuid) continue;
        if (std::find(chosen.begin(), chosen.end(), id) != chosen.end()) continue;
        chosen.push_back(id);
        return true;
      }
      return false;
    };
    bool matched = true;
    for (int32_t k = 0; k < request.size && matched; ++k) {
      matched = pick(request.must_include, entry[k].uuid) || pick(request.available, entry[k].uuid);
    }
    if (matched) out[i] = std::move(chosen);
  }
  return out;
}

}  // namespace hami::deviceplugin
