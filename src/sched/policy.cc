#include "sched/policy.h"

#include <optional>

#include "base/strings.h"
#include "model/protocol.h"

namespace hami::sched {

NodePolicy ParseNodePolicy(std::string_view text) {
  return base::Trim(text) == kPolicySpread ? NodePolicy::kSpread : NodePolicy::kBinpack;
}

std::string_view NodePolicyName(NodePolicy policy) {
  return policy == NodePolicy::kSpread ? kPolicySpread : kPolicyBinpack;
}

GpuPolicy ParseGpuPolicy(std::string_view text) {
  GpuPolicy policy;
  text = base::Trim(text);
  policy.mutex = base::Contains(text, kPolicyMutex);
  policy.topology_aware = base::Contains(text, kPolicyTopologyAware);
  if (base::Contains(text, ",") || text == kPolicyNuma) {
    policy.mode = GpuPolicy::Mode::kChain;
    for (std::string_view word : base::Split(text, ',')) {
      word = base::Trim(word);
      if (word == kPolicyBinpack) policy.chain.push_back(GpuOrderKey::kBinpack);
      if (word == kPolicySpread) policy.chain.push_back(GpuOrderKey::kSpread);
      if (word == kPolicyNuma) policy.chain.push_back(GpuOrderKey::kNuma);
    }
    if (policy.chain.empty()) policy.chain.push_back(GpuOrderKey::kSpread);
    policy.word = std::string(text);
    return policy;
  }
  policy.word = text.empty() ? std::string(kPolicySpread) : std::string(text);
  policy.binpack = policy.word == kPolicyBinpack;
  return policy;
}

base::Status ValidateGpuPolicy(std::string_view text) {
  static constexpr const char* kWords[] = {kPolicyBinpack, kPolicySpread, kPolicyTopologyAware,
                                           kPolicyMutex, kPolicyNuma};
  for (std::string_view word : base::Split(base::Trim(text), ',')) {
    word = base::Trim(word);
    bool known = false;
    for (const char* w : kWords) known = known || word == w;
    if (!known) {
      return base::InvalidArgument(
          "GPU scheduler policy \"" + std::string(text) + "\": unknown word \"" +
          std::string(word) +
          "\" (valid: binpack, spread, topology-aware, mutex, numa, or a comma list of them)");
    }
  }
  return {};
}

base::Result<ScoreWeights> ParseScoreWeights(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return base::InvalidArgument("invalid hami.io/device-scoring-weights \"" + std::string(text) +
                                 "\": " + why + " (want slot=<int>,core=<int>,memory=<int>)");
  };
  std::optional<int64_t> slot, core, memory;
  auto parts = base::Split(text, ',');
  if (parts.size() != 3) return bad("expected exactly 3 keys");
  for (std::string_view part : parts) {
    auto kv = base::Split(base::Trim(part), '=');
    if (kv.size() != 2) return bad("\"" + std::string(part) + "\" is not key=value");
    std::string_view key = base::Trim(kv[0]);
    auto value = base::ParseInt64(base::Trim(kv[1]));
    if (!value || *value < 0 || *value > INT32_MAX) {
      return bad("value of " + std::string(key) + " must be an integer >= 0");
    }
    std::optional<int64_t>* slot_for_key = nullptr;
    if (key == "slot") slot_for_key = &slot;
    if (key == "core") slot_for_key = &core;
    if (key == "memory") slot_for_key = &memory;
    if (slot_for_key == nullptr) return bad("unknown key \"" + std::string(key) + "\"");
    if (slot_for_key->has_value()) return bad("duplicate key \"" + std::string(key) + "\"");
    *slot_for_key = *value;
  }
  if (*slot == 0 && *core == 0 && *memory == 0) return bad("weights are all zero");
  return ScoreWeights{static_cast<int32_t>(*slot), static_cast<int32_t>(*core),
                      static_cast<int32_t>(*memory)};
}

base::Result<Policy> PolicyForPod(const std::map<std::string, std::string>& annotations,
                                  const Policy& defaults) {
  Policy policy = defaults;
  if (auto it = annotations.find(model::kNodePolicyAnnotation); it != annotations.end()) {
    policy.node = ParseNodePolicy(it->second);
  }
  if (auto it = annotations.find(model::kGpuPolicyAnnotation); it != annotations.end()) {
    policy.gpu = ParseGpuPolicy(it->second);
  }
  if (auto it = annotations.find(model::kScoreWeightsAnnotation); it != annotations.end()) {
    HAMI_ASSIGN_OR_RETURN(policy.weights, ParseScoreWeights(it->second));
  }
  return policy;
}

}  // namespace hami::sched
