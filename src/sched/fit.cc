#include "sched/fit.h"

#include <algorithm>
#include <limits>

#include "sched/score.h"

namespace hami::sched {
namespace {

using model::Reason;

int64_t Sum(const std::vector<PendingGrant>& grants, int64_t PendingGrant::*field) {
  int64_t total = 0;
  for (const auto& g : grants) total += g.*field;
  return total;
}

bool Overlaps(const model::MigPlacement& a, const model::MigPlacement& b) {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}

// Sum of pair scores between `uuid` and every other member of `set`.
int64_t PairScore(const model::TopologyScores& topology, const std::string& a,
                  const std::string& b) {
  auto it = topology.find(a);
  if (it == topology.end()) return 0;
  auto jt = it->second.find(b);
  return jt == it->second.end() ? 0 : jt->second;
}

}  // namespace

NodeFitter::QuotaSpent& NodeFitter::AppSpent(std::string_view vendor) {
  for (auto& spent : app_spent_) {
    if (spent.vendor == vendor) return spent;
  }
  app_spent_.push_back({vendor, 0, 0});
  return app_spent_.back();
}

void NodeFitter::ResetWork(const NodeState& node) {
  work_.resize(node.devices.size());
  node_base_ = {};
  for (size_t i = 0; i < node.devices.size(); ++i) {
    const auto& d = node.devices[i];
    work_[i] = {d.usage.used, d.usage.usedmem, d.usage.usedcores};
    node_base_.used += d.usage.used;
    node_base_.usedmem += d.usage.usedmem;
    node_base_.usedcores += d.usage.usedcores;
    node_base_.count += d.info.count;
    node_base_.totalmem += d.info.devmem;
    node_base_.totalcores += d.info.devcore;
  }
}

bool NodeFitter::FitPod(const NodeState& node, const PodInput& pod,
                        const std::map<std::string, QuotaState>* quotas) {
  grants_.clear();
  app_spent_.clear();
  failure_ = {};
  const auto& init = pod.requests.init;
  const auto& app = pod.requests.app;
  // Init containers run one after another: each sees the node as it is, without its siblings.
  for (size_t i = 0; i < init.size(); ++i) {
    if (init[i].empty()) continue;
    ResetWork(node);
    if (!FitContainer(node, pod, static_cast<int32_t>(i), init[i], true, quotas)) return false;
  }
  // App containers run together: each sees the ones placed before it.
  ResetWork(node);
  for (size_t i = 0; i < app.size(); ++i) {
    if (app[i].empty()) continue;
    const auto index = static_cast<int32_t>(init.size() + i);
    if (!FitContainer(node, pod, index, app[i], false, quotas)) return false;
  }
  score_ = ScoreAfterPlacement(pod);
  return true;
}

bool NodeFitter::FitContainer(const NodeState& node, const PodInput& pod, int32_t container,
                              const model::ContainerRequests& requests, bool init,
                              const std::map<std::string, QuotaState>* quotas) {
  for (const auto& [vendor, request] : requests) {
    if (request.nums <= 0) continue;
    const QuotaState* quota = nullptr;
    if (quotas != nullptr) {
      auto it = quotas->find(vendor);
      if (it != quotas->end()) quota = &it->second;
    }
    if (!FitRequest(node, pod, container, request, init, quota)) return false;
    for (const auto& grant : collected_) {
      auto& w = work_[grant.device];
      w.used += 1;
      w.usedmem += grant.mem;
      w.usedcores += grant.cores;
      grants_.push_back(grant);
    }
    if (!init) {
      auto& spent = AppSpent(vendor);
      spent.mem += Sum(collected_, &PendingGrant::mem);
      spent.cores += Sum(collected_, &PendingGrant::cores);
    }
  }
  return true;
}

void NodeFitter::ScoreCandidates(const NodeState& node, const PodInput& pod,
                                 const model::DeviceRequest& request) {
  candidates_.clear();
  const int64_t coresreq = std::min<int64_t>(request.coresreq, 100);
  for (size_t i = 0; i < node.devices.size(); ++i) {
    const auto& info = node.devices[i].info;
    if (info.vendor != request.vendor) continue;
    const auto& w = work_[i];
    // The container being placed counts in the score (upstream drops it; see score.h).
    UsageFigures figures{w.used + 1,       info.count,
                         w.usedcores + coresreq, info.devcore,
                         w.usedmem + request.MemoryOn(info.devmem), info.devmem};
    candidates_.push_back({static_cast<int32_t>(i),
                           WeightedUtilization(figures, pod.policy.weights), info.numa,
                           info.index, w.used});
  }
}

void NodeFitter::SelectNext(size_t from, const CandidateOrder& order) {
  // Lazy selection instead of a full sort: a fit usually succeeds on the first device tried.
  size_t best = from;
  for (size_t i = from + 1; i < candidates_.size(); ++i) {
    if (order.TriedFirst(candidates_[i], candidates_[best])) best = i;
  }
  std::swap(candidates_[from], candidates_[best]);
}

bool NodeFitter::FitRequest(const NodeState& node, const PodInput& pod, int32_t container,
                            const model::DeviceRequest& request, bool init,
                            const QuotaState* quota) {
  failure_ = {};
  collected_.clear();
  const DeviceSelector& selector = pod.SelectorFor(request.vendor);
  ScoreCandidates(node, pod, request);
  const CandidateOrder order(pod.policy.gpu, selector.numa_bind);
  failure_.candidates = static_cast<int32_t>(candidates_.size());

  const bool any_mig = std::any_of(candidates_.begin(), candidates_.end(), [&](const Candidate& c) {
    return node.devices[c.device].info.mode == model::kModeMig;
  });
  if (request.nums > static_cast<int32_t>(candidates_.size()) && !any_mig) {
    failure_.Add(Reason::kNodeInsufficientDevice);
    return false;
  }

  const bool topology = pod.policy.gpu.topology_aware;
  const int64_t coresreq = std::min<int64_t>(request.coresreq, 100);
  int64_t mem_room = std::numeric_limits<int64_t>::max();
  int64_t core_room = std::numeric_limits<int64_t>::max();
  if (quota != nullptr) {
    const QuotaSpent* spent = nullptr;
    for (const auto& s : app_spent_) {
      if (s.vendor == request.vendor) spent = &s;
    }
    const int64_t spent_mem = (!init && spent) ? spent->mem : 0;
    const int64_t spent_cores = (!init && spent) ? spent->cores : 0;
    if (quota->mem_limit) mem_room = *quota->mem_limit - quota->used_mem - spent_mem;
    if (quota->core_limit) core_room = *quota->core_limit - quota->used_cores - spent_cores;
  }

  int32_t remaining = request.nums;
  bool numa_seen = false;
  int32_t numa = 0;
  for (size_t c = 0; c < candidates_.size() && (topology || remaining > 0); ++c) {
    SelectNext(c, order);
    const int32_t pos = candidates_[c].device;
    const auto& info = node.devices[pos].info;
    const bool mig = info.mode == model::kModeMig;
    if (!info.health) { failure_.Add(Reason::kCardNotHealth); continue; }
    if (node.cordoned.count(info.id) != 0) { failure_.Add(Reason::kCardCordoned); continue; }
    if (!selector.TypeAllowed(info)) { failure_.Add(Reason::kCardTypeMismatch); continue; }
    if (selector.numa_bind && (!numa_seen || info.numa != numa)) {
      if (!collected_.empty()) {
        failure_.Add(Reason::kNumaNotFit, static_cast<int32_t>(collected_.size()));
        collected_.clear();
        remaining = request.nums;
      }
      numa_seen = true;
      numa = info.numa;
    }
    if (!selector.UuidAllowed(info)) { failure_.Add(Reason::kCardUuidMismatch); continue; }
    // A MIG device may already hold instances picked for this same request.
    int64_t pending_used = 0, pending_mem = 0, pending_cores = 0;
    for (const auto& g : collected_) {
      if (g.device != pos) continue;
      pending_used += 1;
      pending_mem += g.mem;
      pending_cores += g.cores;
    }
    const auto& w = work_[pos];
    const int64_t used = w.used + pending_used;
    const int64_t usedmem = w.usedmem + pending_mem;
    const int64_t usedcores = w.usedcores + pending_cores;
    if (info.count <= used) { failure_.Add(Reason::kCardTimeSlicingExhausted); continue; }
    if (pod.policy.gpu.mutex && used > 0) {
      failure_.Add(Reason::kExclusiveDeviceAllocateConflict);
      continue;
    }
    const int64_t memreq = request.MemoryOn(info.devmem);
    const int64_t collected_mem = Sum(collected_, &PendingGrant::mem);
    const int64_t collected_cores = Sum(collected_, &PendingGrant::cores);
    if (collected_mem + memreq > mem_room || collected_cores + coresreq > core_room) {
      failure_.Add(Reason::kResourceQuotaNotFit);
      continue;
    }
    if (info.devmem - usedmem < memreq) { failure_.Add(Reason::kCardInsufficientMemory); continue; }
    if (info.devcore - usedcores < coresreq) {
      failure_.Add(Reason::kCardInsufficientCore);
      continue;
    }
    if (info.devcore == 100 && coresreq == 100 && used > 0) {
      failure_.Add(Reason::kExclusiveDeviceAllocateConflict);
      continue;
    }
    if (info.devcore != 0 && usedcores == info.devcore && coresreq == 0) {
      failure_.Add(Reason::kCardComputeUnitsExhausted);
      continue;
    }
    PendingGrant grant{container, request.vendor, pos, memreq, coresreq, -1, {}};
    if (mig) {
      if (!PickMig(node, pos, memreq, &grant.mig_profile, &grant.placement)) {
        failure_.Add(Reason::kCardMigTopologyInfeasible);
        continue;
      }
      grant.mem = info.mig_profiles[grant.mig_profile].memory_mib;
    }
    collected_.push_back(grant);
    if (!topology) --remaining;
    if (mig && remaining > 0) --c;  // the same GPU may give this container another instance
  }

  const auto nums = static_cast<size_t>(request.nums);
  if (topology && collected_.size() > nums) SelectTopology(node, request.nums);
  if ((topology && collected_.size() == nums) || (!topology && remaining == 0)) {
    failure_ = {};
    return true;
  }
  if (!collected_.empty()) {
    failure_.Add(Reason::kAllocatedCardsInsufficientRequest,
                 static_cast<int32_t>(collected_.size()));
  }
  return false;
}

bool NodeFitter::MigPlacementFree(const NodeState& node, int32_t device,
                                  const model::MigPlacement& placement) const {
  for (const auto& booked : node.devices[device].usage.mig) {
    if (Overlaps(booked.placement, placement)) return false;
  }
  for (const auto* list : {&grants_, &collected_}) {
    for (const auto& g : *list) {
      if (g.device == device && g.mig_profile >= 0 && Overlaps(g.placement, placement)) {
        return false;
      }
    }
  }
  return true;
}

bool NodeFitter::PickMig(const NodeState& node, int32_t device, int64_t memreq,
                         int32_t* profile, model::MigPlacement* placement) const {
  const auto& profiles = node.devices[device].info.mig_profiles;
  int32_t best = -1;
  // Smallest profile that holds the request, then the fewest slices, with a free placement.
  for (size_t i = 0; i < profiles.size(); ++i) {
    const auto& p = profiles[i];
    if (p.memory_mib < memreq) continue;
    if (best >= 0) {
      const auto& b = profiles[best];
      if (p.memory_mib > b.memory_mib ||
          (p.memory_mib == b.memory_mib && p.slice_count >= b.slice_count)) {
        continue;
      }
    }
    for (const auto& candidate : p.placements) {
      if (MigPlacementFree(node, device, candidate)) {
        best = static_cast<int32_t>(i);
        *placement = candidate;
        break;
      }
    }
  }
  if (best < 0) return false;
  *profile = best;
  return true;
}

void NodeFitter::SelectTopology(const NodeState& node, int32_t nums) {
  const size_t n = collected_.size();
  auto uuid = [&](size_t i) -> const std::string& {
    return node.devices[collected_[i].device].info.id;
  };
  std::vector<PendingGrant> chosen;
  if (nums == 1) {
    // The GPU least connected to the others, so well-linked GPUs stay together for larger pods.
    size_t best = 0;
    int64_t best_sum = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i < n; ++i) {
      int64_t sum = 0;
      for (size_t j = 0; j < n; ++j) {
        if (i != j) sum += PairScore(node.topology, uuid(i), uuid(j));
      }
      if (sum < best_sum) { best_sum = sum; best = i; }
    }
    chosen.push_back(collected_[best]);
  } else {
    // The nums-subset with the highest total pair score; first found wins ties.
    std::vector<size_t> pick(nums), best_pick;
    int64_t best_sum = -1;
    for (int32_t i = 0; i < nums; ++i) pick[i] = i;
    while (true) {
      int64_t sum = 0;
      for (size_t a = 0; a < pick.size(); ++a) {
        for (size_t b = a + 1; b < pick.size(); ++b) {
          sum += PairScore(node.topology, uuid(pick[a]), uuid(pick[b]));
        }
      }
      if (sum > best_sum) { best_sum = sum; best_pick = pick; }
      int32_t k = nums - 1;
      while (k >= 0 && pick[k] == n - nums + k) --k;
      if (k < 0) break;
      ++pick[k];
      for (int32_t j = k + 1; j < nums; ++j) pick[j] = pick[j - 1] + 1;
    }
    for (size_t i : best_pick) chosen.push_back(collected_[i]);
  }
  collected_ = std::move(chosen);
}

double NodeFitter::ScoreAfterPlacement(const PodInput& pod) const {
  // The node's totals plus the pod's collapsed booking per device (sched/usage.h).
  UsageFigures total = node_base_;
  const auto n_init = static_cast<int32_t>(pod.requests.init.size());
  for (size_t i = 0; i < grants_.size(); ++i) {
    const int32_t device = grants_[i].device;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = grants_[j].device == device;
    if (seen) continue;  // each device is booked once, from all of its grants
    int64_t init_slots = 0, app_slots = 0, init_mem = 0, app_mem = 0, init_cores = 0,
            app_cores = 0;
    for (size_t j = i; j < grants_.size(); ++j) {
      const auto& g = grants_[j];
      if (g.device != device) continue;
      if (g.container < n_init) {
        init_slots = 1;
        init_mem = std::max(init_mem, g.mem);
        init_cores = std::max(init_cores, g.cores);
      } else {
        app_slots += 1;
        app_mem += g.mem;
        app_cores += g.cores;
      }
    }
    total.used += std::max(init_slots, app_slots);
    total.usedmem += std::max(init_mem, app_mem);
    total.usedcores += std::max(init_cores, app_cores);
  }
  return WeightedUtilization(total, ScoreWeights{});
}

}  // namespace hami::sched
