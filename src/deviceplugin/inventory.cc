#include "deviceplugin/inventory.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "base/strings.h"
#include "deviceplugin/mig.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {
namespace {

bool Filtered(const GpuInfo& gpu, const PluginConfig& config) {
  return std::find(config.filter_uuids.begin(), config.filter_uuids.end(), gpu.uuid) !=
             config.filter_uuids.end() ||
         std::find(config.filter_indices.begin(), config.filter_indices.end(), gpu.index) !=
             config.filter_indices.end();
}

model::DeviceInfo BaseDevice(const GpuInfo& gpu, const PluginConfig& config) {
  model::DeviceInfo device;
  device.id = gpu.uuid;
  device.index = gpu.index;
  device.type = RegisteredType(gpu.name);
  device.numa = gpu.numa < 0 ? 0 : gpu.numa;
  device.mode = config.operating_mode;
  device.health = gpu.healthy;
  return device;
}

// Mode "mig": a MIG-mode GPU with its allowed profiles, its whole memory (no scaling), devcore 100
// and count = the most instances any allowed profile allows; nullopt (and a skip) otherwise.
std::optional<model::DeviceInfo> MigDevice(const GpuInfo& gpu, const PluginConfig& config,
                                           std::vector<SkippedGpu>& skipped) {
  if (!gpu.mig_enabled) {
    skipped.push_back({gpu.uuid, "MIG mode is off; mode mig needs it on (nvidia-smi -i " +
                                     std::to_string(gpu.index) + " -mig 1)"});
    return std::nullopt;
  }
  const auto allowed = AllowedMigProfiles(gpu, config.mig_profile_allowlist);
  if (allowed.empty()) {
    skipped.push_back(
        {gpu.uuid, gpu.mig_profiles.empty()
                       ? "MIG mode is on but NVML lists no MIG profile"
                       : "no MIG profile of " + gpu.name + " is in migProfileAllowlist"});
    return std::nullopt;
  }
  int32_t gpu_sms = 0;
  for (const auto& p : gpu.mig_profiles) gpu_sms = std::max(gpu_sms, p.sms);
  model::DeviceInfo device = BaseDevice(gpu, config);
  int64_t memory = gpu.memory_mib.value_or(0);
  for (const auto& p : gpu.mig_profiles) memory = std::max(memory, p.memory_mib);
  device.devmem = static_cast<int32_t>(std::min<int64_t>(memory, INT32_MAX));
  device.devcore = 100;
  for (const auto& p : allowed) {
    device.count = std::max(device.count, p.instance_count);
    device.partitions.push_back(RegisteredMigProfile(p, gpu_sms));
  }
  return device;
}

// Static MIG strategies: a MIG-enabled GPU's MIG devices into `inventory` (mixed: by resource;
// single: as register devices); a GPU with none is skipped.
void AddStaticMigDevices(const GpuInfo& gpu, const PluginConfig& config,
                         const std::string& strategy, Inventory& inventory) {
  if (gpu.mig_devices.empty()) {
    inventory.skipped.push_back(
        {gpu.uuid, "MIG mode is enabled and no MIG device exists (migStrategy " + strategy + ")"});
    return;
  }
  for (const MigDeviceInfo& mig : gpu.mig_devices) {
    model::DeviceInfo device = BaseDevice(gpu, config);
    device.id = mig.uuid;
    device.count = 1;
    device.devmem = static_cast<int32_t>(std::clamp<int64_t>(mig.memory_mib, 0, INT32_MAX));
    device.devcore = 100;
    if (strategy == "mixed") {
      inventory.mig_resources[vendor::nvidia::kMigResourcePrefix + mig.profile].push_back(
          std::move(device));
    } else {
      device.type = MigDeviceType(gpu.name, mig.profile);
      inventory.devices.push_back(std::move(device));
    }
  }
}

}  // namespace

std::string EffectiveMigStrategy(const PluginConfig& config) {
  return config.operating_mode == model::kModeMig ? "none" : config.mig_strategy;
}

std::string MigDeviceType(const std::string& nvml_name, const std::string& profile) {
  return RegisteredType(nvml_name) + "-MIG-" + profile;
}

base::Status CheckSingleMigStrategy(const std::vector<GpuInfo>& gpus, const PluginConfig& config) {
  std::set<std::string> all;
  std::vector<std::string> listed;
  for (const GpuInfo& gpu : gpus) {
    if (!gpu.mig_enabled || Filtered(gpu, config)) continue;
    std::set<std::string> profiles;
    for (const auto& mig : gpu.mig_devices) profiles.insert(mig.profile);
    if (profiles.empty()) continue;
    all.insert(profiles.begin(), profiles.end());
    listed.push_back(gpu.uuid + " (index " + std::to_string(gpu.index) + "): " +
                     base::Join(std::vector<std::string>(profiles.begin(), profiles.end()), ","));
  }
  if (all.size() <= 1) return {};
  return base::FailedPrecondition(
      "migStrategy single needs MIG devices of one profile on every MIG-enabled GPU; found " +
      base::Join(listed, "; ") + " (use migStrategy mixed, or re-partition the GPUs)");
}

std::string RegisteredType(const std::string& nvml_name) {
  if (base::StartsWith(nvml_name, "NVIDIA")) return nvml_name;
  return "NVIDIA-" + nvml_name;
}

Inventory BuildInventory(const std::vector<GpuInfo>& gpus, const PluginConfig& config) {
  Inventory inventory;
  for (const GpuInfo& gpu : gpus) {
    if (Filtered(gpu, config)) {
      inventory.skipped.push_back({gpu.uuid, "listed in filterdevices"});
      continue;
    }
    if (config.operating_mode == model::kModeMig) {
      if (auto device = MigDevice(gpu, config, inventory.skipped)) {
        inventory.devices.push_back(std::move(*device));
      }
      continue;
    }
    if (gpu.mig_enabled) {
      const std::string strategy = EffectiveMigStrategy(config);
      if (strategy == "mixed" || strategy == "single") {
        AddStaticMigDevices(gpu, config, strategy, inventory);
      } else {
        inventory.skipped.push_back({gpu.uuid, "MIG mode is enabled; mode " +
                                                   config.operating_mode +
                                                   " cannot share it (migStrategy none)"});
      }
      continue;
    }
    int64_t memory = 0;
    if (gpu.memory_mib) {
      memory = static_cast<int64_t>(
          std::floor(static_cast<double>(*gpu.memory_mib) * config.memory_scaling));
    } else if (config.preconfigured_memory_mib > 0) {
      memory = config.preconfigured_memory_mib;
    } else {
      inventory.skipped.push_back(
          {gpu.uuid, "NVML cannot report memory and preconfigureddevicememory is 0"});
      continue;
    }
    if (memory > INT32_MAX) memory = INT32_MAX;
    model::DeviceInfo device = BaseDevice(gpu, config);
    device.count = config.split_count;
    device.devmem = static_cast<int32_t>(memory);
    device.devcore = static_cast<int32_t>(config.core_scaling * 100);
    inventory.devices.push_back(std::move(device));
  }
  return inventory;
}

std::vector<ReplicaDevice> ReplicaDevices(const std::vector<model::DeviceInfo>& devices) {
  std::vector<ReplicaDevice> replicas;
  for (const auto& device : devices) {
    if (base::StartsWith(device.id, vendor::nvidia::kMigUuidPrefix)) {
      replicas.push_back({device.id, device.id, device.health, device.numa});
      continue;
    }
    for (int32_t n = 0; n < device.count; ++n) {
      replicas.push_back(
          {device.id + "-" + std::to_string(n), device.id, device.health, device.numa});
    }
  }
  return replicas;
}

int32_t PairScore(std::optional<TopologyLevel> level, int32_t nvlinks) {
  int32_t score = 100 * std::max(nvlinks, 0);
  if (!level) return score;
  switch (*level) {
    case TopologyLevel::kInternal:
      return score + 60;
    case TopologyLevel::kSingle:
      return score + 50;
    case TopologyLevel::kMultiple:
      return score + 40;
    case TopologyLevel::kHostBridge:
      return score + 30;
    case TopologyLevel::kNode:
      return score + 20;
    case TopologyLevel::kSystem:
      return score + 10;
  }
  return score;
}

model::TopologyScores TopologyScoresFor(
    const std::vector<std::string>& uuids, const std::map<std::string, int32_t>& numa,
    const std::map<std::pair<std::string, std::string>, PairLink>& links) {
  model::TopologyScores scores;
  for (const auto& a : uuids) {
    auto& row = scores[a];
    for (const auto& b : uuids) {
      if (a == b) continue;
      auto link = links.find({a, b});
      if (link != links.end()) {
        row[b] = PairScore(link->second.level, link->second.nvlinks);
        continue;
      }
      auto na = numa.find(a), nb = numa.find(b);
      bool same = na != numa.end() && nb != numa.end() && na->second == nb->second;
      row[b] = PairScore(same ? TopologyLevel::kNode : TopologyLevel::kSystem, 0);
    }
  }
  return scores;
}

}  // namespace hami::deviceplugin
