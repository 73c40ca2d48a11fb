#include "sim/share_record.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <type_traits>

#include "sim/shared_state.h"

namespace hami::sim {
namespace {

constexpr uint32_t kShareMagic = 0x53524853;  // "SHRS"

static_assert(std::is_trivially_copyable_v<ShareRecord>, "written and read as bytes");

}  // namespace

int CreateShareFd(ShareRecord record) {
  record.magic = kShareMagic;
  record.live = 1;
  const int fd = memfd_create("hami-sim-share", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (pwrite(fd, &record, sizeof(record), 0) != static_cast<ssize_t>(sizeof(record))) {
    close(fd);
    return -1;
  }
  return fd;
}

std::optional<ShareRecord> ReadShareFd(int fd, ShareKind kind) {
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size != static_cast<off_t>(sizeof(ShareRecord))) {
    return std::nullopt;
  }
  ShareRecord record;
  if (pread(fd, &record, sizeof(record), 0) != static_cast<ssize_t>(sizeof(record)) ||
      record.magic != kShareMagic || record.kind != kind || record.live != 1 ||
      !ProcessAlive(record.pid, record.start_time)) {
    return std::nullopt;
  }
  return record;
}

void RevokeShareFd(int fd) {
  const uint32_t gone = 0;
  (void)!pwrite(fd, &gone, sizeof(gone), offsetof(ShareRecord, live));
  close(fd);
}

}  // namespace hami::sim
