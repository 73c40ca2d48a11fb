#include "base/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace hami::base {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

struct IntCase {
  const char* text;
  int64_t want;
};

TEST(QuantityTest, ParsesEveryNumberAndSuffixForm) {
  const IntCase cases[] = {
      {"0", 0},
      {"-0", 0},
      {"+0", 0},
      {"000", 0},
      {"1", 1},
      {"+7", 7},
      {"-7", -7},
      {"3000", 3000},
      {"1.", 1},
      {"1.0", 1},
      {".5k", 500},
      {"0.5k", 500},
      {"1.5k", 1500},
      {"1000m", 1},
      {"2k", 2000},
      {"2M", 2000000},
      {"2G", 2000000000},
      {"2T", 2000000000000},
      {"2P", 2000000000000000},
      {"2E", 2000000000000000000},
      {"1Ki", 1024},
      {"1Mi", 1048576},
      {"3Gi", 3221225472},
      {"1Ti", int64_t{1} << 40},
      {"1Pi", int64_t{1} << 50},
      {"7Ei", int64_t{7} << 60},
      {"1.5Ki", 1536},
      {".5Mi", 524288},
      {"1e3", 1000},
      {"1E3", 1000},
      {"1e+3", 1000},
      {"1500e-2", 15},
      {"12e0", 12},
      {"0.000001e6", 1},
      {"-1.5k", -1500},
      {"100000000000000000000e-10", 10000000000},
      {"9223372036854775807", kMax},
      {"-9223372036854775808", kMin},
  };
  for (const auto& c : cases) {
    auto q = ParseQuantity(c.text);
    ASSERT_TRUE(q.ok()) << c.text << ": " << q.status().ToString();
    auto v = q->ToInt64();
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.status().ToString();
    EXPECT_EQ(*v, c.want) << c.text;
  }
}

TEST(QuantityTest, ReportsSuffixKind) {
  using Kind = Quantity::SuffixKind;
  struct Case {
    const char* text;
    Kind kind;
    const char* suffix;
    bool bytes;
  };
  const Case cases[] = {
      {"5", Kind::kNone, "", false},           {"5m", Kind::kDecimalSi, "m", false},
      {"5k", Kind::kDecimalSi, "k", false},    {"5E", Kind::kDecimalSi, "E", true},
      {"5Gi", Kind::kBinarySi, "Gi", true},    {"5e3", Kind::kExponent, "e3", false},
      {"5E-2", Kind::kExponent, "E-2", false},
  };
  for (const auto& c : cases) {
    auto q = ParseQuantity(c.text);
    ASSERT_TRUE(q.ok()) << c.text;
    EXPECT_EQ(q->suffix_kind(), c.kind) << c.text;
    EXPECT_EQ(q->suffix(), c.suffix) << c.text;
    EXPECT_EQ(q->HasByteSuffix(), c.bytes) << c.text;
    EXPECT_EQ(q->text(), c.text);
  }
}

struct ErrorCase {
  const char* text;
  const char* message;
};

TEST(QuantityTest, RejectsEveryMalformedClassWithAQuotedReason) {
  const ErrorCase cases[] = {
      {"", "invalid quantity \"\": empty (expected a number such as 100, 1.5Gi or 2e3)"},
      {"-", "invalid quantity \"-\": expected digits after the sign"},
      {"+", "invalid quantity \"+\": expected digits after the sign"},
      {"+Gi", "invalid quantity \"+Gi\": expected digits after the sign"},
      {".", "invalid quantity \".\": expected a number (digits with at most one '.')"},
      {"Gi", "invalid quantity \"Gi\": expected a number (digits with at most one '.')"},
      {" 1", "invalid quantity \" 1\": expected a number (digits with at most one '.')"},
      {"--1", "invalid quantity \"--1\": expected digits after the sign"},
      {"1..2", "invalid quantity \"1..2\": more than one decimal point"},
      {"1.2.3", "invalid quantity \"1.2.3\": more than one decimal point"},
      {"3Gx",
       "invalid quantity \"3Gx\": unknown suffix \"Gx\" (expected one of Ki Mi Gi Ti Pi Ei m k M G "
       "T P E, or e<integer>)"},
  };
  for (const auto& c : cases) {
    auto q = ParseQuantity(c.text);
    ASSERT_FALSE(q.ok()) << c.text;
    EXPECT_EQ(q.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(q.error().message(), c.message) << c.text;
  }
}

TEST(QuantityTest, RejectsBadSuffixesAndJunk) {
  const char* bad_suffix[] = {"1gi",  "1K",   "1KI", "1Gix",  "1Ki5",  "1i",
                              "1e",   "1e+",  "1e-", "1ee3",  "1e3x",  "1e3.5",
                              "1 Gi", "1Gi ", "1mi", "1\xff", "1e3Gi", "1k1"};
  for (const char* text : bad_suffix) {
    auto q = ParseQuantity(text);
    ASSERT_FALSE(q.ok()) << text;
    EXPECT_NE(q.error().message().find("unknown suffix"), std::string::npos) << q.error().message();
  }
  auto q = ParseQuantity("1\xff");
  EXPECT_EQ(q.error().message().substr(0, 28), "invalid quantity \"1\\xff\": un");
}

TEST(QuantityTest, ExponentAndSignificandLimits) {
  EXPECT_TRUE(ParseQuantity("1e2147483647").ok());
  EXPECT_TRUE(ParseQuantity("1e-2147483648").ok());
  auto over = ParseQuantity("1e2147483648");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message(),
            "invalid quantity \"1e2147483648\": exponent \"e2147483648\" is out of range (int32)");
  EXPECT_FALSE(ParseQuantity("1e-2147483649").ok());
  EXPECT_FALSE(ParseQuantity("1e99999999999999999999999").ok());
  // 38 significant digits are exact; leading and trailing zeros do not count.
  EXPECT_TRUE(ParseQuantity("12345678901234567890123456789012345678").ok());
  EXPECT_TRUE(ParseQuantity("000012345678901234567890123456789012345678000000.000").ok());
  auto many = ParseQuantity("123456789012345678901234567890123456789");
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message().find("more than 38 significant digits"), std::string::npos);
}

TEST(QuantityTest, HugeAndTinyValuesAreReportedNotCapped) {
  const char* out_of_range[] = {"9223372036854775808",
                                "-9223372036854775809",
                                "8Ei",
                                "10E",
                                "1e19",
                                "1e2147483647",
                                "99999999999999999999999999999999999999"};
  for (const char* text : out_of_range) {
    auto q = ParseQuantity(text);
    ASSERT_TRUE(q.ok()) << text;
    auto v = q->ToInt64();
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error().message(),
              "quantity \"" + std::string(text) + "\" is out of range for int64");
  }
  auto tiny = ParseQuantity("1e-2147483648");
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(tiny->ToInt64().error().message(), "quantity \"1e-2147483648\" is not a whole number");
  EXPECT_EQ(tiny->CeilDiv(1).value_or(-1), 1);
  EXPECT_EQ(ParseQuantity("-1e-2147483648")->CeilDiv(1).value_or(-1), 0);
  EXPECT_FALSE(ParseQuantity("0.5")->ToInt64().ok());
  EXPECT_FALSE(ParseQuantity("1500e-3")->ToInt64().ok());
  EXPECT_FALSE(ParseQuantity("1m")->ToInt64().ok());
  EXPECT_EQ(ParseQuantity("0e2147483647")->ToInt64().value_or(-1), 0);
}

TEST(QuantityTest, CeilDivIsExact) {
  struct Case {
    const char* text;
    int64_t unit;
    int64_t want;
  };
  const Case cases[] = {
      {"3Gi", 1 << 20, 3072},
      {"3G", 1 << 20, 2862},  // 3e9 / 1048576 = 2861.02...
      {"500Ki", 1 << 20, 1},
      {"1Mi", 1 << 20, 1},
      {"1048577", 1 << 20, 2},
      {"0", 7, 0},
      {"-3", 2, -1},  // ceil(-1.5)
      {"-1m", 1, 0},
      {"1m", 1, 1},
      {"1.000000000000000000000000000000000001Ei", 1, (int64_t{1} << 60) + 1},
      {"1.000000000000000000000000000000000001Ei", int64_t{1} << 60, 2},
      {"12345678901234567890123456789012345678", int64_t{1} << 62, 2677042377105394768},
      {"1e-56", 1, 1},
      {"9223372036854775807", 1, kMax},
      {"9223372036854775807000", 1000, kMax},
      {"-9223372036854775808", 1, kMin},
      {"8Ei", 2, int64_t{1} << 62},
      {"16Ei", 4, int64_t{1} << 62},
  };
  for (const auto& c : cases) {
    auto q = ParseQuantity(c.text);
    ASSERT_TRUE(q.ok()) << c.text;
    auto v = q->CeilDiv(c.unit);
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.status().ToString();
    EXPECT_EQ(*v, c.want) << c.text << " / " << c.unit;
  }
  EXPECT_FALSE(ParseQuantity("16Ei")->CeilDiv(1).ok());
  EXPECT_FALSE(ParseQuantity("9223372036854775807.5")->CeilDiv(1).ok());
  EXPECT_FALSE(ParseQuantity("-9223372036854775809")->CeilDiv(1).ok());
  auto zero_unit = ParseQuantity("5")->CeilDiv(0);
  ASSERT_FALSE(zero_unit.ok());
  EXPECT_EQ(zero_unit.error().message(), "quantity \"5\": divisor 0 must be positive");
  EXPECT_EQ(ParseQuantity("1e40")->CeilDiv(kMax).error().message(),
            "quantity \"1e40\" divided by 9223372036854775807 is out of range for int64");
}

TEST(QuantityTest, ParseQuantityInt64QuotesInput) {
  EXPECT_EQ(ParseQuantityInt64("2").value_or(-1), 2);
  EXPECT_EQ(ParseQuantityInt64("1.5").error().message(), "quantity \"1.5\" is not a whole number");
  EXPECT_EQ(ParseQuantityInt64("x").error().message(),
            "invalid quantity \"x\": expected a number (digits with at most one '.')");
}

TEST(MemoryMiBTest, PlainNumbersAreMiBAndByteSuffixesRoundUp) {
  const IntCase cases[] = {
      {"3000", 3000},
      {"0", 0},
      {"3e3", 3000},
      {"3000m", 3},
      {"+5", 5},
      {"3Gi", 3072},
      {"3G", 2862},
      {"3072Mi", 3072},
      {"500Ki", 1},
      {"1Ki", 1},
      {"1.5Gi", 1536},
      {"0.5Gi", 512},
      {"0Gi", 0},
      {"-0", 0},
      // The API server stores a plain 3000 as "3k": k keeps counting MiB.
      {"3k", 3000},
      {"16k", 16000},
      {"1.5k", 1500},
      {"2147483647", 2147483647},
      {"2047Ti", int64_t{2047} << 20},
      {"2147483647Mi", 2147483647},
      {"1Ti", 1048576},
  };
  for (const auto& c : cases) {
    auto v = ParseMemoryMiB(c.text);
    ASSERT_TRUE(v.ok()) << c.text << ": " << v.status().ToString();
    EXPECT_EQ(*v, c.want) << c.text;
  }
}

TEST(MemoryMiBTest, RejectsWithReasons) {
  const ErrorCase cases[] = {
      {"-1", "invalid memory quantity \"-1\": must not be negative"},
      {"-1Gi", "invalid memory quantity \"-1Gi\": must not be negative"},
      {"1.5",
       "invalid memory quantity \"1.5\": a number without a byte suffix counts MiB and must be "
       "whole (write e.g. 1536 or 1.5Gi)"},
      {"1500m",
       "invalid memory quantity \"1500m\": a number without a byte suffix counts MiB and must "
       "be whole (write e.g. 1536 or 1.5Gi)"},
      {"2147483648",
       "invalid memory quantity \"2147483648\": 2147483648 MiB is above the maximum of 2147483647 "
       "MiB"},
      {"2048Ti",
       "invalid memory quantity \"2048Ti\": 2147483648 MiB is above the maximum of 2147483647 MiB"},
      {"1e30", "invalid memory quantity \"1e30\": above the maximum of 2147483647 MiB"},
      {"9Ei",
       "invalid memory quantity \"9Ei\": 9895604649984 MiB is above the maximum of 2147483647 "
       "MiB"},
      {"3Gx",
       "invalid quantity \"3Gx\": unknown suffix \"Gx\" (expected one of Ki Mi Gi Ti Pi Ei m k M G "
       "T P E, or e<integer>)"},
      {"", "invalid quantity \"\": empty (expected a number such as 100, 1.5Gi or 2e3)"},
  };
  for (const auto& c : cases) {
    auto v = ParseMemoryMiB(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.error().message(), c.message) << c.text;
  }
}

}  // namespace
}  // namespace hami::base
