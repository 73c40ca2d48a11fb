#include "codec/topology_score.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

TEST(TopologyScoreTest, GoldenRoundTrip) {
  const char* golden = R"([{"uuid":"GPU-a","score":{"GPU-b":200,"GPU-c":10}},)"
                       R"({"uuid":"GPU-b","score":{"GPU-a":200}},)"
                       R"({"uuid":"GPU-c"}])";
  model::TopologyScores want = {
      {"GPU-a", {{"GPU-b", 200}, {"GPU-c", 10}}}, {"GPU-b", {{"GPU-a", 200}}}, {"GPU-c", {}}};
  auto decoded = DecodeTopologyScores(golden);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, want);
  EXPECT_EQ(EncodeTopologyScores(want), golden);
}

TEST(TopologyScoreTest, EmptyFormsAndMerging) {
  EXPECT_TRUE(DecodeTopologyScores("[]")->empty());
  EXPECT_TRUE(DecodeTopologyScores("null")->empty());
  EXPECT_EQ(EncodeTopologyScores({}), "[]");
  auto merged = DecodeTopologyScores(
      R"([{"uuid":"GPU-a","score":{"GPU-b":1}},{"uuid":"GPU-a","score":{"GPU-b":2,"GPU-c":3}},)"
      R"({"uuid":"GPU-d","score":null}])");
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  model::TopologyScores want = {{"GPU-a", {{"GPU-b", 2}, {"GPU-c", 3}}}, {"GPU-d", {}}};
  EXPECT_EQ(*merged, want);
}

TEST(TopologyScoreTest, ErrorsNameEntryAndField) {
  struct Case {
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"{}", "node score annotation: expected JSON array, got object"},
      {"[1]", "node score annotation: entry [0]: expected object, got number"},
      {R"([{"uuid":"a"},{"score":{}}])",
       "node score annotation: entry [1]: field \"uuid\": missing or empty"},
      {R"([{"uuid":"a","score":[]}])",
       "node score annotation: entry [0]: field \"score\": expected object, got array"},
      {R"([{"uuid":"a","score":{"b":"200"}}])",
       "node score annotation: entry [0].score: field \"b\": expected integer, got string"},
      {R"([{"uuid":"a","score":{"b":1e3}}])",
       "node score annotation: entry [0].score: field \"b\": expected integer, got non-integer "
       "number"},
      {R"([{"uuid":7}])",
       "node score annotation: entry [0]: field \"uuid\": expected string, got number"},
  };
  for (const auto& c : cases) {
    auto decoded = DecodeTopologyScores(c.value);
    ASSERT_FALSE(decoded.ok()) << c.value;
    EXPECT_EQ(decoded.error().message(), c.message) << c.value;
  }
  EXPECT_FALSE(DecodeTopologyScores("").ok());
}

}  // namespace
}  // namespace hami::codec
