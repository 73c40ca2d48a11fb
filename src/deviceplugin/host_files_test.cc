// Host layout, container directory modes and stale-directory cleanup in a temp dir.
#include "deviceplugin/host_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace hami::deviceplugin {
namespace {

namespace fs = std::filesystem;

class HostFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hami_dp_files_XXXXXX";
    root_ = mkdtemp(tmpl);
    vgpu_ = root_ + "/vgpu";
    lock_ = root_ + "/vgpulock";
  }
  void TearDown() override { fs::remove_all(root_); }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  std::string root_, vgpu_, lock_;
};

TEST_F(HostFilesTest, LayoutModesAndPreload) {
  ASSERT_TRUE(EnsureHostLayout(vgpu_, lock_).ok());
  EXPECT_EQ(Mode(vgpu_), 0755u);
  EXPECT_EQ(Mode(vgpu_ + "/containers"), 0700u);
  EXPECT_EQ(Mode(lock_), 01777u);
  EXPECT_EQ(Mode(vgpu_ + "/ld.so.preload"), 0644u);
  std::ifstream in(vgpu_ + "/ld.so.preload");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "/usr/local/vgpu/libvgpu.so\n");
  // An operator's own preload file is left alone.
  std::ofstream(vgpu_ + "/ld.so.preload") << "/custom/libvgpu.so\n";
  ASSERT_TRUE(EnsureHostLayout(vgpu_, lock_).ok());
  std::ifstream again(vgpu_ + "/ld.so.preload");
  std::string kept((std::istreambuf_iterator<char>(again)), {});
  EXPECT_EQ(kept, "/custom/libvgpu.so\n");
}

TEST_F(HostFilesTest, ContainerDirWipedAndOwned) {
  ASSERT_TRUE(EnsureHostLayout(vgpu_, lock_).ok());
  std::string dir = vgpu_ + "/containers/uid-1_c";
  ASSERT_TRUE(PrepareContainerDir(dir, {}).ok());
  EXPECT_EQ(Mode(dir), 0777u);
  std::ofstream(dir + "/old.cache") << "x";
  ContainerOwner owner{getuid(), getgid()};
  ASSERT_TRUE(PrepareContainerDir(dir, owner).ok());
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_FALSE(fs::exists(dir + "/old.cache"));
  struct stat st {};
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, getuid());
}

TEST_F(HostFilesTest, MpsDaemonIsItsControlPipe) {
  const std::string mps = root_ + "/mps";
  auto missing = CheckMpsDaemon(mps);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), base::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.message().find(mps + "/pipe/control is missing"), std::string::npos)
      << missing.message();
  EXPECT_NE(missing.message().find("CUDA_MPS_PIPE_DIRECTORY=" + mps + "/pipe"), std::string::npos);
  fs::create_directories(mps + "/pipe");
  std::ofstream(mps + "/pipe/control") << "not a pipe";
  EXPECT_NE(CheckMpsDaemon(mps).message().find("is not a pipe"), std::string::npos);
  fs::remove(mps + "/pipe/control");
  ASSERT_EQ(mkfifo((mps + "/pipe/control").c_str(), 0600), 0);
  EXPECT_TRUE(CheckMpsDaemon(mps).ok());
}

TEST(StaleContainerDirsTest, Rule) {
  EXPECT_EQ(StaleContainerDirs({"uid-1_a", "uid-2_b", "uid-2_c", "noseparator", "_x", "uid-3_d_e"},
                               {"uid-2"}),
            (std::vector<std::string>{"uid-1_a", "uid-3_d_e"}));
}

TEST_F(HostFilesTest, RemovesOnlyStale) {
  ASSERT_TRUE(EnsureHostLayout(vgpu_, lock_).ok());
  ASSERT_TRUE(PrepareContainerDir(vgpu_ + "/containers/live_a", {}).ok());
  ASSERT_TRUE(PrepareContainerDir(vgpu_ + "/containers/gone_a", {}).ok());
  std::ofstream(vgpu_ + "/containers/gone_a/x.cache") << "x";
  auto removed = RemoveStaleContainerDirs(vgpu_, {"live"});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, std::vector<std::string>{"gone_a"});
  EXPECT_TRUE(fs::exists(vgpu_ + "/containers/live_a"));
  EXPECT_FALSE(fs::exists(vgpu_ + "/containers/gone_a"));
}

}  // namespace
}  // namespace hami::deviceplugin
