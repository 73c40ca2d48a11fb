// GPU health from driver XID events, as NVIDIA's k8s-device-plugin judges it: which XIDs make a
// GPU unhealthy (XidPolicy, from DP_DISABLE_HEALTHCHECKS), and which GPUs a critical XID has
// marked (XidMarks).
//
// A mark is sticky: a GPU marked by a critical XID stays unhealthy until discovery has seen it
// down (unreadable, lost or gone) and afterwards readable again — a reset or a cleared fault —
// or the plugin restarts. (Upstream never recovers a device; polling alone would recover it at
// the next poll although nothing was repaired.)
// ParseXidPolicy and IsCriticalXid are pure; XidMarks is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "deviceplugin/inventory.h"

namespace hami::deviceplugin {

// WIRE: the environment variable upstream's device plugin reads: "all" or anything containing
// "xids" turns XID health checks off; otherwise a comma-separated list of XIDs ignored on top of
// the application XIDs.
inline constexpr char kDisableHealthchecksEnv[] = "DP_DISABLE_HEALTHCHECKS";

// XIDs caused by an application, not the GPU (upstream's skipped list): 13 graphics engine
// exception, 31 GPU memory page fault, 43 GPU stopped processing, 45 preemptive cleanup,
// 68 video processor exception, 109 context switch timeout.
inline const std::set<uint64_t> kApplicationXids = {13, 31, 43, 45, 68, 109};

struct XidPolicy {
  bool enabled = true;  // false: no XID event is listened to
  std::set<uint64_t> ignored = kApplicationXids;
  std::vector<std::string> bad_entries;  // list entries that are not numbers (logged, skipped)
  friend bool operator==(const XidPolicy&, const XidPolicy&) = default;
};

// `disable` is DP_DISABLE_HEALTHCHECKS (nullopt: unset). Case-insensitive, entries trimmed.
XidPolicy ParseXidPolicy(std::optional<std::string_view> disable);

// True when `xid` makes a GPU unhealthy under `policy`.
bool IsCriticalXid(const XidPolicy& policy, uint64_t xid);

class XidMarks {
 public:
  // Marks GPU `uuid` unhealthy because of `xid` (the latest XID is kept); false when it already
  // was marked.
  bool Mark(const std::string& uuid, uint64_t xid);
  // Applies the marks to a discovery: a marked GPU that is absent or unhealthy has been seen down;
  // one present and healthy after having been seen down is recovered (its mark dropped); every
  // other marked GPU is set unhealthy. Returns the UUIDs recovered.
  std::vector<std::string> Apply(std::vector<GpuInfo>& gpus);
  // The marked GPUs and their XID.
  std::map<std::string, uint64_t> Marked() const;

 private:
  struct Entry {
    uint64_t xid = 0;
    bool seen_down = false;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> marks_;
};

}  // namespace hami::deviceplugin
