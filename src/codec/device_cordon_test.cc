#include "codec/device_cordon.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

TEST(DeviceCordonTest, TrimsAndSkipsEmptyEntries) {
  struct Case {
    const char* value;
    std::set<std::string> want;
  };
  const Case cases[] = {
      {"", {}},
      {" , ,", {}},
      {"GPU-a", {"GPU-a"}},
      {"GPU-a,GPU-b", {"GPU-a", "GPU-b"}},
      {" GPU-b ,\tGPU-a,,GPU-b, ", {"GPU-a", "GPU-b"}},
      {"GPU a", {"GPU a"}},  // inner spaces are part of the entry
  };
  for (const auto& c : cases) EXPECT_EQ(DecodeCordonedDevices(c.value), c.want) << c.value;
}

TEST(DeviceCordonTest, EncodesSortedCommaList) {
  EXPECT_EQ(EncodeCordonedDevices({}), "");
  EXPECT_EQ(EncodeCordonedDevices({"GPU-b", "GPU-a"}), "GPU-a,GPU-b");
  EXPECT_EQ(DecodeCordonedDevices(EncodeCordonedDevices({"GPU-b", "GPU-a"})),
            (std::set<std::string>{"GPU-a", "GPU-b"}));
}

}  // namespace
}  // namespace hami::codec
