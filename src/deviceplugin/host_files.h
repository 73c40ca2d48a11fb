// Host-side files the plugin owns under <hook-path>/vgpu (hami-wire §5.2 mounts):
//
//   <hook>/vgpu/                       0755  libvgpu.so (installed by the operator) is read here
//   <hook>/vgpu/ld.so.preload          0644  "/usr/local/vgpu/libvgpu.so\n", written if missing
//   <hook>/vgpu/containers/            0700  root only: containers reach their own directory
//                                            through a bind mount, never through this parent
//   <hook>/vgpu/containers/<podUID>_<container>/
//                                      0700 owned by the container's runAsUser[:runAsGroup] when
//                                      the pod says who it runs as; else 0777 (the image picks the
//                                      user), still unreachable from the host except by root
//   <lock dir> (/tmp/vgpulock)         1777  shared by every container, like /tmp
//
// Functions here do the file I/O; StaleContainerDirs is the pure cleanup rule. Thread-safe
// (no state); callers serialize operations on the same directory.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "deviceplugin/allocate.h"

namespace hami::deviceplugin {

// WIRE: content of <hook>/vgpu/ld.so.preload (the container path of libvgpu.so).
inline constexpr char kPreloadContent[] = "/usr/local/vgpu/libvgpu.so\n";

// Creates the layout above (idempotent; existing ld.so.preload is left as is).
base::Status EnsureHostLayout(const std::string& host_vgpu_dir, const std::string& lock_dir);

// Wipes and recreates one container's directory with the mode/owner described above.
base::Status PrepareContainerDir(const std::string& dir, const ContainerOwner& owner);

// Mode "mps": OK when the MPS control daemon serves `mps_root` (its pipe/control exists);
// FailedPrecondition saying how to start it otherwise. A container given the MPS contract without
// a daemon would fail at its first CUDA call, so Allocate refuses it first (fail closed).
base::Status CheckMpsDaemon(const std::string& mps_root);

// Names (not paths) of entries of containers/ whose "<podUID>_<container>" podUID is not in
// `live_pod_uids`. Entries without '_' are left alone (not ours).
std::vector<std::string> StaleContainerDirs(const std::vector<std::string>& entries,
                                            const std::set<std::string>& live_pod_uids);

// Lists <host_vgpu_dir>/containers and removes the stale directories; returns the names removed.
base::Result<std::vector<std::string>> RemoveStaleContainerDirs(
    const std::string& host_vgpu_dir, const std::set<std::string>& live_pod_uids);

}  // namespace hami::deviceplugin
