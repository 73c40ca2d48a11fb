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
  auto objs =
      ParseManifests("a: 1\nb: '1'\nc: true\nd: 3Gi\ne: 1.5\nf: null\ng: 1e3\nh: \"true\"\n", "t");
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

// Aliases expand: nine anchors of nine aliases would be 9^9 nodes; an anchor used inside itself
// would never end. Both are refused with an error instead of running out of time or stack.
TEST(ManifestTest, AliasExpansionIsBounded) {
  std::string laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int k = 1; k <= 9; ++k) {
    const std::string prev = "*a" + std::to_string(k - 1);
    laughs += "a" + std::to_string(k) + ": &a" + std::to_string(k) + " [";
    for (int j = 0; j < 9; ++j) laughs += (j ? ", " : "") + prev;
    laughs += "]\n";
  }
  auto bomb = ParseYamlDocument(laughs, "config.yaml");
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.error().message().find("config.yaml: document too large"), std::string::npos)
      << bomb.error().message();

  std::string deep;
  for (int k = 0; k < 300; ++k) deep += "- ";
  deep += "x\n";
  auto nested = ParseYamlDocument(deep, "config.yaml");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message().find("nested deeper than 256"), std::string::npos)
      << nested.error().message();

  // Aliases within the bounds still work as YAML says.
  auto shared = ParseYamlDocument("a: &x {k: 1}\nb: *x\n", "config.yaml");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ((*shared)["b"]["k"], 1);
}

}  // namespace
}  // namespace hami::simulate
