// HttpServer: a small HTTP/1.1 (optionally TLS) server for hami-scheduler's /filter, /bind,
// /webhook, /healthz and /metrics and hami-monitor's /metrics, built to stay up under hostile and
// slow clients.
//
// Model: one event-loop thread (epoll, non-blocking sockets) accepts connections, runs TLS
// handshakes and reads each request completely (head and body) before any handler sees it; a
// fixed pool of `threads` workers runs handlers only; the loop writes the responses. A connection
// that is slow or idle costs a file descriptor and its buffered bytes, never a worker, so slow
// clients cannot starve the others.
//
// Bounds (HttpServerOptions):
//   - request head <= `max_header_bytes`, body <= `max_body_bytes` (413 from Content-Length before
//     any body byte is read); parse errors answer 400/413/431/501/505 (http_request_reader.h);
//   - deadlines, each total (not per read): TLS handshake + first request head within
//     `read_header_timeout` of accept, and a later head within it of its first byte; body within
//     `read_timeout` of its head (408); response written within `write_timeout`; an idle
//     keep-alive connection is closed after `keep_alive_timeout`;
//   - at most `max_connections` open connections: a new one beyond the cap closes the connection
//     that has waited longest in a phase before its request is complete (handshake, head, body or
//     keep-alive idle); a connection whose request is being handled or answered is never closed;
//     when every connection is such, the new one is closed at once;
//   - bodies of requests not yet answered hold at most `max_buffered_body_bytes` together: a head
//     announcing more closes the oldest connections still reading a body, else answers 503.
// Routes are (method, path) pairs, exact, or a prefix when the path ends in '*' ("/ui/*" serves
// "/ui/app.js"; an exact route wins, then the longest prefix); unknown path -> 404, known path
// with another method -> 405 (both answered after the head, without reading the body); a handler
// that throws -> 500. A response with `stream` set goes on after its handler (http_stream.h).
// Client certificates: a route registered with a ClientCertPolicy answers 403 after the head
// unless the TLS client presented a certificate that the policy's CA file verifies (as a TLS
// client certificate, chain and validity) and whose subject CN is allowed. The server asks every
// client for a certificate and accepts a connection without one (probes, other routes).
// TLS: TLS >= 1.2; the cert/key pair is re-read when either file's mtime, size or inode changes,
// checked at every handshake (TlsReloader); a pair that fails to load keeps the previous one.
// Stop(): closes the listener and every connection whose request is not complete, lets requests
// being handled finish and be answered (bounded by `write_timeout`), joins the threads. Idempotent.
// Thread-safety: Handle() before Start() only; Start/Stop/port/stats from one owner thread;
// handlers run concurrently on the workers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/http_stream.h"

namespace hami::net {

class HttpLoop;

struct HttpRequest {
  std::string method;
  std::string path;   // the target up to '?'
  std::string query;  // the target after '?' (still percent-encoded), "" when none
  std::map<std::string, std::string> headers;  // names lowercased; a repeated header keeps the last
  std::string body;
  // Subject CN of the client certificate the route's ClientCertPolicy accepted; "" on routes
  // without a policy.
  std::string client_cn;

  // Value of header `name` (any case), "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Further header fields ("Cache-Control", "WWW-Authenticate", ...), written as given; not
  // Content-Type, Content-Length or Connection.
  std::vector<std::pair<std::string, std::string>> headers = {};
  // Set: `body` is the start of a body that `stream` continues (server-sent events).
  std::shared_ptr<HttpStream> stream = nullptr;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct TlsFiles {
  std::string cert_file;  // PEM: leaf certificate, then any intermediates
  std::string key_file;   // PEM private key
};

// Who may call a route: TLS clients whose certificate `ca_file` (PEM, one or more CAs) verifies
// and whose subject CN is one of `names` (empty: any certificate the CA issued).
struct ClientCertPolicy {
  std::string ca_file;
  std::vector<std::string> names;
};

// A registered route (HttpServer::Handle), by (method, path).
struct HttpRoute {
  HttpHandler handler;
  std::optional<ClientCertPolicy> client;
};
using HttpRoutes = std::map<std::pair<std::string, std::string>, HttpRoute>;

struct HttpServerOptions {
  // "host:port"; ":port" listens on all IPv4 interfaces; "[::1]:port" for IPv6; port 0 = any
  // free port (read it back with HttpServer::port()).
  std::string bind_address = "127.0.0.1:8080";
  std::optional<TlsFiles> tls;
  size_t threads = 8;
  size_t max_connections = 1024;
  size_t max_header_bytes = 64 << 10;
  size_t max_body_bytes = 1 << 20;
  size_t max_buffered_body_bytes = 64 << 20;
  std::chrono::milliseconds read_header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds read_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
  // Longer than the Go clients' 90 s idle timeout, so the client closes first (a server close
  // racing a client's next request would fail that request).
  std::chrono::milliseconds keep_alive_timeout{std::chrono::seconds(120)};
};

// Counters since Start() (read with relaxed ordering; for tests and logs).
struct HttpServerStats {
  uint64_t accepted = 0;
  uint64_t shed = 0;          // closed to make room for a new connection or body
  uint64_t refused = 0;       // new connections closed at once (every slot busy)
  uint64_t timed_out = 0;     // closed at a deadline
  uint64_t unauthorized = 0;  // 403 for a missing or unaccepted client certificate
  uint64_t open = 0;          // connections open now
};

// Splits "host:port" as described above. Errors name the input.
base::Result<std::pair<std::string, int>> ParseBindAddress(std::string_view address);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers `handler` for exact `method` ("GET", "POST", "PUT", "DELETE") and `path`; with
  // `client`, only TLS clients the policy accepts reach it (Start fails without TLS).
  void Handle(const std::string& method, const std::string& path, HttpHandler handler,
              std::optional<ClientCertPolicy> client = std::nullopt);

  // Binds (TLS files and client CA files are loaded now: a bad one is an error) and serves on a
  // background thread.
  base::Status Start();
  // The bound port (valid after a successful Start()).
  int port() const { return port_; }
  HttpServerStats stats() const;
  void Stop();

 private:
  HttpServerOptions options_;
  HttpRoutes routes_;
  std::unique_ptr<HttpLoop> loop_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace hami::net
