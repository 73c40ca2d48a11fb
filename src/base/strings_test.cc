#include "base/strings.h"
#include "base/log.h"

#include <gtest/gtest.h>

namespace hami::base {
namespace {

TEST(StringsTest, SplitKeepsEmptyPiecesLikeGo) {
  auto parts = Split("a;;b;", ';');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[1], "");
  EXPECT_EQ(parts[2], "b");
  EXPECT_EQ(parts[3], "");
  EXPECT_EQ(Split("", ',').size(), 1u);
}

TEST(StringsTest, TrimCaseAndAffixes) {
  EXPECT_EQ(Trim("  a b \t"), "a b");
  EXPECT_EQ(ToUpper("Tesla-t4"), "TESLA-T4");
  EXPECT_EQ(ToLower("NVIDIA"), "nvidia");
  EXPECT_TRUE(StartsWith("GPU-1", "GPU-"));
  EXPECT_TRUE(EndsWith("x,ns,name", ",ns,name"));
  EXPECT_FALSE(EndsWith("e", "long"));
  EXPECT_EQ(Join({"a", "b"}, ", "), "a, b");
}

TEST(StringsTest, ParseIntRejectsJunkAndOverflow) {
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-7"), -7);
  EXPECT_EQ(ParseInt64("+7"), 7);
  EXPECT_FALSE(ParseInt64("").has_value());
  EXPECT_FALSE(ParseInt64("4x").has_value());
  EXPECT_FALSE(ParseInt64("99999999999999999999").has_value());
}

TEST(StringsTest, QuoteEscapesForMessages) {
  EXPECT_EQ(Quote("3Gx"), "\"3Gx\"");
  EXPECT_EQ(Quote("a\"b\\\n"), "\"a\\\"b\\\\\\x0a\"");
}

TEST(StringsTest, ParseBoolFollowsGo) {
  EXPECT_EQ(ParseBool("True"), true);
  EXPECT_EQ(ParseBool("0"), false);
  EXPECT_FALSE(ParseBool("yes").has_value());
}

TEST(LogTest, FormatsKeyValueAndQuotes) {
  std::string line = FormatLogLine(LogLevel::kWarn, "filter failed",
                                   {{"pod", "ns/p"}, {"reason", "1/2 CardInsufficientMemory"}});
  EXPECT_NE(line.find("level=warn msg=\"filter failed\" pod=ns/p "
                      "reason=\"1/2 CardInsufficientMemory\"\n"),
            std::string::npos);
}

}  // namespace
}  // namespace hami::base
