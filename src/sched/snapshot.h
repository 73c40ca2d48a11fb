// The state the scheduling core decides against: nodes, their devices and what is booked on them,
// plus namespace quotas. Built by the adapters (extender cache, `hami simulate`); read-only to
// sched.
//
// Contract: devices keep registration order (annotation order, vendors in registry order).
// Usage already includes every running and assumed pod. Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/device.h"

namespace hami::sched {

struct DeviceState {
  model::DeviceUsage usage;  // first: read with the numeric head of `info` in the fit loop
  model::DeviceInfo info;
};

struct NodeState {
  std::string name;
  std::vector<DeviceState> devices;
  std::set<std::string> cordoned;  // UUIDs from hami.io/device-cordon
  model::TopologyScores topology;  // device pair scores (NVIDIA: hami.io/node-nvidia-score)
  // Node facts vendors' hooks read (e.g. Metax link losses, Ascend hami-core support), keyed by
  // the vendor's own names.
  std::map<std::string, std::string> attributes;

  const std::string* Attribute(const std::string& key) const {
    auto it = attributes.find(key);
    return it == attributes.end() ? nullptr : &it->second;
  }
};

// ResourceQuota view for one namespace and vendor (hami-wire §3.10). A limit is enforced only
// when set (an explicit 0 blocks everything).
struct QuotaState {
  std::optional<int64_t> mem_limit;   // MiB, already × memoryFactor
  std::optional<int64_t> core_limit;  // vendor core unit
  int64_t used_mem = 0;
  int64_t used_cores = 0;
};

// namespace -> vendor -> quota
using QuotaTable = std::map<std::string, std::map<std::string, QuotaState>>;

}  // namespace hami::sched
