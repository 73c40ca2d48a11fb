// Test helpers shared by the vendors' fit tests: vendors.md §1.6's standard acceptance table
// (devices of Count 100 and Totalcore 100, requests of nums/memory/percentage/cores) placed on one
// node through the scheduling core with one vendor's selector and fit rules. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sched/fit.h"
#include "sched/policy.h"
#include "vendor/vendor.h"

namespace hami::vendor::testing {

// One device of a table row; defaults as the table's: idle, healthy, 1280 MiB.
struct TableDevice {
  std::string id;
  int32_t totalmem = 1280;
  int32_t used = 0;
  int64_t usedmem = 0;
  int64_t usedcores = 0;
  bool health = true;
};

using Annotations = std::map<std::string, std::string>;

// A node of `vendor`'s devices; `type` is the registered device type (the vendor name unless a
// vendor checks types).
inline sched::NodeState TableNode(const std::string& vendor, const std::vector<TableDevice>& devs,
                                  const std::string& type = "") {
  sched::NodeState node;
  node.name = "node";
  for (size_t i = 0; i < devs.size(); ++i) {
    sched::DeviceState d;
    d.info.id = devs[i].id;
    d.info.index = static_cast<int32_t>(i);
    d.info.count = 100;
    d.info.devmem = devs[i].totalmem;
    d.info.devcore = 100;
    d.info.type = type.empty() ? vendor : type;
    d.info.vendor = vendor;
    d.info.health = devs[i].health;
    d.usage.used = devs[i].used;
    d.usage.usedmem = devs[i].usedmem;
    d.usage.usedcores = devs[i].usedcores;
    node.devices.push_back(std::move(d));
  }
  return node;
}

inline model::DeviceRequest TableRequest(const std::string& vendor, int32_t nums, int64_t mem,
                                         int32_t pct, int64_t cores) {
  model::DeviceRequest r;
  r.vendor = vendor;
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

// Places `request` (one app container) on `node` with `vendor`'s selector for a pod carrying
// `annotations`: "fit <id>:<mem>/<cores> ..." in grant order, or upstream's rendered reasons.
inline std::string FitOutcome(const Vendor& vendor, const sched::NodeState& node,
                              const model::DeviceRequest& request,
                              const Annotations& annotations = {},
                              const std::map<std::string, sched::QuotaState>* quotas = nullptr) {
  model::Pod pod;
  pod.name = "p";
  pod.annotations = annotations;
  sched::PodInput input;
  input.requests.app.push_back({{request.vendor, request}});
  input.vendors[request.vendor] = {*vendor.Selector(pod), &vendor.Fit()};
  input.policy = *sched::PolicyForPod(pod.annotations, sched::Policy{});
  sched::NodeFitter fitter;
  if (!fitter.FitPod(node, input, quotas)) return model::RenderReasons(fitter.failure());
  std::string out = "fit";
  for (const auto& g : fitter.grants()) {
    out += " " + node.devices[g.device].info.id + ":" + std::to_string(g.mem) + "/" +
           std::to_string(g.cores);
  }
  return out;
}

// One row of the table: devices, request, the pod's annotations and the outcome FitOutcome gives.
struct TableRow {
  const char* name;
  std::vector<TableDevice> devices;
  model::DeviceRequest request;
  Annotations annotations;
  std::string want;
};

// Runs every row on a node of `vendor`'s devices (registered as `type`, see TableNode).
inline void ExpectTable(const Vendor& vendor, const std::vector<TableRow>& rows,
                        const std::string& type = "") {
  for (const auto& row : rows) {
    EXPECT_EQ(FitOutcome(vendor, TableNode(row.request.vendor, row.devices, type), row.request,
                         row.annotations),
              row.want)
        << row.name;
  }
}

}  // namespace hami::vendor::testing
