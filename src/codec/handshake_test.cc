#include "codec/handshake.h"

#include <gtest/gtest.h>

namespace hami::codec {
namespace {

TEST(HandshakeTest, ClassifiesAndStampsLikeUpstream) {
  struct Case {
    const char* value;
    HandshakeKind kind;
    std::optional<int64_t> time;
  };
  const Case cases[] = {
      {"Requesting_2024-05-01 10:00:00", HandshakeKind::kRequesting, 1714557600},
      {"Deleted_2024-05-01 10:00:00", HandshakeKind::kDeleted, 1714557600},
      {"Requesting_garbage", HandshakeKind::kRequesting, std::nullopt},
      {"Requesting", HandshakeKind::kRequesting, std::nullopt},
      {"xRequesting_2024-05-01 10:00:00", HandshakeKind::kRequesting, 1714557600},
      {"Deleted_Requesting", HandshakeKind::kRequesting, std::nullopt},  // "Requesting" wins
      {"Reported 2024-05-01 12:00:00.123 +0200 CEST m=+3.2", HandshakeKind::kReported, 1714557600},
      {"Reported 2024-05-01 10:00:00 +0000 UTC", HandshakeKind::kReported, 1714557600},
      {"Reported sometime", HandshakeKind::kReported, std::nullopt},
      {"Reported", HandshakeKind::kReported, std::nullopt},
  };
  for (const auto& c : cases) {
    auto h = ParseHandshake(c.value);
    ASSERT_TRUE(h.ok()) << c.value << ": " << h.status().ToString();
    EXPECT_EQ(h->kind, c.kind) << c.value;
    EXPECT_EQ(h->unix_seconds, c.time) << c.value;
    EXPECT_EQ(h->raw, c.value);
  }
}

TEST(HandshakeTest, RejectsUnknownValues) {
  for (const char* value : {"", "requesting_2024-05-01 10:00:00", "hello"}) {
    auto h = ParseHandshake(value);
    ASSERT_FALSE(h.ok()) << value;
    EXPECT_EQ(h.error().message(), "node handshake \"" + std::string(value) +
                                       "\": expected Requesting_<time>, Deleted_<time> or "
                                       "Reported <time>");
  }
}

TEST(HandshakeTest, FormatsAndRoundTrips) {
  EXPECT_EQ(FormatHandshake(HandshakeKind::kRequesting, 1714557600),
            "Requesting_2024-05-01 10:00:00");
  EXPECT_EQ(FormatHandshake(HandshakeKind::kDeleted, 1714557600), "Deleted_2024-05-01 10:00:00");
  EXPECT_EQ(FormatHandshake(HandshakeKind::kReported, 1714557600),
            "Reported 2024-05-01 10:00:00 +0000 UTC");
  for (HandshakeKind kind :
       {HandshakeKind::kRequesting, HandshakeKind::kDeleted, HandshakeKind::kReported}) {
    auto h = ParseHandshake(FormatHandshake(kind, 1714557601));
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->kind, kind);
    EXPECT_EQ(h->unix_seconds, 1714557601);
  }
}

// vendors.md §1.5: the scheduler's verdict and what it writes.
TEST(HandshakeTest, JudgeLikeUpstreamCheckHealth) {
  const int64_t now = 1714557600;  // 2024-05-01 10:00:00
  const std::string fresh = "Requesting_2024-05-01 09:59:30";
  const std::string stale = "Requesting_2024-05-01 09:58:59";
  const std::string request_now = "Requesting_2024-05-01 10:00:00";
  struct Case {
    std::optional<std::string> value;
    int64_t allocatable;
    HandshakeVerdict want;
  };
  std::vector<Case> cases = {
      {std::nullopt, 0, {true, request_now}},
      {"Reported 2024-05-01 09:59:59 +0000 UTC", 0, {true, request_now}},
      {"Reported_2024.05.01 09:59:59", 0, {true, request_now}},  // Ascend's form
      {"Deleted_2024-05-01 09:00:00", 0, {true, request_now}},
      {"garbage", 4, {true, request_now}},
      {fresh, 0, {true, std::nullopt}},
      {stale, 4, {true, std::nullopt}},
      {stale, 0, {false, std::nullopt}},
      {"Requesting_not a time", 0, {true, std::nullopt}},
  };
  for (const auto& c : cases) {
    std::optional<std::string_view> value;
    if (c.value) value = *c.value;
    EXPECT_EQ(JudgeHandshake(value, c.allocatable, now), c.want) << c.value.value_or("<absent>");
  }
}

}  // namespace
}  // namespace hami::codec
