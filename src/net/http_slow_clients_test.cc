// HttpServer under hostile clients (issue 14): tricklers that hold connections open a byte at a
// time, a full connection table, too many bodies in flight, and client certificates per route.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include "net/http_server.h"
#include "net/test_pki.h"
#include "test/fakes/loopback_socket.h"

namespace hami::net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The first flight of a TLS client (its ClientHello), to be trickled over a raw socket.
std::string ClientHello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_connect(ssl);  // wants to read the ServerHello
  char buf[4096];
  const int n = BIO_read(out, buf, sizeof(buf));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  return std::string(buf, n > 0 ? n : 0);
}

// Connections that each send `payload` one byte per `period`, until destroyed.
class Tricklers {
 public:
  Tricklers(int port, size_t count, std::string payload, milliseconds period)
      : payload_(std::move(payload)) {
    for (size_t i = 0; i < count; ++i) {
      const int fd = fakes::ConnectLoopback(port);
      if (fd >= 0) fds_.push_back(fd);
    }
    thread_ = std::jthread([this, period](std::stop_token stop) {
      for (size_t sent = 0; !stop.stop_requested() && sent < payload_.size(); ++sent) {
        for (int fd : fds_) send(fd, payload_.data() + sent, 1, MSG_NOSIGNAL);
        std::this_thread::sleep_for(period);
      }
    });
  }
  ~Tricklers() {
    thread_.request_stop();
    thread_.join();
    for (int fd : fds_) close(fd);
  }
  size_t connected() const { return fds_.size(); }

 private:
  std::string payload_;
  std::vector<int> fds_;
  std::jthread thread_;
};

HttpResponse Ok(const HttpRequest& r) { return HttpResponse{200, "text/plain", "ok " + r.body}; }

class SlowClientsTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hami-slow-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    ca_ = test_pki::MakeCert("test-ca", nullptr, "ca");
    ca_.Write(dir_, "ca");
    serving_ = test_pki::MakeCert("server", &ca_, "server");
    serving_.Write(dir_, "server");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HttpServerOptions Tls() {
    HttpServerOptions o;
    o.bind_address = "127.0.0.1:0";
    o.tls = TlsFiles{serving_.cert_file, serving_.key_file};
    return o;
  }

  std::filesystem::path dir_;
  test_pki::TestCert ca_;
  test_pki::TestCert serving_;
};

// Milliseconds a fresh client takes to get `path` answered (-1: no 200).
template <typename Client>
int TimedGet(Client& client, const std::string& path) {
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  const auto start = Clock::now();
  auto res = client.Get(path);
  if (!res || res->status != 200) return -1;
  return static_cast<int>(std::chrono::duration_cast<milliseconds>(Clock::now() - start).count());
}

// Issue 14: 391 connections trickling a TLS ClientHello at 1 byte/s stalled /healthz, /filter
// and /webhook, and 139 header tricklers stalled /metrics (2 workers). Now 300 ClientHello
// tricklers on a TLS port and 300 request-head tricklers on a plain port cost no worker: each
// route still answers a fresh client well within the bound.
TEST_F(SlowClientsTest, ThreeHundredTricklersDoNotDelayOthers) {
  HttpServerOptions api = Tls();
  api.threads = 2;
  HttpServer server(api);
  server.Handle("GET", "/healthz", Ok);
  server.Handle("POST", "/filter", Ok);
  ASSERT_TRUE(server.Start().ok());
  HttpServerOptions plain;
  plain.bind_address = "127.0.0.1:0";
  plain.threads = 2;
  HttpServer metrics(plain);
  metrics.Handle("GET", "/metrics", Ok);
  ASSERT_TRUE(metrics.Start().ok());

  Tricklers hellos(server.port(), 300, ClientHello(), milliseconds(1000));
  Tricklers heads(metrics.port(), 300, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n",
                  milliseconds(1000));
  ASSERT_EQ(hellos.connected(), 300u);
  ASSERT_EQ(heads.connected(), 300u);
  std::this_thread::sleep_for(milliseconds(1500));  // every trickler has sent bytes
  EXPECT_GE(server.stats().open, 300u);
  EXPECT_GE(metrics.stats().open, 300u);

  for (int round = 0; round < 3; ++round) {
    httplib::SSLClient tls("127.0.0.1", server.port());
    tls.enable_server_certificate_verification(false);
    const int healthz = TimedGet(tls, "/healthz");
    const auto start = Clock::now();
    auto filter = tls.Post("/filter", "{}", "application/json");
    const auto filter_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
    httplib::Client scrape("127.0.0.1", metrics.port());
    const int metrics_ms = TimedGet(scrape, "/metrics");
    EXPECT_GE(healthz, 0);
    EXPECT_LT(healthz, 500);
    ASSERT_TRUE(filter);
    EXPECT_EQ(filter->status, 200);
    EXPECT_LT(filter_ms, 500);
    EXPECT_GE(metrics_ms, 0);
    EXPECT_LT(metrics_ms, 500);
  }
  EXPECT_EQ(server.stats().shed, 0u);  // 300 fit under the default cap: nobody was dropped
}

// At the connection cap, the connection that has waited longest for its request is dropped for
// the newcomer; a request already being handled is never dropped.
TEST_F(SlowClientsTest, FullTableShedsTheOldestIncompleteConnection) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  o.max_connections = 32;
  HttpServer server(o);
  server.Handle("GET", "/healthz", Ok);
  ASSERT_TRUE(server.Start().ok());
  Tricklers heads(server.port(), 100, "GET /healthz HTTP/1.1\r\nX: y\r\n", milliseconds(1000));
  std::this_thread::sleep_for(milliseconds(300));
  for (int i = 0; i < 5; ++i) {
    httplib::Client client("127.0.0.1", server.port());
    const int ms = TimedGet(client, "/healthz");
    EXPECT_GE(ms, 0);
    EXPECT_LT(ms, 500);
  }
  EXPECT_LE(server.stats().open, 32u);
  EXPECT_GE(server.stats().shed, 68u);
}

// Bodies announced by Content-Length are reserved from a shared budget: a client holding a
// large body open loses its slot to a newcomer instead of blocking it.
TEST_F(SlowClientsTest, BodyBudgetShedsTheOldestBodyReader) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  o.max_body_bytes = 64 << 10;
  o.max_buffered_body_bytes = 128 << 10;
  HttpServer server(o);
  server.Handle("POST", "/filter", Ok);
  ASSERT_TRUE(server.Start().ok());
  std::string head = "POST /filter HTTP/1.1\r\nContent-Length: 65536\r\n\r\n";
  std::vector<int> holders;
  for (int i = 0; i < 4; ++i) {
    holders.push_back(fakes::ConnectLoopback(server.port()));
    send(holders.back(), head.data(), head.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(milliseconds(50));
  }
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Post("/filter", std::string(60000, 'x'), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_GE(server.stats().shed, 3u);
  for (int fd : holders) close(fd);
}

// Client certificates per route: the policy's CA and CN are required; other routes need none.
TEST_F(SlowClientsTest, RoutesRequireTheirClientCertificate) {
  test_pki::TestCert scheduler = test_pki::MakeCert("system:kube-scheduler", &ca_, "client");
  scheduler.Write(dir_, "scheduler");
  test_pki::TestCert stranger = test_pki::MakeCert("someone", &ca_, "client");
  stranger.Write(dir_, "someone");
  test_pki::TestCert other_ca = test_pki::MakeCert("other-ca", nullptr, "ca");
  test_pki::TestCert forged = test_pki::MakeCert("system:kube-scheduler", &other_ca, "client");
  forged.Write(dir_, "forged");

  HttpServer server(Tls());
  server.Handle("POST", "/bind", Ok, ClientCertPolicy{ca_.cert_file, {"system:kube-scheduler"}});
  server.Handle("GET", "/healthz", Ok);
  ASSERT_TRUE(server.Start().ok());
  auto post = [&](const test_pki::TestCert* cert) {
    std::unique_ptr<httplib::SSLClient> c =
        cert ? std::make_unique<httplib::SSLClient>("127.0.0.1", server.port(), cert->cert_file,
                                                    cert->key_file)
             : std::make_unique<httplib::SSLClient>("127.0.0.1", server.port());
    c->enable_server_certificate_verification(false);
    auto res = c->Post("/bind", "{}", "application/json");
    return res ? res->status : -1;
  };
  EXPECT_EQ(post(&scheduler), 200);
  EXPECT_EQ(post(nullptr), 403);
  EXPECT_EQ(post(&stranger), 403);
  EXPECT_EQ(post(&forged), 403);
  EXPECT_EQ(server.stats().unauthorized, 3u);
  httplib::SSLClient probe("127.0.0.1", server.port());
  probe.enable_server_certificate_verification(false);
  EXPECT_GE(TimedGet(probe, "/healthz"), 0);

  HttpServerOptions plain;
  plain.bind_address = "127.0.0.1:0";
  HttpServer no_tls(plain);
  no_tls.Handle("POST", "/bind", Ok, ClientCertPolicy{ca_.cert_file, {}});
  EXPECT_EQ(no_tls.Start().code(), base::StatusCode::kFailedPrecondition);
  HttpServer bad_ca(Tls());
  bad_ca.Handle("POST", "/bind", Ok, ClientCertPolicy{serving_.key_file, {}});
  EXPECT_EQ(bad_ca.Start().code(), base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hami::net
