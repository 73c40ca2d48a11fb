#include "monitor/container_dir.h"

namespace hami::monitor {

std::optional<ContainerDirName> ParseContainerDirName(std::string_view name) {
  const size_t sep = name.find('_');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 == name.size()) return std::nullopt;
  return ContainerDirName{std::string(name.substr(0, sep)), std::string(name.substr(sep + 1))};
}

bool ShouldRemoveDir(std::string_view pod_uid, const PodPresence& pods,
                     std::chrono::system_clock::time_point dir_mtime,
                     std::chrono::system_clock::time_point now,
                     std::chrono::system_clock::duration resync) {
  if (!pods.synced) return false;
  if (pods.uids.count(std::string(pod_uid)) != 0) return false;
  return dir_mtime + resync <= now;
}

}  // namespace hami::monitor
