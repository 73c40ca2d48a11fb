#include "codec/mig_allocations.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

model::MigAllocation Entry(int32_t container, int32_t device, std::string uuid) {
  model::MigAllocation a;
  a.container_index = container;
  a.device_index = device;
  a.gpu_uuid = std::move(uuid);
  a.profile = "1g.10gb";
  a.placement_start = 2;
  a.placement_size = 1;
  return a;
}

TEST(MigAllocationsTest, GoldenRoundTripWithAndWithoutRealization) {
  model::MigAllocation pending = Entry(0, 0, "GPU-a");
  model::MigAllocation realized = Entry(1, 0, "GPU-b");
  realized.mig_uuid = "MIG-1234";
  realized.gpu_instance_id = 0;
  realized.compute_instance_id = 0;
  const char* golden =
      R"([{"containerIndex":0,"deviceIndex":0,"gpuUUID":"GPU-a","profile":"1g.10gb",)"
      R"("placement":{"start":2,"size":1}},)"
      R"({"containerIndex":1,"deviceIndex":0,"gpuUUID":"GPU-b","profile":"1g.10gb",)"
      R"("placement":{"start":2,"size":1},)"
      R"("migUUID":"MIG-1234","gpuInstanceID":0,"computeInstanceID":0}])";
  auto encoded = EncodeMigAllocations({pending, realized});
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, golden);
  auto decoded = DecodeMigAllocations(golden);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, (std::vector<model::MigAllocation>{pending, realized}));
  EXPECT_EQ(*EncodeMigAllocations({}), "[]");
  EXPECT_TRUE(DecodeMigAllocations("null")->empty());
}

TEST(MigAllocationsTest, MissingIndexesReadAsZero) {
  auto decoded =
      DecodeMigAllocations(R"([{"gpuUUID":"GPU-a","profile":"1g.10gb","placement":{"size":1}}])");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  model::MigAllocation want = Entry(0, 0, "GPU-a");
  want.placement_start = 0;
  EXPECT_EQ(decoded->at(0), want);
}

TEST(MigAllocationsTest, RejectsPartialRealizationAndBadFields) {
  struct Case {
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {R"({})", "MIG allocations annotation: expected JSON array, got object"},
      {R"([{"gpuUUID":"a","profile":"p","placement":{},"migUUID":"MIG-1"}])",
       "MIG allocations annotation: entry [0]: migUUID, gpuInstanceID and computeInstanceID must "
       "be given together"},
      {R"([{"gpuUUID":"a","profile":"p","placement":{},)"
       R"("migUUID":"","gpuInstanceID":1,"computeInstanceID":0}])",
       "MIG allocations annotation: entry [0]: migUUID, gpuInstanceID and computeInstanceID must "
       "be given together (non-empty uuid, ids >= 0)"},
      {R"([{"gpuUUID":"a","profile":"p","placement":{},)"
       R"("migUUID":"m","gpuInstanceID":-1,"computeInstanceID":0}])",
       "MIG allocations annotation: entry [0]: migUUID, gpuInstanceID and computeInstanceID must "
       "be given together (non-empty uuid, ids >= 0)"},
      {R"([{"profile":"p","placement":{}}])",
       "MIG allocations annotation: entry [0]: field \"gpuUUID\": missing or empty"},
      {R"([{"gpuUUID":"a","placement":{}}])",
       "MIG allocations annotation: entry [0]: field \"profile\": missing or empty"},
      {R"([{"gpuUUID":"a","profile":"p"}])",
       "MIG allocations annotation: entry [0]: field \"placement\": missing"},
      {R"([{"gpuUUID":"a","profile":"p","placement":{"start":"0"}}])",
       "MIG allocations annotation: entry [0].placement: field \"start\": expected integer, got "
       "string"},
      {R"([{"containerIndex":-1,"gpuUUID":"a","profile":"p","placement":{}}])",
       "MIG allocations annotation: entry [0]: containerIndex and deviceIndex must be >= 0"},
  };
  for (const auto& c : cases) {
    auto decoded = DecodeMigAllocations(c.value);
    ASSERT_FALSE(decoded.ok()) << c.value;
    EXPECT_EQ(decoded.error().message(), c.message) << c.value;
  }
  model::MigAllocation partial = Entry(0, 0, "GPU-a");
  partial.gpu_instance_id = 3;
  auto encoded = EncodeMigAllocations({Entry(0, 0, "GPU-a"), partial});
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().message(),
            "MIG allocations annotation: entry [1]: mig_uuid, gpu_instance_id and "
            "compute_instance_id must be set together (non-empty uuid, ids >= 0) or not at all");
}

}  // namespace
}  // namespace hami::codec
