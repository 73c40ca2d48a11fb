#include "sim/mig_profiles.h"

#include <bit>
#include <cstdio>

#include "base/strings.h"
#include "gpuapi/nvml_types.h"

namespace hami::sim {
namespace {

// One row of `nvidia-smi mig -lgip` / `-lgipp`. Copy engines follow the compute slices; the media
// engines (decoder, JPEG, OFA) are given to the "+me" profiles only.
constexpr GiProfile Row(unsigned constant, unsigned id, const char* name, unsigned slices,
                        unsigned instances, uint64_t mib, unsigned sms, unsigned size,
                        unsigned placements, bool media = false) {
  unsigned m = media ? 1 : 0;
  return GiProfile{constant, id,         name,   slices, instances, mib, sms,
                   size,     placements, slices, m,      m,         m};
}

constexpr unsigned k1 = NVML_GPU_INSTANCE_PROFILE_1_SLICE;
constexpr unsigned k2 = NVML_GPU_INSTANCE_PROFILE_2_SLICE;
constexpr unsigned k3 = NVML_GPU_INSTANCE_PROFILE_3_SLICE;
constexpr unsigned k4 = NVML_GPU_INSTANCE_PROFILE_4_SLICE;
constexpr unsigned k7 = NVML_GPU_INSTANCE_PROFILE_7_SLICE;
constexpr unsigned k1Me = NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV1;
constexpr unsigned k2Me = NVML_GPU_INSTANCE_PROFILE_2_SLICE_REV1;
constexpr unsigned k1Rev2 = NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV2;

constexpr GiProfile kA100With40Gb[] = {
    Row(k1, 19, "1g.5gb", 1, 7, 4864, 14, 1, 7),
    Row(k1Me, 20, "1g.5gb+me", 1, 1, 4864, 14, 1, 7, true),
    Row(k1Rev2, 15, "1g.10gb", 1, 4, 9856, 14, 2, 4),
    Row(k2, 14, "2g.10gb", 2, 3, 9856, 28, 2, 3),
    Row(k3, 9, "3g.20gb", 3, 2, 19968, 42, 4, 2),
    Row(k4, 5, "4g.20gb", 4, 1, 19968, 56, 4, 1),
    Row(k7, 0, "7g.40gb", 7, 1, 40192, 98, 8, 1),
};

constexpr GiProfile kA100With80Gb[] = {
    Row(k1, 19, "1g.10gb", 1, 7, 9728, 14, 1, 7),
    Row(k1Me, 20, "1g.10gb+me", 1, 1, 9728, 14, 1, 7, true),
    Row(k1Rev2, 15, "1g.20gb", 1, 4, 19712, 14, 2, 4),
    Row(k2, 14, "2g.20gb", 2, 3, 19712, 28, 2, 3),
    Row(k3, 9, "3g.40gb", 3, 2, 39936, 42, 4, 2),
    Row(k4, 5, "4g.40gb", 4, 1, 39936, 56, 4, 1),
    Row(k7, 0, "7g.80gb", 7, 1, 80384, 98, 8, 1),
};

constexpr GiProfile kH100With80Gb[] = {
    Row(k1, 19, "1g.10gb", 1, 7, 9984, 16, 1, 7),
    Row(k1Me, 20, "1g.10gb+me", 1, 1, 9984, 16, 1, 7, true),
    Row(k1Rev2, 15, "1g.20gb", 1, 4, 20096, 26, 2, 4),
    Row(k2, 14, "2g.20gb", 2, 3, 20096, 32, 2, 3),
    Row(k3, 9, "3g.40gb", 3, 2, 40448, 60, 4, 2),
    Row(k4, 5, "4g.40gb", 4, 1, 40448, 64, 4, 1),
    Row(k7, 0, "7g.80gb", 7, 1, 81152, 132, 8, 1),
};

constexpr GiProfile kA30With24Gb[] = {
    Row(k1, 14, "1g.6gb", 1, 4, 5952, 14, 1, 4),
    Row(k1Me, 21, "1g.6gb+me", 1, 1, 5952, 14, 1, 4, true),
    Row(k2, 5, "2g.12gb", 2, 2, 11968, 28, 2, 2),
    Row(k2Me, 6, "2g.12gb+me", 2, 1, 11968, 28, 2, 2, true),
    Row(k4, 0, "4g.24gb", 4, 1, 24000, 56, 4, 1),
};

constexpr MigModel kModels[] = {
    {"A100", 40, 8, 7, kA100With40Gb},
    {"A100", 80, 8, 7, kA100With80Gb},
    {"H100", 80, 8, 7, kH100With80Gb},
    {"A30", 24, 4, 4, kA30With24Gb},
};

// Compute slices of each NVML_COMPUTE_INSTANCE_PROFILE_* constant; 0: not modelled.
constexpr unsigned kCiSlices[NVML_COMPUTE_INSTANCE_PROFILE_COUNT] = {1, 2, 3, 4, 7, 0, 0, 0};

uint64_t Fnv1a(std::string_view data, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

bool Overlaps(MigPlacement a, MigPlacement b) {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}

const MigModel* FindMigModel(const GpuSpec& gpu) {
  if (!gpu.mig_capable) return nullptr;
  std::string name = base::ToUpper(gpu.name);
  const uint64_t mib = gpu.memory_bytes >> 20;
  for (const MigModel& m : kModels) {
    const uint64_t nominal = uint64_t{m.memory_gib} * 1024;
    const uint64_t diff = mib > nominal ? mib - nominal : nominal - mib;
    if (base::Contains(name, m.family) && diff * 10 <= nominal) return &m;
  }
  return nullptr;
}

const GiProfile* GiProfileByConstant(const MigModel& model, unsigned constant) {
  for (const GiProfile& p : model.profiles) {
    if (p.constant == constant) return &p;
  }
  return nullptr;
}

const GiProfile* GiProfileById(const MigModel& model, unsigned id) {
  for (const GiProfile& p : model.profiles) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

MigPlacement GiPlacementAt(const GiProfile& profile, unsigned k) {
  return {k * profile.placement_size, profile.placement_size};
}

bool IsPossiblePlacement(const GiProfile& profile, MigPlacement placement) {
  for (unsigned k = 0; k < profile.placement_count; ++k) {
    if (GiPlacementAt(profile, k) == placement) return true;
  }
  return false;
}

unsigned GpuInstanceId(const MigModel& model, MigPlacement placement) {
  return model.memory_slices / placement.size - 1 + placement.start / placement.size;
}

namespace {

bool IsFree(MigPlacement p, std::span<const MigPlacement> used) {
  for (MigPlacement u : used) {
    if (Overlaps(p, u)) return false;
  }
  return true;
}

// Free, mutually non-overlapping placements produced by `at(k)` for k < count, taken in order.
template <typename At>
unsigned CountFree(unsigned count, At at, std::span<const MigPlacement> used) {
  std::vector<MigPlacement> taken(used.begin(), used.end());
  unsigned n = 0;
  for (unsigned k = 0; k < count; ++k) {
    MigPlacement p = at(k);
    if (IsFree(p, taken)) {
      taken.push_back(p);
      ++n;
    }
  }
  return n;
}

}  // namespace

std::optional<MigPlacement> FirstFreePlacement(const GiProfile& profile,
                                               std::span<const MigPlacement> used) {
  for (unsigned k = 0; k < profile.placement_count; ++k) {
    MigPlacement p = GiPlacementAt(profile, k);
    if (IsFree(p, used)) return p;
  }
  return std::nullopt;
}

unsigned RemainingGpuInstances(const GiProfile& profile, std::span<const MigPlacement> used,
                               unsigned existing) {
  if (existing >= profile.instance_count) return 0;
  unsigned free = CountFree(
      profile.placement_count, [&](unsigned k) { return GiPlacementAt(profile, k); }, used);
  return std::min(free, profile.instance_count - existing);
}

std::optional<CiProfile> ComputeInstanceProfile(const GiProfile& gi, unsigned constant) {
  if (constant >= NVML_COMPUTE_INSTANCE_PROFILE_COUNT) return std::nullopt;
  unsigned slices = kCiSlices[constant];
  if (slices == 0 || slices > gi.slices) return std::nullopt;
  CiProfile ci{constant, slices, 0, gi.sms * slices / gi.slices, std::bit_ceil(slices)};
  while ((ci.instance_count * ci.align) + slices <= gi.slices) ++ci.instance_count;
  return ci;
}

MigPlacement CiPlacementAt(const CiProfile& profile, unsigned k) {
  return {k * profile.align, profile.slices};
}

std::optional<MigPlacement> FirstFreeCiPlacement(const CiProfile& profile,
                                                 std::span<const MigPlacement> used) {
  for (unsigned k = 0; k < profile.instance_count; ++k) {
    MigPlacement p = CiPlacementAt(profile, k);
    if (IsFree(p, used)) return p;
  }
  return std::nullopt;
}

unsigned RemainingComputeInstances(const CiProfile& profile, std::span<const MigPlacement> used,
                                   unsigned existing) {
  if (existing >= profile.instance_count) return 0;
  unsigned free = CountFree(
      profile.instance_count, [&](unsigned k) { return CiPlacementAt(profile, k); }, used);
  return std::min(free, profile.instance_count - existing);
}

std::string CiProfileName(const GiProfile& gi, const CiProfile& ci) {
  if (ci.slices == gi.slices) return std::string("MIG ") + gi.name;
  return "MIG " + std::to_string(ci.slices) + "c." + gi.name;
}

std::string MigUuid(std::string_view parent_uuid, unsigned gi, unsigned ci) {
  std::string key =
      std::string(parent_uuid) + "/mig/" + std::to_string(gi) + "/" + std::to_string(ci);
  uint64_t a = Fnv1a(key, 0x6d69);
  uint64_t b = Fnv1a(key, 0x4d49);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "MIG-%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buf;
}

GpuSpec MigDeviceSpec(const GpuSpec& parent, const GiProfile& gi, const CiProfile& ci,
                      unsigned gi_id, unsigned ci_id) {
  GpuSpec spec = parent;
  spec.name = parent.name + " " + CiProfileName(gi, ci);
  spec.uuid = MigUuid(parent.uuid, gi_id, ci_id);
  spec.memory_bytes = gi.memory_mib << 20;
  spec.sms = static_cast<int>(ci.sms);
  spec.mig_capable = false;
  return spec;
}

base::Result<uint32_t> ParseMigGpus(std::string_view text, const std::vector<GpuSpec>& gpus) {
  text = base::Trim(text);
  uint32_t mask = 0;
  if (text.empty()) return mask;
  if (base::ToUpper(text) == "ALL") {
    for (size_t i = 0; i < gpus.size(); ++i) {
      if (FindMigModel(gpus[i]) != nullptr) mask |= 1u << i;
    }
    return mask;
  }
  for (std::string_view raw : base::Split(text, ',')) {
    std::string_view entry = base::Trim(raw);
    auto index = base::ParseInt64(entry);
    if (!index || *index < 0 || *index >= static_cast<int64_t>(gpus.size())) {
      return base::InvalidArgument("HAMI_SIM_MIG entry '" + std::string(entry) +
                                   "': not a GPU index (want e.g. 0,2 or all)");
    }
    if (FindMigModel(gpus[*index]) == nullptr) {
      return base::InvalidArgument("HAMI_SIM_MIG entry '" + std::string(entry) +
                                   "': " + gpus[*index].name + " has no MIG profiles");
    }
    mask |= 1u << *index;
  }
  return mask;
}

}  // namespace hami::sim
