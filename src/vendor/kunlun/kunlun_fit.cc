#include "vendor/kunlun/kunlun_fit.h"

#include <algorithm>

#include "sched/pod_input.h"
#include "vendor/kunlun/topology.h"
#include "vendor/kunlun/wire.h"

namespace hami::vendor::kunlun {
namespace {

using model::Reason;

sched::FitRules WholeRules() {
  sched::FitRules r;
  r.check_slots = false;
  r.check_mutex = false;  // whole_device already refuses every used card
  r.whole_device = true;  // Used > 0 -> not a candidate
  r.check_cores = false;
  r.cores_percent_of_device = true;  // the pick books the card's devcore (and its devmem)
  r.select_hook = true;
  r.score_hook = true;
  return r;
}

sched::FitRules VxpuRules() {
  sched::FitRules r;
  r.check_slots = false;  // upstream never compares count with used for vXPUs
  r.check_cores = false;  // cores follow memory; FitVXPU checks memory only
  r.device_hook = true;
  r.select_hook = true;
  return r;
}

// Devices of the request's vendor that failed the UUID selectors, and their number.
int32_t UuidMismatches(const sched::SelectInput& in) {
  int32_t n = 0;
  for (const auto& d : in.node.devices) {
    if (d.info.vendor == in.request.vendor && !in.selector.UuidAllowed(d.info)) ++n;
  }
  return n;
}

// An empty failure over the request's vendor's devices on the node.
model::NodeFailure Failure(const sched::SelectInput& in) {
  model::NodeFailure f;
  for (const auto& d : in.node.devices) f.candidates += d.info.vendor == in.request.vendor;
  return f;
}

}  // namespace

void TopologyFit::Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
                         model::NodeFailure* failure) const {
  const std::vector<int32_t> order = SlotOrder(in.node, in.request.vendor);
  std::vector<bool> fits(order.size(), false);
  std::vector<size_t> collected_at(order.size(), 0);
  for (size_t c = 0; c < in.collected.size(); ++c) {
    const auto rank = std::find(order.begin(), order.end(), in.collected[c].device) - order.begin();
    if (rank == static_cast<std::ptrdiff_t>(order.size())) continue;
    fits[rank] = true;
    collected_at[rank] = c;
  }
  const std::vector<int32_t> ranks = SelectRanks(fits, in.request.nums);
  if (!ranks.empty() && static_cast<int32_t>(ranks.size()) == in.request.nums) {
    for (int32_t r : ranks) chosen->push_back(collected_at[r]);
    return;
  }
  *failure = Explain(in);
}

WholeFit::WholeFit() : TopologyFit(WholeRules()) {}

model::NodeFailure WholeFit::Explain(const sched::SelectInput& in) const {
  model::NodeFailure f = Failure(in);
  if (int32_t uuid = UuidMismatches(in); uuid > 0) {
    f.Add(Reason::kCardUuidMismatch, uuid);
  } else {
    f.Add(Reason::kNumaNotFit);
  }
  return f;
}

double WholeFit::ScoreNode(const sched::NodeState& node, const sched::PodInput& pod,
                           std::span<const sched::PendingGrant> grants,
                           sched::NodePolicy policy) const {
  const std::vector<int32_t> order = SlotOrder(node, kWholeVendorName);
  std::vector<bool> in_pod(order.size(), false);
  for (const auto& g : grants) {
    if (g.vendor != kWholeVendorName) continue;
    const auto rank = std::find(order.begin(), order.end(), g.device) - order.begin();
    if (rank < static_cast<std::ptrdiff_t>(order.size())) in_pod[rank] = true;
  }
  int prev_left = 0, prev_right = 0, cur_left = 0, cur_right = 0;
  for (size_t r = 0; r < order.size(); ++r) {
    const bool left = static_cast<int>(r % kBoardSize) < kWingSize;
    if (node.devices[order[r]].usage.used > 0) ++(left ? prev_left : prev_right);
    if (in_pod[r]) ++(left ? cur_left : cur_right);
  }
  return BubbleScore(prev_left, prev_right, cur_left, cur_right);
}

VxpuFit::VxpuFit() : TopologyFit(VxpuRules()) {}

std::optional<model::Reason> VxpuFit::CheckDevice(sched::DeviceCheck& check) const {
  const sched::WorkUsage& u = check.usage;
  if (u.used > 0 && u.usedmem / u.used != check.memreq) {
    return Reason::kCardNotFoundCustomFilterRule;
  }
  return std::nullopt;
}

model::NodeFailure VxpuFit::Explain(const sched::SelectInput& in) const {
  int32_t exclusive = 0;
  const int64_t memreq = in.request.memreq;
  for (size_t i = 0; i < in.node.devices.size(); ++i) {
    const auto& info = in.node.devices[i].info;
    if (info.vendor != in.request.vendor) continue;
    const sched::WorkUsage& u = in.work[i];
    const bool shareable = info.health && memreq + u.usedmem <= info.devmem && u.used > 0 &&
                           u.usedmem / u.used == memreq;
    if (in.pod.policy.gpu.mutex && shareable && in.selector.UuidAllowed(info)) ++exclusive;
  }
  model::NodeFailure f = Failure(in);
  const int32_t uuid = UuidMismatches(in);
  if (uuid > 0) f.Add(Reason::kCardUuidMismatch, uuid);
  if (exclusive > 0) f.Add(Reason::kExclusiveDeviceAllocateConflict, exclusive);
  if (f.Empty()) f.Add(Reason::kNumaNotFit);
  return f;
}

}  // namespace hami::vendor::kunlun
