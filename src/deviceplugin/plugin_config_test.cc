// Per-node config JSON (hami-wire §2.4) merged over the yaml defaults.
#include "deviceplugin/plugin_config.h"

#include <gtest/gtest.h>

namespace hami::deviceplugin {
namespace {

PluginConfig Base() { return FromNvidiaConfig(vendor::nvidia::NvidiaConfig{}, "node-a"); }

TEST(PluginConfigTest, YamlDefaultsAsUpstream) {
  PluginConfig c = Base();
  EXPECT_EQ(c.resource_name, "nvidia.com/gpu");
  EXPECT_EQ(c.split_count, 10);
  EXPECT_EQ(c.memory_scaling, 1.0);
  EXPECT_EQ(c.operating_mode, "hami-core");
  EXPECT_EQ(c.lib_cuda_log_level, "1");
}

TEST(PluginConfigTest, OwnEntryOverridesWithNonZeroValuesOnly) {
  auto c = ApplyNodeConfigJson(Base(), R"({"nodeconfig":[
    {"name":"node-b","devicesplitcount":99},
    {"name":"node-a","operatingmode":"","devicememoryscaling":1.5,"devicecorescaling":0,
     "devicesplitcount":4,"preconfigureddevicememory":0,"libcudaloglevel":"3",
     "enablenumatopology":true,"migstrategy":"","enablegetpreferredallocation":true,
     "filterdevices":{"uuid":["GPU-x"],"index":[2]}}]})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->split_count, 4);
  EXPECT_EQ(c->memory_scaling, 1.5);
  EXPECT_EQ(c->core_scaling, 1.0);
  EXPECT_EQ(c->operating_mode, "hami-core");
  EXPECT_EQ(c->lib_cuda_log_level, "3");
  EXPECT_TRUE(c->enable_numa_topology);
  EXPECT_TRUE(c->enable_preferred_allocation);
  EXPECT_EQ(c->mig_strategy, "none");
  EXPECT_EQ(c->filter_uuids, std::vector<std::string>{"GPU-x"});
  EXPECT_EQ(c->filter_indices, std::vector<int32_t>{2});
}

TEST(PluginConfigTest, NoEntryOrNoListKeepsDefaults) {
  for (const char* text : {"{}", R"({"nodeconfig":null})", R"({"nodeconfig":[{"name":"x"}]})"}) {
    auto c = ApplyNodeConfigJson(Base(), text);
    ASSERT_TRUE(c.ok()) << text;
    EXPECT_EQ(c->split_count, 10) << text;
  }
}

TEST(PluginConfigTest, BadInputNamesEntryAndKey) {
  struct Case {
    const char* json;
    const char* message;
  } cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "want a JSON object"},
      {R"({"nodeconfig":{}})", "\"nodeconfig\" must be an array"},
      {R"({"nodeconfig":[{"devicesplitcount":2}]})", "nodeconfig[0]: \"name\" must be a string"},
      {R"({"nodeconfig":[{"name":"node-a","devicesplitcount":"2"}]})",
       "nodeconfig[0]: \"devicesplitcount\" must be an integer"},
      {R"({"nodeconfig":[{"name":"node-a","filterdevices":{"index":["0"]}}]})",
       "filterdevices.index"},
      {R"({"nodeconfig":[{"name":"node-a","operatingmode":"vgpu"}]})", "operating mode \"vgpu\""},
      {R"({"nodeconfig":[{"name":"node-a","migstrategy":"all"}]})", "MIG strategy \"all\""},
  };
  for (const auto& c : cases) {
    auto result = ApplyNodeConfigJson(Base(), c.json);
    ASSERT_FALSE(result.ok()) << c.json;
    EXPECT_NE(result.error().message().find(c.message), std::string::npos)
        << c.json << " -> " << result.error().message();
  }
}

}  // namespace
}  // namespace hami::deviceplugin
