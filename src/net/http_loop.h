// HttpLoop: the event loop behind net::HttpServer (its contract is in http_server.h): accepts,
// handshakes, reads requests, enforces the deadlines, caps and the body budget, hands complete
// requests to a WorkerPool and writes their responses.
//
// Run() on one thread until RequestStop(); every connection is owned and touched by that thread
// only. Workers hand responses back through a mutex-guarded queue and an eventfd. stats() and
// RequestStop() are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "net/http_connection.h"
#include "net/http_server.h"
#include "net/tls_server_context.h"
#include "net/worker_pool.h"

namespace hami::net {

class HttpLoop {
 public:
  using Clock = HttpConnection::Clock;

  // Takes ownership of the listening socket `listen_fd` and of `tls` (nullptr: plain HTTP).
  // `routes` must outlive the loop and stay unchanged.
  static base::Result<std::unique_ptr<HttpLoop>> Create(const HttpServerOptions& options,
                                                        const HttpRoutes& routes,
                                                        std::unique_ptr<TlsServerContext> tls,
                                                        int listen_fd);
  ~HttpLoop();

  void Run();
  void RequestStop();
  HttpServerStats stats() const;

 private:
  HttpLoop(const HttpServerOptions& options, const HttpRoutes& routes,
           std::unique_ptr<TlsServerContext> tls, int listen_fd);

  using Phase = HttpConnection::Phase;
  using Io = HttpConnection::Io;

  void Accept(Clock::time_point now);
  void OnEvent(HttpConnection& conn, Clock::time_point now);
  void DoHandshake(HttpConnection& conn, Clock::time_point now);
  void DoRead(HttpConnection& conn, Clock::time_point now);
  // After a head: route, client certificate, body budget, 100-continue. False: answered.
  bool OnHead(HttpConnection& conn, Clock::time_point now);
  void Dispatch(HttpConnection& conn, Clock::time_point now);
  void DoWrite(HttpConnection& conn, Clock::time_point now);
  // Answers `response`; `close` ends the connection after it, `linger` first drops what the
  // client still sends (a refusal before its body was read).
  void Respond(HttpConnection& conn, const HttpResponse& response, bool close,
               Clock::time_point now, bool linger = false);
  void DoLinger(HttpConnection& conn);
  // Streams (http_loop_stream.cc): starts streaming `response` on `conn` after its head was
  // queued; moves what the producer wrote to the socket; handles a readable streaming socket.
  void StartStream(HttpConnection& conn, const HttpResponse& response, Clock::time_point now);
  void DrainStream(HttpConnection& conn);
  void OnStreamEvent(HttpConnection& conn);
  // A route for (method, path): exact, else the longest '*' prefix; nullptr when none.
  const HttpRoute* FindRoute(const std::string& method, const std::string& path) const;
  void ApplyCompletions(Clock::time_point now);
  void Sweep(Clock::time_point now);
  void BeginStop();
  void Close(HttpConnection& conn);
  // Closes the connection (not `except`) that has waited longest before its request was complete
  // (handshake, head, body; or answered and lingering) or, with `body_only`, reading a body.
  bool ShedOldest(bool body_only, const HttpConnection* except);
  bool Reserve(HttpConnection& conn, uint64_t bytes);
  void Release(HttpConnection& conn);
  void SetInterest(HttpConnection& conn, uint32_t events);
  void SetListening(bool on);
  void LogPressure(Clock::time_point now);
  HttpResponse RunHandler(const HttpRoute& route, const HttpRequest& request) const;

  const HttpServerOptions options_;
  const HttpRoutes& routes_;
  const HttpLimits limits_;
  std::unique_ptr<TlsServerContext> tls_;
  int listen_fd_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  bool listening_ = false;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};
  uint64_t next_id_ = 2;  // 0: the listener, 1: the wake eventfd
  std::unordered_map<uint64_t, std::unique_ptr<HttpConnection>> conns_;
  uint64_t body_budget_used_ = 0;
  Clock::time_point next_sweep_;
  Clock::time_point next_pressure_log_;
  HttpServerStats logged_;

  std::mutex done_mu_;
  std::vector<std::pair<uint64_t, HttpResponse>> done_;  // guarded by done_mu_
  std::vector<uint64_t> streams_ready_;                  // guarded by done_mu_

  std::atomic<uint64_t> accepted_{0}, shed_{0}, refused_{0}, timed_out_{0}, unauthorized_{0},
      open_{0};
  WorkerPool pool_;  // last: its threads stop before the members they use go away
};

}  // namespace hami::net
