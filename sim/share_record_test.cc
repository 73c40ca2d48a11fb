#include "sim/share_record.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sim/shared_state.h"

namespace hami::sim {
namespace {

ShareRecord Mine(ShareKind kind) {
  ShareRecord record;
  record.kind = kind;
  record.pid = getpid();
  record.start_time = ProcessStartTime(getpid());
  record.phys = 1;
  record.id = 42;
  record.size = 2 << 20;
  return record;
}

TEST(ShareRecord, ReadsBackWhatWasExportedThroughAnyDescriptorUntilRevoked) {
  const int fd = CreateShareFd(Mine(ShareKind::kVmmHandle));
  ASSERT_GE(fd, 0);
  const int other = dup(fd);  // what an importer holds after SCM_RIGHTS or fork
  const auto read = ReadShareFd(other, ShareKind::kVmmHandle);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->pid, getpid());
  EXPECT_EQ(read->phys, 1);
  EXPECT_EQ(read->id, 42u);
  EXPECT_EQ(read->size, 2u << 20);
  EXPECT_FALSE(ReadShareFd(other, ShareKind::kPool).has_value());
  RevokeShareFd(fd);
  EXPECT_FALSE(ReadShareFd(other, ShareKind::kVmmHandle).has_value());
  close(other);
}

TEST(ShareRecord, ADeadOrReusedExporterIsRefused) {
  ShareRecord reused = Mine(ShareKind::kPool);
  reused.start_time += 1;  // this pid, but another process's start time
  const int fd_reused = CreateShareFd(reused);
  EXPECT_FALSE(ReadShareFd(fd_reused, ShareKind::kPool).has_value());
  close(fd_reused);

  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  ShareRecord dead = Mine(ShareKind::kPool);
  dead.pid = child;
  dead.start_time = 0;
  const int fd_dead = CreateShareFd(dead);
  EXPECT_FALSE(ReadShareFd(fd_dead, ShareKind::kPool).has_value());
  close(fd_dead);
}

TEST(ShareRecord, DescriptorsOfAnythingElseAreRefused) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  const int short_file = memfd_create("short", MFD_CLOEXEC);
  ASSERT_EQ(write(short_file, "SHRS", 4), 4);
  const int zeros = memfd_create("zeros", MFD_CLOEXEC);
  ASSERT_EQ(ftruncate(zeros, sizeof(ShareRecord)), 0);
  for (int fd : {-1, p[0], p[1], short_file, zeros}) {
    EXPECT_FALSE(ReadShareFd(fd, ShareKind::kVmmHandle).has_value()) << fd;
  }
  for (int fd : {p[0], p[1], short_file, zeros}) close(fd);
}

}  // namespace
}  // namespace hami::sim
