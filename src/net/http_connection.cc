#include "net/http_connection.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace hami::net {

HttpConnection::HttpConnection(uint64_t id, int fd, SSL* ssl, const HttpLimits& limits,
                               Clock::time_point now)
    : id_(id),
      fd_(fd),
      ssl_(ssl),
      reader_(limits),
      phase_(ssl != nullptr ? Phase::kHandshake : Phase::kReadHead),
      phase_start_(now),
      deadline_(now) {}

HttpConnection::~HttpConnection() {
  if (stream) stream->Detach();
  if (ssl_ != nullptr) {
    if (!ssl_broken_ && SSL_is_init_finished(ssl_)) {
      ERR_clear_error();
      SSL_shutdown(ssl_);  // non-blocking socket: one attempt at close_notify
    }
    SSL_free(ssl_);
    ERR_clear_error();
  }
  close(fd_);
}

void HttpConnection::Enter(Phase phase, Clock::time_point now, Clock::time_point deadline) {
  phase_ = phase;
  phase_start_ = now;
  deadline_ = deadline;
}

HttpConnection::Io HttpConnection::SslResult(int ret) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Io::kEof;
    case SSL_ERROR_SYSCALL:
      ssl_broken_ = true;
      ERR_clear_error();
      return errno == 0 ? Io::kEof : Io::kError;
    default:
      ssl_broken_ = true;
      ERR_clear_error();
      return Io::kError;
  }
}

HttpConnection::Io HttpConnection::Handshake() {
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_do_handshake(ssl_);
  return ret == 1 ? Io::kProgress : SslResult(ret);
}

HttpConnection::Io HttpConnection::Read(size_t max) {
  char buf[16384];
  const size_t want = max < sizeof(buf) ? max : sizeof(buf);
  if (want == 0) return Io::kProgress;
  if (ssl_ != nullptr) {
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(ssl_, buf, static_cast<int>(want));
    if (n <= 0) return SslResult(n);
    in_.append(buf, static_cast<size_t>(n));
    return Io::kProgress;
  }
  const ssize_t n = recv(fd_, buf, want, 0);
  if (n > 0) {
    in_.append(buf, static_cast<size_t>(n));
    return Io::kProgress;
  }
  if (n == 0) return Io::kEof;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::kWantRead;
  return Io::kError;
}

HttpConnection::Io HttpConnection::Flush() {
  while (out_sent_ < out_.size()) {
    const char* data = out_.data() + out_sent_;
    const size_t left = out_.size() - out_sent_;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      const int chunk = left > (1u << 30) ? (1 << 30) : static_cast<int>(left);
      const int n = SSL_write(ssl_, data, chunk);
      if (n <= 0) return SslResult(n);
      out_sent_ += static_cast<size_t>(n);
      continue;
    }
    const ssize_t n = send(fd_, data, left, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Io::kWantWrite;
    return Io::kError;
  }
  out_.clear();
  out_sent_ = 0;
  return Io::kProgress;
}

void HttpConnection::WriteOnce(const std::string& bytes) {
  if (ssl_ != nullptr) {
    if (ssl_broken_ || !SSL_is_init_finished(ssl_)) return;
    ERR_clear_error();
    if (SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) <= 0) ssl_broken_ = true;
    ERR_clear_error();
    return;
  }
  (void)!send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

void HttpConnection::StartLinger() {
  if (ssl_ != nullptr && !ssl_broken_ && SSL_is_init_finished(ssl_)) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
  }
  ssl_broken_ = true;  // the session is done: the destructor sends nothing more
  ERR_clear_error();
  shutdown(fd_, SHUT_WR);
}

HttpConnection::Io HttpConnection::Discard() {
  char buf[16384];
  const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n > 0) {
    dropped_ += static_cast<uint64_t>(n);
    return Io::kProgress;
  }
  if (n == 0) return Io::kEof;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Io::kWantRead;
  return Io::kError;
}

}  // namespace hami::net
