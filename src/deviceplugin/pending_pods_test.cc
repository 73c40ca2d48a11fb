// PendingPods: which of a node's pods the lockless Allocate and the repair pass see.
#include "deviceplugin/pending_pods.h"

#include <gtest/gtest.h>

namespace hami::deviceplugin {
namespace {

using Json = nlohmann::json;

Json Pod(const std::string& uid, const std::string& phase, const std::string& bind_phase) {
  Json pod = {{"metadata", {{"uid", uid}, {"name", uid}, {"namespace", "default"}}},
              {"status", {{"phase", phase}}}};
  if (!bind_phase.empty()) pod["metadata"]["annotations"]["hami.io/bind-phase"] = bind_phase;
  return pod;
}

std::vector<std::string> Uids(const std::optional<std::vector<Json>>& pods) {
  std::vector<std::string> out;
  for (const auto& pod : pods.value_or(std::vector<Json>{})) out.push_back(pod["metadata"]["uid"]);
  return out;
}

TEST(KeptAsPendingTest, PendingOrStillAllocating) {
  EXPECT_TRUE(KeptAsPending(Pod("a", "Pending", "")));
  EXPECT_TRUE(KeptAsPending(Pod("a", "Pending", "success")));
  EXPECT_TRUE(KeptAsPending(Pod("a", "Running", "allocating"))) << "its last patch was lost";
  EXPECT_FALSE(KeptAsPending(Pod("a", "Running", "success")));
  EXPECT_FALSE(KeptAsPending(Pod("a", "Succeeded", "")));
  EXPECT_FALSE(KeptAsPending(Pod("a", "Failed", "failed")));
}

TEST(KeptAsPendingTest, MalformedPodsAreNotKept) {
  EXPECT_FALSE(KeptAsPending(Json::array()));
  EXPECT_FALSE(KeptAsPending(Json::object()));
  EXPECT_FALSE(KeptAsPending(Json{{"status", "Pending"}}));
  EXPECT_FALSE(KeptAsPending(Json{{"metadata", {{"annotations", "allocating"}}}}));
  EXPECT_FALSE(KeptAsPending(Json{{"metadata", {{"annotations", {{"hami.io/bind-phase", 1}}}}}}));
}

TEST(PendingPodsTest, FollowsTheInformersEvents) {
  PendingPods pending;
  auto handlers = pending.Handlers();
  EXPECT_FALSE(pending.List().has_value()) << "not synced before the first list";
  handlers.on_add(Pod("early", "Pending", "allocating"));
  handlers.on_resync({Pod("a", "Pending", "allocating"), Pod("b", "Running", "success"),
                      Pod("c", "Running", "allocating")});
  EXPECT_EQ(Uids(pending.List()), (std::vector<std::string>{"a", "c"})) << "the list replaces";
  handlers.on_add(Pod("d", "Pending", ""));
  handlers.on_update(Pod("a", "Pending", "allocating"), Pod("a", "Running", "success"));
  handlers.on_delete(Pod("c", "Running", "allocating"));
  handlers.on_add(Json{{"metadata", {{"name", "no-uid"}}}, {"status", {{"phase", "Pending"}}}});
  EXPECT_EQ(Uids(pending.List()), std::vector<std::string>{"d"});
}

}  // namespace
}  // namespace hami::deviceplugin
