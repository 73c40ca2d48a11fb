#include "sim/mig_profiles.h"

#include <set>

#include <gtest/gtest.h>

#include "gpuapi/nvml_types.h"

namespace hami::sim {
namespace {

const MigModel& Model(const char* compact) {
  auto gpus = ParseCompactGpuList(compact);
  EXPECT_TRUE(gpus.ok());
  const MigModel* m = FindMigModel(gpus->at(0));
  EXPECT_NE(m, nullptr) << compact;
  static const MigModel kNone{"", 0, 8, 7, {}};
  return m != nullptr ? *m : kNone;
}

TEST(FindMigModel, TablesByFamilyAndMemory) {
  EXPECT_EQ(Model("A100-40GB").memory_gib, 40u);
  EXPECT_EQ(Model("A100-80GB").memory_gib, 80u);
  EXPECT_STREQ(Model("H100-80GB").family, "H100");
  EXPECT_EQ(Model("A30-24GB").memory_slices, 4u);
  EXPECT_EQ(Model("A30-24GB").compute_slices, 4u);
  for (const char* none : {"T4-16GB", "A10-24GB", "H200-141GB", "A100-16GB", "V100-32GB"}) {
    EXPECT_EQ(FindMigModel(ParseCompactGpuList(none)->at(0)), nullptr) << none;
  }
  // The JSON form: real memory sizes (within 10% of the nominal one) and names.
  auto json = ParseJsonGpuList(
      R"({"gpus":[{"name":"NVIDIA A100-SXM4-80GB","memoryMiB":81920},
                  {"name":"NVIDIA H100 80GB HBM3","memoryMiB":81559},
                  {"name":"NVIDIA A30","memoryMiB":24576}]})");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(FindMigModel((*json)[0])->memory_gib, 80u);
  EXPECT_STREQ(FindMigModel((*json)[1])->family, "H100");
  EXPECT_STREQ(FindMigModel((*json)[2])->family, "A30");
}

struct Row {
  const char* gpu;
  unsigned constant;
  unsigned id;
  const char* name;
  unsigned slices, instances;
  uint64_t mib;
  unsigned sms, size, placements;
};

TEST(GiProfile, TablesMatchNvidiaSmi) {
  const Row rows[] = {
      {"A100-40GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE, 19, "1g.5gb", 1, 7, 4864, 14, 1, 7},
      {"A100-40GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV1, 20, "1g.5gb+me", 1, 1, 4864, 14, 1, 7},
      {"A100-40GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV2, 15, "1g.10gb", 1, 4, 9856, 14, 2, 4},
      {"A100-40GB", NVML_GPU_INSTANCE_PROFILE_2_SLICE, 14, "2g.10gb", 2, 3, 9856, 28, 2, 3},
      {"A100-40GB", NVML_GPU_INSTANCE_PROFILE_3_SLICE, 9, "3g.20gb", 3, 2, 19968, 42, 4, 2},
      {"A100-40GB", NVML_GPU_INSTANCE_PROFILE_4_SLICE, 5, "4g.20gb", 4, 1, 19968, 56, 4, 1},
      {"A100-40GB", NVML_GPU_INSTANCE_PROFILE_7_SLICE, 0, "7g.40gb", 7, 1, 40192, 98, 8, 1},
      {"A100-80GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE, 19, "1g.10gb", 1, 7, 9728, 14, 1, 7},
      {"A100-80GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV2, 15, "1g.20gb", 1, 4, 19712, 14, 2, 4},
      {"A100-80GB", NVML_GPU_INSTANCE_PROFILE_3_SLICE, 9, "3g.40gb", 3, 2, 39936, 42, 4, 2},
      {"A100-80GB", NVML_GPU_INSTANCE_PROFILE_7_SLICE, 0, "7g.80gb", 7, 1, 80384, 98, 8, 1},
      {"H100-80GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE, 19, "1g.10gb", 1, 7, 9984, 16, 1, 7},
      {"H100-80GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV1, 20, "1g.10gb+me", 1, 1, 9984, 16, 1, 7},
      {"H100-80GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV2, 15, "1g.20gb", 1, 4, 20096, 26, 2, 4},
      {"H100-80GB", NVML_GPU_INSTANCE_PROFILE_2_SLICE, 14, "2g.20gb", 2, 3, 20096, 32, 2, 3},
      {"H100-80GB", NVML_GPU_INSTANCE_PROFILE_3_SLICE, 9, "3g.40gb", 3, 2, 40448, 60, 4, 2},
      {"H100-80GB", NVML_GPU_INSTANCE_PROFILE_4_SLICE, 5, "4g.40gb", 4, 1, 40448, 64, 4, 1},
      {"H100-80GB", NVML_GPU_INSTANCE_PROFILE_7_SLICE, 0, "7g.80gb", 7, 1, 81152, 132, 8, 1},
      {"A30-24GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE, 14, "1g.6gb", 1, 4, 5952, 14, 1, 4},
      {"A30-24GB", NVML_GPU_INSTANCE_PROFILE_1_SLICE_REV1, 21, "1g.6gb+me", 1, 1, 5952, 14, 1, 4},
      {"A30-24GB", NVML_GPU_INSTANCE_PROFILE_2_SLICE, 5, "2g.12gb", 2, 2, 11968, 28, 2, 2},
      {"A30-24GB", NVML_GPU_INSTANCE_PROFILE_2_SLICE_REV1, 6, "2g.12gb+me", 2, 1, 11968, 28, 2, 2},
      {"A30-24GB", NVML_GPU_INSTANCE_PROFILE_4_SLICE, 0, "4g.24gb", 4, 1, 24000, 56, 4, 1},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.gpu) + " " + r.name);
    const GiProfile* p = GiProfileByConstant(Model(r.gpu), r.constant);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p, GiProfileById(Model(r.gpu), r.id));
    EXPECT_STREQ(p->name, r.name);
    EXPECT_EQ(p->slices, r.slices);
    EXPECT_EQ(p->instance_count, r.instances);
    EXPECT_EQ(p->memory_mib, r.mib);
    EXPECT_EQ(p->sms, r.sms);
    EXPECT_EQ(p->placement_size, r.size);
    EXPECT_EQ(p->placement_count, r.placements);
  }
  EXPECT_EQ(GiProfileByConstant(Model("A100-40GB"), NVML_GPU_INSTANCE_PROFILE_2_SLICE_REV1),
            nullptr);
  EXPECT_EQ(GiProfileByConstant(Model("A30-24GB"), NVML_GPU_INSTANCE_PROFILE_3_SLICE), nullptr);
  EXPECT_EQ(GiProfileById(Model("A100-40GB"), 1), nullptr);
}

TEST(GiProfile, EveryPlacementFitsAndHasItsOwnId) {
  for (const char* gpu : {"A100-40GB", "A100-80GB", "H100-80GB", "A30-24GB"}) {
    const MigModel& m = Model(gpu);
    std::set<std::pair<unsigned, unsigned>> placements;
    std::set<unsigned> ids;
    for (const GiProfile& p : m.profiles) {
      EXPECT_LE(p.slices, m.compute_slices) << gpu << " " << p.name;
      EXPECT_LE(p.slices, p.placement_size) << gpu << " " << p.name;
      for (unsigned k = 0; k < p.placement_count; ++k) {
        MigPlacement at = GiPlacementAt(p, k);
        EXPECT_LE(at.start + at.size, m.memory_slices) << gpu << " " << p.name;
        EXPECT_TRUE(IsPossiblePlacement(p, at));
        if (placements.insert({at.start, at.size}).second) {
          unsigned id = GpuInstanceId(m, at);
          EXPECT_LT(id, static_cast<unsigned>(kMaxGpuInstances));
          EXPECT_TRUE(ids.insert(id).second) << gpu << " id " << id << " twice";
        }
      }
    }
  }
}

TEST(GpuInstanceId, HeapIndexOfThePlacement) {
  const MigModel& a100 = Model("A100-40GB");
  EXPECT_EQ(GpuInstanceId(a100, {0, 8}), 0u);
  EXPECT_EQ(GpuInstanceId(a100, {0, 4}), 1u);
  EXPECT_EQ(GpuInstanceId(a100, {4, 4}), 2u);
  EXPECT_EQ(GpuInstanceId(a100, {0, 2}), 3u);
  EXPECT_EQ(GpuInstanceId(a100, {6, 2}), 6u);
  EXPECT_EQ(GpuInstanceId(a100, {0, 1}), 7u);
  EXPECT_EQ(GpuInstanceId(a100, {6, 1}), 13u);
  const MigModel& a30 = Model("A30-24GB");
  EXPECT_EQ(GpuInstanceId(a30, {0, 4}), 0u);
  EXPECT_EQ(GpuInstanceId(a30, {2, 2}), 2u);
  EXPECT_EQ(GpuInstanceId(a30, {3, 1}), 6u);
}

TEST(Placement, OverlapAndFirstFree) {
  EXPECT_TRUE(Overlaps({0, 4}, {3, 1}));
  EXPECT_TRUE(Overlaps({0, 8}, {4, 4}));
  EXPECT_FALSE(Overlaps({0, 4}, {4, 4}));
  EXPECT_FALSE(Overlaps({2, 2}, {0, 2}));
  const MigModel& m = Model("A100-40GB");
  const GiProfile& one = *GiProfileById(m, 19);
  const GiProfile& three = *GiProfileById(m, 9);
  const GiProfile& four = *GiProfileById(m, 5);
  const GiProfile& seven = *GiProfileById(m, 0);
  std::vector<MigPlacement> used = {{4, 4}};  // a 3g at 4
  EXPECT_EQ(FirstFreePlacement(one, used), (MigPlacement{0, 1}));
  EXPECT_EQ(FirstFreePlacement(three, used), (MigPlacement{0, 4}));
  EXPECT_EQ(FirstFreePlacement(seven, used), std::nullopt);
  used = {{0, 4}};  // a 4g
  EXPECT_EQ(FirstFreePlacement(three, used), (MigPlacement{4, 4}));
  EXPECT_EQ(FirstFreePlacement(four, used), std::nullopt);
  EXPECT_EQ(FirstFreePlacement(one, used), (MigPlacement{4, 1}));
  used = {{0, 1}, {4, 4}};
  EXPECT_EQ(FirstFreePlacement(one, used), (MigPlacement{1, 1}));
}

TEST(Placement, RemainingGpuInstances) {
  const MigModel& m = Model("A100-40GB");
  const GiProfile& one = *GiProfileById(m, 19);
  const GiProfile& one_me = *GiProfileById(m, 20);
  const GiProfile& two = *GiProfileById(m, 14);
  const GiProfile& seven = *GiProfileById(m, 0);
  EXPECT_EQ(RemainingGpuInstances(one, {}, 0), 7u);
  EXPECT_EQ(RemainingGpuInstances(seven, {}, 0), 1u);
  std::vector<MigPlacement> used = {{0, 4}};           // a 3g (or 4g) at 0
  EXPECT_EQ(RemainingGpuInstances(one, used, 0), 3u);  // 4, 5, 6: slice 7 has no compute
  EXPECT_EQ(RemainingGpuInstances(two, used, 0), 1u);  // {4}:2 only ({6}:2 is not a placement)
  EXPECT_EQ(RemainingGpuInstances(seven, used, 0), 0u);
  used = {{0, 1}};
  EXPECT_EQ(RemainingGpuInstances(one, used, 1), 6u);
  EXPECT_EQ(RemainingGpuInstances(one_me, used, 0), 1u);
  EXPECT_EQ(RemainingGpuInstances(one_me, used, 1), 0u);  // instance count 1
  EXPECT_EQ(RemainingGpuInstances(two, used, 0), 2u);
}

TEST(CiProfile, ComputeInstancesInsideAGpuInstance) {
  const MigModel& m = Model("A100-40GB");
  const GiProfile& three = *GiProfileById(m, 9);
  auto c1 = ComputeInstanceProfile(three, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE);
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->id, 0u);
  EXPECT_EQ(c1->instance_count, 3u);
  EXPECT_EQ(c1->sms, 14u);
  auto c2 = ComputeInstanceProfile(three, NVML_COMPUTE_INSTANCE_PROFILE_2_SLICE);
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->instance_count, 1u);
  auto full = ComputeInstanceProfile(three, NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->id, static_cast<unsigned>(NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE));
  EXPECT_EQ(full->sms, 42u);
  EXPECT_EQ(full->instance_count, 1u);
  EXPECT_FALSE(ComputeInstanceProfile(three, NVML_COMPUTE_INSTANCE_PROFILE_4_SLICE));
  EXPECT_FALSE(ComputeInstanceProfile(three, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE_REV1));
  EXPECT_FALSE(ComputeInstanceProfile(three, NVML_COMPUTE_INSTANCE_PROFILE_COUNT));
  EXPECT_EQ(CiProfileName(three, *full), "MIG 3g.20gb");
  EXPECT_EQ(CiProfileName(three, *c1), "MIG 1c.3g.20gb");

  const GiProfile& seven = *GiProfileById(m, 0);
  auto c3 = ComputeInstanceProfile(seven, NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE);
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->instance_count, 2u);
  EXPECT_EQ(CiPlacementAt(*c3, 1), (MigPlacement{4, 3}));
  EXPECT_EQ(ComputeInstanceProfile(seven, NVML_COMPUTE_INSTANCE_PROFILE_2_SLICE)->instance_count,
            3u);
  EXPECT_EQ(ComputeInstanceProfile(seven, NVML_COMPUTE_INSTANCE_PROFILE_7_SLICE)->sms, 98u);
  EXPECT_FALSE(ComputeInstanceProfile(seven, NVML_COMPUTE_INSTANCE_PROFILE_8_SLICE));

  std::vector<MigPlacement> used = {{0, 1}};
  EXPECT_EQ(FirstFreeCiPlacement(*c1, used), (MigPlacement{1, 1}));
  EXPECT_EQ(FirstFreeCiPlacement(*full, used), std::nullopt);
  EXPECT_EQ(RemainingComputeInstances(*c1, used, 1), 2u);
  EXPECT_EQ(RemainingComputeInstances(*c2, used, 0), 0u);  // {0}:2 overlaps
  EXPECT_EQ(RemainingComputeInstances(*full, {}, 0), 1u);
}

TEST(MigUuid, DeterministicAndDistinct) {
  std::string a = MigUuid("GPU-11111111-2222-3333-4444-555555555555", 7, 0);
  EXPECT_EQ(a, MigUuid("GPU-11111111-2222-3333-4444-555555555555", 7, 0));
  EXPECT_EQ(a.size(), 40u);
  EXPECT_EQ(a.rfind("MIG-", 0), 0u);
  EXPECT_EQ(a[12], '-');
  EXPECT_EQ(a[27], '-');
  EXPECT_NE(a, MigUuid("GPU-11111111-2222-3333-4444-555555555555", 8, 0));
  EXPECT_NE(a, MigUuid("GPU-11111111-2222-3333-4444-555555555555", 7, 1));
  EXPECT_NE(a, MigUuid("GPU-11111111-2222-3333-4444-555555555556", 7, 0));
}

TEST(MigDeviceSpec, NameMemoryAndSms) {
  GpuSpec parent = ParseCompactGpuList("A100-40GB")->at(0);
  const GiProfile& one = *GiProfileById(Model("A100-40GB"), 19);
  auto ci = ComputeInstanceProfile(one, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE);
  GpuSpec spec = MigDeviceSpec(parent, one, *ci, 7, 0);
  EXPECT_EQ(spec.name, "NVIDIA A100-SXM4-40GB MIG 1g.5gb");
  EXPECT_EQ(spec.uuid, MigUuid(parent.uuid, 7, 0));
  EXPECT_EQ(spec.memory_bytes, 4864ull << 20);
  EXPECT_EQ(spec.sms, 14);
  EXPECT_EQ(spec.cc_major, 8);
  EXPECT_FALSE(spec.mig_capable);
}

TEST(ParseMigGpus, IndicesOrAll) {
  auto gpus = *ParseCompactGpuList("A100-40GB,T4-16GB,A30-24GB,H200-141GB");
  EXPECT_EQ(*ParseMigGpus("", gpus), 0u);
  EXPECT_EQ(*ParseMigGpus("all", gpus), 0b101u);
  EXPECT_EQ(*ParseMigGpus(" 2 , 0 ", gpus), 0b101u);
  EXPECT_EQ(*ParseMigGpus("2", gpus), 0b100u);
  for (const char* bad : {"1", "3", "4", "-1", "x", "0,,2"}) {
    auto r = ParseMigGpus(bad, gpus);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("HAMI_SIM_MIG"), std::string::npos);
  }
}

}  // namespace
}  // namespace hami::sim
