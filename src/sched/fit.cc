#include "sched/fit.h"

#include <algorithm>
#include <limits>

#include "sched/score.h"

namespace hami::sched {
namespace {

using model::Reason;

const FitRules kStandardRules{};

int64_t Sum(const std::vector<PendingGrant>& grants, int64_t PendingGrant::*field) {
  int64_t total = 0;
  for (const auto& g : grants) total += g.*field;
  return total;
}

bool Overlaps(const model::Placement& a, const model::Placement& b) {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}

int64_t PairScore(const model::TopologyScores& topology, const std::string& a,
                  const std::string& b) {
  auto it = topology.find(a);
  if (it == topology.end()) return 0;
  auto jt = it->second.find(b);
  return jt == it->second.end() ? 0 : jt->second;
}

// FitRules::cores_percent_of_device: what a percentage books of a device with `devcore` units.
int64_t CoresOfDevice(int64_t devcore, int64_t percent, bool whole_memory) {
  if (percent > 0) return std::max<int64_t>(1, std::min(devcore, devcore * percent / 100));
  return whole_memory ? devcore : 0;
}

bool HasPlacements(const model::DeviceInfo& info) {
  return std::any_of(info.partitions.begin(), info.partitions.end(),
                     [](const model::Partition& p) { return !p.placements.empty(); });
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
  score_ = ScoreAfterPlacement(node, pod);
  return true;
}

bool NodeFitter::FitContainer(const NodeState& node, const PodInput& pod, int32_t container,
                              const model::ContainerRequests& requests, bool init,
                              const std::map<std::string, QuotaState>* quotas) {
  for (const auto& [vendor, request] : requests) {
    if (request.nums <= 0) continue;
    const VendorFit* fit = pod.For(vendor).fit;
    if (fit != nullptr && fit->rules().node_served_hook && fit->ServedByNode(node, request)) {
      continue;
    }
    const QuotaState* quota = nullptr;
    if (quotas != nullptr) {
      auto it = quotas->find(vendor);
      if (it != quotas->end()) quota = &it->second;
    }
    if (!FitRequest(node, pod, container, request, init, quota)) return false;
    for (const auto& grant : collected_) {
      auto& w = work_[grant.device];
      w.used += grant.slots;
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
    UsageFigures figures{w.used + 1,
                         info.count,
                         w.usedcores + coresreq,
                         info.devcore,
                         w.usedmem + request.MemoryOn(info.devmem),
                         info.devmem};
    candidates_.push_back({static_cast<int32_t>(i),
                           WeightedUtilization(figures, pod.policy.weights), info.numa, info.index,
                           w.used});
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

NodeFitter::QuotaRoom NodeFitter::RoomFor(const model::DeviceRequest& request, bool init,
                                          const QuotaState* quota) {
  QuotaRoom room{std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()};
  if (quota == nullptr) return room;
  const QuotaSpent* spent = nullptr;
  for (const auto& s : app_spent_) {
    if (s.vendor == request.vendor) spent = &s;
  }
  const int64_t spent_mem = (!init && spent) ? spent->mem : 0;
  const int64_t spent_cores = (!init && spent) ? spent->cores : 0;
  if (quota->mem_limit) room.mem = *quota->mem_limit - quota->used_mem - spent_mem;
  if (quota->core_limit) room.cores = *quota->core_limit - quota->used_cores - spent_cores;
  return room;
}

bool NodeFitter::FitRequest(const NodeState& node, const PodInput& pod, int32_t container,
                            const model::DeviceRequest& request, bool init,
                            const QuotaState* quota) {
  failure_ = {};
  collected_.clear();
  const VendorInput& vendor = pod.For(request.vendor);
  const FitRules& rules = vendor.fit != nullptr ? vendor.fit->rules() : kStandardRules;
  const DeviceSelector& selector = vendor.selector;
  ScoreCandidates(node, pod, request);
  const CandidateOrder order(pod.policy.gpu, selector.numa_bind);
  const auto candidates = static_cast<int32_t>(candidates_.size());
  failure_.candidates = candidates;

  // A device with placed partitions (MIG) may give one container several instances.
  auto revisitable = [&] {
    return std::any_of(candidates_.begin(), candidates_.end(), [&](const Candidate& c) {
      return HasPlacements(node.devices[c.device].info);
    });
  };
  if (request.nums > candidates && !revisitable()) {
    failure_.Add(Reason::kNodeInsufficientDevice);
    return false;
  }
  RequestView view;
  if (rules.gate_hook) {
    if (auto reason = vendor.fit->Gate(node, pod, selector, request, &view)) {
      failure_.Add(*reason, candidates);
      return false;
    }
  }

  const QuotaRoom room = RoomFor(request, init, quota);
  const bool select = rules.select_hook && request.nums >= rules.select_min_nums;
  const bool pair_topology = pod.policy.gpu.topology_aware && !rules.select_hook;
  const bool collect_all = pair_topology || select;
  int32_t remaining = request.nums;
  bool numa_seen = false;
  int32_t numa = 0;
  for (size_t c = 0; c < candidates_.size() && (collect_all || remaining > 0); ++c) {
    SelectNext(c, order);
    const int32_t pos = candidates_[c].device;
    const auto& info = node.devices[pos].info;
    if (!info.health) {
      failure_.Add(rules.unhealthy);
      continue;
    }
    if (node.cordoned.count(info.id) != 0) {
      failure_.Add(Reason::kCardCordoned);
      continue;
    }
    if (!selector.TypeAllowed(info)) {
      failure_.Add(Reason::kCardTypeMismatch);
      continue;
    }
    if (selector.numa_bind && (!numa_seen || info.numa != numa)) {
      if (!collected_.empty()) {
        failure_.Add(Reason::kNumaNotFit, static_cast<int32_t>(collected_.size()));
        collected_.clear();
        remaining = request.nums;
      }
      numa_seen = true;
      numa = info.numa;
    }
    const size_t before = collected_.size();
    TryDevice(node, pod, vendor, rules, view, container, request, room, pos);
    if (collected_.size() == before || collect_all) continue;
    --remaining;
    const PendingGrant& taken = collected_.back();
    if (remaining > 0 && taken.partition >= 0 &&
        !info.partitions[taken.partition].placements.empty()) {
      --c;  // the same device may give this container another instance
    }
  }

  const auto nums = static_cast<size_t>(request.nums);
  if (select) {
    chosen_.clear();
    const model::NodeFailure before = failure_;
    vendor.fit->Select({node, pod, selector, request, work_, collected_, grants_}, &chosen_,
                       &failure_);
    if (chosen_.size() == nums) {
      std::vector<PendingGrant> picked;
      picked.reserve(nums);
      for (size_t i : chosen_) picked.push_back(collected_[i]);
      collected_ = std::move(picked);
      failure_ = {};
      return true;
    }
    if (failure_ == before && !collected_.empty()) {
      failure_.Add(Reason::kAllocatedCardsInsufficientRequest,
                   static_cast<int32_t>(collected_.size()));
    }
    return false;
  }
  if (pair_topology && collected_.size() > nums) SelectTopology(node, request.nums);
  if ((pair_topology && collected_.size() == nums) || (!collect_all && remaining == 0)) {
    failure_ = {};
    return true;
  }
  if (!collected_.empty()) {
    failure_.Add(Reason::kAllocatedCardsInsufficientRequest,
                 static_cast<int32_t>(collected_.size()));
  }
  return false;
}

void NodeFitter::TryDevice(const NodeState& node, const PodInput& pod, const VendorInput& vendor,
                           const FitRules& rules, const RequestView& view, int32_t container,
                           const model::DeviceRequest& request, const QuotaRoom& room,
                           int32_t pos) {
  const auto& info = node.devices[pos].info;
  if (rules.check_uuid && !vendor.selector.UuidAllowed(info)) {
    failure_.Add(Reason::kCardUuidMismatch);
    return;
  }
  // This request's earlier picks on the same device (partitions) count as used.
  WorkUsage usage = work_[pos];
  for (const auto& g : collected_) {
    if (g.device != pos) continue;
    usage.used += g.slots;
    usage.usedmem += g.mem;
    usage.usedcores += g.cores;
  }
  PendingGrant grant{container, request.vendor, pos, request.MemoryOn(info.devmem), 0, 1, -1, {}};
  grant.cores = rules.clamp_cores ? std::min<int64_t>(request.coresreq, 100) : request.coresreq;
  ShapeChoice shape;
  if (!info.partitions.empty()) {
    shape = ChooseShape(node, pos, request, grant.mem, grant.cores);
    if (shape.index < 0) {
      failure_.Add(HasPlacements(info) ? Reason::kCardMigTopologyInfeasible
                                       : Reason::kCardInsufficientMemory);
      return;
    }
    const model::Partition& p = info.partitions[shape.index];
    grant.partition = shape.index;
    grant.placement = shape.placement;
    grant.mem = p.memory_mib;
    if (p.core >= 0) grant.cores = p.core;
    grant.slots = p.slots;
  } else if (!request.partition.empty() || request.partition_slices > 0) {
    failure_.Add(Reason::kCardTypeMismatch);  // a shape was asked of an uncut device
    return;
  }
  if (rules.check_slots && info.count < usage.used + grant.slots) {
    failure_.Add(Reason::kCardTimeSlicingExhausted);
    return;
  }
  if ((rules.check_mutex && pod.policy.gpu.mutex && usage.used > 0) ||
      (rules.whole_device && usage.used > 0)) {
    failure_.Add(Reason::kExclusiveDeviceAllocateConflict);
    return;
  }
  if (rules.one_device_per_pod && OtherDeviceOfPod(request.vendor, pos)) {
    failure_.Add(Reason::kCardNotFoundCustomFilterRule);
    return;
  }
  const int64_t devcore = view.devcore > 0 ? view.devcore : info.devcore;
  if (rules.cores_percent_of_device && grant.partition < 0) {
    grant.cores = CoresOfDevice(devcore, grant.cores, grant.mem >= info.devmem);
  }
  if (rules.device_hook) {
    DeviceCheck check{node,    pos,       usage,      work_, pod, vendor.selector,
                      request, grant.mem, grant.cores};
    if (auto reason = vendor.fit->CheckDevice(check)) {
      failure_.Add(*reason);
      return;
    }
    grant.mem = check.memreq;
    grant.cores = check.cores;
  }
  if (Sum(collected_, &PendingGrant::mem) + grant.mem > room.mem ||
      Sum(collected_, &PendingGrant::cores) + grant.cores > room.cores) {
    failure_.Add(Reason::kResourceQuotaNotFit);
    return;
  }
  if (info.devmem - usage.usedmem < grant.mem) {
    failure_.Add(Reason::kCardInsufficientMemory);
    return;
  }
  if (rules.check_cores) {
    if (devcore - usage.usedcores < grant.cores) {
      failure_.Add(Reason::kCardInsufficientCore);
      return;
    }
    if (devcore == 100 && grant.cores == 100 && usage.used > 0) {
      failure_.Add(Reason::kExclusiveDeviceAllocateConflict);
      return;
    }
    if (devcore != 0 && usage.usedcores == devcore && grant.cores == 0) {
      failure_.Add(Reason::kCardComputeUnitsExhausted);
      return;
    }
  }
  if (!shape.placement_free) {
    failure_.Add(Reason::kCardMigTopologyInfeasible);
    return;
  }
  collected_.push_back(grant);
}

bool NodeFitter::OtherDeviceOfPod(std::string_view vendor, int32_t device) const {
  return std::any_of(grants_.begin(), grants_.end(), [&](const PendingGrant& g) {
    return g.vendor == vendor && g.device != device;
  });
}

bool NodeFitter::PlacementFree(const NodeState& node, int32_t device,
                               const model::Placement& placement) const {
  for (const auto& booked : node.devices[device].usage.partitions) {
    if (Overlaps(booked.placement, placement)) return false;
  }
  for (const auto* list : {&grants_, &collected_}) {
    for (const auto& g : *list) {
      if (g.device == device && g.partition >= 0 && Overlaps(g.placement, placement)) return false;
    }
  }
  return true;
}

NodeFitter::ShapeChoice NodeFitter::ChooseShape(const NodeState& node, int32_t device,
                                                const model::DeviceRequest& request, int64_t memreq,
                                                int64_t cores) const {
  const auto& shapes = node.devices[device].info.partitions;
  // The smallest shape that holds the request (memory, then fewest slices); among those the
  // smallest with a free placement.
  auto smaller = [&](int32_t a, int32_t b) {
    if (b < 0) return true;
    const auto& x = shapes[a];
    const auto& y = shapes[b];
    if (x.memory_mib != y.memory_mib) return x.memory_mib < y.memory_mib;
    return x.slices < y.slices;
  };
  ShapeChoice holding, free;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto& p = shapes[i];
    const auto index = static_cast<int32_t>(i);
    if (!request.partition.empty() && p.name != request.partition) continue;
    if (request.partition_slices > 0 && p.slices != request.partition_slices) continue;
    if (p.memory_mib < memreq) continue;
    if (p.core >= 0 && cores > 0 && p.core < cores) continue;
    if (smaller(index, holding.index)) holding.index = index;
    if (!smaller(index, free.index)) continue;
    if (p.placements.empty()) {
      free.index = index;
      free.placement = {};
      continue;
    }
    for (const auto& candidate : p.placements) {
      if (PlacementFree(node, device, candidate)) {
        free.index = index;
        free.placement = candidate;
        break;
      }
    }
  }
  if (free.index >= 0) return free;
  holding.placement_free = holding.index < 0;  // holding shapes exist but none has room
  return holding;
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
      if (sum < best_sum) {
        best_sum = sum;
        best = i;
      }
    }
    chosen.push_back(collected_[best]);
  } else {
    // The nums-subset with the highest total pair score (negative and missing scores included);
    // the first found wins ties.
    std::vector<size_t> pick(nums), best_pick;
    int64_t best_sum = std::numeric_limits<int64_t>::min();
    for (int32_t i = 0; i < nums; ++i) pick[i] = i;
    while (true) {
      int64_t sum = 0;
      for (size_t a = 0; a < pick.size(); ++a) {
        for (size_t b = a + 1; b < pick.size(); ++b) {
          sum += PairScore(node.topology, uuid(pick[a]), uuid(pick[b]));
        }
      }
      if (best_pick.empty() || sum > best_sum) {
        best_sum = sum;
        best_pick = pick;
      }
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

double NodeFitter::ScoreAfterPlacement(const NodeState& node, const PodInput& pod) const {
  // The node's totals plus the pod's collapsed booking per device (sched/usage.h).
  UsageFigures total = node_base_;
  const auto n_init = static_cast<int32_t>(pod.requests.init.size());
  for (size_t i = 0; i < grants_.size(); ++i) {
    const int32_t device = grants_[i].device;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; ++j) seen = grants_[j].device == device;
    if (seen) continue;  // each device is booked once, from all of its grants
    int64_t init_slots = 0, app_slots = 0, init_mem = 0, app_mem = 0, init_cores = 0, app_cores = 0;
    for (size_t j = i; j < grants_.size(); ++j) {
      const auto& g = grants_[j];
      if (g.device != device) continue;
      if (g.container < n_init) {
        init_slots = std::max<int64_t>(init_slots, g.slots);
        init_mem = std::max(init_mem, g.mem);
        init_cores = std::max(init_cores, g.cores);
      } else {
        app_slots += g.slots;
        app_mem += g.mem;
        app_cores += g.cores;
      }
    }
    total.used += std::max(init_slots, app_slots);
    total.usedmem += std::max(init_mem, app_mem);
    total.usedcores += std::max(init_cores, app_cores);
  }
  double score = WeightedUtilization(total, ScoreWeights{});
  for (const auto& [name, vendor] : pod.vendors) {
    if (vendor.fit != nullptr && vendor.fit->rules().score_hook) {
      score += vendor.fit->ScoreNode(node, pod, grants_, pod.policy.node);
    }
  }
  return score;
}

}  // namespace hami::sched
