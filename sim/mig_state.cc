// SharedState's MIG part: mode, GPU and compute instances in the shared state file, and the
// memory of processes running on MIG devices (see shared_state.h for the layout and its rules).
#include <errno.h>

#include <atomic>
#include <cstring>

#include "sim/shared_state.h"

namespace hami::sim {
namespace {

void SetState(uint32_t& state, uint32_t value) {
  std::atomic_ref<uint32_t>(state).store(value, std::memory_order_release);
}

bool FreeOf(MigPlacement p, const std::vector<MigPlacement>& used) {
  for (MigPlacement u : used) {
    if (Overlaps(p, u)) return false;
  }
  return true;
}

// GPU instance `gid` of `m` while it is live; nullptr otherwise (an id out of range too).
GpuInstanceShared* LiveGpuInstance(MigShared& m, unsigned gid) {
  if (gid >= static_cast<unsigned>(kMaxGpuInstances) || m.gis[gid].state != kMigLive) {
    return nullptr;
  }
  return &m.gis[gid];
}

// Compute instance `id` of GPU instance `gid` while both are live; nullptr otherwise.
ComputeInstanceShared* LiveComputeInstance(MigShared& m, unsigned gid, unsigned id) {
  GpuInstanceShared* gi = LiveGpuInstance(m, gid);
  if (gi == nullptr || id >= static_cast<unsigned>(kMaxComputeInstances) ||
      gi->cis[id].state != kMigLive) {
    return nullptr;
  }
  return &gi->cis[id];
}

}  // namespace

// Holds a GPU's MIG mutex. Taking it over from a process that died holding it drops the rows
// that process left half-written.
class SharedState::MigLock {
 public:
  explicit MigLock(MigShared& mig) : mig_(&mig) {
    if (pthread_mutex_lock(&mig.mu) == EOWNERDEAD) {
      Repair(mig);
      pthread_mutex_consistent(&mig.mu);
    }
  }
  ~MigLock() { pthread_mutex_unlock(&mig_->mu); }
  MigLock(const MigLock&) = delete;
  MigLock& operator=(const MigLock&) = delete;

 private:
  static void Repair(MigShared& mig) {
    for (GpuInstanceShared& gi : mig.gis) {
      if (gi.state != kMigLive) {
        std::memset(static_cast<void*>(&gi), 0, sizeof(gi));
        continue;
      }
      for (ComputeInstanceShared& ci : gi.cis) {
        if (ci.state != kMigLive) std::memset(static_cast<void*>(&ci), 0, sizeof(ci));
      }
    }
  }

  MigShared* mig_;
};

MigModeValues SharedState::MigMode(int dev) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  return {m.current_mode, m.pending_mode};
}

nvmlReturn_t SharedState::SetMigMode(int dev, unsigned mode) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  m.pending_mode = mode;
  if (mode == m.current_mode) return NVML_SUCCESS;
  bool busy = !Processes(dev).empty();
  for (const GpuInstanceShared& gi : m.gis) busy |= gi.state == kMigLive;
  if (busy) return NVML_ERROR_IN_USE;
  m.current_mode = mode;
  return NVML_SUCCESS;
}

nvmlReturn_t SharedState::CreateGpuInstance(int dev, const MigModel& model,
                                            const GiProfile& profile,
                                            std::optional<MigPlacement> placement, unsigned* id) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  if (m.current_mode != NVML_DEVICE_MIG_ENABLE) return NVML_ERROR_NOT_SUPPORTED;
  std::vector<MigPlacement> used;
  unsigned same = 0;
  for (const GpuInstanceShared& gi : m.gis) {
    if (gi.state != kMigLive) continue;
    used.push_back({gi.start, gi.size});
    if (gi.profile_id == profile.id) ++same;
  }
  if (same >= profile.instance_count) return NVML_ERROR_INSUFFICIENT_RESOURCES;
  if (!placement) placement = FirstFreePlacement(profile, used);
  if (!placement || !FreeOf(*placement, used)) return NVML_ERROR_INSUFFICIENT_RESOURCES;
  unsigned gid = GpuInstanceId(model, *placement);
  if (gid >= static_cast<unsigned>(kMaxGpuInstances)) return NVML_ERROR_UNKNOWN;
  GpuInstanceShared& gi = m.gis[gid];
  SetState(gi.state, kMigWriting);
  std::memset(static_cast<void*>(gi.cis), 0, sizeof(gi.cis));
  gi.profile_id = profile.id;
  gi.start = placement->start;
  gi.size = placement->size;
  gi.memory_bytes = profile.memory_mib << 20;
  SetState(gi.state, kMigLive);
  *id = gid;
  return NVML_SUCCESS;
}

nvmlReturn_t SharedState::DestroyGpuInstance(int dev, unsigned id) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  if (m.current_mode != NVML_DEVICE_MIG_ENABLE) return NVML_ERROR_NOT_SUPPORTED;
  GpuInstanceShared* gi = LiveGpuInstance(m, id);
  if (gi == nullptr) return NVML_ERROR_NOT_FOUND;
  for (const ComputeInstanceShared& ci : gi->cis) {
    if (ci.state == kMigLive) return NVML_ERROR_IN_USE;
  }
  if (MigInUse(dev, id, -1)) return NVML_ERROR_IN_USE;
  SetState(gi->state, kMigWriting);
  std::memset(static_cast<void*>(gi), 0, sizeof(*gi));  // leaves the state kMigFree
  return NVML_SUCCESS;
}

std::vector<GpuInstanceRecord> SharedState::GpuInstances(int dev) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  std::vector<GpuInstanceRecord> out;
  for (unsigned id = 0; id < static_cast<unsigned>(kMaxGpuInstances); ++id) {
    const GpuInstanceShared& gi = m.gis[id];
    if (gi.state == kMigLive) {
      out.push_back({id, gi.profile_id, {gi.start, gi.size}, gi.memory_bytes});
    }
  }
  return out;
}

nvmlReturn_t SharedState::CreateComputeInstance(int dev, unsigned gid, const CiProfile& profile,
                                                unsigned* id) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  if (m.current_mode != NVML_DEVICE_MIG_ENABLE) return NVML_ERROR_NOT_SUPPORTED;
  GpuInstanceShared* gi = LiveGpuInstance(m, gid);
  if (gi == nullptr) return NVML_ERROR_NOT_FOUND;
  std::vector<MigPlacement> used;
  unsigned same = 0;
  int free_id = -1;
  for (int k = 0; k < kMaxComputeInstances; ++k) {
    const ComputeInstanceShared& ci = gi->cis[k];
    if (ci.state != kMigLive) {
      if (free_id < 0) free_id = k;
      continue;
    }
    used.push_back({ci.start, ci.size});
    if (ci.profile == profile.id) ++same;
  }
  if (same >= profile.instance_count || free_id < 0) return NVML_ERROR_INSUFFICIENT_RESOURCES;
  auto placement = FirstFreeCiPlacement(profile, used);
  if (!placement) return NVML_ERROR_INSUFFICIENT_RESOURCES;
  if (++m.next_stamp == 0) ++m.next_stamp;
  ComputeInstanceShared& ci = gi->cis[free_id];
  SetState(ci.state, kMigWriting);
  ci.profile = profile.id;
  ci.start = placement->start;
  ci.size = placement->size;
  ci.stamp = m.next_stamp;
  SetState(ci.state, kMigLive);
  *id = static_cast<unsigned>(free_id);
  return NVML_SUCCESS;
}

nvmlReturn_t SharedState::DestroyComputeInstance(int dev, unsigned gid, unsigned id) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  if (m.current_mode != NVML_DEVICE_MIG_ENABLE) return NVML_ERROR_NOT_SUPPORTED;
  ComputeInstanceShared* ci = LiveComputeInstance(m, gid, id);
  if (ci == nullptr) return NVML_ERROR_NOT_FOUND;
  if (MigInUse(dev, gid, static_cast<int>(id))) return NVML_ERROR_IN_USE;
  SetState(ci->state, kMigWriting);
  std::memset(static_cast<void*>(ci), 0, sizeof(*ci));
  return NVML_SUCCESS;
}

std::vector<ComputeInstanceRecord> SharedState::ComputeInstances(int dev, unsigned gid) {
  MigShared& m = file_->devices[dev].mig;
  MigLock lock(m);
  std::vector<ComputeInstanceRecord> out;
  const GpuInstanceShared* gi = LiveGpuInstance(m, gid);
  if (gi == nullptr) return out;
  for (unsigned id = 0; id < static_cast<unsigned>(kMaxComputeInstances); ++id) {
    const ComputeInstanceShared& ci = gi->cis[id];
    if (ci.state == kMigLive) out.push_back({id, ci.profile, {ci.start, ci.size}, ci.stamp});
  }
  return out;
}

uint64_t SharedState::MigUsedBytes(int dev, unsigned gi) {
  uint64_t used = 0;
  for (const ProcSlot& s : file_->slots) {
    auto b = UnpackMigBinding(s.mig.load());
    if (b && b->dev == dev && b->gi == gi && s.pid.load() != 0) used += s.used[dev].load();
  }
  return used;
}

bool SharedState::MigInUse(int dev, unsigned gi, int ci) {
  ReclaimDead();
  for (const ProcSlot& s : file_->slots) {
    auto b = UnpackMigBinding(s.mig.load());
    if (b && b->dev == dev && b->gi == gi && (ci < 0 || b->ci == static_cast<unsigned>(ci)) &&
        s.pid.load() != 0) {
      return true;
    }
  }
  return false;
}

bool SharedState::MigBindingLive(int slot, int dev) {
  auto b = UnpackMigBinding(file_->slots[slot].mig.load());
  if (!b || b->dev != dev) return false;
  const MigShared& m = file_->devices[dev].mig;
  if (m.current_mode != NVML_DEVICE_MIG_ENABLE || b->gi >= kMaxGpuInstances ||
      b->ci >= kMaxComputeInstances) {
    return false;
  }
  const GpuInstanceShared& gi = m.gis[b->gi];
  return gi.state == kMigLive && gi.cis[b->ci].state == kMigLive && gi.cis[b->ci].stamp == b->stamp;
}

bool SharedState::BindMig(int slot, int dev, unsigned gi, unsigned ci, uint32_t stamp) {
  MigLock lock(file_->devices[dev].mig);
  file_->slots[slot].mig.store(PackMigBinding({dev, gi, ci, stamp}));
  if (MigBindingLive(slot, dev)) return true;
  file_->slots[slot].mig.store(0);
  return false;
}

bool SharedState::ReserveMig(int slot, int dev, uint64_t bytes) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      MigShared& m = file_->devices[dev].mig;
      MigLock lock(m);
      if (!MigBindingLive(slot, dev)) return false;
      unsigned gi = UnpackMigBinding(file_->slots[slot].mig.load())->gi;
      uint64_t capacity = m.gis[gi].memory_bytes;
      uint64_t used = MigUsedBytes(dev, gi);
      if (bytes <= capacity && used <= capacity - bytes) return Reserve(slot, dev, bytes);
    }
    if (ReclaimDead() == 0) break;
  }
  return false;
}

bool SharedState::AddMigContext(int slot, int dev) {
  MigLock lock(file_->devices[dev].mig);
  if (!MigBindingLive(slot, dev)) return false;
  AddContext(slot, dev, 1);
  return true;
}

std::optional<VisibleDevice> FindMigDevice(SharedState& state, const std::vector<GpuSpec>& gpus,
                                           std::string_view uuid) {
  for (int dev = 0; dev < state.gpu_count(); ++dev) {
    if (state.MigMode(dev).current != NVML_DEVICE_MIG_ENABLE) continue;
    for (const GpuInstanceRecord& gi : state.GpuInstances(dev)) {
      for (const ComputeInstanceRecord& ci : state.ComputeInstances(dev, gi.id)) {
        if (MigUuid(gpus[dev].uuid, gi.id, ci.id) == uuid) {
          return VisibleDevice{dev, static_cast<int>(gi.id), static_cast<int>(ci.id), ci.stamp};
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<GpuSpec> MigDeviceSpec(SharedState& state, const GpuSpec& parent,
                                     const VisibleDevice& device) {
  const MigModel* model = FindMigModel(parent);
  if (model == nullptr) return std::nullopt;
  for (const GpuInstanceRecord& gi : state.GpuInstances(device.phys)) {
    if (gi.id != static_cast<unsigned>(device.gi)) continue;
    const GiProfile* profile = GiProfileById(*model, gi.profile_id);
    for (const ComputeInstanceRecord& ci : state.ComputeInstances(device.phys, gi.id)) {
      if (ci.id != static_cast<unsigned>(device.ci) || profile == nullptr) continue;
      auto ci_profile = ComputeInstanceProfile(*profile, ci.profile);
      if (ci_profile) return MigDeviceSpec(parent, *profile, *ci_profile, gi.id, ci.id);
    }
  }
  return std::nullopt;
}

}  // namespace hami::sim
