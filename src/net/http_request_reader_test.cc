#include "net/http_request_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace hami::net {
namespace {

using Progress = RequestReader::Progress;

struct Outcome {
  Progress progress;
  RequestHead head;
  std::string body;
  int status = 0;
};

// Feeds `wire` in pieces of `step` bytes; stops at the first complete request or error.
Outcome Read(const std::string& wire, size_t step = 1 << 20, HttpLimits limits = {}) {
  RequestReader reader(limits);
  std::string buffer;
  Progress p = Progress::kNeedMore;
  for (size_t i = 0; i < wire.size() || p == Progress::kHead;) {
    if (p != Progress::kHead) {
      buffer.append(wire, i, step);
      i += step;
    }
    p = reader.Advance(&buffer);
    if (p == Progress::kDone || p == Progress::kError) break;
  }
  Outcome out{p, reader.head(), reader.TakeBody(), reader.error_status()};
  return out;
}

TEST(RequestReaderTest, ContentLengthRequestInAnyPieces) {
  const std::string wire =
      "POST /filter?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
      "Content-Length: 7\r\n\r\n{\"a\":1}";
  for (size_t step : {size_t{1}, size_t{3}, size_t{1000}}) {
    Outcome o = Read(wire, step);
    ASSERT_EQ(o.progress, Progress::kDone) << step;
    EXPECT_EQ(o.head.method, "POST");
    EXPECT_EQ(o.head.path, "/filter");
    EXPECT_EQ(o.head.target, "/filter?x=1");
    EXPECT_EQ(o.head.headers.at("content-type"), "application/json");
    EXPECT_TRUE(o.head.keep_alive);
    EXPECT_EQ(o.body, "{\"a\":1}");
  }
}

TEST(RequestReaderTest, BareLineFeedsHttp10AndConnectionTokens) {
  Outcome o = Read("GET /healthz HTTP/1.0\nConnection: keep-alive\n\n");
  ASSERT_EQ(o.progress, Progress::kDone);
  EXPECT_EQ(o.head.minor_version, 0);
  EXPECT_TRUE(o.head.keep_alive);
  o = Read("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n");
  ASSERT_EQ(o.progress, Progress::kDone);
  EXPECT_FALSE(o.head.keep_alive);
  o = Read("\r\n\r\nGET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(o.progress, Progress::kDone);
  EXPECT_TRUE(o.head.expect_continue);
}

TEST(RequestReaderTest, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string wire =
      "POST /bind HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t step : {size_t{1}, size_t{5}, size_t{1000}}) {
    Outcome o = Read(wire, step);
    ASSERT_EQ(o.progress, Progress::kDone) << step;
    EXPECT_TRUE(o.head.chunked);
    EXPECT_EQ(o.body, "abc0123456789abcdef");
  }
}

TEST(RequestReaderTest, PipelinedRequestsStayInTheBuffer) {
  RequestReader reader({});
  std::string buffer = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
  ASSERT_EQ(reader.Advance(&buffer), Progress::kHead);
  ASSERT_EQ(reader.Advance(&buffer), Progress::kDone);
  EXPECT_EQ(reader.head().path, "/a");
  reader.Reset();
  ASSERT_EQ(reader.Advance(&buffer), Progress::kHead);
  ASSERT_EQ(reader.Advance(&buffer), Progress::kDone);
  EXPECT_EQ(reader.head().path, "/b");
  EXPECT_TRUE(buffer.empty());
}

TEST(RequestReaderTest, RefusalsCarryTheirStatus) {
  HttpLimits small;
  small.max_header_bytes = 100;
  small.max_body_bytes = 10;
  small.max_headers = 2;
  struct Case {
    std::string wire;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET /\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\n\r\n", 400},
      {"G@T / HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET / FTP/1.0\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nA: \x01\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 413},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", 400},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n", 413},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400},
      {"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 431},
      {"GET /" + std::string(200, 'x') + " HTTP/1.1\r\n\r\n", 431},
      {"GET /" + std::string(200, 'x'), 431},  // no end of head in sight
  };
  for (const auto& c : cases) {
    Outcome o = Read(c.wire, 1 << 20, small);
    EXPECT_EQ(o.progress, Progress::kError) << c.wire;
    EXPECT_EQ(o.status, c.status) << c.wire;
  }
}

TEST(RequestReaderTest, TrickledHeadIsScannedOnce) {
  // 60 KB of header arriving a byte at a time: linear work, then one request.
  std::string wire = "GET / HTTP/1.1\r\nX: " + std::string(60000, 'a') + "\r\n\r\n";
  Outcome o = Read(wire, 1);
  ASSERT_EQ(o.progress, Progress::kDone);
  EXPECT_EQ(o.head.headers.at("x").size(), 60000u);
}

// Deterministic mutations of valid requests: the reader returns a result, never crashes or
// loops, and never accepts a body over the limit.
TEST(RequestReaderTest, MutatedRequestsNeverBreakTheBounds) {
  const std::vector<std::string> seeds = {
      "POST /filter HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
      "POST /bind HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  };
  const char kAlphabet[] = "\r\n :;0123456789abcdefGET/HTP.\x00\xff";
  const std::string alphabet(kAlphabet, sizeof(kAlphabet) - 1);  // with the NUL inside
  std::mt19937 rng(14);
  HttpLimits limits;
  limits.max_body_bytes = 64;
  limits.max_header_bytes = 256;
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    for (int e = 0; e < 1 + static_cast<int>(rng() % 4); ++e) {
      const size_t pos = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (pos < s.size()) s.erase(pos, 1);
          break;
        case 1:
          s.insert(s.begin() + pos, alphabet[rng() % alphabet.size()]);
          break;
        default:
          if (pos < s.size()) s[pos] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    Outcome o = Read(s, 1 + rng() % 7, limits);
    if (o.progress == Progress::kDone) {
      EXPECT_LE(o.body.size(), limits.max_body_bytes) << s;
    }
  }
}

}  // namespace
}  // namespace hami::net
