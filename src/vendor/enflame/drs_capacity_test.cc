// The DRS node annotation enflame.com/gcu-drs-capacity (vendors.md §9.2): devices, profiles as
// partitions, and every malformed input refused with a message naming it.
#include "vendor/enflame/drs_capacity.h"

#include <gtest/gtest.h>

#include <random>

namespace hami::vendor::enflame {
namespace {

constexpr char kExample[] = R"({"devices":[{"index":"0","minor":"0","capacity":6}],)"
                            R"("profiles":{"1g.6gb":"0","3g.20gb":"1","6g.40gb":"2"}})";

TEST(DrsCapacityTest, UpstreamExample) {
  auto devices = DecodeDrsCapacity("n", kExample, "Enflame");
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 1u);
  const model::DeviceInfo& d = (*devices)[0];
  EXPECT_EQ(d.id, "n-enflame-drs-0");
  EXPECT_EQ(d.index, 0);
  EXPECT_EQ(d.count, 6);
  EXPECT_EQ(d.devmem, 40960);
  EXPECT_EQ(d.devcore, 100);
  EXPECT_EQ(d.type, "Enflame");
  EXPECT_EQ(d.vendor, "Enflame");
  EXPECT_TRUE(d.health);
  EXPECT_EQ(d.attributes.at("minor"), "0");
  const std::vector<model::Partition> want = {
      {"1g.6gb", "0", 6144, 17, 1, 1, {}},
      {"3g.20gb", "1", 20480, 50, 3, 3, {}},
      {"6g.40gb", "2", 40960, 100, 6, 6, {}},
  };
  EXPECT_EQ(d.partitions, want);
}

TEST(DrsCapacityTest, DevicesReadLikeThePlugin) {
  auto devices =
      DecodeDrsCapacity("n",
                        R"({"Devices":[{"index":"3","minor":"7","capacity":"6"},{"Capacity":4.0}],
          "Profiles":{" 2G.12GB ":"a"}})",
                        "Enflame");
  ASSERT_TRUE(devices.ok()) << devices.error().ToString();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].id, "n-enflame-drs-3");
  EXPECT_EQ((*devices)[0].attributes.at("minor"), "7");
  EXPECT_EQ((*devices)[0].count, 6);
  EXPECT_EQ((*devices)[1].index, 1);  // no index: its position
  EXPECT_EQ((*devices)[1].attributes.at("minor"), "1");
  EXPECT_EQ((*devices)[1].count, 4);
  EXPECT_EQ((*devices)[0].partitions[0].name, " 2G.12GB ");
  EXPECT_EQ((*devices)[0].partitions[0].core, 100);
}

TEST(DrsCapacityTest, NoDevicesIsNotFound) {
  for (const char* value : {R"({"devices":[],"profiles":{"1g.6gb":"0"}})", R"({"profiles":{}})"}) {
    auto devices = DecodeDrsCapacity("n", value, "Enflame");
    ASSERT_FALSE(devices.ok());
    EXPECT_EQ(devices.error().code(), base::StatusCode::kNotFound) << value;
  }
}

TEST(DrsCapacityTest, MalformedInputNamesWhatIsWrong) {
  struct Case {
    const char* value;
    const char* names;
  };
  const Case cases[] = {
      {"not json", "expected a JSON object"},
      {"[1]", "expected a JSON object"},
      {R"({"devices":{},"profiles":{"1g.6gb":"0"}})", "devices: expected a list"},
      {R"({"devices":[{"capacity":6}]})", "profiles: expected a non-empty object"},
      {R"({"devices":[{"capacity":6}],"profiles":{}})", "profiles: expected a non-empty object"},
      {R"({"devices":[{"capacity":6}],"profiles":{"big":"0"}})", "profiles[\"big\"]"},
      {R"({"devices":[{"capacity":6}],"profiles":{"4294967299g.20gb":"0"}})",
       "profiles[\"4294967299g.20gb\"]: expected a profile name"},
      {R"({"devices":[{"capacity":6}],"profiles":{"1g.2097152gb":"0"}})", "expected a profile"},
      {R"({"devices":[{"capacity":6}],"profiles":{"1g.6gb":0}})", "expected a string profile ID"},
      {R"({"devices":[{"capacity":6}],"profiles":{"1g.6gb":"0","1G.6GB":"1"}})",
       "names the same shape"},
      {R"({"devices":[1],"profiles":{"1g.6gb":"0"}})", "devices[0]: expected an object"},
      {R"({"devices":[{}],"profiles":{"1g.6gb":"0"}})", "devices[0].capacity"},
      {R"({"devices":[{"capacity":0}],"profiles":{"1g.6gb":"0"}})", "devices[0].capacity"},
      {R"({"devices":[{"capacity":-6}],"profiles":{"1g.6gb":"0"}})", "devices[0].capacity"},
      {R"({"devices":[{"capacity":6.5}],"profiles":{"1g.6gb":"0"}})", "devices[0].capacity"},
      {R"({"devices":[{"capacity":"six"}],"profiles":{"1g.6gb":"0"}})", "devices[0].capacity"},
      {R"({"devices":[{"capacity":1e300}],"profiles":{"1g.6gb":"0"}})", "devices[0].capacity"},
      {R"({"devices":[{"capacity":5000}],"profiles":{"1g.6gb":"0"}})", "devices[0].capacity"},
      {R"({"devices":[{"capacity":6,"index":"x"}],"profiles":{"1g.6gb":"0"}})",
       "devices[0].index: expected a device index"},
      {R"({"devices":[{"capacity":6,"index":"-1"}],"profiles":{"1g.6gb":"0"}})",
       "devices[0].index"},
      {R"({"devices":[{"capacity":6,"minor":[0]}],"profiles":{"1g.6gb":"0"}})",
       "devices[0].minor: expected a string"},
      {R"({"devices":[{"capacity":6,"index":"1"},{"capacity":6,"index":1}],)"
       R"("profiles":{"1g.6gb":"0"}})",
       "devices[1]: index 1 is registered twice"},
  };
  for (const auto& c : cases) {
    auto devices = DecodeDrsCapacity("n", c.value, "Enflame");
    ASSERT_FALSE(devices.ok()) << c.value;
    EXPECT_EQ(devices.error().code(), base::StatusCode::kInvalidArgument) << c.value;
    EXPECT_NE(devices.error().message().find(c.names), std::string::npos)
        << c.value << " -> " << devices.error().message();
  }
}

TEST(DrsCapacityTest, ProfileNames) {
  struct Case {
    const char* name;
    int32_t size;  // 0: not a profile
    int32_t memory_gb;
  };
  const Case cases[] = {
      {"1g.6gb", 1, 6}, {"3G.20GB", 3, 20}, {" 6g.40gb ", 6, 40}, {"2.12", 2, 12},
      {"0g.6gb", 0, 0}, {"1g", 0, 0},       {"1g.6gb.x", 0, 0},   {"xg.6gb", 0, 0},
      {"1g.0gb", 0, 0}, {"-1g.6gb", 0, 0},  {"", 0, 0},           {"4097g.6gb", 0, 0},
  };
  for (const auto& c : cases) {
    auto shape = ParseProfileName(c.name);
    ASSERT_EQ(shape.has_value(), c.size > 0) << c.name;
    if (!shape) continue;
    EXPECT_EQ(shape->size, c.size) << c.name;
    EXPECT_EQ(shape->memory_gb, c.memory_gb) << c.name;
  }
}

TEST(DrsCapacityTest, OversizedOrDeepValuesAreRefused) {
  std::string value(kMaxAnnotationBytes + 1, ' ');
  EXPECT_EQ(DecodeDrsCapacity("n", value, "Enflame").error().code(),
            base::StatusCode::kInvalidArgument);
  const std::string deep = R"({"devices":)" + std::string(200000, '[') + std::string(200000, ']') +
                           R"(,"profiles":{"1g.6gb":"0"}})";
  EXPECT_EQ(DecodeDrsCapacity("n", deep, "Enflame").error().code(),
            base::StatusCode::kInvalidArgument);
}

// Any input gives devices or an error: never a throw, crash or hang (seeded mutations).
TEST(DrsCapacityTest, MutatedInputsNeverThrow) {
  using namespace std::string_literals;
  static const std::string kAlphabet = "[]{}\",:.-+e0123456789g b\\\x00\xff\xc3"s;
  std::mt19937 rng(20260101);
  int decoded = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string s = kExample;
    for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0; --edits) {
      const size_t pos = rng() % s.size();
      switch (rng() % 4) {
        case 0:
          s.erase(pos, 1);
          break;
        case 1:
          s.insert(s.begin() + pos, kAlphabet[rng() % kAlphabet.size()]);
          break;
        case 2:
          s[pos] = kAlphabet[rng() % kAlphabet.size()];
          break;
        default:
          s.resize(pos);
          break;
      }
      if (s.empty()) s = "{";
    }
    decoded += DecodeDrsCapacity("n", s, "Enflame").ok();
  }
  EXPECT_GT(decoded, 0);
}

}  // namespace
}  // namespace hami::vendor::enflame
