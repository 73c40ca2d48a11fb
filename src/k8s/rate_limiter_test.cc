#include "k8s/rate_limiter.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

namespace hami::k8s {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(TokenBucketTest, BurstThenPaced) {
  TokenBucket bucket(10, 3);
  auto t0 = TokenBucket::Clock::time_point() + std::chrono::seconds(100);
  EXPECT_EQ(bucket.Reserve(t0), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(t0), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(t0), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(t0), milliseconds(100));
  EXPECT_EQ(bucket.Reserve(t0), milliseconds(200));  // reservations queue up
  // 1 s later: +10 tokens, capped at burst 3, minus the 2 owed.
  auto t1 = t0 + std::chrono::seconds(1);
  EXPECT_EQ(bucket.Reserve(t1), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(t1), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(t1), nanoseconds(0));
  EXPECT_EQ(bucket.Reserve(t1), milliseconds(100));
}

TEST(TokenBucketTest, DisabledWhenQpsNotPositive) {
  TokenBucket bucket(0, 1);
  auto t0 = TokenBucket::Clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bucket.Reserve(t0), nanoseconds(0));
}

TEST(TokenSourceTest, LiteralAndEmpty) {
  EXPECT_EQ(TokenSource("abc", "").Token().value(), "abc");
  EXPECT_EQ(TokenSource("", "").Token().value(), "");
}

TEST(TokenSourceTest, RereadsFileWhenItChanges) {
  char tmpl[] = "/tmp/k8s_token_XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string path = tmpl;
  std::ofstream(path) << "first\n";
  TokenSource source("", path);
  EXPECT_EQ(source.Token().value(), "first");
  std::ofstream(path) << "second-token\n";  // size differs: seen even within one mtime tick
  EXPECT_EQ(source.Token().value(), "second-token");
  std::remove(path.c_str());
  EXPECT_EQ(source.Token().value(), "second-token");  // last good token across a gap
  TokenSource missing("", path);
  EXPECT_EQ(missing.Token().error().code(), base::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace hami::k8s
