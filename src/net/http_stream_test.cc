// Prefix routes, query strings, extra headers and streamed responses of net::HttpServer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>
#include <httplib.h>

#include "net/http_server.h"
#include "test/fakes/loopback_socket.h"

namespace hami::net {
namespace {

std::string ReadUntil(int fd, const std::string& needle) {
  std::string got;
  return fakes::ReadUntil(fd, needle, &got);
}

// Reads from `fd` until `needle` was seen (or EOF); returns everything read.

class StreamServerTest : public testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.bind_address = "127.0.0.1:0";
    o.threads = 2;
    server_ = std::make_unique<HttpServer>(o);
    server_->Handle("GET", "/ui/*", [](const HttpRequest& r) {
      return HttpResponse{
          200, "text/plain", "prefix " + r.path + " ?" + r.query, {{"Cache-Control", "no-cache"}}};
    });
    server_->Handle("GET", "/ui/exact", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", "exact"};
    });
    server_->Handle("GET", "/ui/deeper/*", [](const HttpRequest&) {
      return HttpResponse{200, "text/plain", "deeper"};
    });
    server_->Handle("GET", "/stream", [this](const HttpRequest&) {
      auto stream = std::make_shared<HttpStream>();
      {
        std::lock_guard<std::mutex> lock(mu_);
        stream_ = stream;
      }
      got_stream_.set_value();
      HttpResponse r{200, "text/event-stream", ": hello\n\n"};
      r.stream = stream;
      return r;
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  std::shared_ptr<HttpStream> stream() {
    std::lock_guard<std::mutex> lock(mu_);
    return stream_;
  }
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::shared_ptr<HttpStream> stream_;
  std::promise<void> got_stream_;
};

TEST_F(StreamServerTest, PrefixRoutesQueryAndHeaders) {
  httplib::Client c("127.0.0.1", server_->port());
  auto res = c.Get("/ui/app.js?x=1&y=%20");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "prefix /ui/app.js ?x=1&y=%20");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(c.Get("/ui/exact")->body, "exact");
  EXPECT_EQ(c.Get("/ui/deeper/x")->body, "deeper");
  EXPECT_EQ(c.Get("/ui")->status, 404);
  EXPECT_EQ(c.Post("/ui/app.js", "", "text/plain")->status, 405);
}

TEST_F(StreamServerTest, StreamsUntilTheProducerCloses) {
  const int fd = fakes::ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  const std::string req = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  got_stream_.get_future().wait();
  std::string head = ReadUntil(fd, ": hello\n\n");
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_NE(head.find("Connection: close"), std::string::npos);
  ASSERT_TRUE(stream()->Write("event: update\ndata: {}\n\n"));
  EXPECT_NE(ReadUntil(fd, "data: {}\n\n").find("event: update"), std::string::npos);
  stream()->Close();
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // closed after the queued bytes
  close(fd);
}

TEST_F(StreamServerTest, ClientGoneIsSeenByTheProducer) {
  const int fd = fakes::ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  const std::string req = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  got_stream_.get_future().wait();
  ReadUntil(fd, ": hello\n\n");
  close(fd);
  // The loop notices the end of file on its own; a write afterwards is refused.
  for (int i = 0; i < 500 && !stream()->Gone(); ++i) {
    stream()->Write(": ping\n\n");
    usleep(10000);
  }
  EXPECT_TRUE(stream()->Gone());
  EXPECT_FALSE(stream()->Write("x"));
}

TEST_F(StreamServerTest, StopEndsStreams) {
  const int fd = fakes::ConnectLoopback(server_->port());
  const std::string req = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  got_stream_.get_future().wait();
  ReadUntil(fd, ": hello\n\n");
  server_->Stop();
  EXPECT_TRUE(stream()->Gone());
  close(fd);
}

}  // namespace
}  // namespace hami::net
