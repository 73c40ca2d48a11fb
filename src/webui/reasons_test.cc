#include "webui/reasons.h"

#include <gtest/gtest.h>

#include "webui/pending.h"

namespace hami::webui {
namespace {

TEST(Reasons, CountsNodesPerReasonInWords) {
  const std::map<std::string, std::string> failed = {
      {"n1", "1/2 CardInsufficientMemory"},
      {"n2", "1/2 CardInsufficientCore, 2/2 CardInsufficientMemory"},
      {"n3", "2/2 CardInsufficientMemory"},
      {"n4", "NodeInsufficientDevice"},
      {"n5", "node unregistered"}};
  const auto reasons = SummarizeFailures(failed, "", {10000, 30, 2});
  ASSERT_EQ(reasons.size(), 4u);
  EXPECT_EQ(reasons[0],
            (PendingReason{"CardInsufficientMemory", "3 nodes: no GPU with 10000 MiB free", 3}));
  EXPECT_EQ(reasons[1], (PendingReason{"CardInsufficientCore",
                                       "1 node: no GPU with 30% of its cores free", 1}));
  EXPECT_EQ(reasons[2].code, "NodeInsufficientDevice");
  EXPECT_EQ(reasons[2].text, "1 node: fewer than 2 GPUs that fit");
  EXPECT_EQ(reasons[3].code, "NodeUnregistered");
  EXPECT_EQ(JoinReasons(reasons).substr(0, 40), "3 nodes: no GPU with 10000 MiB free; 1 n");
}

TEST(Reasons, ErrorsAndUnknownTextAreKept) {
  auto reasons = SummarizeFailures({{"n1", "SomethingNew"}}, "quota exceeded", {});
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons[0], (PendingReason{"FilterError", "quota exceeded", 0}));
  EXPECT_EQ(reasons[1], (PendingReason{"SomethingNew", "1 node: SomethingNew", 1}));
  EXPECT_EQ(SummarizeFailures({}, "", {})[0].code, "NoNodes");
  EXPECT_EQ(ReasonWords("CardInsufficientMemory", {}), "no GPU with enough memory free");
  EXPECT_EQ(ReasonWords("CardNotHealth", {}), "GPU unhealthy");
}

TEST(PendingTracker, KeepsSinceDropsPlacedAndRetains) {
  PendingTracker t(2);
  t.Record("a", "p", "u1", false, {{"X", "x", 1}}, 100);
  t.Record("a", "p", "u1", false, {{"Y", "y", 1}}, 160);
  auto e = t.Get("a/p");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->since, 100);
  EXPECT_EQ(e->reasons[0].code, "Y");
  t.Record("a", "p", "u2", false, {}, 200);  // a new pod of the same name
  EXPECT_EQ(t.Get("a/p")->since, 200);
  t.Record("a", "q", "u3", false, {}, 210);
  t.Record("a", "r", "u4", false, {}, 220);  // over the bound: the oldest record goes
  EXPECT_FALSE(t.Get("a/p"));
  EXPECT_EQ(t.All().size(), 2u);
  t.Record("a", "q", "u3", true, {}, 230);
  EXPECT_FALSE(t.Get("a/q"));
  const uint64_t g = t.generation();
  t.Retain({"a/r"});
  EXPECT_EQ(t.generation(), g);  // nothing dropped, nothing changed
  t.Retain({});
  EXPECT_TRUE(t.All().empty());
  EXPECT_GT(t.generation(), g);
}

}  // namespace
}  // namespace hami::webui
