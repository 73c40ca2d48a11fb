#include "monitor/feedback.h"

#include <gtest/gtest.h>

namespace hami::monitor {
namespace {

struct C {
  std::vector<std::string> uuids;
  int32_t priority;
  int32_t recent;
  int32_t sw;
};

struct Case {
  const char* name;
  std::vector<C> in;
  std::vector<FeedbackOutput> want;
};

TEST(Observe, TableFromHamiWire63) {
  const std::vector<Case> cases = {
      {"lone active task runs unthrottled and decays", {{{"A"}, 1, 2, 1}}, {{1, 0}}},
      {"idle task (recent 1 -> 0) is not active", {{{"A"}, 1, 1, 1}}, {{0, 0}}},
      {"high active blocks low on the shared gpu",
       {{{"A"}, 0, 2, 0}, {{"A"}, 1, 2, 0}},
       {{1, 0}, {-1, 1}}},
      {"high idle: low keeps running; a blocked low is restored to 0",
       {{{"A"}, 0, 1, 0}, {{"A"}, 1, -1, 1}},
       {{0, 0}, {0, 0}}},
      {"blocked low stays blocked while high is active",
       {{{"A"}, 0, 2, 0}, {{"A"}, 1, -1, 1}},
       {{1, 0}, {-1, 1}}},
      {"two same-priority tasks turn each other's SM limit on, no blocking",
       {{{"A"}, 1, 2, 0}, {{"A"}, 1, 2, 0}},
       {{1, 1}, {1, 1}}},
      {"one active and one idle same priority: no contention",
       {{{"A"}, 1, 2, 1}, {{"A"}, 1, 0, 1}},
       {{1, 0}, {0, 0}}},
      {"different gpus never interact", {{{"A"}, 0, 2, 0}, {{"B"}, 1, 2, 0}}, {{1, 0}, {1, 0}}},
      {"an idle task does not count towards same-priority contention",
       {{{"A"}, 0, 0, 0}, {{"A"}, 0, 2, 0}},
       {{0, 0}, {1, 0}}},
      {"low idle but higher active: blocked too (blocks its next launch)",
       {{{"A"}, 0, 2, 0}, {{"A"}, 1, 0, 0}},
       {{1, 0}, {-1, 1}}},
      {"blocking looks at the first uuid with activity only (upstream CheckBlocking)",
       {{{"A"}, 0, 2, 0}, {{"B", "A"}, 1, 2, 0}, {{"B"}, 1, 0, 0}},
       {{1, 0}, {1, 1}, {0, 0}}},
      {"a task's own activity on its first uuid hides a higher one on its second (upstream)",
       {{{"A"}, 0, 2, 0}, {{"", "B", "A"}, 1, 2, 0}},
       {{1, 0}, {1, 1}}},
      {"empty uuid slots never count", {{{""}, 0, 2, 0}, {{""}, 1, 2, 0}}, {{1, 0}, {1, 0}}},
      {"priorities beyond 0/1 keep the order",
       {{{"A"}, 2, 2, 0}, {{"A"}, 5, 2, 0}},
       {{1, 0}, {-1, 1}}},
      {"more-negative recent_kernel is kept while blocked",
       {{{"A"}, 0, 2, 0}, {{"A"}, 1, -3, 1}},
       {{1, 0}, {-3, 1}}},
  };
  for (const Case& c : cases) {
    std::vector<FeedbackInput> in;
    for (const C& x : c.in) in.push_back({x.uuids, x.priority, x.recent, x.sw});
    EXPECT_EQ(Observe(in), c.want) << c.name;
  }
}

TEST(Observe, EmptyInput) { EXPECT_TRUE(Observe({}).empty()); }

}  // namespace
}  // namespace hami::monitor
