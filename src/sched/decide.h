// Decide: the pure scheduling decision for one pod over a set of candidate nodes.
//
// Contract: no clocks, caches or I/O. Nodes are tried in input order; every node gets either a
// score (it fits) or counted reasons (it does not). The winner is the highest score under binpack
// and the lowest under spread; equal scores go to the node whose name sorts first, so the result
// never depends on thread timing (upstream: goroutine completion order).
// Thread-compatible: concurrent calls on distinct inputs are safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "model/grant.h"
#include "model/reason.h"
#include "sched/pod_input.h"
#include "sched/snapshot.h"

namespace hami::sched {

struct Decision {
  std::optional<size_t> chosen;  // index into the input nodes
  // Per vendor, per container (init containers first, then app containers).
  model::PodDevices devices;
  std::vector<model::PartitionGrant> partitions;                // grants on partitioned devices
  std::map<std::string, model::DeviceInfo> registered;          // the granted devices, by UUID
  std::vector<std::pair<size_t, double>> fits;                  // node index, score
  std::vector<std::pair<size_t, model::NodeFailure>> failures;  // node index, reasons
};

// `quotas` may be null (no ResourceQuota tracking).
Decision Decide(std::span<const NodeState* const> nodes, const PodInput& pod,
                const QuotaTable* quotas);

}  // namespace hami::sched
