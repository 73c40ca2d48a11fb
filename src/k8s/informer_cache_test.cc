#include "k8s/informer_cache.h"

#include <gtest/gtest.h>

namespace hami::k8s {
namespace {

using Json = nlohmann::json;

Json Obj(const std::string& ns, const std::string& name, const std::string& rv) {
  Json meta = {{"name", name}, {"resourceVersion", rv}};
  if (!ns.empty()) meta["namespace"] = ns;
  return {{"metadata", meta}};
}

TEST(InformerCacheTest, KeysAndVersions) {
  EXPECT_EQ(KeyOf(Obj("ns", "a", "1")), "ns/a");
  EXPECT_EQ(KeyOf(Obj("", "node1", "1")), "node1");
  EXPECT_EQ(KeyOf(Json::object()), "");
  EXPECT_EQ(ResourceVersionOf(Obj("", "n", "42")), "42");
}

TEST(InformerCacheTest, ReplaceDiffsAgainstCache) {
  InformerCache cache;
  auto first = cache.Replace({Obj("ns", "a", "1"), Obj("ns", "b", "2"), Json::object()}, "10");
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].kind, Delta::Kind::kAdd);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.resource_version(), "10");

  auto second =
      cache.Replace({Obj("ns", "a", "1"), Obj("ns", "b", "5"), Obj("ns", "c", "6")}, "20");
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].kind, Delta::Kind::kUpdate);
  EXPECT_EQ(second[0].old_object["metadata"]["resourceVersion"], "2");
  EXPECT_EQ(second[0].new_object["metadata"]["resourceVersion"], "5");
  EXPECT_EQ(second[1].kind, Delta::Kind::kAdd);

  auto third = cache.Replace({Obj("ns", "c", "6")}, "30");
  ASSERT_EQ(third.size(), 2u);
  EXPECT_EQ(third[0].kind, Delta::Kind::kDelete);
  EXPECT_EQ(KeyOf(third[0].old_object), "ns/a");
  EXPECT_EQ(third[1].kind, Delta::Kind::kDelete);
  EXPECT_EQ(KeyOf(third[1].old_object), "ns/b");
  EXPECT_EQ(cache.List().size(), 1u);
  EXPECT_TRUE(cache.Get("ns/c").has_value());
  EXPECT_FALSE(cache.Get("ns/a").has_value());
}

TEST(InformerCacheTest, ApplyReconcilesEvents) {
  InformerCache cache;
  cache.Replace({Obj("", "n1", "1")}, "1");
  struct Step {
    WatchEventType type;
    Json object;
    std::vector<Delta::Kind> expect;
    size_t size_after;
    std::string rv_after;
  };
  const Step steps[] = {
      {WatchEventType::kAdded, Obj("", "n2", "2"), {Delta::Kind::kAdd}, 2, "2"},
      {WatchEventType::kModified, Obj("", "n2", "3"), {Delta::Kind::kUpdate}, 2, "3"},
      {WatchEventType::kAdded, Obj("", "n1", "4"), {Delta::Kind::kUpdate}, 2, "4"},
      {WatchEventType::kModified, Obj("", "n3", "5"), {Delta::Kind::kAdd}, 3, "5"},
      {WatchEventType::kDeleted, Obj("", "n1", "6"), {Delta::Kind::kDelete}, 2, "6"},
      {WatchEventType::kDeleted, Obj("", "ghost", "7"), {}, 2, "7"},
      {WatchEventType::kBookmark, Json{{"metadata", {{"resourceVersion", "9"}}}}, {}, 2, "9"},
  };
  for (const Step& step : steps) {
    auto deltas = cache.Apply(WatchEvent{step.type, step.object});
    ASSERT_TRUE(deltas.ok()) << deltas.error().ToString();
    ASSERT_EQ(deltas->size(), step.expect.size()) << WatchEventTypeName(step.type);
    for (size_t i = 0; i < step.expect.size(); ++i) EXPECT_EQ((*deltas)[i].kind, step.expect[i]);
    EXPECT_EQ(cache.size(), step.size_after);
    EXPECT_EQ(cache.resource_version(), step.rv_after);
  }
  EXPECT_EQ(cache.Get("n2")->at("metadata").at("resourceVersion"), "3");
  EXPECT_FALSE(cache.Apply(WatchEvent{WatchEventType::kError, Json{{"code", 410}}}).ok());
  EXPECT_FALSE(cache.Apply(WatchEvent{WatchEventType::kAdded, Json::object()}).ok());
}

}  // namespace
}  // namespace hami::k8s
