#include "net/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>

#include <httplib.h>

#include "base/log.h"
#include "base/strings.h"
#include "net/tls_reloader.h"

namespace hami::net {
namespace {

// Fixed workers over a bounded queue: enqueue blocks while the queue is full (the acceptor thread
// is the only producer, so a full queue pushes back on accept()). shutdown() drains the queue.
class BoundedPool final : public httplib::TaskQueue {
 public:
  BoundedPool(size_t threads, size_t max_queued) : max_queued_(max_queued ? max_queued : 1) {
    for (size_t i = 0; i < (threads ? threads : 1); ++i) workers_.emplace_back([this] { Work(); });
  }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return jobs_.size() < max_queued_ || shutdown_; });
    jobs_.push_back(std::move(fn));
    not_empty_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    for (auto& t : workers_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        not_empty_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        not_full_.notify_one();
      }
      fn();
    }
  }

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> workers_;
};

HttpRequest ToRequest(const httplib::Request& req, std::string body) {
  HttpRequest out;
  out.method = req.method;
  out.path = req.path;
  for (const auto& [name, value] : req.headers) out.headers[base::ToLower(name)] = value;
  out.body = std::move(body);
  return out;
}

void Write(const HttpResponse& from, httplib::Response& to) {
  to.status = from.status;
  to.set_content(from.body, from.content_type);
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

class HttpServer::CertReloader : public TlsReloader {
  using TlsReloader::TlsReloader;
};

std::string HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(base::ToLower(name));
  return it == headers.end() ? "" : it->second;
}

base::Result<std::pair<std::string, int>> ParseBindAddress(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return base::InvalidArgument("bind address " + base::Quote(address) +
                                 ": expected host:port");
  }
  std::string host(address.substr(0, colon));
  auto port = base::ParseInt64(address.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return base::InvalidArgument("bind address " + base::Quote(address) +
                                 ": port must be 0..65535");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return base::InvalidArgument("bind address " + base::Quote(address) +
                                 ": IPv6 hosts must be in brackets");
  }
  if (host.empty()) host = "0.0.0.0";
  return std::make_pair(host, static_cast<int>(*port));
}

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(const std::string& method, const std::string& path,
                        HttpHandler handler) {
  routes_[{method, path}] = std::move(handler);
}

HttpResponse HttpServer::Dispatch(const HttpRequest& request) const {
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  auto it = routes_.find({method, request.path});
  if (it != routes_.end()) return it->second(request);
  for (const auto& [key, handler] : routes_) {
    if (key.second == request.path) return Text(405, "method not allowed\n");
  }
  return Text(404, "not found\n");
}

base::Status HttpServer::Start() {
  if (server_) return base::FailedPrecondition("http server: already started");
  HAMI_ASSIGN_OR_RETURN(auto host_port, ParseBindAddress(options_.bind_address));
  if (options_.tls) {
    certs_ = std::make_unique<CertReloader>(options_.tls->cert_file, options_.tls->key_file);
    HAMI_RETURN_IF_ERROR(certs_->Load());
    TlsReloader* certs = certs_.get();
    server_ = std::make_unique<httplib::SSLServer>(
        [certs](SSL_CTX& ctx) { return certs->Install(&ctx); });
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) return base::Internal("http server: TLS context setup failed");

  httplib::Server& s = *server_;
  const size_t threads = options_.threads;
  const size_t queued = options_.max_queued_connections;
  s.new_task_queue = [threads, queued] { return new BoundedPool(threads, queued); };
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which lets a second server bind
  // the same port silently.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Without TCP_NODELAY a response written in several send()s waits ~40 ms for the client's
  // delayed ACK (measured: /filter 44 ms p50 -> 0.56 ms, docs/benchmarks.md).
  s.set_tcp_nodelay(true);
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_read_timeout(options_.read_header_timeout);
  s.set_write_timeout(options_.write_timeout);
  s.set_keep_alive_timeout(options_.keep_alive_timeout.count());
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                             std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    base::LogError("http handler threw", {{"path", req.path}, {"error", what}});
    Write(Text(500, "internal error\n"), res);
  });

  auto plain = [this](const httplib::Request& req, httplib::Response& res) {
    Write(Dispatch(ToRequest(req, req.body)), res);
  };
  const auto body_deadline = options_.read_timeout;
  auto with_body = [this, body_deadline](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
    const auto deadline = std::chrono::steady_clock::now() + body_deadline;
    std::string body;
    bool late = false;
    const bool ok = reader([&](const char* data, size_t n) {
      body.append(data, n);
      late = std::chrono::steady_clock::now() > deadline;
      return !late;
    });
    if (!ok) {
      if (res.status == 413) return Write(Text(413, "request body too large\n"), res);
      return Write(Text(late ? 408 : 400, late ? "request body read timed out\n"
                                               : "could not read request body\n"), res);
    }
    Write(Dispatch(ToRequest(req, std::move(body))), res);
  };
  s.Get(".*", plain);
  s.Options(".*", plain);
  s.Post(".*", httplib::Server::HandlerWithContentReader(with_body));
  s.Put(".*", httplib::Server::HandlerWithContentReader(with_body));
  s.Patch(".*", httplib::Server::HandlerWithContentReader(with_body));
  s.Delete(".*", httplib::Server::HandlerWithContentReader(with_body));

  const auto& [host, port] = host_port;
  port_ = port == 0 ? s.bind_to_any_port(host) : (s.bind_to_port(host, port) ? port : -1);
  if (port_ <= 0) {
    server_.reset();
    return base::Unavailable("http server: cannot bind " + options_.bind_address);
  }
  auto listening = std::make_shared<std::atomic<bool>>(false);
  listener_ = std::thread([this, listening] {
    server_->listen_after_bind();
    listening->store(true);
  });
  // stop() is a no-op until the accept loop runs: wait for it (or for it to have ended).
  while (!server_->is_running() && !listening->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  base::LogInfo("http server listening",
                {{"address", options_.bind_address}, {"port", std::to_string(port_)},
                 {"tls", options_.tls ? "true" : "false"}});
  return {};
}

void HttpServer::Stop() {
  if (!server_) return;
  server_->stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
  base::LogInfo("http server stopped", {{"address", options_.bind_address}});
}

}  // namespace hami::net
