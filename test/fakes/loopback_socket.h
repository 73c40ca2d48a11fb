// Raw TCP clients for tests of our HTTP servers: what a test needs to speak to a server byte by
// byte (slow clients, streams, half-sent requests). Header-only; each call is independent.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace hami::fakes {

// A socket connected to 127.0.0.1:`port`, or -1.
inline int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Appends what `fd` receives to `*got` until it contains `needle` or the peer closes/fails;
// returns *got.
inline std::string ReadUntil(int fd, const std::string& needle, std::string* got) {
  char buf[4096];
  while (got->find(needle) == std::string::npos) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    got->append(buf, static_cast<size_t>(n));
  }
  return *got;
}

}  // namespace hami::fakes
