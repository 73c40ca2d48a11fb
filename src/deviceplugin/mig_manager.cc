#include "deviceplugin/mig_manager.h"

#include <algorithm>

#include "base/log.h"

namespace hami::deviceplugin {
namespace {

std::string Describe(const MigInstance& i) {
  return i.profile + " at " + std::to_string(i.placement.start) + "+" +
         std::to_string(i.placement.size) + " (GPU instance " + std::to_string(i.gpu_instance_id) +
         ")";
}

}  // namespace

MigManager::MigManager(DeviceSource& source, MigManagerConfig config)
    : source_(source), config_(std::move(config)) {}

base::Result<std::vector<MigInstance>> MigManager::Realize(
    const std::vector<model::MigAllocation>& wanted) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<std::vector<model::MigAllocation>> live;  // read once, when first needed
  std::vector<MigInstance> out;
  for (const auto& want : wanted) {
    HAMI_ASSIGN_OR_RETURN(MigInstance instance, RealizeOne(want, live));
    out.push_back(std::move(instance));
  }
  return out;
}

base::Result<MigInstance> MigManager::RealizeOne(
    const model::MigAllocation& want, std::optional<std::vector<model::MigAllocation>>& live) {
  const std::string where = "GPU " + want.gpu_uuid + ": " + want.profile + " at " +
                            std::to_string(want.placement_start) + "+" +
                            std::to_string(want.placement_size);
  const auto gpus = config_.gpus();
  auto gpu = std::find_if(gpus.begin(), gpus.end(),
                          [&](const GpuInfo& g) { return g.uuid == want.gpu_uuid; });
  if (gpu == gpus.end() || !gpu->mig_enabled) {
    return base::FailedPrecondition(where + ": the GPU is not in MIG mode on this node");
  }
  auto profile = std::find_if(gpu->mig_profiles.begin(), gpu->mig_profiles.end(),
                              [&](const MigProfileInfo& p) { return p.name == want.profile; });
  if (profile == gpu->mig_profiles.end()) {
    return base::FailedPrecondition(where + ": the GPU has no such MIG profile");
  }
  HAMI_ASSIGN_OR_RETURN(auto instances, source_.MigInstances(*gpu));
  MigRealizePlan plan = PlanMigRealize(want, instances, {});
  if (!plan.destroy_first.empty()) {  // in the way: destroy only what no live pod holds
    if (!live) {
      HAMI_ASSIGN_OR_RETURN(live, config_.live_bookings());
    }
    plan = PlanMigRealize(want, instances, *live);
  }
  if (!plan.blocked_by.empty()) {
    return base::FailedPrecondition(where + ": overlaps " + Describe(plan.blocked_by.front()) +
                                    ", held by another pod");
  }
  if (plan.reuse && !plan.reuse->compute_instance_id) {
    plan.destroy_first.push_back(*plan.reuse);  // half-made (no compute instance): make anew
    plan.reuse.reset();
  }
  for (const auto& stale : plan.destroy_first) {
    HAMI_RETURN_IF_ERROR(source_.DestroyMigInstance(*gpu, stale.gpu_instance_id));
    base::LogInfo("destroyed stale MIG instance",
                  {{"gpu", gpu->uuid}, {"instance", Describe(stale)}});
  }
  if (plan.reuse) return *plan.reuse;
  HAMI_ASSIGN_OR_RETURN(
      MigInstance created,
      source_.CreateMigInstance(*gpu, *profile, {want.placement_start, want.placement_size}));
  base::LogInfo("created MIG instance",
                {{"gpu", gpu->uuid}, {"instance", Describe(created)}, {"uuid", created.mig_uuid}});
  return created;
}

std::vector<MigInstance> MigManager::Reconcile() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<MigInstance> instances;
  std::vector<GpuInfo> gpus;
  for (const auto& gpu : config_.gpus()) {
    if (!gpu.mig_enabled) continue;
    auto listed = source_.MigInstances(gpu);
    if (!listed.ok()) {
      base::LogWarn("list MIG instances", {{"gpu", gpu.uuid}, {"error", listed.error().message()}});
      continue;
    }
    instances.insert(instances.end(), listed->begin(), listed->end());
    gpus.push_back(gpu);
  }
  if (instances.empty()) return {};
  if (config_.cached_bookings) {
    if (auto cached = config_.cached_bookings()) {
      instances = UnbookedMigInstances(instances, *cached);
      if (instances.empty()) return {};
    }
  }
  auto live = config_.live_bookings();
  if (!live.ok()) {
    base::LogWarn("MIG reconcile: pods unreadable, nothing destroyed",
                  {{"error", live.error().message()}});
    return {};
  }
  std::vector<MigInstance> destroyed;
  for (const auto& stale : UnbookedMigInstances(instances, *live)) {
    auto gpu = std::find_if(gpus.begin(), gpus.end(),
                            [&](const GpuInfo& g) { return g.uuid == stale.gpu_uuid; });
    auto status = source_.DestroyMigInstance(*gpu, stale.gpu_instance_id);
    if (!status.ok()) {
      base::LogWarn(
          "destroy MIG instance",
          {{"gpu", stale.gpu_uuid}, {"instance", Describe(stale)}, {"error", status.message()}});
      continue;
    }
    base::LogInfo(
        "destroyed MIG instance of a pod gone",
        {{"gpu", stale.gpu_uuid}, {"instance", Describe(stale)}, {"uuid", stale.mig_uuid}});
    destroyed.push_back(stale);
  }
  return destroyed;
}

}  // namespace hami::deviceplugin
