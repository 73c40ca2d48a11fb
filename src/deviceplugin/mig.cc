#include "deviceplugin/mig.h"

#include <algorithm>

#include "base/strings.h"

namespace hami::deviceplugin {

std::vector<MigProfileInfo> AllowedMigProfiles(
    const GpuInfo& gpu, const std::vector<vendor::nvidia::MigAllowlistEntry>& allowlist) {
  if (allowlist.empty()) return gpu.mig_profiles;
  const std::string name = base::ToLower(gpu.name);
  std::vector<std::string> allowed;
  for (const auto& entry : allowlist) {
    const bool model_matches =
        std::any_of(entry.models.begin(), entry.models.end(), [&](const std::string& model) {
          return !model.empty() && name.find(base::ToLower(model)) != std::string::npos;
        });
    if (model_matches) allowed.insert(allowed.end(), entry.profiles.begin(), entry.profiles.end());
  }
  std::vector<MigProfileInfo> out;
  for (const auto& profile : gpu.mig_profiles) {
    if (std::find(allowed.begin(), allowed.end(), profile.name) != allowed.end()) {
      out.push_back(profile);
    }
  }
  return out;
}

model::Partition RegisteredMigProfile(const MigProfileInfo& profile, int32_t gpu_sms) {
  model::Partition p;
  p.name = profile.name;
  p.memory_mib = static_cast<int32_t>(std::min<int64_t>(profile.memory_mib, INT32_MAX));
  p.core =
      gpu_sms > 0 ? static_cast<int32_t>((int64_t{profile.sms} * 100 + gpu_sms - 1) / gpu_sms) : 0;
  p.slices = profile.slice_count;
  p.placements = profile.placements;
  return p;
}

bool Overlaps(const model::Placement& a, const model::Placement& b) {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}

bool Matches(const MigInstance& instance, const model::MigAllocation& booking) {
  return instance.gpu_uuid == booking.gpu_uuid && instance.profile == booking.profile &&
         instance.placement.start == booking.placement_start &&
         instance.placement.size == booking.placement_size;
}

namespace {

bool Booked(const MigInstance& instance, const std::vector<model::MigAllocation>& live) {
  return std::any_of(live.begin(), live.end(),
                     [&](const model::MigAllocation& b) { return Matches(instance, b); });
}

}  // namespace

MigRealizePlan PlanMigRealize(const model::MigAllocation& want,
                              const std::vector<MigInstance>& on_gpu,
                              const std::vector<model::MigAllocation>& live) {
  MigRealizePlan plan;
  const model::Placement place{want.placement_start, want.placement_size};
  for (const auto& instance : on_gpu) {
    if (instance.gpu_uuid != want.gpu_uuid || !Overlaps(instance.placement, place)) continue;
    if (Matches(instance, want)) {
      plan.reuse = instance;
    } else if (Booked(instance, live)) {
      plan.blocked_by.push_back(instance);
    } else {
      plan.destroy_first.push_back(instance);
    }
  }
  return plan;
}

std::vector<MigInstance> UnbookedMigInstances(const std::vector<MigInstance>& instances,
                                              const std::vector<model::MigAllocation>& live) {
  std::vector<MigInstance> out;
  for (const auto& instance : instances) {
    if (!Booked(instance, live)) out.push_back(instance);
  }
  return out;
}

void RecordRealized(std::vector<model::MigAllocation>& entries, const model::MigAllocation& booking,
                    const MigInstance& instance) {
  for (auto& entry : entries) {
    if (entry.container_index != booking.container_index ||
        entry.device_index != booking.device_index || entry.gpu_uuid != booking.gpu_uuid ||
        entry.profile != booking.profile || entry.placement_start != booking.placement_start ||
        entry.placement_size != booking.placement_size) {
      continue;
    }
    entry.mig_uuid = instance.mig_uuid;
    entry.gpu_instance_id = static_cast<int32_t>(instance.gpu_instance_id);
    entry.compute_instance_id = static_cast<int32_t>(instance.compute_instance_id.value_or(0));
    return;
  }
}

}  // namespace hami::deviceplugin
