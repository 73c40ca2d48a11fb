#include "k8s/kube_api.h"

#include <gtest/gtest.h>

#include "k8s/api_status.h"
#include "test/fakes/fake_kube_api.h"

namespace hami::k8s {
namespace {

using Json = nlohmann::json;

TEST(ListAllTest, FollowsContinueTokens) {
  fakes::FakeKubeApi api;
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(api.Create(NodesPath(), {{"metadata", {{"name", "n" + std::to_string(i)}}}}).ok());
  }
  auto all = ListAll(api, NodesPath(), {}, 3);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 7u);
  EXPECT_EQ(all->resource_version, std::to_string(api.resource_version()));
  EXPECT_EQ(api.Calls("LIST"), 3);
  api.FailNext("LIST", base::Unavailable("down"));
  EXPECT_EQ(ListAll(api, NodesPath(), {}, 3).error().code(), base::StatusCode::kUnavailable);
}

TEST(BindPodTest, SetsNodeOnceThenConflicts) {
  fakes::FakeKubeApi api;
  ASSERT_TRUE(api.Create(PodsPath("default"), {{"metadata", {{"name", "p"}}}}).ok());
  ASSERT_TRUE(BindPod(api, "default", "p", "", "node1").ok());
  EXPECT_EQ(api.Get(PodsPath("default", "p"))->at("spec").at("nodeName"), "node1");
  EXPECT_TRUE(IsConflict(BindPod(api, "default", "p", "", "node2")));
  EXPECT_TRUE(IsNotFound(BindPod(api, "default", "missing", "", "node1")));
}

TEST(PatchAnnotationsTest, MergesAndRemoves) {
  fakes::FakeKubeApi api;
  ASSERT_TRUE(
      api.Create(NodesPath(), {{"metadata", {{"name", "n"}, {"annotations", {{"a", "1"}}}}}}).ok());
  ASSERT_TRUE(PatchAnnotations(api, NodesPath("n"), {{"b", "2"}}).ok());
  auto patched = PatchAnnotations(api, NodesPath("n"), {{"a", nullptr}});
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ((*patched)["metadata"]["annotations"], (Json{{"b", "2"}}));
}

TEST(MakeEventTest, NamespacedAndClusterScopedObjects) {
  Json pod = {{"kind", "Pod"},
              {"apiVersion", "v1"},
              {"metadata", {{"name", "p"}, {"namespace", "team"}, {"uid", "u1"}}}};
  Json event = MakeEvent(pod, {"FilteringFailed", "no fit", "Warning", "hami-scheduler"},
                         "2025-01-01T00:00:00Z", "abc");
  EXPECT_EQ(event["metadata"]["name"], "p.abc");
  EXPECT_EQ(event["metadata"]["namespace"], "team");
  EXPECT_EQ(event["involvedObject"], (Json{{"kind", "Pod"},
                                           {"apiVersion", "v1"},
                                           {"name", "p"},
                                           {"namespace", "team"},
                                           {"uid", "u1"}}));
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_EQ(event["reason"], "FilteringFailed");
  EXPECT_EQ(event["source"]["component"], "hami-scheduler");
  EXPECT_EQ(event["count"], 1);
  Json node = {{"kind", "Node"}, {"metadata", {{"name", "n1"}}}};
  Json node_event = MakeEvent(node, {"R", "m"}, "t", "1");
  EXPECT_EQ(node_event["metadata"]["namespace"], "default");
  EXPECT_FALSE(node_event["involvedObject"].contains("namespace"));
  EXPECT_EQ(node_event["type"], "Normal");
}

TEST(CreateEventTest, PostsToTheObjectsNamespace) {
  fakes::FakeKubeApi api;
  Json pod = {{"kind", "Pod"}, {"metadata", {{"name", "p"}, {"namespace", "team"}}}};
  auto created = CreateEvent(api, pod, {"BindingSucceed", "bound"});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  auto events = api.List(EventsPath("team"), {});
  ASSERT_EQ(events->items.size(), 1u);
  EXPECT_EQ(events->items[0]["reason"], "BindingSucceed");
}

TEST(FakeKubeApiTest, OptimisticConcurrencyAndPreconditions) {
  fakes::FakeKubeApi api;
  auto created = api.Create(NodesPath(), {{"metadata", {{"name", "n"}}}});
  ASSERT_TRUE(created.ok());
  Json stale = *created;
  ASSERT_TRUE(api.Update(NodesPath("n"), *created).ok());
  EXPECT_TRUE(IsConflict(api.Update(NodesPath("n"), stale).status()));
  EXPECT_TRUE(IsAlreadyExists(api.Create(NodesPath(), {{"metadata", {{"name", "n"}}}}).status()));
  DeleteOptions precondition;
  precondition.uid = "wrong-uid";
  EXPECT_TRUE(IsConflict(api.Delete(NodesPath("n"), precondition)));
  precondition.uid = (*created)["metadata"]["uid"];
  EXPECT_TRUE(api.Delete(NodesPath("n"), precondition).ok());
  EXPECT_TRUE(IsNotFound(api.Get(NodesPath("n")).status()));
}

}  // namespace
}  // namespace hami::k8s
