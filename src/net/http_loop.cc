#include "net/http_loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "base/log.h"

namespace hami::net {
namespace {

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
constexpr auto kPressureLogInterval = std::chrono::seconds(10);
constexpr size_t kReadChunk = 16384;
// A refused request's unread bytes are dropped for at most this long / this many bytes.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr uint64_t kLingerBytes = 4 << 20;

std::string Serialize(const HttpResponse& r, const RequestHead& head, bool head_only, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " ";
  out += StatusText(r.status);
  out += "\r\nContent-Type: " + r.content_type;
  // A stream's body ends when the connection closes.
  if (!r.stream) out += "\r\nContent-Length: " + std::to_string(r.body.size());
  for (const auto& [name, value] : r.headers) out += "\r\n" + name + ": " + value;
  if (close || r.stream) {
    out += "\r\nConnection: close";
  } else if (head.minor_version == 0) {
    out += "\r\nConnection: keep-alive";
  }
  out += "\r\n\r\n";
  if (!head_only) out += r.body;
  return out;
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body) + "\n";
  return r;
}

// A last word to a client that is being dropped (no waiting for it to be read).
std::string Goodbye(int status, const std::string& why) {
  return Serialize(Text(status, why), RequestHead(), false, true);
}

}  // namespace

HttpLoop::HttpLoop(const HttpServerOptions& options, const HttpRoutes& routes,
                   std::unique_ptr<TlsServerContext> tls, int listen_fd)
    : options_(options),
      routes_(routes),
      limits_{options.max_header_bytes, 128, options.max_body_bytes},
      tls_(std::move(tls)),
      listen_fd_(listen_fd),
      pool_(options.threads) {}

base::Result<std::unique_ptr<HttpLoop>> HttpLoop::Create(const HttpServerOptions& options,
                                                         const HttpRoutes& routes,
                                                         std::unique_ptr<TlsServerContext> tls,
                                                         int listen_fd) {
  std::unique_ptr<HttpLoop> loop(new HttpLoop(options, routes, std::move(tls), listen_fd));
  loop->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  loop->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = kWakeTag;
  if (loop->epoll_fd_ < 0 || loop->wake_fd_ < 0 ||
      epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, loop->wake_fd_, &wake) != 0) {
    loop->listen_fd_ = -1;  // the caller still owns it
    return base::Internal(std::string("http server: epoll setup failed: ") + std::strerror(errno));
  }
  loop->SetListening(true);
  return loop;
}

HttpLoop::~HttpLoop() {
  pool_.Shutdown();
  conns_.clear();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

HttpServerStats HttpLoop::stats() const {
  return {accepted_.load(std::memory_order_relaxed),     shed_.load(std::memory_order_relaxed),
          refused_.load(std::memory_order_relaxed),      timed_out_.load(std::memory_order_relaxed),
          unauthorized_.load(std::memory_order_relaxed), open_.load(std::memory_order_relaxed)};
}

void HttpLoop::RequestStop() {
  stop_requested_.store(true);
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void HttpLoop::SetListening(bool on) {
  if (listen_fd_ < 0 || on == listening_) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(epoll_fd_, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_fd_, &ev);
  listening_ = on;
}

void HttpLoop::SetInterest(HttpConnection& conn, uint32_t events) {
  if (events == conn.interest) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = conn.id();
  const int op = conn.interest == 0 ? EPOLL_CTL_ADD : (events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
  epoll_ctl(epoll_fd_, op, conn.fd(), &ev);
  conn.interest = events;
}

void HttpLoop::Run() {
  // Writes to a socket the peer has closed return EPIPE on this thread instead of killing the
  // process (TLS writes cannot pass MSG_NOSIGNAL).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  epoll_event events[256];
  for (;;) {
    const int n = epoll_wait(epoll_fd_, events, 256, static_cast<int>(kSweepInterval.count()));
    const auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        Accept(now);
      } else if (tag == kWakeTag) {
        uint64_t count;
        (void)!read(wake_fd_, &count, sizeof(count));
      } else if (auto it = conns_.find(tag); it != conns_.end()) {
        OnEvent(*it->second, now);
      }
    }
    ApplyCompletions(now);
    if (now >= next_sweep_) {
      Sweep(now);
      next_sweep_ = now + kSweepInterval;
    }
    if (stop_requested_.load()) {
      if (!stopping_) BeginStop();
      if (conns_.empty()) break;
    }
  }
  conns_.clear();
  open_.store(0);
}

void HttpLoop::Accept(Clock::time_point now) {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: pause accepting until the next sweep (the backlog waits).
        SetListening(false);
        ShedOldest(/*body_only=*/false, nullptr);
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    accepted_++;
    if (conns_.size() >= options_.max_connections && !ShedOldest(/*body_only=*/false, nullptr)) {
      close(fd);
      refused_++;
      continue;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    SSL* ssl = nullptr;
    if (tls_ && (ssl = tls_->NewSession(fd)) == nullptr) {
      close(fd);
      continue;
    }
    auto conn = std::make_unique<HttpConnection>(next_id_++, fd, ssl, limits_, now);
    conn->set_deadline(now + options_.read_header_timeout);
    HttpConnection& ref = *conn;
    conns_.emplace(ref.id(), std::move(conn));
    open_.store(conns_.size());
    SetInterest(ref, EPOLLIN);
  }
}

void HttpLoop::OnEvent(HttpConnection& conn, Clock::time_point now) {
  switch (conn.phase()) {
    case Phase::kHandshake:
      return DoHandshake(conn, now);
    case Phase::kReadHead:
    case Phase::kReadBody:
      return DoRead(conn, now);
    case Phase::kWrite:
      return DoWrite(conn, now);
    case Phase::kLinger:
      return DoLinger(conn);
    case Phase::kHandling:
      return SetInterest(conn, 0);
    case Phase::kStream:
      return OnStreamEvent(conn);
  }
}

void HttpLoop::DoHandshake(HttpConnection& conn, Clock::time_point now) {
  switch (conn.Handshake()) {
    case Io::kProgress:
      conn.peer() = tls_->Peer(conn.ssl());
      conn.Continue(Phase::kReadHead);
      return DoRead(conn, now);
    case Io::kWantRead:
      return SetInterest(conn, EPOLLIN);
    case Io::kWantWrite:
      return SetInterest(conn, EPOLLOUT);
    default:
      return Close(conn);
  }
}

void HttpLoop::DoRead(HttpConnection& conn, Clock::time_point now) {
  if (!conn.out().empty() && conn.Flush() == Io::kError) return Close(conn);  // 100 Continue
  for (;;) {
    switch (conn.reader().Advance(&conn.in())) {
      case RequestReader::Progress::kHead:
        if (!OnHead(conn, now)) return;
        continue;
      case RequestReader::Progress::kDone:
        return Dispatch(conn, now);
      case RequestReader::Progress::kError:
        return Respond(conn, Text(conn.reader().error_status(), conn.reader().error_message()),
                       true, now, /*linger=*/true);
      case RequestReader::Progress::kNeedMore:
        break;
    }
    const bool was_idle = conn.idle();
    switch (conn.Read(kReadChunk)) {
      case Io::kProgress:
        if (was_idle) conn.Enter(Phase::kReadHead, now, now + options_.read_header_timeout);
        continue;
      case Io::kWantRead:
        return SetInterest(conn, EPOLLIN | (conn.out().empty() ? 0u : uint32_t{EPOLLOUT}));
      case Io::kWantWrite:
        return SetInterest(conn, EPOLLOUT);
      default:
        return Close(conn);
    }
  }
}

bool HttpLoop::OnHead(HttpConnection& conn, Clock::time_point now) {
  const RequestHead& head = conn.reader().head();
  const uint64_t body = conn.reader().BodyBytesExpected();
  const std::string method = head.method == "HEAD" ? "GET" : head.method;
  conn.head_request = head.method == "HEAD";
  conn.route = FindRoute(method, head.path);
  if (conn.route == nullptr) {
    bool path_known = false;
    for (const auto& [key, route] : routes_) {
      path_known = path_known || FindRoute(key.first, head.path) != nullptr;
    }
    Respond(conn, path_known ? Text(405, "method not allowed") : Text(404, "not found"), body > 0,
            now, body > 0);
    return false;
  }
  if (conn.route->client) {
    std::string why;
    if (!PolicyAccepts(*conn.route->client, conn.peer(), &why)) {
      unauthorized_++;
      base::LogWarn("http request refused",
                    {{"path", head.path}, {"status", "403"}, {"reason", why}});
      Respond(conn, Text(403, head.path + ": " + why), true, now, body > 0);
      return false;
    }
  }
  if (body > 0 && !Reserve(conn, body)) {
    Respond(conn, Text(503, "server busy: too many request bodies in flight"), true, now, true);
    return false;
  }
  if (head.expect_continue && body > 0) {
    conn.out() += "HTTP/1.1 100 Continue\r\n\r\n";
    if (conn.Flush() == Io::kError) {
      Close(conn);
      return false;
    }
  }
  conn.Enter(Phase::kReadBody, now, now + options_.read_timeout);
  return true;
}

HttpResponse HttpLoop::RunHandler(const HttpRoute& route, const HttpRequest& request) const {
  try {
    return route.handler(request);
  } catch (const std::exception& e) {
    base::LogError("http handler threw", {{"path", request.path}, {"error", e.what()}});
  } catch (...) {
    base::LogError("http handler threw", {{"path", request.path}, {"error", "unknown"}});
  }
  return Text(500, "internal error");
}

void HttpLoop::Dispatch(HttpConnection& conn, Clock::time_point now) {
  const RequestHead& head = conn.reader().head();
  HttpRequest request;
  request.method = head.method;
  request.path = head.path;
  if (const size_t q = head.target.find('?'); q != std::string::npos) {
    request.query = head.target.substr(q + 1);
  }
  request.headers = head.headers;
  request.body = conn.reader().TakeBody();
  if (conn.route->client) request.client_cn = conn.peer().common_name;
  conn.close_after_write = !head.keep_alive;
  conn.Enter(Phase::kHandling, now, Clock::time_point::max());
  SetInterest(conn, 0);
  pool_.Submit([this, id = conn.id(), route = conn.route, request = std::move(request)] {
    HttpResponse response = RunHandler(*route, request);
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      done_.emplace_back(id, std::move(response));
    }
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  });
}

void HttpLoop::ApplyCompletions(Clock::time_point now) {
  std::vector<std::pair<uint64_t, HttpResponse>> done;
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done.swap(done_);
  }
  std::vector<uint64_t> streams;
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    streams.swap(streams_ready_);
  }
  for (auto& [id, response] : done) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    if (response.stream && !it->second->head_request && !stopping_) {
      StartStream(*it->second, response, now);
    } else {
      if (response.stream) response.stream->Detach();
      response.stream = nullptr;
      Respond(*it->second, response, it->second->close_after_write, now);
    }
  }
  for (uint64_t id : streams) {
    auto it = conns_.find(id);
    if (it != conns_.end() && it->second->phase() == Phase::kStream) DrainStream(*it->second);
  }
}

void HttpLoop::Respond(HttpConnection& conn, const HttpResponse& response, bool close,
                       Clock::time_point now, bool linger) {
  Release(conn);
  conn.close_after_write = close || stopping_;
  conn.linger = linger;
  conn.out() +=
      Serialize(response, conn.reader().head(), conn.head_request, conn.close_after_write);
  conn.Enter(Phase::kWrite, now, now + options_.write_timeout);
  DoWrite(conn, now);
}

void HttpLoop::StartStream(HttpConnection& conn, const HttpResponse& response,
                           Clock::time_point now) {
  Release(conn);
  conn.close_after_write = true;
  conn.out() += Serialize(response, conn.reader().head(), false, true);
  conn.Enter(Phase::kStream, now, Clock::time_point::max());
  conn.stream = response.stream;
  conn.stream->Attach([this, id = conn.id()] {
    {
      std::lock_guard<std::mutex> lock(done_mu_);
      streams_ready_.push_back(id);
    }
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof(one));
  });
  DrainStream(conn);
}

void HttpLoop::DoWrite(HttpConnection& conn, Clock::time_point now) {
  switch (conn.Flush()) {
    case Io::kProgress:
      if (conn.linger && !stopping_) {
        conn.StartLinger();
        conn.Enter(Phase::kLinger, now, now + kLingerTime);
        return DoLinger(conn);
      }
      if (conn.close_after_write || stopping_) return Close(conn);
      conn.CountServed();
      conn.reader().Reset();
      conn.Enter(
          Phase::kReadHead, now,
          now + (conn.in().empty() ? options_.keep_alive_timeout : options_.read_header_timeout));
      return DoRead(conn, now);  // pipelined bytes, TLS records already decrypted
    case Io::kWantWrite:
      return SetInterest(conn, EPOLLOUT);
    case Io::kWantRead:
      return SetInterest(conn, EPOLLIN);
    default:
      return Close(conn);
  }
}

void HttpLoop::DoLinger(HttpConnection& conn) {
  for (;;) {
    switch (conn.Discard()) {
      case Io::kProgress:
        if (conn.dropped() > kLingerBytes) return Close(conn);
        continue;
      case Io::kWantRead:
        return SetInterest(conn, EPOLLIN);
      default:
        return Close(conn);
    }
  }
}

void HttpLoop::Close(HttpConnection& conn) {
  Release(conn);
  if (conn.interest != 0) SetInterest(conn, 0);
  conns_.erase(conn.id());
  open_.store(conns_.size());
}

bool HttpLoop::ShedOldest(bool body_only, const HttpConnection* except) {
  HttpConnection* oldest = nullptr;
  for (auto& [id, conn] : conns_) {
    const Phase p = conn->phase();
    const bool match =
        body_only ? p == Phase::kReadBody : p != Phase::kHandling && p != Phase::kWrite;
    if (conn.get() == except || !match) continue;
    if (oldest == nullptr || conn->phase_start() < oldest->phase_start()) {
      oldest = conn.get();
    }
  }
  if (oldest == nullptr) return false;
  shed_++;
  Close(*oldest);
  return true;
}

bool HttpLoop::Reserve(HttpConnection& conn, uint64_t bytes) {
  if (bytes > options_.max_buffered_body_bytes) return false;
  while (body_budget_used_ + bytes > options_.max_buffered_body_bytes) {
    if (!ShedOldest(/*body_only=*/true, &conn)) return false;
  }
  body_budget_used_ += bytes;
  conn.body_reservation = bytes;
  return true;
}

void HttpLoop::Release(HttpConnection& conn) {
  body_budget_used_ -= conn.body_reservation;
  conn.body_reservation = 0;
}

void HttpLoop::Sweep(Clock::time_point now) {
  if (!stopping_) SetListening(true);
  std::vector<HttpConnection*> late;
  for (auto& [id, conn] : conns_) {
    if (conn->phase() != Phase::kHandling && conn->deadline() <= now) late.push_back(conn.get());
  }
  for (HttpConnection* conn : late) {
    if (conn->phase() == Phase::kReadBody) {
      conn->WriteOnce(Goodbye(408, "request body read timed out"));
    } else if (conn->phase() == Phase::kReadHead && !conn->in().empty()) {
      conn->WriteOnce(Goodbye(408, "request header read timed out"));
    }
    if (!conn->idle() && conn->phase() != Phase::kLinger) timed_out_++;
    Close(*conn);
  }
  LogPressure(now);
}

void HttpLoop::LogPressure(Clock::time_point now) {
  if (now < next_pressure_log_) return;
  const HttpServerStats s = stats();
  if (s.shed == logged_.shed && s.refused == logged_.refused && s.timed_out == logged_.timed_out &&
      s.unauthorized == logged_.unauthorized) {
    return;
  }
  base::LogWarn("http server dropped connections",
                {{"address", options_.bind_address},
                 {"shed", std::to_string(s.shed - logged_.shed)},
                 {"refused", std::to_string(s.refused - logged_.refused)},
                 {"timed_out", std::to_string(s.timed_out - logged_.timed_out)},
                 {"unauthorized", std::to_string(s.unauthorized - logged_.unauthorized)},
                 {"open", std::to_string(s.open)}});
  logged_ = s;
  next_pressure_log_ = now + kPressureLogInterval;
}

void HttpLoop::BeginStop() {
  stopping_ = true;
  SetListening(false);
  close(listen_fd_);
  listen_fd_ = -1;
  std::vector<HttpConnection*> waiting;
  for (auto& [id, conn] : conns_) {
    if (conn->phase() != Phase::kHandling && conn->phase() != Phase::kWrite) {
      waiting.push_back(conn.get());
    }
  }
  for (HttpConnection* conn : waiting) Close(*conn);
}

}  // namespace hami::net
