// The node's GPUs as NVML reports them, turned into what the plugin advertises: the registration
// annotation's device list (hami-wire §2.1), the kubelet's split-count replica IDs (§5.1) and the
// topology pair scores (`hami.io/node-nvidia-score`).
// Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "deviceplugin/plugin_config.h"
#include "model/device.h"

namespace hami::deviceplugin {

// A GPU-instance profile a MIG-mode GPU offers, as NVML reports it.
struct MigProfileInfo {
  std::string name;         // "1g.5gb" (NVML's "MIG 1g.5gb" without the prefix)
  uint32_t profile_id = 0;  // NVML's profile id (what instance creation takes), not the constant
  int32_t slice_count = 0;  // compute slices
  int32_t instance_count = 0;
  int32_t sms = 0;
  int64_t memory_mib = 0;
  std::vector<model::Placement> placements;  // in memory slices
  friend bool operator==(const MigProfileInfo&, const MigProfileInfo&) = default;
};

// A MIG device present on a MIG-enabled GPU (a GPU instance with its compute instance), for the
// static MIG strategies: the admin creates it (nvidia-smi, mig-parted); the plugin only serves it.
struct MigDeviceInfo {
  std::string uuid;     // "MIG-..."
  std::string profile;  // "1g.5gb"
  int64_t memory_mib = 0;
  friend bool operator==(const MigDeviceInfo&, const MigDeviceInfo&) = default;
};

// One physical GPU as discovered (NvmlDeviceSource fills it; tests build it by hand).
struct GpuInfo {
  int32_t index = 0;                  // NVML index
  std::string uuid;                   // "GPU-..."
  std::string name;                   // NVML name, e.g. "Tesla T4"
  std::optional<int64_t> memory_mib;  // nullopt: NVML answered NOT_SUPPORTED
  int32_t numa = 0;                   // negative/unknown read as 0
  bool mig_enabled = false;
  std::vector<MigProfileInfo> mig_profiles;  // with mig_enabled: every profile NVML offers
  // With mig_enabled and a static MIG strategy: the MIG devices present (the service lists them).
  std::vector<MigDeviceInfo> mig_devices;
  std::optional<uint32_t> minor;  // /dev/nvidia<minor>
  std::string pci_bus_id;
  bool healthy = true;
  friend bool operator==(const GpuInfo&, const GpuInfo&) = default;
};

// A GPU left out of the registration, and why (logged by the caller).
struct SkippedGpu {
  std::string uuid;
  std::string reason;
};

struct Inventory {
  std::vector<model::DeviceInfo> devices;  // what goes into hami.io/node-nvidia-register
  std::vector<SkippedGpu> skipped;
  // migStrategy mixed: per extended resource ("nvidia.com/mig-1g.5gb"), its MIG devices, each a
  // device of count 1 whose id is the MIG UUID and whose health is its parent GPU's.
  std::map<std::string, std::vector<model::DeviceInfo>> mig_resources;
};

// The MIG strategy in effect: the configured one, except "none" in operating mode "mig" (dynamic
// MIG creates its instances; the static strategies serve instances the admin created).
std::string EffectiveMigStrategy(const PluginConfig& config);

// WIRE: the register annotation's type of a MIG device served whole (strategy single): the
// parent's type plus "-MIG-<profile>" ("NVIDIA-A100-SXM4-40GB-MIG-1g.5gb"), so use-gputype /
// nouse-gputype can tell it from a whole GPU.
std::string MigDeviceType(const std::string& nvml_name, const std::string& profile);

// Strategy single: every MIG-enabled GPU (not filtered) must carry MIG devices of one and the
// same profile. FailedPrecondition naming each GPU and its profiles otherwise.
base::Status CheckSingleMigStrategy(const std::vector<GpuInfo>& gpus, const PluginConfig& config);

// WIRE: upstream's model name in the register annotation: the NVML name prefixed "NVIDIA-"
// unless it already starts with "NVIDIA" ("Tesla T4" -> "NVIDIA-Tesla T4").
std::string RegisteredType(const std::string& nvml_name);

// Per GPU (hami-wire §2.1): filtered (uuid/index filter) GPUs are left out; devmem =
// floor(MiB × memory_scaling), or preconfigured MiB when NVML cannot tell (no preconfigured
// value: skipped); devcore = int(core_scaling × 100); count = split count; mode = operating
// mode; health as discovered. GPUs with MIG enabled are skipped unless the operating mode is
// "mig" (hami-core and MPS cannot share a MIG-partitioned GPU). In mode "mig" only MIG-enabled
// GPUs register, with the profiles migProfileAllowlist allows (mig.h; none: skipped) as
// migProfiles, their whole memory, devcore 100 and count = the largest instance count.
// Static MIG strategies (modes hami-core and mps; EffectiveMigStrategy): a MIG-enabled GPU is
// skipped under "none"; under "mixed" its MIG devices go to mig_resources, by profile; under
// "single" each MIG device is a device of its own: id = MIG UUID, count 1, devmem = its memory,
// devcore 100, type MigDeviceType. GPUs without MIG register as above in every strategy.
Inventory BuildInventory(const std::vector<GpuInfo>& gpus, const PluginConfig& config);

// One kubelet-visible device: a replica of a physical GPU.
struct ReplicaDevice {
  std::string id;    // WIRE: "<UUID>-<n>", n = 0..count-1
  std::string uuid;  // physical GPU
  bool healthy = true;
  int32_t numa = 0;
  friend bool operator==(const ReplicaDevice&, const ReplicaDevice&) = default;
};

// WIRE: `count` replicas per registered device, in device order, IDs "<UUID>-0".."<UUID>-<n-1>",
// each with its GPU's health. A MIG device (id "MIG-...") is one device with its UUID as the ID
// (upstream passes static MIG IDs through unreplicated).
std::vector<ReplicaDevice> ReplicaDevices(const std::vector<model::DeviceInfo>& devices);

// NVML topology levels (nvmlGpuTopologyLevel_t values) between two GPUs.
enum class TopologyLevel : int32_t {
  kInternal = 0,     // same board
  kSingle = 10,      // one PCIe switch
  kMultiple = 20,    // several PCIe switches
  kHostBridge = 30,  // same host bridge
  kNode = 40,        // same NUMA node / CPU
  kSystem = 50,      // across CPUs
};

// WIRE: upstream's pair score: cross-CPU 10, same CPU 20, host bridge 30, multiple switches 40,
// single switch 50, same board 60, plus 100 per NVLink between the pair.
int32_t PairScore(std::optional<TopologyLevel> level, int32_t nvlinks);

// Link facts for an ordered pair of registered GPUs (by uuid).
struct PairLink {
  std::optional<TopologyLevel> level;
  int32_t nvlinks = 0;
};

// Scores for every pair of `uuids` (both directions) from `links[{a,b}]`; a pair without link
// facts scores from NUMA alone (same NUMA: 20, else 10) using `numa`.
model::TopologyScores TopologyScoresFor(
    const std::vector<std::string>& uuids, const std::map<std::string, int32_t>& numa,
    const std::map<std::pair<std::string, std::string>, PairLink>& links);

}  // namespace hami::deviceplugin
