#include "codec/node_lock.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

TEST(NodeLockTest, ParsesCurrentAndLegacyForms) {
  struct Case {
    const char* value;
    NodeLock want;
  };
  const Case cases[] = {
      {"2024-05-01T10:00:00Z,default,train-0", {1714557600, "default", "train-0", false}},
      {"2024-05-01T18:00:00+08:00,ml,p", {1714557600, "ml", "p", false}},
      {"2024-05-01T10:00:00.25Z,ml,p", {1714557600, "ml", "p", false}},
      {"2024-05-01T10:00:00Z", {1714557600, "", "", true}},
  };
  for (const auto& c : cases) {
    auto lock = ParseNodeLock(c.value);
    ASSERT_TRUE(lock.ok()) << c.value << ": " << lock.status().ToString();
    EXPECT_EQ(*lock, c.want) << c.value;
  }
}

TEST(NodeLockTest, RejectsMalformed) {
  struct Case {
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"2024-05-01T10:00:00Z,default",
       "node lock \"2024-05-01T10:00:00Z,default\": expected <RFC3339 time>,<namespace>,<name> or "
       "a bare RFC3339 time"},
      {"2024-05-01T10:00:00Z,a,b,c",
       "node lock \"2024-05-01T10:00:00Z,a,b,c\": expected <RFC3339 time>,<namespace>,<name> or "
       "a bare RFC3339 time"},
      {"2024-05-01T10:00:00Z,,p",
       "node lock \"2024-05-01T10:00:00Z,,p\": empty pod namespace or name"},
      {"yesterday,ns,p",
       "node lock \"yesterday,ns,p\": invalid time \"yesterday\": expected RFC 3339 such as "
       "2024-05-01T10:00:00Z or 2024-05-01T12:00:00.5+02:00"},
      {"",
       "node lock \"\": invalid time \"\": expected RFC 3339 such as 2024-05-01T10:00:00Z or "
       "2024-05-01T12:00:00.5+02:00"},
  };
  for (const auto& c : cases) {
    auto lock = ParseNodeLock(c.value);
    ASSERT_FALSE(lock.ok()) << c.value;
    EXPECT_EQ(lock.error().message(), c.message) << c.value;
  }
}

TEST(NodeLockTest, FormatRoundTrips) {
  const std::string value = FormatNodeLock(1714557600, "default", "train-0");
  EXPECT_EQ(value, "2024-05-01T10:00:00Z,default,train-0");
  NodeLock want{1714557600, "default", "train-0", false};
  EXPECT_EQ(ParseNodeLock(value).value_or(NodeLock{}), want);
}

TEST(NodeLockTest, HeldByFollowsUpstreamReleaseRule) {
  const std::string value = "2024-05-01T10:00:00Z,default,train-0";
  EXPECT_TRUE(HeldBy(value, "default", "train-0"));
  EXPECT_FALSE(HeldBy(value, "default", "train-1"));
  EXPECT_FALSE(HeldBy(value, "other", "train-0"));
  EXPECT_FALSE(HeldBy(value, "ault", "train-0"));  // suffix must start at a separator
  EXPECT_FALSE(HeldBy(value, "", "train-0"));
  EXPECT_TRUE(HeldBy("2024-05-01T10:00:00Z", "any", "pod"));  // legacy: no owner recorded
  EXPECT_FALSE(HeldBy("garbage", "any", "pod"));
  EXPECT_FALSE(HeldBy("", "any", "pod"));
}

}  // namespace
}  // namespace hami::codec
