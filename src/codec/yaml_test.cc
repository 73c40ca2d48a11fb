#include "codec/yaml.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

TEST(YamlTest, ScalarsTypedLikeJsonQuantitiesKeepText) {
  auto objs = ParseYamlDocuments(
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

TEST(YamlTest, TextScalarsKeepTheirText) {
  auto doc = ParseYamlDocument("a: 0012\nb: true\nc: ~\nd:\ne: '7'\nf: [1.50, x]\n", "kubeconfig",
                               YamlScalars::kText);
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  EXPECT_EQ((*doc)["a"], "0012");
  EXPECT_EQ((*doc)["b"], "true");
  EXPECT_TRUE((*doc)["c"].is_null());
  EXPECT_TRUE((*doc)["d"].is_null());
  EXPECT_EQ((*doc)["e"], "7");
  EXPECT_EQ((*doc)["f"], nlohmann::json::array({"1.50", "x"}));
}

TEST(YamlTest, DocumentsInOrderEmptyOnesNull) {
  auto docs = ParseYamlDocuments("a: 1\n---\n---\n[x]\n", "t");
  ASSERT_TRUE(docs.ok()) << docs.error().ToString();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[0]["a"], 1);
  EXPECT_TRUE((*docs)[1].is_null());
  EXPECT_EQ((*docs)[2], nlohmann::json::array({"x"}));
  auto none = ParseYamlDocuments("", "t");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto empty = ParseYamlDocument("", "t");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->is_null());
  auto two = ParseYamlDocument("a: 1\n---\nb: 2\n", "config.yaml");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().message(), "config.yaml: expected one YAML document");
}

TEST(YamlTest, BadYamlNamesSourceLineAndColumn) {
  auto bad = ParseYamlDocuments("kind: Pod\nmetadata: {name: x\n", "pods.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("pods.yaml: invalid YAML at line"), std::string::npos)
      << bad.error().message();
  EXPECT_NE(bad.error().message().find(", column "), std::string::npos) << bad.error().message();
}

// Malformed text the old reader (yaml-cpp 0.7) never returned on: each is an error naming the
// source and the place, at once.
TEST(YamlTest, TextThatHungTheOldReaderIsAnError) {
  for (const char* text : {"a: 1\n,\n", "&z,z,)", "'z)',\n", "a: \"x\" ,b\n", "- [a] b\n"}) {
    auto doc = ParseYamlDocument(text, "kubeconfig", YamlScalars::kText);
    ASSERT_FALSE(doc.ok()) << text;
    EXPECT_EQ(doc.error().message().rfind("kubeconfig: invalid YAML at line ", 0), 0u)
        << doc.error().message();
  }
  auto control = ParseYamlDocument("a: b\x01c\n", "config.yaml");
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().message().rfind("config.yaml: invalid text at byte 4: ", 0), 0u)
      << control.error().message();
}

// Keys are a scalar's text (a key `1` or `true` stays a string); an alias may name a key; tags
// `!!str` keep a plain scalar's text; a repeated key's last value wins.
TEST(YamlTest, KeysTagsAndAliases) {
  auto doc = ParseYamlDocument("1: a\ntrue: b\nk: &v x\n*v : y\nn: !!str 12\nk: z\n", "t");
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  EXPECT_EQ((*doc)["1"], "a");
  EXPECT_EQ((*doc)["true"], "b");
  EXPECT_EQ((*doc)["x"], "y");
  EXPECT_EQ((*doc)["n"], "12");
  EXPECT_EQ((*doc)["k"], "z");
  auto self = ParseYamlDocument("a: &s [1, *s]\n", "t");
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message().find("alias *s names no complete anchored node"),
            std::string::npos)
      << self.error().message();
}

// Inputs the device_config_fuzz target found or that sit next to them: each is an error naming the
// source, never an exception from a later dump or conversion.
TEST(YamlTest, InputsThatUsedToThrowAreErrors) {
  auto latin1 = ParseYamlDocument("nvidia:\n  deviceSplitCount: \"\x92\"\n", "config.yaml");
  ASSERT_FALSE(latin1.ok());
  EXPECT_NE(latin1.error().message().find("UTF-8"), std::string::npos) << latin1.error().message();
  EXPECT_EQ(latin1.error().message().rfind("config.yaml: invalid text at byte ", 0), 0u);
  auto map_key = ParseYamlDocument("? [a, b]\n: 1\n", "config.yaml");
  ASSERT_FALSE(map_key.ok());
  EXPECT_NE(map_key.error().message().find("config.yaml: invalid YAML"), std::string::npos);
  auto huge = ParseYamlDocument("x: " + std::string(400, '9') + ".5\n", "config.yaml");
  ASSERT_TRUE(huge.ok());
  EXPECT_TRUE((*huge)["x"].is_string());
}

// Aliases expand: nine anchors of nine aliases would be 9^9 nodes; an anchor used inside itself
// would never end. Both are refused with an error instead of running out of time or stack.
TEST(YamlTest, AliasExpansionIsBounded) {
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
}  // namespace hami::codec
