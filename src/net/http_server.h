// HttpServer: a small HTTP/1.1 (optionally TLS) server over cpp-httplib for the scheduler's
// /filter, /bind, /webhook, /healthz and /metrics endpoints.
//
// Behaviour (defaults match upstream HAMi's Go servers, hami-wire §3.1):
//   - routes are exact (method, path) pairs; unknown path -> 404, known path with another
//     method -> 405; a handler that throws -> 500 (logged).
//   - request bodies above `max_body_bytes` (1 MiB) -> 413 before any handler runs.
//   - `read_header_timeout` (15 s) bounds every socket read (cpp-httplib 0.11 has one per-read
//     timeout, not Go's separate total header/request deadlines); `read_timeout` (60 s) bounds the
//     whole body read of a request from the moment its headers are parsed.
//   - a fixed pool of `threads` workers; at most `max_queued_connections` accepted connections
//     wait for a worker, beyond that the acceptor blocks (the kernel backlog absorbs the rest).
//   - TLS when cert and key files are given: the pair is re-read when either file's mtime, size
//     or inode changes, checked at every TLS handshake (so a renewed certificate is served to new
//     connections without a restart); a pair that fails to load keeps the previous one (logged).
//   - Stop(): closes the listener, lets in-flight requests finish, joins the threads; an idle
//     keep-alive connection is dropped at its next read or after `keep_alive_timeout` (5 s), so
//     Stop() returns within that bound once handlers are done. Idempotent.
// Thread-safety: Handle() before Start() only; Start/Stop/port from one owner thread; handlers run
// concurrently on the pool threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "base/result.h"

namespace httplib {
class Server;
}

namespace hami::net {

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lowercased; a repeated header keeps the last
  std::string body;

  // Value of header `name` (any case), "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct TlsFiles {
  std::string cert_file;  // PEM: leaf certificate, then any intermediates
  std::string key_file;   // PEM private key
};

struct HttpServerOptions {
  // "host:port"; ":port" listens on all IPv4 interfaces; "[::1]:port" for IPv6; port 0 = any
  // free port (read it back with HttpServer::port()).
  std::string bind_address = "127.0.0.1:8080";
  std::optional<TlsFiles> tls;
  size_t threads = 8;
  size_t max_queued_connections = 128;
  size_t max_body_bytes = 1 << 20;
  std::chrono::seconds read_header_timeout{15};
  std::chrono::seconds read_timeout{60};
  std::chrono::seconds write_timeout{60};
  std::chrono::seconds keep_alive_timeout{5};
};

// Splits "host:port" as described above. Errors name the input.
base::Result<std::pair<std::string, int>> ParseBindAddress(std::string_view address);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Registers `handler` for exact `method` ("GET", "POST", "PUT", "DELETE") and `path`.
  void Handle(const std::string& method, const std::string& path, HttpHandler handler);

  // Binds (TLS files are loaded now: a bad pair is an error) and serves on a background thread.
  base::Status Start();
  // The bound port (valid after a successful Start()).
  int port() const { return port_; }
  void Stop();

 private:
  class CertReloader;
  HttpResponse Dispatch(const HttpRequest& request) const;

  HttpServerOptions options_;
  std::map<std::pair<std::string, std::string>, HttpHandler> routes_;  // (method, path)
  std::unique_ptr<CertReloader> certs_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  int port_ = 0;
};

}  // namespace hami::net
