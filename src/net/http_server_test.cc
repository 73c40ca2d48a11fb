#include "net/http_server.h"
#include "test/fakes/loopback_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <stdexcept>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace hami::net {
namespace {

TEST(ParseBindAddress, Forms) {
  using P = std::pair<std::string, int>;
  EXPECT_EQ(*ParseBindAddress(":9395"), P("0.0.0.0", 9395));
  EXPECT_EQ(*ParseBindAddress("127.0.0.1:8080"), P("127.0.0.1", 8080));
  EXPECT_EQ(*ParseBindAddress("0.0.0.0:443"), P("0.0.0.0", 443));
  EXPECT_EQ(*ParseBindAddress("[::1]:0"), P("::1", 0));
  EXPECT_EQ(*ParseBindAddress("localhost:1"), P("localhost", 1));
  for (const char* bad : {"9395", "host:", "host:x", ":65536", ":-1", "::1:80"}) {
    EXPECT_FALSE(ParseBindAddress(bad).ok()) << bad;
  }
}

HttpResponse Echo(const HttpRequest& r) {
  HttpResponse out;
  out.content_type = "application/json";
  out.body = r.method + " " + r.path + " " + r.Header("X-Test") + " " + r.body;
  return out;
}

class PlainServerTest : public testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.bind_address = "127.0.0.1:0";
    o.threads = 2;
    server_ = std::make_unique<HttpServer>(o);
    server_->Handle("POST", "/echo", Echo);
    server_->Handle("GET", "/healthz", [](const HttpRequest&) { return HttpResponse{}; });
    server_->Handle("GET", "/throw",
                    [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(PlainServerTest, RoutesByMethodAndPath) {
  auto res = client_->Post("/echo", {{"X-Test", "h"}}, "payload", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "POST /echo h payload");
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");

  res = client_->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(client_->Head("/healthz")->status, 200);
  EXPECT_EQ(client_->Get("/nope")->status, 404);
  EXPECT_EQ(client_->Post("/nope", "x", "text/plain")->status, 404);
  EXPECT_EQ(client_->Get("/echo")->status, 405);
  EXPECT_EQ(client_->Get("/throw")->status, 500);
}

TEST_F(PlainServerTest, BodyCapIsOneMiB) {
  const std::string at_cap(1 << 20, 'a');
  auto res = client_->Post("/echo", at_cap, "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body.size(), std::string("POST /echo  ").size() + at_cap.size());

  httplib::Client fresh("127.0.0.1", server_->port());
  res = fresh.Post("/echo", at_cap + "b", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
}

TEST(HttpServer, ReadHeaderTimeoutClosesStalledConnection) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  o.read_header_timeout = std::chrono::seconds(1);
  HttpServer server(o);
  ASSERT_TRUE(server.Start().ok());
  int fd = fakes::ConnectLoopback(server.port());
  ASSERT_GE(fd, 0);
  const std::string partial = "POST /x HTTP/1.1\r\nHost: a\r\n";  // headers never finish
  ASSERT_EQ(send(fd, partial.data(), partial.size(), 0), ssize_t(partial.size()));
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  const auto start = std::chrono::steady_clock::now();
  char buf[256];
  // The server gives up: it closes, or answers 4xx and closes.
  const ssize_t n = recv(fd, buf, sizeof(buf), 0);
  const auto waited = std::chrono::steady_clock::now() - start;
  close(fd);
  ASSERT_GE(n, 0) << "no answer within 10 s";
  EXPECT_TRUE(n == 0 || std::string(buf, n).rfind("HTTP/1.1 4", 0) == 0) << std::string(buf, n);
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(HttpServer, SlowBodyIsCutAtReadTimeout) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  o.read_timeout = std::chrono::seconds(1);
  HttpServer server(o);
  server.Handle("POST", "/echo", Echo);
  ASSERT_TRUE(server.Start().ok());
  int fd = fakes::ConnectLoopback(server.port());
  ASSERT_GE(fd, 0);
  const std::string head = "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n";
  ASSERT_EQ(send(fd, head.data(), head.size(), 0), ssize_t(head.size()));
  // One byte every 200 ms: each read is quick, the whole body would take 20 s.
  std::string answer;
  for (int i = 0; i < 30 && answer.empty(); ++i) {
    send(fd, "x", 1, MSG_NOSIGNAL);
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[256];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) answer.assign(buf, n);
    if (n == 0) break;
  }
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
}

TEST(HttpServer, GracefulStopFinishesInFlightRequest) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  HttpServer server(o);
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  server.Handle("GET", "/slow", [&](const HttpRequest&) {
    entered.set_value();
    released.wait();
    HttpResponse r;
    r.body = "done";
    return r;
  });
  ASSERT_TRUE(server.Start().ok());
  const int port = server.port();
  auto request = std::async(std::launch::async, [port] {
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get("/slow");
    return res ? res->status * 1000 + int(res->body == "done") : -1;
  });
  entered.get_future().wait();
  auto stopping = std::async(std::launch::async, [&] { server.Stop(); });
  // Stop waits for the handler; the listener is closed first, so new connections fail.
  auto connects = [port] {
    int fd = fakes::ConnectLoopback(port);
    if (fd >= 0) close(fd);
    return fd >= 0;
  };
  for (int i = 0; i < 400 && connects(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(connects());
  EXPECT_EQ(stopping.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.set_value();
  EXPECT_EQ(request.get(), 200 * 1000 + 1);
  stopping.get();
  server.Stop();  // idempotent
}

TEST(HttpServer, BindErrors) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  HttpServer first(o);
  ASSERT_TRUE(first.Start().ok());
  o.bind_address = "127.0.0.1:" + std::to_string(first.port());
  HttpServer second(o);
  EXPECT_EQ(second.Start().code(), base::StatusCode::kUnavailable);
  o.bind_address = "nonsense";
  HttpServer third(o);
  EXPECT_EQ(third.Start().code(), base::StatusCode::kInvalidArgument);
  EXPECT_EQ(first.Start().code(), base::StatusCode::kFailedPrecondition);
}

// A fresh P-256 key and a self-signed certificate with subject CN=`cn`, written as PEM.
void WriteSelfSigned(const std::string& cn, const std::string& cert_path,
                     const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* cert = X509_new();
  ASSERT_NE(cert, nullptr);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  // Written beside, then renamed over: the way Kubernetes updates a mounted Secret.
  FILE* f = fopen((cert_path + ".tmp").c_str(), "w");
  PEM_write_X509(f, cert);
  fclose(f);
  f = fopen((key_path + ".tmp").c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  fclose(f);
  std::filesystem::rename(key_path + ".tmp", key_path);
  std::filesystem::rename(cert_path + ".tmp", cert_path);
  X509_free(cert);
  EVP_PKEY_free(key);
}

// The subject CN of the certificate served on 127.0.0.1:`port` ("" when the handshake fails).
std::string ServedCommonName(int port) {
  int fd = fakes::ConnectLoopback(port);
  if (fd < 0) return "";
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  std::string cn;
  if (SSL_connect(ssl) == 1) {
    X509* peer = SSL_get1_peer_certificate(ssl);
    char buf[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof(buf));
    cn = buf;
    X509_free(peer);
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return cn;
}

class TlsServerTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hami-net-tls-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    cert_ = (dir_ / "tls.crt").string();
    key_ = (dir_ / "tls.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string cert_;
  std::string key_;
};

TEST_F(TlsServerTest, ServesHttpsAndReloadsChangedCertificate) {
  WriteSelfSigned("generation-a", cert_, key_);
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  o.tls = TlsFiles{cert_, key_};
  HttpServer server(o);
  server.Handle("POST", "/echo", Echo);
  ASSERT_TRUE(server.Start().ok());

  httplib::SSLClient client("127.0.0.1", server.port());
  client.enable_server_certificate_verification(false);
  auto res = client.Post("/echo", "secure", "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "POST /echo  secure");
  EXPECT_EQ(ServedCommonName(server.port()), "generation-a");

  WriteSelfSigned("generation-b", cert_, key_);
  EXPECT_EQ(ServedCommonName(server.port()), "generation-b");

  // A broken pair keeps the last good one.
  {
    FILE* f = fopen(cert_.c_str(), "w");
    fputs("not a certificate", f);
    fclose(f);
  }
  EXPECT_EQ(ServedCommonName(server.port()), "generation-b");

  // Plain HTTP to the TLS port is not served.
  httplib::Client plain("127.0.0.1", server.port());
  plain.set_read_timeout(std::chrono::seconds(2));
  auto bad = plain.Get("/echo");
  EXPECT_TRUE(!bad || bad->status != 200);
}

TEST_F(TlsServerTest, StartFailsOnMissingOrMismatchedFiles) {
  HttpServerOptions o;
  o.bind_address = "127.0.0.1:0";
  o.tls = TlsFiles{cert_, key_};
  HttpServer missing(o);
  EXPECT_EQ(missing.Start().code(), base::StatusCode::kNotFound);

  WriteSelfSigned("one", cert_, key_);
  const std::string other_key = (dir_ / "other.key").string();
  WriteSelfSigned("two", (dir_ / "other.crt").string(), other_key);
  o.tls = TlsFiles{cert_, other_key};
  HttpServer mismatched(o);
  base::Status status = mismatched.Start();
  EXPECT_EQ(status.code(), base::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("does not match"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace hami::net
