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

}  // namespace
}  // namespace hami::simulate
