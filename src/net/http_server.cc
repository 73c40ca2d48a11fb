#include "net/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "base/strings.h"
#include "net/http_loop.h"

namespace hami::net {
namespace {

base::Result<int> Listen(const std::string& host, int port, const std::string& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return base::Unavailable("http server: cannot resolve " + address);
  }
  std::string error = "no address";
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR only: SO_REUSEPORT would let a second server bind the same port silently.
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return base::Unavailable("http server: cannot bind " + address + ": " + error);
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(base::ToLower(name));
  return it == headers.end() ? "" : it->second;
}

base::Result<std::pair<std::string, int>> ParseBindAddress(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return base::InvalidArgument("bind address " + base::Quote(address) + ": expected host:port");
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

void HttpServer::Handle(const std::string& method, const std::string& path, HttpHandler handler,
                        std::optional<ClientCertPolicy> client) {
  routes_[{method, path}] = HttpRoute{std::move(handler), std::move(client)};
}

base::Status HttpServer::Start() {
  if (loop_) return base::FailedPrecondition("http server: already started");
  HAMI_ASSIGN_OR_RETURN(auto host_port, ParseBindAddress(options_.bind_address));
  std::vector<std::string> client_cas;
  for (const auto& [key, route] : routes_) {
    if (!route.client) continue;
    if (!options_.tls) {
      return base::FailedPrecondition("http server: " + key.second +
                                      " requires client certificates, which need TLS");
    }
    client_cas.push_back(route.client->ca_file);
  }
  std::unique_ptr<TlsServerContext> tls;
  if (options_.tls) {
    HAMI_ASSIGN_OR_RETURN(tls, TlsServerContext::Create(*options_.tls, client_cas));
  }
  const auto& [host, port] = host_port;
  HAMI_ASSIGN_OR_RETURN(int fd, Listen(host, port, options_.bind_address));
  port_ = BoundPort(fd);
  auto loop = HttpLoop::Create(options_, routes_, std::move(tls), fd);
  if (!loop.ok()) {
    close(fd);
    return loop.error();
  }
  loop_ = std::move(*loop);
  thread_ = std::thread([loop = loop_.get()] { loop->Run(); });
  base::LogInfo("http server listening", {{"address", options_.bind_address},
                                          {"port", std::to_string(port_)},
                                          {"tls", options_.tls ? "true" : "false"},
                                          {"client_ca_files", std::to_string(client_cas.size())}});
  return {};
}

HttpServerStats HttpServer::stats() const { return loop_ ? loop_->stats() : HttpServerStats(); }

void HttpServer::Stop() {
  if (!loop_ || !thread_.joinable()) return;
  loop_->RequestStop();
  thread_.join();
  base::LogInfo("http server stopped", {{"address", options_.bind_address}});
}

}  // namespace hami::net
