#include "codec/node_register.h"

#include <gtest/gtest.h>

#include <string>

namespace hami::codec {
namespace {

model::DeviceInfo Device(std::string id, int32_t index, int32_t numa, bool health) {
  model::DeviceInfo d;
  d.id = std::move(id);
  d.index = index;
  d.count = 10;
  d.devmem = 32768;
  d.devcore = 100;
  d.type = "NVIDIA-Tesla V100-PCIE-32GB";
  d.numa = numa;
  d.mode = model::kModeHamiCore;
  d.health = health;
  return d;
}

// Upstream example (hami-wire §2.1): index 0, numa 0 and health false disappear (omitempty).
constexpr char kGoldenJson[] =
    R"([{"id":"GPU-0fc3","count":10,"devmem":32768,"devcore":100,)"
    R"("type":"NVIDIA-Tesla V100-PCIE-32GB","mode":"hami-core","health":true},)"
    R"({"id":"GPU-1a","index":1,"count":10,"devmem":32768,"devcore":100,)"
    R"("type":"NVIDIA-Tesla V100-PCIE-32GB","numa":1,"mode":"hami-core"}])";

TEST(NodeRegisterTest, JsonGoldenRoundTrip) {
  DeviceList devices = {Device("GPU-0fc3", 0, 0, true), Device("GPU-1a", 1, 1, false)};
  EXPECT_EQ(EncodeNodeDevicesJson(devices), kGoldenJson);
  auto decoded = DecodeNodeDevices(kGoldenJson);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, devices);
}

TEST(NodeRegisterTest, JsonMigProfilesInFieldOrder) {
  model::DeviceInfo d = Device("GPU-m", 2, 0, true);
  d.count = 7;
  d.mode = model::kModeMig;
  d.partitions = {{"1g.5gb", "", 4864, 15, 1, 1, {{0, 1}, {1, 1}}},
                  {"7g.40gb", "", 40192, 100, 7, 1, {}}};
  const std::string want =
      R"([{"id":"GPU-m","index":2,"count":7,"devmem":32768,"devcore":100,)"
      R"("type":"NVIDIA-Tesla V100-PCIE-32GB","mode":"mig",)"
      R"("migProfiles":[{"name":"1g.5gb","memoryMB":4864,"core":15,"sliceCount":1,)"
      R"("placements":[{"start":0,"size":1},{"start":1,"size":1}]},)"
      R"({"name":"7g.40gb","memoryMB":40192,"core":100,"sliceCount":7,"placements":[]}],)"
      R"("health":true}])";
  EXPECT_EQ(EncodeNodeDevicesJson({d}), want);
  auto decoded = DecodeNodeDevicesJson(want);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->at(0), d);
}

TEST(NodeRegisterTest, JsonEncodesLikeGoEncodingJson) {
  model::DeviceInfo d;
  d.id = "GPU-<&>\"\\\b\f\n\r\t\x01\x7f\xe2\x80\xa8\xff\xc3\xa9";
  EXPECT_EQ(EncodeNodeDevicesJson({d}), R"([{"id":"GPU-\u003c\u0026\u003e\"\\\b\f\n\r\t\u0001)"
                                        "\x7f"
                                        R"(\u2028\ufffd)"
                                        "\xc3\xa9"
                                        R"("}])");
  EXPECT_EQ(EncodeNodeDevicesJson({}), "[]");
  EXPECT_EQ(EncodeNodeDevicesJson({model::DeviceInfo{}}), "[{}]");
}

TEST(NodeRegisterTest, JsonDecodeToleratesMissingUnknownNullAndCase) {
  auto decoded = DecodeNodeDevices(
      R"(  [{"ID":"GPU-a","devmem":1024,"extra":{"x":[1]},"numa":null,"Health":true}])");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 1u);
  const model::DeviceInfo& d = decoded->at(0);
  EXPECT_EQ(d.id, "GPU-a");
  EXPECT_EQ(d.devmem, 1024);
  EXPECT_EQ(d.count, 0);
  EXPECT_EQ(d.numa, 0);
  EXPECT_EQ(d.mode, "");
  EXPECT_TRUE(d.health);
  EXPECT_EQ(d.vendor, "");  // the vendor that decodes its annotation sets it
}

struct ErrorCase {
  const char* value;
  const char* message;
};

TEST(NodeRegisterTest, JsonErrorsNameDeviceAndField) {
  const ErrorCase cases[] = {
      {"[]", "node register annotation: no devices"},
      {"null",  // not '[': read as legacy
       "node register annotation: \"null\" is neither a JSON array nor the legacy form (devices "
       "each terminated by ':')"},
      {"[{\"id\":\"a\"},{\"id\":\"b\",\"devmem\":\"1024\"}]",
       "node register annotation: device [1]: field \"devmem\": expected integer, got string"},
      {"[{\"id\":\"a\",\"count\":1.5}]",
       "node register annotation: device [0]: field \"count\": expected integer, got non-integer "
       "number"},
      {"[{\"id\":\"a\",\"devmem\":2147483648}]",
       "node register annotation: device [0]: field \"devmem\": 2147483648 is out of range for "
       "int32"},
      {"[{\"id\":\"a\",\"health\":\"true\"}]",
       "node register annotation: device [0]: field \"health\": expected boolean, got string"},
      {"[{\"count\":1}]", "node register annotation: device [0]: field \"id\": missing or empty"},
      {"[3]", "node register annotation: device [0]: expected object, got number"},
      {"[{\"id\":\"a\",\"migProfiles\":[{\"name\":\"1g\",\"placements\":[{\"start\":\"0\"}]}]}]",
       "node register annotation: device [0].migProfiles[0].placements[0]: field \"start\": "
       "expected integer, got string"},
      {"[{\"id\":\"a\",\"migProfiles\":{}}]",
       "node register annotation: device [0]: field \"migProfiles\": expected array, got object"},
  };
  for (const auto& c : cases) {
    auto decoded = DecodeNodeDevices(c.value);
    ASSERT_FALSE(decoded.ok()) << c.value;
    EXPECT_EQ(decoded.error().message(), c.message) << c.value;
  }
  auto truncated = DecodeNodeDevices("[{\"id\":");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(
      truncated.error().message().rfind("node register annotation: invalid JSON: parse error", 0),
      0u)
      << truncated.error().message();
}

// Upstream <= v2.7 example (hami-wire §2.2), 7-field form.
constexpr char kGoldenLegacy7[] =
    "GPU-0055,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true:"
    "GPU-0fc3,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true:";

TEST(NodeRegisterTest, LegacySevenFieldGolden) {
  auto decoded = DecodeNodeDevices(kGoldenLegacy7);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  DeviceList want = {Device("GPU-0055", 0, 0, true), Device("GPU-0fc3", 0, 0, true)};
  EXPECT_EQ(*decoded, want);
}

TEST(NodeRegisterTest, LegacyNineFieldRoundTrip) {
  DeviceList devices = {Device("GPU-a", 0, 0, true), Device("GPU-b", 1, 1, false)};
  devices[1].mode = model::kModeMig;
  auto encoded = EncodeNodeDevicesLegacy(devices);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded,
            "GPU-a,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,0,true,0,hami-core:"
            "GPU-b,10,32768,100,NVIDIA-Tesla V100-PCIE-32GB,1,false,1,mig:");
  auto decoded = DecodeNodeDevices(*encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, devices);
  // Empty segments are skipped; health takes every Go ParseBool literal.
  auto sparse = DecodeNodeDevicesLegacy("::GPU-a,1,2,3,T4,0,T::");
  ASSERT_TRUE(sparse.ok()) << sparse.status().ToString();
  EXPECT_EQ(sparse->size(), 1u);
  EXPECT_TRUE(sparse->at(0).health);
}

TEST(NodeRegisterTest, LegacyErrorsNameDeviceAndField) {
  const ErrorCase cases[] = {
      {"",
       "node register annotation: \"\" is neither a JSON array nor the legacy form (devices "
       "each terminated by ':')"},
      {"GPU-a,10,1,1,T4,0,true",
       "node register annotation: \"GPU-a,10,1,1,T4,0,true\" is "
       "neither a JSON array nor the legacy form (devices each "
       "terminated by ':')"},
      {":::", "node register annotation: no devices"},
      {"GPU-a,10,1,1,T4,0,true:GPU-b,10,1:",
       "node register annotation: device [1]: \"GPU-b,10,1\" has 3 comma-separated fields, "
       "expected 7 or 9 (id,count,devmem,devcore,type,numa,health[,index,mode])"},
      {"GPU-a,10,1,1,T4,0,true,1:",
       "node register annotation: device [0]: \"GPU-a,10,1,1,T4,0,"
       "true,1\" has 8 comma-separated fields, expected 7 or 9 "
       "(id,count,devmem,devcore,type,numa,health[,index,mode])"},
      {"GPU-a,ten,1,1,T4,0,true:",
       "node register annotation: device [0]: field \"count\": \"ten\" is not an int32"},
      {"GPU-a,10,99999999999,1,T4,0,true:",
       "node register annotation: device [0]: field \"devmem\": \"99999999999\" is not an int32"},
      {"GPU-a,10,1,1,T4,0,yes:",
       "node register annotation: device [0]: field \"health\": \"yes\" is not a boolean "
       "(true/false/1/0/t/f)"},
      {"GPU-a,10,1,1,T4,0,true,x,mig:",
       "node register annotation: device [0]: field \"index\": \"x\" is not an int32"},
      {",10,1,1,T4,0,true:", "node register annotation: device [0]: field \"id\": empty"},
  };
  for (const auto& c : cases) {
    auto decoded = DecodeNodeDevices(c.value);
    ASSERT_FALSE(decoded.ok()) << c.value;
    EXPECT_EQ(decoded.error().message(), c.message) << c.value;
  }
}

TEST(NodeRegisterTest, LegacyEncodeRefusesSeparatorsInFields) {
  DeviceList devices = {Device("GPU-a", 0, 0, true)};
  devices[0].type = "T4:1";
  auto encoded = EncodeNodeDevicesLegacy(devices);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().message(),
            "node register annotation: device [0]: \"T4:1\" contains ',' or ':' and cannot be "
            "written in legacy form");
}

}  // namespace
}  // namespace hami::codec
