// Test support: passing a file descriptor to another process over a Unix socket (SCM_RIGHTS), as
// applications pass the OS handles the driver's shareable-handle exports return (cuda_share.cc).
// Used by the simulator's tests and by the libvgpu probes. Header-only, no dependencies.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstring>

namespace hami::sim {

// Sends `fd` over the Unix socket `sock` in one message carrying the `size` bytes at `data` (a
// single zero byte when size is 0); false when sendmsg fails.
inline bool SendFd(int sock, int fd, const void* data = nullptr, size_t size = 0) {
  char zero = 0;
  iovec iov{size != 0 ? const_cast<void*>(data) : &zero, size != 0 ? size : 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  return sendmsg(sock, &msg, 0) >= 0;
}

// Receives one message sent by SendFd: returns its descriptor (close-on-exec; -1 when none came)
// and copies up to `size` bytes of its data to `data`.
inline int ReceiveFd(int sock, void* data = nullptr, size_t size = 0) {
  char byte = 0;
  iovec iov{size != 0 ? data : &byte, size != 0 ? size : 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  const cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == nullptr || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
    return -1;
  }
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

}  // namespace hami::sim
