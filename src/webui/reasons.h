// Why a pending GPU pod does not fit, in words: the per-node failure strings hami-scheduler's
// /filter answers (model::RenderReasons: "1/2 CardInsufficientMemory, 2/2 CardInsufficientCore",
// "NodeInsufficientDevice", "node unregistered") counted per reason over the nodes, each with the
// reason's code and a sentence a user understands ("3 nodes: no GPU with 10000 MiB free").
// Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hami::webui {

// What the pod asks for, per device (the largest of its containers), to word the reasons.
struct RequestFacts {
  int64_t memory_mib = 0;  // 0: unknown or a percentage
  int64_t cores = 0;       // percent of a GPU; 0: none asked
  int32_t devices = 0;     // devices of the largest request
};

struct PendingReason {
  std::string code;  // model::Reason name ("CardInsufficientMemory"), "NodeUnregistered",
                     // "FilterError", or the raw text when not recognized
  std::string text;  // "3 nodes: no GPU with 10000 MiB free"
  int nodes = 0;     // nodes that failed for this reason (0 for FilterError)
  friend bool operator==(const PendingReason&, const PendingReason&) = default;
};

// The sentence for one reason code (without the node count).
std::string ReasonWords(std::string_view code, const RequestFacts& request);

// Per-node failure strings -> one entry per reason code, most nodes first (then by code).
// `error` (a /filter error such as a quota refusal) becomes a FilterError entry first.
std::vector<PendingReason> SummarizeFailures(const std::map<std::string, std::string>& failed_nodes,
                                             const std::string& error, const RequestFacts& request);

// "3 nodes: no GPU with 10000 MiB free; 1 node: GPU unhealthy" (the reasons' texts joined).
std::string JoinReasons(const std::vector<PendingReason>& reasons);

}  // namespace hami::webui
