#include "deviceplugin/host_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace hami::deviceplugin {
namespace {

namespace fs = std::filesystem;

base::Status Errno(const std::string& what, const std::string& path) {
  return base::Internal(what + " " + path + ": " + std::strerror(errno));
}

base::Status MakeDir(const std::string& path, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return base::Internal("create directory " + path + ": " + ec.message());
  if (chmod(path.c_str(), mode) != 0) return Errno("chmod", path);
  return {};
}

}  // namespace

base::Status EnsureHostLayout(const std::string& host_vgpu_dir, const std::string& lock_dir) {
  HAMI_RETURN_IF_ERROR(MakeDir(host_vgpu_dir, 0755));
  HAMI_RETURN_IF_ERROR(MakeDir(host_vgpu_dir + "/containers", 0700));
  HAMI_RETURN_IF_ERROR(MakeDir(lock_dir, 01777));
  const std::string preload = host_vgpu_dir + "/ld.so.preload";
  if (access(preload.c_str(), F_OK) != 0) {
    const std::string tmp = preload + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << kPreloadContent;
      if (!out) return base::Internal("write " + tmp);
    }
    if (chmod(tmp.c_str(), 0644) != 0) return Errno("chmod", tmp);
    if (rename(tmp.c_str(), preload.c_str()) != 0) return Errno("rename to", preload);
  }
  return {};
}

base::Status PrepareContainerDir(const std::string& dir, const ContainerOwner& owner) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return base::Internal("remove " + dir + ": " + ec.message());
  if (mkdir(dir.c_str(), 0700) != 0) return Errno("mkdir", dir);
  if (owner.uid) {
    gid_t gid = owner.gid ? *owner.gid : static_cast<gid_t>(-1);
    if (chown(dir.c_str(), *owner.uid, gid) != 0) return Errno("chown", dir);
    if (chmod(dir.c_str(), 0700) != 0) return Errno("chmod", dir);
    return {};
  }
  if (chmod(dir.c_str(), 0777) != 0) return Errno("chmod", dir);
  return {};
}

std::vector<std::string> StaleContainerDirs(const std::vector<std::string>& entries,
                                            const std::set<std::string>& live_pod_uids) {
  std::vector<std::string> stale;
  for (const auto& name : entries) {
    size_t sep = name.find('_');
    if (sep == std::string::npos || sep == 0) continue;
    if (live_pod_uids.count(name.substr(0, sep)) == 0) stale.push_back(name);
  }
  return stale;
}

base::Result<std::vector<std::string>> RemoveStaleContainerDirs(
    const std::string& host_vgpu_dir, const std::set<std::string>& live_pod_uids) {
  const std::string root = host_vgpu_dir + "/containers";
  std::vector<std::string> entries;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (entry.is_directory()) entries.push_back(entry.path().filename().string());
  }
  if (ec) return base::Internal("list " + root + ": " + ec.message());
  std::vector<std::string> removed;
  for (const auto& name : StaleContainerDirs(entries, live_pod_uids)) {
    fs::remove_all(root + "/" + name, ec);
    if (ec) return base::Internal("remove " + root + "/" + name + ": " + ec.message());
    removed.push_back(name);
  }
  return removed;
}

base::Status CheckMpsDaemon(const std::string& mps_root) {
  const std::string control = mps_root + "/" + kMpsPipeSubdir + "/" + kMpsControlPipe;
  struct stat st {};
  if (stat(control.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) return {};
  return base::FailedPrecondition(
      "operating mode mps: no MPS control daemon (" + control +
      (access(control.c_str(), F_OK) == 0 ? " is not a pipe" : " is missing") +
      "); run nvidia-cuda-mps-control -d on the node with CUDA_MPS_PIPE_DIRECTORY=" + mps_root +
      "/" + kMpsPipeSubdir + " (docs/device-plugin.md, \"MPS mode\")");
}

}  // namespace hami::deviceplugin
