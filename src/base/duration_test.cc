#include "base/duration.h"

#include <gtest/gtest.h>

namespace hami::base {
namespace {

TEST(ParseDurationTest, GoStyle) {
  using std::chrono::milliseconds;
  struct Case {
    const char* text;
    int64_t ms;
  } ok[] = {{"30s", 30000}, {"500ms", 500}, {"5m", 300000}, {"1h30m", 5400000}, {"7", 7000}};
  for (const auto& c : ok) {
    auto d = ParseDuration(c.text);
    ASSERT_TRUE(d.ok()) << c.text;
    EXPECT_EQ(*d, milliseconds(c.ms)) << c.text;
  }
  // The last two overflow int64 milliseconds (found by quantity_fuzz).
  for (const char* text : {"", "s", "10x", "-1", "1.5s", "m5", "9223372036854775807",
                           "999999999999h999999999999h999999999999h"}) {
    auto d = ParseDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.error().message().find("invalid duration"), std::string::npos);
  }
}

}  // namespace
}  // namespace hami::base
