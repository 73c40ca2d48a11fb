// Diagnostic LD_PRELOAD shim (bench only): sets TCP_NODELAY on every accepted socket.
// hami-scheduler's HTTP server (cpp-httplib, CPPHTTPLIB_TCP_NODELAY defaults to false) writes a
// response in more than one send(); with Nagle on, the tail waits for the client's delayed ACK
// (~40 ms on Linux), so every /filter and /bind costs >= 40 ms. scheduler_throughput.sh builds and
// preloads this with NODELAY_SHIM=1 to measure the server with that fixed, until src/net sets it.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int nodelay(int fd) {
  if (fd >= 0) {
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

int accept(int s, struct sockaddr* a, socklen_t* l) {
  static int (*real)(int, struct sockaddr*, socklen_t*);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*))dlsym(RTLD_NEXT, "accept");
  return nodelay(real(s, a, l));
}

int accept4(int s, struct sockaddr* a, socklen_t* l, int flags) {
  static int (*real)(int, struct sockaddr*, socklen_t*, int);
  if (!real) real = (int (*)(int, struct sockaddr*, socklen_t*, int))dlsym(RTLD_NEXT, "accept4");
  return nodelay(real(s, a, l, flags));
}
