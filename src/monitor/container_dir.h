// Names and lifetime of per-container directories under <hook>/containers/ (hami-wire §6.3).
//
// WIRE: the device plugin creates <hook>/containers/<podUID>_<containerName>/ and points libvgpu's
// CUDA_DEVICE_MEMORY_SHARED_CACHE at a *.cache file inside it. Pure; thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace hami::monitor {

struct ContainerDirName {
  std::string pod_uid;
  std::string container;
};

// Splits at the first '_'. nullopt when there is no '_' or either side is empty (upstream indexes
// past the end there and crashes).
std::optional<ContainerDirName> ParseContainerDirName(std::string_view name);

// What the monitor knows about pods on its node when it decides on cleanup.
struct PodPresence {
  bool synced = false;         // a complete pod list has been seen (API reachable once)
  std::set<std::string> uids;  // pods on this node
};

// True when the directory of `pod_uid` should be unmapped and deleted: the pod list is known, the
// pod is not on it, and the directory was last modified at least `resync` ago (a pod that was just
// created may not have reached our cache yet). Without a synced list nothing is ever removed.
bool ShouldRemoveDir(std::string_view pod_uid, const PodPresence& pods,
                     std::chrono::system_clock::time_point dir_mtime,
                     std::chrono::system_clock::time_point now,
                     std::chrono::system_clock::duration resync);

}  // namespace hami::monitor
