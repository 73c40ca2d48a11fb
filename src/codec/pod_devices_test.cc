#include "codec/pod_devices.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

model::ContainerDevice Dev(std::string uuid, int64_t mem, int64_t cores) {
  model::ContainerDevice d;
  d.uuid = std::move(uuid);
  d.type = "NVIDIA";
  d.usedmem = mem;
  d.usedcores = cores;
  return d;
}

// Upstream strings (hami-wire §3.7) and what we decode them to.
TEST(PodDevicesTest, UpstreamGoldensRoundTrip) {
  struct Case {
    const char* value;
    model::PodSingleDevice want;
  };
  const Case cases[] = {
      {"", {}},
      {"GPU-aaa,NVIDIA,3000,30:;", {{Dev("GPU-aaa", 3000, 30)}}},
      {"GPU-aaa,NVIDIA,3000,30:GPU-bbb,NVIDIA,3000,30:;",
       {{Dev("GPU-aaa", 3000, 30), Dev("GPU-bbb", 3000, 30)}}},
      {";GPU-aaa,NVIDIA,3000,30:;", {{}, {Dev("GPU-aaa", 3000, 30)}}},
      {";;", {{}, {}}},
      {"GPU-a,NVIDIA,0,0:;GPU-b,NVIDIA,-1,100:;;",
       {{Dev("GPU-a", 0, 0)}, {Dev("GPU-b", -1, 100)}, {}}},
  };
  for (const auto& c : cases) {
    auto decoded = DecodePodSingleDevice(c.value);
    ASSERT_TRUE(decoded.ok()) << c.value << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, c.want) << c.value;
    auto encoded = EncodePodSingleDevice(*decoded);
    ASSERT_TRUE(encoded.ok());
    EXPECT_EQ(*encoded, c.value);
  }
}

TEST(PodDevicesTest, DecodesLikeUpstreamForNonCanonicalStrings) {
  // Unterminated tail is still a container; segments without ',' are ignored; extra fields ignored.
  auto decoded = DecodePodSingleDevice("GPU-a,NVIDIA,1,2,extra:junk::;GPU-b,NVIDIA,3,4:");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  model::PodSingleDevice want = {{Dev("GPU-a", 1, 2)}, {Dev("GPU-b", 3, 4)}};
  EXPECT_EQ(*decoded, want);
  // The NVML index is not on the wire.
  EXPECT_EQ(decoded->at(0).at(0).idx, 0);
}

TEST(PodDevicesTest, ErrorsNameContainerAndDevice) {
  struct Case {
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"GPU-a,NVIDIA,1:;",
       "pod devices annotation: container [0] device [0]: \"GPU-a,NVIDIA,1\" has 3 "
       "comma-separated fields, expected 4 (UUID,Type,usedmem,usedcores)"},
      {";GPU-a,NVIDIA,1,2:GPU-b,NVIDIA,x,2:;",
       "pod devices annotation: container [1] device [1]: usedmem \"x\" is not an int32"},
      {"GPU-a,NVIDIA,1,30%:;",
       "pod devices annotation: container [0] device [0]: usedcores \"30%\" is not an int32"},
      {"GPU-a,NVIDIA,2147483648,0:;",
       "pod devices annotation: container [0] device [0]: usedmem \"2147483648\" is not an int32"},
      {"GPU-a,NVIDIA, 1,0:;",
       "pod devices annotation: container [0] device [0]: usedmem \" 1\" is not an int32"},
  };
  for (const auto& c : cases) {
    auto decoded = DecodePodSingleDevice(c.value);
    ASSERT_FALSE(decoded.ok()) << c.value;
    EXPECT_EQ(decoded.error().message(), c.message) << c.value;
  }
}

TEST(PodDevicesTest, EncodeRefusesSeparatorsInNames) {
  model::PodSingleDevice devices = {{}, {Dev("GPU-a", 1, 1), Dev("GPU;b", 1, 1)}};
  auto encoded = EncodePodSingleDevice(devices);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().message(),
            "pod devices annotation: container [1] device [1]: \"GPU;b\" contains one of , : ; "
            "and cannot be encoded");
}

}  // namespace
}  // namespace hami::codec
