#include "sim/mig_profiles.h"

#include <array>
#include <bit>
#include <cstddef>

#include "base/strings.h"
#include "gpuapi/nvml_types.h"

namespace hami::sim {
namespace {

constexpr unsigned k1 = NVML_GPU_INSTANCE_PROFILE_1_SLICE;
constexpr unsigned k2 = NVML_GPU_INSTANCE_PROFILE_2_SLICE;
constexpr unsigned k3 = NVML_GPU_INSTANCE_PROFILE_3_SLICE;
constexpr unsigned k4 = NVML_GPU_INSTANCE_PROFILE_4_SLICE;
constexpr unsigned k7 = NVML_GPU_INSTANCE_PROFILE_7_SLICE;
constexpr unsigned k1Me = NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV1;
constexpr unsigned k2Me = NVML_GPU_INSTANCE_PROFILE_2_SLICE_REV1;
constexpr unsigned k1Rev2 = NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV2;

// The columns of `nvidia-smi mig -lgip` / `-lgipp` that every GPU with the same number of memory
// slices shares: NVML constant, profile id, compute slices, instance count, placement size and
// count, and whether the profile holds the media engines ("+me").
struct ProfileLayout {
  unsigned constant;
  unsigned id;
  unsigned slices;
  unsigned instances;
  unsigned placement_size;
  unsigned placements;
  bool media;
};

// The columns that differ between GPU models of one layout.
struct ProfileSize {
  const char* name;
  uint64_t mib;
  unsigned sms;
};

// 8 memory slices, 7 compute slices (A100, H100).
constexpr ProfileLayout kEightSliceLayout[] = {
    {k1, 19, 1, 7, 1, 7, false},      // 1g
    {k1Me, 20, 1, 1, 1, 7, true},     // 1g+me
    {k1Rev2, 15, 1, 4, 2, 4, false},  // 1g with two memory slices
    {k2, 14, 2, 3, 2, 3, false},      // 2g
    {k3, 9, 3, 2, 4, 2, false},       // 3g
    {k4, 5, 4, 1, 4, 1, false},       // 4g
    {k7, 0, 7, 1, 8, 1, false},       // 7g
};

// 4 memory slices, 4 compute slices (A30).
constexpr ProfileLayout kFourSliceLayout[] = {
    {k1, 14, 1, 4, 1, 4, false},   // 1g
    {k1Me, 21, 1, 1, 1, 4, true},  // 1g+me
    {k2, 5, 2, 2, 2, 2, false},    // 2g
    {k2Me, 6, 2, 1, 2, 2, true},   // 2g+me
    {k4, 0, 4, 1, 4, 1, false},    // 4g
};

// A model's profile table: row k is layout[k] with sizes[k]. Copy engines follow the compute
// slices; the media engines (decoder, JPEG, OFA) are given to the "+me" profiles only.
template <size_t N>
constexpr std::array<GiProfile, N> ProfileTable(const ProfileLayout (&layout)[N],
                                                const ProfileSize (&sizes)[N]) {
  std::array<GiProfile, N> table{};
  for (size_t k = 0; k < N; ++k) {
    const ProfileLayout& l = layout[k];
    const unsigned media = l.media ? 1 : 0;
    table[k] = GiProfile{.constant = l.constant,
                         .id = l.id,
                         .name = sizes[k].name,
                         .slices = l.slices,
                         .instance_count = l.instances,
                         .memory_mib = sizes[k].mib,
                         .sms = sizes[k].sms,
                         .placement_size = l.placement_size,
                         .placement_count = l.placements,
                         .copy_engines = l.slices,
                         .decoders = media,
                         .jpegs = media,
                         .ofas = media};
  }
  return table;
}

constexpr auto kA100With40Gb = ProfileTable(kEightSliceLayout, {{"1g.5gb", 4864, 14},
                                                                {"1g.5gb+me", 4864, 14},
                                                                {"1g.10gb", 9856, 14},
                                                                {"2g.10gb", 9856, 28},
                                                                {"3g.20gb", 19968, 42},
                                                                {"4g.20gb", 19968, 56},
                                                                {"7g.40gb", 40192, 98}});

constexpr auto kA100With80Gb = ProfileTable(kEightSliceLayout, {{"1g.10gb", 9728, 14},
                                                                {"1g.10gb+me", 9728, 14},
                                                                {"1g.20gb", 19712, 14},
                                                                {"2g.20gb", 19712, 28},
                                                                {"3g.40gb", 39936, 42},
                                                                {"4g.40gb", 39936, 56},
                                                                {"7g.80gb", 80384, 98}});

constexpr auto kH100With80Gb = ProfileTable(kEightSliceLayout, {{"1g.10gb", 9984, 16},
                                                                {"1g.10gb+me", 9984, 16},
                                                                {"1g.20gb", 20096, 26},
                                                                {"2g.20gb", 20096, 32},
                                                                {"3g.40gb", 40448, 60},
                                                                {"4g.40gb", 40448, 64},
                                                                {"7g.80gb", 81152, 132}});

constexpr auto kA30With24Gb = ProfileTable(kFourSliceLayout, {{"1g.6gb", 5952, 14},
                                                              {"1g.6gb+me", 5952, 14},
                                                              {"2g.12gb", 11968, 28},
                                                              {"2g.12gb+me", 11968, 28},
                                                              {"4g.24gb", 24000, 56}});

constexpr MigModel kModels[] = {
    {"A100", 40, 8, 7, kA100With40Gb},
    {"A100", 80, 8, 7, kA100With80Gb},
    {"H100", 80, 8, 7, kH100With80Gb},
    {"A30", 24, 4, 4, kA30With24Gb},
};

// Compute slices of each NVML_COMPUTE_INSTANCE_PROFILE_* constant; 0: not modelled.
constexpr unsigned kCiSlices[NVML_COMPUTE_INSTANCE_PROFILE_COUNT] = {1, 2, 3, 4, 7, 0, 0, 0};

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
  return DigestUuid(
      "MIG", std::string(parent_uuid) + "/mig/" + std::to_string(gi) + "/" + std::to_string(ci),
      0x6d69, 0x4d49);
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
