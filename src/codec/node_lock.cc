#include "codec/node_lock.h"

#include "base/strings.h"
#include "codec/json_util.h"
#include "codec/time_format.h"

namespace hami::codec {

base::Result<NodeLock> ParseNodeLock(std::string_view value) {
  const std::string where = "node lock " + internal::Quote(value);
  std::vector<std::string_view> parts = base::Split(value, ',');
  if (parts.size() != 1 && parts.size() != 3) {
    return base::InvalidArgument(where +
                                 ": expected <RFC3339 time>,<namespace>,<name> or a bare "
                                 "RFC3339 time");
  }
  auto time = ParseRfc3339(parts[0]);
  if (!time.ok()) return time.error().WithContext(where);
  NodeLock lock;
  lock.unix_seconds = *time;
  if (parts.size() == 1) {
    lock.legacy = true;
    return lock;
  }
  if (parts[1].empty() || parts[2].empty()) {
    return base::InvalidArgument(where + ": empty pod namespace or name");
  }
  lock.pod_namespace = std::string(parts[1]);
  lock.pod_name = std::string(parts[2]);
  return lock;
}

std::string FormatNodeLock(int64_t unix_seconds, std::string_view pod_namespace,
                           std::string_view pod_name) {
  std::string out = FormatRfc3339(unix_seconds);
  out += ',';
  out += pod_namespace;
  out += ',';
  out += pod_name;
  return out;
}

bool HeldBy(std::string_view value, std::string_view pod_namespace, std::string_view pod_name) {
  std::string suffix = ",";
  suffix += pod_namespace;
  suffix += ',';
  suffix += pod_name;
  if (base::EndsWith(value, suffix)) return true;
  return value.find(',') == std::string_view::npos && ParseRfc3339(value).ok();
}

}  // namespace hami::codec
