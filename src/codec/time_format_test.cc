#include "codec/time_format.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

TEST(TimeFormatTest, Rfc3339ParsesOffsetsAndFractions) {
  struct Case {
    const char* text;
    int64_t want;
  };
  const Case cases[] = {
      // expected values computed independently (Python datetime)
      {"2024-05-01T10:00:00Z", 1714557600},
      {"2024-05-01T12:00:00+02:00", 1714557600},
      {"2024-05-01T05:30:00-04:30", 1714557600},
      {"2024-05-01T10:00:00.999999999Z", 1714557600},
      {"2024-05-01T10:00:00,5Z", 1714557600},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59Z", -1},
      {"2000-02-29T23:59:59Z", 951868799},
      {"0001-01-01T00:00:00Z", -62135596800},
      {"1600-03-01T00:00:00Z", -11670912000},
      {"9999-12-31T23:59:59Z", 253402300799},
      {"2024-01-01T00:00:00+23:59", 1704067200 - 86340},
  };
  for (const auto& c : cases) {
    auto t = ParseRfc3339(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(*t, c.want) << c.text;
  }
}

TEST(TimeFormatTest, Rfc3339RejectsMalformed) {
  const char* bad[] = {"",
                       "2024-05-01",
                       "2024-05-01 10:00:00Z",
                       "2024-05-01t10:00:00Z",
                       "2024-05-01T10:00:00",
                       "2024-05-01T10:00:00z",
                       "2024-05-01T10:00:00+0200",
                       "2024-05-01T10:00:00+24:00",
                       "2024-05-01T10:00:00+02:60",
                       "2024-05-01T10:00:00.Z",
                       "2024-05-01T10:00:60Z",
                       "2024-05-01T24:00:00Z",
                       "2024-13-01T10:00:00Z",
                       "2024-00-01T10:00:00Z",
                       "2023-02-29T10:00:00Z",
                       "2024-04-31T10:00:00Z",
                       "24-05-01T10:00:00Z",
                       "2024-05-01T10:00:00Zjunk",
                       "+2024-05-01T10:00:00Z"};
  for (const char* text : bad) {
    auto t = ParseRfc3339(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().message().rfind("invalid time \"", 0), 0u) << t.error().message();
  }
  EXPECT_EQ(ParseRfc3339("x").error().message(),
            "invalid time \"x\": expected RFC 3339 such as 2024-05-01T10:00:00Z or "
            "2024-05-01T12:00:00.5+02:00");
  EXPECT_TRUE(ParseRfc3339("2024-02-29T10:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("1900-02-29T10:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339("2000-02-29T10:00:00Z").ok());
}

TEST(TimeFormatTest, FormatsUtcAndRoundTrips) {
  EXPECT_EQ(FormatRfc3339(1714557600), "2024-05-01T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(951868799), "2000-02-29T23:59:59Z");
  EXPECT_EQ(FormatDateTime(1714557600), "2024-05-01 10:00:00");
  for (int64_t t = -62135596800; t < 253402300799; t += 86400 * 37 + 3601) {
    ASSERT_EQ(ParseRfc3339(FormatRfc3339(t)).value_or(0), t) << t;
    ASSERT_EQ(ParseDateTime(FormatDateTime(t)).value_or(0), t) << t;
  }
}

TEST(TimeFormatTest, DateTimeAndGoString) {
  EXPECT_EQ(ParseDateTime("2024-05-01 10:00:00").value_or(0), 1714557600);
  EXPECT_FALSE(ParseDateTime("2024-05-01T10:00:00").ok());
  EXPECT_FALSE(ParseDateTime("2024-05-01 10:00:00 ").ok());
  EXPECT_EQ(ParseGoTimeString("2024-05-01 12:00:00.123456789 +0200 CEST m=+0.000012").value_or(0),
            1714557600);
  EXPECT_EQ(ParseGoTimeString("2024-05-01 10:00:00 +0000 UTC").value_or(0), 1714557600);
  EXPECT_EQ(ParseGoTimeString("2024-05-01 05:00:00 -0500").value_or(0), 1714557600);
  EXPECT_FALSE(ParseGoTimeString("2024-05-01 10:00:00 UTC").ok());
  EXPECT_FALSE(ParseGoTimeString("2024-05-01 10:00:00 +00:00 UTC").ok());
}

}  // namespace
}  // namespace hami::codec
