#include "base/status.h"
#include "base/result.h"

#include <gtest/gtest.h>

namespace hami::base {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgument("odd value " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  HAMI_ASSIGN_OR_RETURN(int half, Half(v));
  return Half(half);
}

TEST(StatusTest, DefaultIsOk) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status().ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeMessageAndContext) {
  Status s = InvalidArgument("bad quantity \"3Gx\"").WithContext("pod default/p container c");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.ToString(), "InvalidArgument: pod default/p container c: bad quantity \"3Gx\"");
  EXPECT_TRUE(Status().WithContext("x").ok());
}

TEST(ResultTest, ValueAndErrorPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "odd value 3");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(ResultTest, OkStatusIsNotAValue) {
  Result<int> r{Status()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace hami::base
