// HttpLoop's streamed responses and route lookup (the loop's contract: http_loop.h).
#include <sys/epoll.h>
#include <unistd.h>

#include "net/http_loop.h"

namespace hami::net {

const HttpRoute* HttpLoop::FindRoute(const std::string& method, const std::string& path) const {
  if (auto it = routes_.find({method, path}); it != routes_.end()) return &it->second;
  const HttpRoute* best = nullptr;
  size_t best_length = 0;
  for (const auto& [key, route] : routes_) {
    const std::string& pattern = key.second;
    if (key.first != method || pattern.empty() || pattern.back() != '*') continue;
    const size_t length = pattern.size() - 1;
    if (path.compare(0, length, pattern, 0, length) == 0 &&
        (best == nullptr || length > best_length)) {
      best = &route;
      best_length = length;
    }
  }
  return best;
}

void HttpLoop::DrainStream(HttpConnection& conn) {
  const bool ended = conn.stream->Drain(&conn.out());
  if (conn.out().size() > kMaxStreamBacklog) return Close(conn);
  switch (conn.Flush()) {
    case Io::kProgress:
      if (ended) return Close(conn);
      return SetInterest(conn, EPOLLIN);
    case Io::kWantWrite:
    case Io::kWantRead:
      return SetInterest(conn, EPOLLIN | EPOLLOUT);
    default:
      return Close(conn);
  }
}

void HttpLoop::OnStreamEvent(HttpConnection& conn) {
  // The client sends nothing more on a stream: bytes are dropped, end of file closes it.
  for (;;) {
    switch (conn.Discard()) {
      case Io::kProgress:
        continue;
      case Io::kWantRead:
      case Io::kWantWrite:
        return DrainStream(conn);
      default:
        return Close(conn);
    }
  }
}

}  // namespace hami::net
