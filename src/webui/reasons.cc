#include "webui/reasons.h"

#include <algorithm>
#include <set>

#include "base/strings.h"

namespace hami::webui {
namespace {

std::string Plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// The reason names of one node's failure string ("1/2 A, 2/2 B" or a bare name).
std::set<std::string> CodesOf(std::string_view rendered) {
  std::set<std::string> codes;
  for (std::string_view part : base::Split(rendered, ',')) {
    part = base::Trim(part);
    if (part.empty()) continue;
    if (const size_t space = part.find(' ');
        space != std::string_view::npos &&
        part.substr(0, space).find('/') != std::string_view::npos) {
      part = base::Trim(part.substr(space + 1));
    }
    codes.emplace(part == "node unregistered" ? "NodeUnregistered" : std::string(part));
  }
  return codes;
}

}  // namespace

std::string ReasonWords(std::string_view code, const RequestFacts& r) {
  const std::string mem =
      r.memory_mib > 0 ? std::to_string(r.memory_mib) + " MiB" : "enough memory";
  static const std::map<std::string, std::string, std::less<>> kFixed = {
      {"CardNotHealth", "GPU unhealthy"},
      {"CardUnhealthy", "GPU unhealthy"},
      {"CardCordoned", "GPU cordoned"},
      {"CardTypeMismatch", "GPU type excluded by the pod's use-gputype/nouse-gputype annotations"},
      {"CardUuidMismatch", "GPU excluded by the pod's use-gpuuuid/nouse-gpuuuid annotations"},
      {"CardTimeSlicingExhausted", "every GPU already shared by as many pods as it may hold"},
      {"ExclusiveDeviceAllocateConflict", "GPU held exclusively by another pod"},
      {"ResourceQuotaNotFit", "the namespace's ResourceQuota would be exceeded"},
      {"CardComputeUnitsExhausted", "no GPU with enough compute units free"},
      {"CardMigTopologyInfeasible", "no free MIG placement for the profile asked"},
      {"NumaNotFit", "the GPUs that fit are not on one NUMA node (numa-bind)"},
      {"ModeNotFit", "GPU mode (hami-core, mig, mps) does not match the pod's vgpu-mode"},
      {"CardNotFoundCustomFilterRule", "refused by the vendor's own filter rule"},
      {"CardQosPolicyMismatch", "GPU QoS policy does not match the pod's"},
      {"CardAppClassMismatch", "GPU app class does not match the pod's"},
      {"AllocatedCardsInsufficientRequest", "the GPUs that fit cannot serve the whole request"},
      {"NodeUnregistered", "node has no HAMi GPU registration (device plugin not running?)"},
  };
  if (auto it = kFixed.find(code); it != kFixed.end()) return it->second;
  if (code == "CardInsufficientMemory") return "no GPU with " + mem + " free";
  if (code == "CardInsufficientCore") {
    return r.cores > 0 ? "no GPU with " + std::to_string(r.cores) + "% of its cores free"
                       : "no GPU with enough cores free";
  }
  if (code == "NodeInsufficientDevice") {
    return r.devices > 0 ? "fewer than " + Plural(r.devices, "GPU", "GPUs") + " that fit"
                         : "not enough GPUs that fit";
  }
  return std::string(code);
}

std::vector<PendingReason> SummarizeFailures(const std::map<std::string, std::string>& failed_nodes,
                                             const std::string& error,
                                             const RequestFacts& request) {
  std::map<std::string, int> counts;
  for (const auto& [node, rendered] : failed_nodes) {
    for (const std::string& code : CodesOf(rendered)) counts[code]++;
  }
  std::vector<PendingReason> out;
  out.reserve(counts.size());
  for (const auto& [code, nodes] : counts) {
    out.push_back(
        {code, Plural(nodes, "node", "nodes") + ": " + ReasonWords(code, request), nodes});
  }
  std::stable_sort(out.begin(), out.end(), [](const PendingReason& a, const PendingReason& b) {
    return a.nodes > b.nodes;
  });
  if (!error.empty()) out.insert(out.begin(), {"FilterError", error, 0});
  if (out.empty()) out.push_back({"NoNodes", "no candidate node was offered", 0});
  return out;
}

std::string JoinReasons(const std::vector<PendingReason>& reasons) {
  std::string out;
  for (const PendingReason& r : reasons) out += (out.empty() ? "" : "; ") + r.text;
  return out;
}

}  // namespace hami::webui
