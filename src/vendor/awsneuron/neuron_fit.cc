#include "vendor/awsneuron/neuron_fit.h"

#include <bit>
#include <map>
#include <string>

#include "base/strings.h"
#include "vendor/awsneuron/request.h"
#include "vendor/awsneuron/wire.h"

namespace hami::vendor::awsneuron {
namespace {

sched::FitRules Rules() {
  sched::FitRules rules;
  rules.clamp_cores = false;  // coresreq counts cores, not percent
  rules.check_cores = false;  // cores are a mask, not a sum: CheckDevice decides
  rules.device_hook = true;
  rules.select_hook = true;
  rules.select_min_nums = 2;  // one device: the first that fits
  return rules;
}

// The instance type the node's Neuron devices carry ("" when the label is absent).
std::string InstanceType(const sched::NodeState& node, const std::string& vendor) {
  for (const auto& d : node.devices) {
    if (d.info.vendor != vendor) continue;
    auto it = d.info.attributes.find(kNodeTypeAttribute);
    return it == d.info.attributes.end() ? "" : it->second;
  }
  return "";
}

// The first run of `n` consecutive device indices, all in `idle` (index -> position in collected),
// starting at a multiple of `step`.
std::vector<size_t> FirstRun(const std::map<int32_t, size_t>& idle, int32_t n, int32_t step) {
  for (const auto& [start, unused] : idle) {
    if (start % step != 0) continue;
    std::vector<size_t> run;
    for (int32_t i = start; i < start + n; ++i) {
      auto it = idle.find(i);
      if (it == idle.end()) break;
      run.push_back(it->second);
    }
    if (run.size() == static_cast<size_t>(n)) return run;
  }
  return {};
}

}  // namespace

uint32_t LowestBits(uint32_t mask, int count) {
  uint32_t out = 0;
  for (int taken = 0; mask != 0 && taken < count; ++taken) {
    const uint32_t bit = mask & (~mask + 1);
    out |= bit;
    mask &= ~bit;
  }
  return out;
}

bool IsRingInstance(const std::string& instance_type) {
  return base::Contains(instance_type, "inf") || base::Contains(instance_type, "Inf");
}

NeuronFit::NeuronFit() : sched::VendorFit(Rules()) {}

std::optional<model::Reason> NeuronFit::CheckDevice(sched::DeviceCheck& check) const {
  const auto& info = check.node.devices[check.position].info;
  const auto all = static_cast<uint32_t>(info.devcore);
  const int64_t used = check.usage.usedcores;
  if (info.devcore <= 0 || used < 0 || (static_cast<uint64_t>(used) & ~uint64_t{all}) != 0) {
    return model::Reason::kCardInsufficientCore;
  }
  const uint32_t free = all & ~static_cast<uint32_t>(used);
  const int64_t want =
      check.request.coresreq == kWholeDevice ? std::popcount(all) : check.request.coresreq;
  if (std::popcount(free) < want) return model::Reason::kCardInsufficientCore;
  check.cores = LowestBits(free, static_cast<int>(want));
  check.memreq = 0;
  return std::nullopt;
}

void NeuronFit::Select(const sched::SelectInput& in, std::vector<size_t>* chosen,
                       model::NodeFailure* failure) const {
  const int32_t n = in.request.nums;
  std::map<int32_t, size_t> idle;
  for (size_t i = 0; i < in.collected.size(); ++i) {
    const int32_t pos = in.collected[i].device;
    if (in.work[pos].used == 0) idle[in.node.devices[pos].info.index] = i;
  }
  int32_t step = 0;
  if (IsRingInstance(InstanceType(in.node, in.request.vendor))) {
    step = 1;
  } else if (n == 4 || n == 8 || n == 16) {
    step = n;
  }
  if (step > 0) {
    std::vector<size_t> run = FirstRun(idle, n, step);
    if (!run.empty()) {
      chosen->insert(chosen->end(), run.begin(), run.end());
      return;
    }
  }
  const int32_t candidates = failure->candidates;
  *failure = {};
  failure->candidates = candidates;
  failure->Add(model::Reason::kNumaNotFit);
}

}  // namespace hami::vendor::awsneuron
