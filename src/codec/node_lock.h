// The node lock annotation value (hami-wire §3.8): at most one pod per node between bind and
// device allocation.
//
//   hami.io/mutex.lock: "2024-05-01T10:00:00Z,default,train-0"   (legacy: "2024-05-01T10:00:00Z")
//
// Only the value grammar lives here; taking and releasing the lock is the k8s adapter's job. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hami::codec {

struct NodeLock {
  int64_t unix_seconds = 0;   // when it was taken (fractional seconds dropped)
  std::string pod_namespace;  // empty when legacy
  std::string pod_name;       // empty when legacy
  bool legacy = false;        // bare RFC 3339 time, no owner recorded
  friend bool operator==(const NodeLock&, const NodeLock&) = default;
};

// WIRE: "<RFC3339>,<namespace>,<name>" (namespace and name non-empty, no further ',') or a bare
// RFC 3339 time (legacy). Upstream writes local time with its offset; any offset is accepted.
base::Result<NodeLock> ParseNodeLock(std::string_view value);

// WIRE: "<RFC3339 UTC>,<namespace>,<name>", e.g. "2024-05-01T10:00:00Z,default,train-0".
std::string FormatNodeLock(int64_t unix_seconds, std::string_view pod_namespace,
                           std::string_view pod_name);

// Upstream's release rule: true when the value ends with ",<namespace>,<name>" or is a legacy bare
// RFC 3339 time (no owner, so any pod may release it).
bool HeldBy(std::string_view value, std::string_view pod_namespace, std::string_view pod_name);

}  // namespace hami::codec
