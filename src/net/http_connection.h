// HttpConnection: one accepted connection of net::HttpServer: its socket (and TLS session), the
// bytes read and not yet parsed, the response being written, its phase and deadline.
//
// I/O is non-blocking: each call moves what the socket allows now and says what it waits for.
// Owned and used by the server's event-loop thread only (not thread-safe).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <memory>

#include "net/http_request_reader.h"
#include "net/http_stream.h"
#include "net/tls_server_context.h"

namespace hami::net {

class HttpConnection {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Phase {
    kHandshake,  // TLS handshake
    kReadHead,   // waiting for (more of) a request head; idle between keep-alive requests
    kReadBody,
    kHandling,  // the request is with a worker
    kWrite,     // writing the response
    kLinger,    // answered and closing: dropping what the client still sends
    kStream,    // writing a streamed body (HttpStream) for as long as it goes on
  };
  // What an I/O call achieved: progress (call again), or what it waits for, or the end.
  enum class Io { kProgress, kWantRead, kWantWrite, kEof, kError };

  // Takes ownership of `fd` and `ssl` (nullptr for plain HTTP).
  HttpConnection(uint64_t id, int fd, SSL* ssl, const HttpLimits& limits, Clock::time_point now);
  ~HttpConnection();  // detaches `stream`, closes the socket (TLS: one close_notify attempt first)
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  uint64_t id() const { return id_; }
  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }

  // TLS handshake step. kProgress: done.
  Io Handshake();
  // Appends up to `max` bytes to in(). kProgress: some bytes were read.
  Io Read(size_t max);
  // Writes from out(). kProgress: out() is empty.
  Io Flush();
  // One write attempt of `bytes`, no waiting (a last word before closing: 408).
  void WriteOnce(const std::string& bytes);
  // After a last response sent before the request was read to its end: ends the sending side
  // (TLS close_notify, TCP FIN) so that Discard() can drop what the client still sends; closing
  // with unread bytes would reset the connection and lose the response.
  void StartLinger();
  // Reads and drops bytes from the socket. kProgress: some were dropped (counted in dropped()).
  Io Discard();
  uint64_t dropped() const { return dropped_; }

  std::string& in() { return in_; }
  std::string& out() { return out_; }
  RequestReader& reader() { return reader_; }
  PeerCertificate& peer() { return peer_; }
  SSL* ssl() const { return ssl_; }

  Phase phase() const { return phase_; }
  Clock::time_point phase_start() const { return phase_start_; }
  Clock::time_point deadline() const { return deadline_; }
  // Enters `phase` now, due by `deadline`.
  void Enter(Phase phase, Clock::time_point now, Clock::time_point deadline);
  // Moves on to `phase` keeping the phase start and deadline (handshake -> first head).
  void Continue(Phase phase) { phase_ = phase; }
  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }

  // Idle: between keep-alive requests with no byte of the next one yet.
  bool idle() const { return phase_ == Phase::kReadHead && in_.empty() && served_ > 0; }
  uint64_t served() const { return served_; }
  void CountServed() { ++served_; }

  const HttpRoute* route = nullptr;  // of the request being read or handled
  bool close_after_write = false;
  bool linger = false;                 // StartLinger() after the response (close_after_write)
  bool head_request = false;           // the request being answered is HEAD
  uint64_t body_reservation = 0;       // bytes held in the server's body budget
  uint32_t interest = 0;               // epoll events registered (0: not in the epoll set)
  std::shared_ptr<HttpStream> stream;  // kStream: the body being streamed

 private:
  Io SslResult(int ret);

  const uint64_t id_;
  const int fd_;
  SSL* const ssl_;
  bool ssl_broken_ = false;  // a fatal TLS error: no close_notify
  RequestReader reader_;
  PeerCertificate peer_;
  std::string in_;
  std::string out_;
  size_t out_sent_ = 0;
  Phase phase_;
  Clock::time_point phase_start_;
  Clock::time_point deadline_;
  uint64_t served_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace hami::net
