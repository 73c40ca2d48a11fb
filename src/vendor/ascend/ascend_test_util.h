// Test helpers shared by the Ascend tests: the chart's `vnpus:` block (all seven chips, core
// resource names, 910C SuperPod), registries built from it, containers, devices and a one-node
// placement through sched::Decide rendered as a string. Test-only.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sched/decide.h"
#include "vendor/ascend/wire.h"
#include "vendor/registry.h"

namespace hami::vendor::ascend::fixture {

// Templates of one chip in the chart's form.
inline nlohmann::json ChartChip(const std::string& chip, const std::string& cw, int allocatable,
                                int capacity, nlohmann::json templates, bool super_pod = false) {
  nlohmann::json entry = {{"chipName", chip},
                          {"commonWord", cw},
                          {"resourceName", "huawei.com/" + cw},
                          {"resourceMemoryName", "huawei.com/" + cw + "-memory"},
                          {"resourceCoreName", "huawei.com/" + cw + "-core"},
                          {"memoryAllocatable", allocatable},
                          {"memoryCapacity", capacity},
                          {"memoryFactor", 1},
                          {"aiCore", 20},
                          {"aiCPU", 7},
                          {"templates", std::move(templates)}};
  if (super_pod) entry["superPod"] = true;
  return entry;
}

inline nlohmann::json T(const std::string& name, int memory) {
  return {{"name", name}, {"memory", memory}, {"aiCore", 1}, {"aiCPU", 1}};
}

// The chart's device-config `vnpus:` block.
inline nlohmann::json ChartVnpus(bool hami_vnpu_core = false) {
  using nlohmann::json;
  return {
      {"hamiVnpuCore", hami_vnpu_core},
      {"configs",
       json::array({
           ChartChip("910A", "Ascend910A", 32768, 32768,
                     {T("vir02", 2184), T("vir04", 4369), T("vir08", 8738), T("vir16", 17476)}),
           ChartChip("910B2", "Ascend910B2", 65536, 65536,
                     {T("vir03_1c_8g", 8192), T("vir06_1c_16g", 16384), T("vir12_3c_32g", 32768)}),
           ChartChip("910B3", "Ascend910B3", 65536, 65536,
                     {T("vir05_1c_16g", 16384), T("vir10_3c_32g", 32768)}),
           ChartChip("910B4-1", "Ascend910B4-1", 65536, 65536,
                     {T("vir05_1c_16g", 16384), T("vir10_3c_32g", 32768)}),
           ChartChip("910B4", "Ascend910B4", 32768, 32768,
                     {T("vir05_1c_8g", 8192), T("vir10_3c_16g", 16384)}),
           ChartChip("310P3", "Ascend310P", 21527, 24576,
                     {T("vir01", 3072), T("vir02", 6144), T("vir04", 12288)}),
           ChartChip("Ascend910", "Ascend910C", 65536, 65536,
                     {T("vir05_1c_16g", 16384), T("vir10_3c_32g", 32768)}, true),
       })}};
}

inline Registry ChartRegistry(bool hami_vnpu_core = false) {
  auto r = Registry::Create({nlohmann::json{{kConfigBlock, ChartVnpus(hami_vnpu_core)}}},
                            {{kEnableFlag, "true"}});
  if (!r.ok()) {
    std::fprintf(stderr, "chart vnpus config: %s\n", r.error().ToString().c_str());
    std::abort();
  }
  return std::move(*r);
}

inline model::Container C(model::ResourceList limits, model::ResourceList requests = {}) {
  model::Container c;
  c.name = "main";
  c.limits = std::move(limits);
  c.requests = std::move(requests);
  return c;
}

inline model::DeviceRequest Req(const std::string& cw, int32_t nums, int64_t mem, int32_t pct,
                                int64_t cores) {
  model::DeviceRequest r;
  r.vendor = cw;
  r.nums = nums;
  r.memreq = mem;
  r.mem_percentage = pct;
  r.coresreq = cores;
  return r;
}

// One NPU as the device plugin registers it (count 100 and devcore 100 as in the tables).
struct Npu {
  Npu(std::string id, int32_t totalmem = 1280, int32_t used = 0, int64_t usedcores = 0,
      bool health = true, int32_t index = -1, std::string network_id = "", int32_t devcore = 100)
      : id(std::move(id)),
        totalmem(totalmem),
        used(used),
        usedcores(usedcores),
        health(health),
        index(index),
        network_id(std::move(network_id)),
        devcore(devcore) {}
  std::string id;
  int32_t totalmem;
  int32_t used;
  int64_t usedcores;
  bool health;
  int32_t index;           // -1: its position
  std::string network_id;  // "" = no NetworkID
  int32_t devcore;
};

inline sched::NodeState Node(const std::string& cw, const std::vector<Npu>& npus,
                             std::map<std::string, std::string> attributes = {}) {
  sched::NodeState node;
  node.name = "node";
  node.attributes = std::move(attributes);
  for (size_t i = 0; i < npus.size(); ++i) {
    const Npu& n = npus[i];
    sched::DeviceState d;
    d.usage.used = n.used;
    d.usage.usedcores = n.usedcores;
    d.info.index = n.index >= 0 ? n.index : static_cast<int32_t>(i);
    d.info.count = 100;
    d.info.devmem = n.totalmem;
    d.info.devcore = n.devcore;
    d.info.health = n.health;
    d.info.vendor = cw;
    d.info.id = n.id;
    d.info.type = cw;
    if (!n.network_id.empty()) d.info.attributes[kNetworkIdAttribute] = n.network_id;
    node.devices.push_back(std::move(d));
  }
  return node;
}

// "fit:<uuid>:<mem>:<cores>,..." (in grant order) or the rendered reasons.
inline std::string Place(const Registry& registry, const sched::NodeState& node,
                         const model::DeviceRequest& request,
                         std::map<std::string, std::string> annotations = {}) {
  model::Pod pod;
  pod.name = "p";
  pod.annotations = std::move(annotations);
  const Vendor* v = registry.Find(request.vendor);
  sched::PodInput input;
  input.requests.app = {{{request.vendor, request}}};
  input.vendors[request.vendor] = {*v->Selector(pod), &v->Fit()};
  input.policy = *sched::PolicyForPod(pod.annotations, sched::Policy{});
  const sched::NodeState* nodes[] = {&node};
  auto d = sched::Decide(nodes, input, nullptr);
  if (!d.chosen) return model::RenderReasons(d.failures.at(0).second);
  std::string out = "fit:";
  for (const auto& g : d.devices.at(request.vendor).at(0)) {
    if (out.size() > 4) out += ",";
    out += g.uuid + ":" + std::to_string(g.usedmem) + ":" + std::to_string(g.usedcores);
  }
  return out;
}

}  // namespace hami::vendor::ascend::fixture
