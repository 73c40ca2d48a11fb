// Scheduling policies: node ordering, GPU ordering chains, and device-score weights.
// Parsing is pure; unknown words keep upstream's lenient meaning (see each function).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hami::sched {

// WIRE: policy words in hami.io/node-scheduler-policy / hami.io/gpu-scheduler-policy and flags.
inline constexpr char kPolicyBinpack[] = "binpack";
inline constexpr char kPolicySpread[] = "spread";
inline constexpr char kPolicyTopologyAware[] = "topology-aware";
inline constexpr char kPolicyMutex[] = "mutex";
inline constexpr char kPolicyNuma[] = "numa";

enum class NodePolicy { kBinpack, kSpread };

// Anything but "spread" is binpack (upstream).
NodePolicy ParseNodePolicy(std::string_view text);
std::string_view NodePolicyName(NodePolicy policy);

enum class GpuOrderKey { kBinpack, kSpread, kNuma };

// How one container's candidate devices are ordered and filtered.
struct GpuPolicy {
  enum class Mode { kSingle, kChain } mode = Mode::kSingle;
  // kSingle: the word as given ("spread", "binpack", "topology-aware", "mutex", other = spread).
  std::string word = kPolicySpread;
  // kChain: keys in written order (binpack/spread/numa only); empty chain = spread.
  std::vector<GpuOrderKey> chain;
  bool mutex = false;           // the string contains "mutex": used devices are refused
  bool topology_aware = false;  // the string contains "topology-aware"
  bool binpack = false;         // kSingle and the word is exactly "binpack"

  bool IsBinpack() const { return binpack; }
};

// Upstream semantics: a comma or the bare word "numa" selects chain mode.
GpuPolicy ParseGpuPolicy(std::string_view text);

// A policy given on the command line (--gpu-scheduler-policy) must use only known words:
// binpack, spread, topology-aware, mutex, numa, alone or as a comma list. The error names the
// unknown word and lists the valid ones. (Pod annotations keep upstream's lenient reading.)
base::Status ValidateGpuPolicy(std::string_view text);

// hami.io/device-scoring-weights: exactly `slot=<int>,core=<int>,memory=<int>` in any order,
// ints >= 0, not all zero. Anything else is an InvalidArgument naming the problem.
struct ScoreWeights {
  int32_t slot = 1;
  int32_t core = 1;
  int32_t memory = 1;
  friend bool operator==(const ScoreWeights&, const ScoreWeights&) = default;
};
base::Result<ScoreWeights> ParseScoreWeights(std::string_view text);

// The policies in force for one pod (pod annotations over scheduler defaults).
struct Policy {
  NodePolicy node = NodePolicy::kBinpack;
  GpuPolicy gpu;
  ScoreWeights weights;
};

// The pod's policies: its annotations over `defaults`. Malformed scoring weights are an error
// (upstream fails the pod's filter call the same way).
base::Result<Policy> PolicyForPod(const std::map<std::string, std::string>& annotations,
                                  const Policy& defaults);

}  // namespace hami::sched
