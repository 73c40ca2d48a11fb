#include "simulate/manifest.h"

#include <gtest/gtest.h>

namespace hami::simulate {
namespace {

TEST(ManifestTest, MultiDocumentAndListsFlatten) {
  auto objs = ParseManifests(R"(
kind: Node
metadata: {name: a}
---
---
kind: List
items:
- {kind: Pod, metadata: {name: p1}}
- {kind: Pod, metadata: {name: p2}}
)",
                             "test.yaml");
  ASSERT_TRUE(objs.ok()) << objs.error().ToString();
  ASSERT_EQ(objs->size(), 3u);
  EXPECT_EQ((*objs)[2]["metadata"]["name"], "p2");
}

TEST(ManifestTest, ScalarsTypedLikeJsonQuantitiesKeepText) {
  auto objs = ParseManifests(
      "a: 1\nb: '1'\nc: true\nd: 3Gi\ne: 1.5\nf: null\ng: 1e3\nh: \"true\"\n", "t");
  ASSERT_TRUE(objs.ok());
  const auto& o = (*objs)[0];
  EXPECT_TRUE(o["a"].is_number_integer());
  EXPECT_TRUE(o["b"].is_string());
  EXPECT_EQ(o["c"], true);
  EXPECT_EQ(o["d"], "3Gi");
  EXPECT_DOUBLE_EQ(o["e"].get<double>(), 1.5);
  EXPECT_TRUE(o["f"].is_null());
  EXPECT_EQ(o["g"], "1e3");
  EXPECT_EQ(o["h"], "true");
}

TEST(ManifestTest, JsonIsYaml) {
  auto objs = ParseManifests(R"({"kind":"Pod","metadata":{"name":"x"}})", "t.json");
  ASSERT_TRUE(objs.ok());
  EXPECT_EQ((*objs)[0]["kind"], "Pod");
}

TEST(ManifestTest, BadYamlNamesSourceAndLine) {
  auto objs = ParseManifests("kind: Pod\nmetadata: {name: x\n", "pods.yaml");
  ASSERT_FALSE(objs.ok());
  EXPECT_NE(objs.error().message().find("pods.yaml: invalid YAML at line"), std::string::npos)
      << objs.error().message();
  auto scalar = ParseManifests("just text\n", "pods.yaml");
  ASSERT_FALSE(scalar.ok());
  EXPECT_FALSE(LoadManifests("/nonexistent/file.yaml").ok());
}

// Inputs the device_config_fuzz target found or that sit next to them: each is an error naming the
// source, never an exception from a later dump or conversion.
TEST(ManifestTest, InputsThatUsedToThrowAreErrors) {
  auto latin1 = ParseYamlDocument("nvidia:\n  deviceSplitCount: \"\x92\"\n", "config.yaml");
  ASSERT_FALSE(latin1.ok());
  EXPECT_EQ(latin1.error().message(), "config.yaml: text is not valid UTF-8");
  auto map_key = ParseYamlDocument("? [a, b]\n: 1\n", "config.yaml");
  ASSERT_FALSE(map_key.ok());
  EXPECT_NE(map_key.error().message().find("config.yaml: invalid YAML"), std::string::npos);
  auto huge = ParseYamlDocument("x: " + std::string(400, '9') + ".5\n", "config.yaml");
  ASSERT_TRUE(huge.ok());
  EXPECT_TRUE((*huge)["x"].is_string());
}

}  // namespace
}  // namespace hami::simulate
