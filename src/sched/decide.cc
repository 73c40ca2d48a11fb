#include "sched/decide.h"

#include "sched/fit.h"
#include "sched/vendor_fit.h"

namespace hami::sched {
namespace {

bool Better(NodePolicy policy, double score, const std::string& name, double best_score,
            const std::string& best_name) {
  if (score != best_score)
    return policy == NodePolicy::kSpread ? score < best_score : score > best_score;
  return name < best_name;
}

void Materialize(const NodeState& node, const PodInput& pod,
                 const std::vector<PendingGrant>& grants, Decision* decision) {
  const size_t containers = pod.requests.init.size() + pod.requests.app.size();
  auto add_vendors = [&](const std::vector<model::ContainerRequests>& list) {
    for (const auto& requests : list) {
      for (const auto& [vendor, request] : requests) {
        if (request.nums > 0) decision->devices[vendor].resize(containers);
      }
    }
  };
  add_vendors(pod.requests.init);
  add_vendors(pod.requests.app);
  for (const auto& g : grants) {
    const auto& info = node.devices[g.device].info;
    std::string vendor(g.vendor);
    const VendorFit* fit = pod.For(vendor).fit;
    const bool device_type = fit != nullptr && fit->rules().grant_device_type;
    decision->devices[vendor][g.container].push_back(
        {info.index, info.id, device_type ? info.type : vendor, g.mem, g.cores, g.slots});
    decision->registered.emplace(info.id, info);
    if (g.partition >= 0) {
      const model::Partition& shape = info.partitions[g.partition];
      decision->partitions.push_back(
          {vendor, g.container, info.index, info.id, shape.name, shape.id, g.placement});
    }
  }
}

}  // namespace

Decision Decide(std::span<const NodeState* const> nodes, const PodInput& pod,
                const QuotaTable* quotas) {
  Decision decision;
  const std::map<std::string, QuotaState>* ns_quotas = nullptr;
  if (quotas != nullptr) {
    auto it = quotas->find(pod.namespace_name);
    if (it != quotas->end()) ns_quotas = &it->second;
  }
  NodeFitter fitter;
  decision.fits.reserve(nodes.size());
  double best_score = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!fitter.FitPod(*nodes[i], pod, ns_quotas)) {
      decision.failures.emplace_back(i, fitter.failure());
      continue;
    }
    const double score = fitter.score();
    decision.fits.emplace_back(i, score);
    if (!decision.chosen ||
        Better(pod.policy.node, score, nodes[i]->name, best_score, nodes[*decision.chosen]->name)) {
      decision.chosen = i;
      best_score = score;
    }
  }
  if (decision.chosen) {
    // Re-fit the winner to materialize its grants (cheaper than keeping every node's grants).
    const NodeState& node = *nodes[*decision.chosen];
    fitter.FitPod(node, pod, ns_quotas);
    Materialize(node, pod, fitter.grants(), &decision);
  }
  return decision;
}

}  // namespace hami::sched
