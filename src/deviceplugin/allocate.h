// The pure core of the kubelet's Allocate and GetPreferredAllocation (hami-wire §5.2, §5.3):
// which pod is being placed, and what each of its containers gets (env vars, mounts, device
// nodes), computed from the pod's annotations and container env, and the plugin settings.
// No I/O: the Allocator (allocator.h) fetches the pod, creates host directories and patches
// annotations. Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "deviceplugin/plugin_config.h"
#include "model/grant.h"
#include "model/pod.h"

namespace hami::deviceplugin {

// WIRE: the in-container layout libvgpu.so and its ld.so.preload line expect.
inline constexpr char kContainerVgpuDir[] = "/usr/local/vgpu";
inline constexpr char kContainerLibVgpu[] = "/usr/local/vgpu/libvgpu.so";
inline constexpr char kContainerPreload[] = "/etc/ld.so.preload";
inline constexpr char kContainerLockDir[] = "/tmp/vgpulock";
// Mode "mps": the MPS daemon's host directory layout (under --mps-root), and where a container
// finds its pipes and shared memory.
inline constexpr char kMpsPipeSubdir[] = "pipe";
inline constexpr char kMpsShmSubdir[] = "shm";
inline constexpr char kMpsControlPipe[] = "control";  // in pipe/, while the daemon runs
inline constexpr char kContainerMpsPipeDir[] = "/tmp/nvidia-mps";
inline constexpr char kContainerShm[] = "/dev/shm";

// Host-side paths and Allocate knobs (from PluginConfig and flags).
struct AllocateSettings {
  std::string host_vgpu_dir = "/usr/local/vgpu";  // <hook-path>/vgpu
  std::string host_lock_dir = "/tmp/vgpulock";
  std::string lib_cuda_log_level = "1";
  double memory_scaling = 1.0;
  bool disable_core_limit = false;
  DeviceIdStrategy device_id_strategy = DeviceIdStrategy::kUuid;
  std::map<std::string, int32_t> uuid_to_index;  // for DeviceIdStrategy::kIndex
  // With --pass-device-specs: the GPU's /dev/nvidia<minor> (by uuid) and the control devices
  // present on the host (/dev/nvidiactl, /dev/nvidia-uvm, ...), passed as rw device specs.
  bool pass_device_specs = false;
  std::map<std::string, std::string> uuid_to_device_node;
  std::vector<std::string> control_device_nodes;
  // Mode "mps" (empty otherwise): the MPS daemon's host directory (PluginConfig::mps_root). Each
  // container then also gets the MPS client contract: the daemon's pipe/ and shm/ mounted,
  // CUDA_MPS_PIPE_DIRECTORY, CUDA_MPS_ACTIVE_THREAD_PERCENTAGE = the slice's cores (unset for 0:
  // no limit), CUDA_MPS_PINNED_DEVICE_MEM_LIMIT = each device's memory ("0=3000M,1=2000M"), and
  // libvgpu's own core throttle off (the daemon partitions the SMs; libvgpu still limits memory).
  std::string mps_root;
  // Mode "mig": a container gets only NVIDIA_VISIBLE_DEVICES, the MIG UUIDs of the instances the
  // Allocator realizes for its bookings (MigVisibleDevices); no libvgpu env, mounts or host dir
  // (the hardware partitions memory and SMs).
  bool mig = false;
};

struct MountSpec {
  std::string container_path;
  std::string host_path;
  bool read_only = false;
  friend bool operator==(const MountSpec&, const MountSpec&) = default;
};

struct DeviceNodeSpec {
  std::string container_path;
  std::string host_path;
  std::string permissions;
  friend bool operator==(const DeviceNodeSpec&, const DeviceNodeSpec&) = default;
};

// Who must be able to write a container's host directory (from securityContext.runAsUser/Group,
// container over pod). Unknown user: the image decides, so the directory is world-writable.
struct ContainerOwner {
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  friend bool operator==(const ContainerOwner&, const ContainerOwner&) = default;
};

struct ContainerAllocation {
  std::string container_name;
  int32_t container_index = 0;  // over init containers then app containers
  std::string host_dir;         // <host_vgpu_dir>/containers/<podUID>_<container>; "" in mode "mig"
  ContainerOwner owner;
  std::map<std::string, std::string> envs;
  std::vector<MountSpec> mounts;
  std::vector<DeviceNodeSpec> devices;
  friend bool operator==(const ContainerAllocation&, const ContainerAllocation&) = default;
};

struct AllocatePlan {
  std::vector<ContainerAllocation> containers;  // one per kubelet container request
  std::string remaining_to_allocate;            // new hami.io/vgpu-devices-to-allocate
  bool all_allocated = false;                   // no NVIDIA device left in it
};

// The pod being placed on `node`, from the pods bound to it (hami-wire §5.2 step 1 fallback):
// the first that is Pending, has hami.io/bind-time, hami.io/bind-phase allocating or success
// and hami.io/vgpu-node == node. nullopt when none.
std::optional<model::Pod> SelectPendingPod(const std::vector<model::Pod>& pods,
                                           const std::string& node);

// The merge patch that ends a pod's lockless bind once nothing is left to allocate:
// `annotations` (the to-allocate annotation left, and what else the last Allocate writes) plus
// hami.io/bind-phase=success, and the hami.io/vgpu-node label = `node`.
nlohmann::json FinishBindPatch(nlohmann::json annotations, const std::string& node);

// The to-allocate annotation of a pod whose lockless bind lost its last patch (the plugin
// stopped between answering its last Allocate and writing it), with every entry emptied as that
// patch had it; nullopt for any other pod. Such a pod is bound to `node`, Running or Succeeded
// (the kubelet starts a pod only after each of its Allocate calls succeeded), still has
// hami.io/bind-phase allocating and NVIDIA entries in hami.io/vgpu-devices-to-allocate.
std::optional<std::string> LostFinishRemaining(const model::Pod& pod, const std::string& node);

// securityContext.runAsUser/runAsGroup of the named container (init or app), falling back to the
// pod's. Malformed values read as unknown.
ContainerOwner OwnerOf(const nlohmann::json& pod, const std::string& container);

// hami-wire §5.2 steps 2-5: for each kubelet container request (its device IDs), pops the first
// non-empty entry of the pod's NVIDIA to-allocate annotation (init containers first, then app
// containers, by position) and builds the container's env and mounts. An entry of MIG devices
// (migStrategy single: ids "MIG-...") gets only NVIDIA_VISIBLE_DEVICES, as a whole GPU of its own
// (no libvgpu: the hardware isolates it); an entry mixing MIG devices and GPUs is refused (CUDA
// cannot use both in one process). `owners` maps container
// name -> owner (absent: unknown); `new_cache_name()` gives the region file's name (a random
// UUID in production). Errors (InvalidArgument/FailedPrecondition) name the pod and container:
// missing or malformed annotation, nothing left to allocate, "device number not matched".
base::Result<AllocatePlan> PlanAllocate(const model::Pod& pod,
                                        const std::vector<std::vector<std::string>>& requests,
                                        const AllocateSettings& settings,
                                        const std::map<std::string, ContainerOwner>& owners,
                                        const std::function<std::string()>& new_cache_name);

// Mode "mig": the bookings of hami.io/vgpu-mig-allocations for `container` (container_index),
// checked to be exactly `devices` of them (the kubelet's device count). Errors name the pod.
base::Result<std::vector<model::MigAllocation>> MigBookingsFor(
    const model::Pod& pod, const std::vector<model::MigAllocation>& all,
    const ContainerAllocation& container, size_t devices);

// Mode "mig": NVIDIA_VISIBLE_DEVICES of a container given its realized instances' MIG UUIDs.
void SetMigVisibleDevices(ContainerAllocation& container, const std::vector<std::string>& uuids);

// One kubelet GetPreferredAllocation container request.
struct PreferredRequest {
  std::vector<std::string> available;
  std::vector<std::string> must_include;
  int32_t size = 0;
};

// What the gRPC server (plugin_server.h) calls for one registered resource: the Allocator for
// nvidia.com/gpu, StaticMigAllocator for each nvidia.com/mig-<profile>. Thread-safe.
class AllocateHandler {
 public:
  virtual ~AllocateHandler() = default;
  // `requests`: per container, the device IDs the kubelet chose; one allocation per request.
  virtual base::Result<std::vector<ContainerAllocation>> Allocate(
      const std::vector<std::vector<std::string>>& requests) = 0;
  // Never fails: a container without a preference gets an empty list.
  virtual std::vector<std::vector<std::string>> Preferred(
      const std::vector<PreferredRequest>& requests,
      const std::map<std::string, std::string>& replica_to_uuid) = 0;
};

// migStrategy mixed, one nvidia.com/mig-<profile> resource: each container gets exactly the MIG
// devices the kubelet chose, NVIDIA_VISIBLE_DEVICES = their UUIDs in the kubelet's order; no
// libvgpu env, mounts or host directory (MIG isolates memory and SMs in hardware), no pod lookup
// (the scheduler books nothing for a static instance). An ID that is not one of `known` (the
// resource's MIG devices) is a FailedPrecondition naming it.
base::Result<std::vector<ContainerAllocation>> PlanStaticMigAllocate(
    const std::vector<std::vector<std::string>>& requests, const std::set<std::string>& known);

// hami-wire §5.3: request i <-> the i-th non-empty NVIDIA to-allocate entry of `pod`; for its
// first `size` devices pick, must-include IDs first, an unused ID whose GPU (`replica_to_uuid`)
// matches. Any mismatch leaves that container without a preference (empty list).
std::vector<std::vector<std::string>> PreferredAllocation(
    const model::Pod& pod, const std::vector<PreferredRequest>& requests,
    const std::map<std::string, std::string>& replica_to_uuid);

}  // namespace hami::deviceplugin
