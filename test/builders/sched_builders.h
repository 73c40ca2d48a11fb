// Builders for scheduling-core tests and benchmarks: NodeBuilder().Gpus(4, 16384)... and
// RequestBuilder().Gpu(1).MemMiB(3000).Cores(30). Header-only; test code only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/device.h"
#include "model/request.h"
#include "sched/pod_input.h"
#include "sched/snapshot.h"
#include "vendor/nvidia/wire.h"

namespace hami::testing {

class NodeBuilder {
 public:
  explicit NodeBuilder(std::string name) { node_.name = std::move(name); }

  // Adds `n` healthy NVIDIA GPUs of `mem` MiB, 100 cores, split count 10.
  NodeBuilder& Gpus(int n, int32_t mem = 16384, const std::string& type = "NVIDIA-Tesla T4",
                    int32_t numa = 0) {
    for (int i = 0; i < n; ++i) {
      sched::DeviceState d;
      const auto index = static_cast<int32_t>(node_.devices.size());
      d.info.id = node_.name + "-GPU-" + std::to_string(index);
      d.info.index = index;
      d.info.count = 10;
      d.info.devmem = mem;
      d.info.devcore = 100;
      d.info.type = type;
      d.info.numa = numa;
      d.info.mode = model::kModeHamiCore;
      d.info.vendor = vendor::nvidia::kVendorName;
      d.info.health = true;
      node_.devices.push_back(std::move(d));
    }
    return *this;
  }
  // Usage of the device at `pos`.
  NodeBuilder& Use(int pos, int32_t slots, int64_t mem, int64_t cores) {
    auto& usage = node_.devices[pos].usage;
    usage.used = slots;
    usage.usedmem = mem;
    usage.usedcores = cores;
    return *this;
  }
  NodeBuilder& Unhealthy(int pos) {
    node_.devices[pos].info.health = false;
    return *this;
  }
  NodeBuilder& Cordon(int pos) {
    node_.cordoned.insert(node_.devices[pos].info.id);
    return *this;
  }
  NodeBuilder& Split(int pos, int32_t count) {
    node_.devices[pos].info.count = count;
    return *this;
  }
  NodeBuilder& Mode(int pos, std::string mode) {
    node_.devices[pos].info.mode = std::move(mode);
    return *this;
  }
  NodeBuilder& Mig(int pos, std::vector<model::Partition> profiles) {
    node_.devices[pos].info.mode = model::kModeMig;
    node_.devices[pos].info.partitions = std::move(profiles);
    return *this;
  }
  NodeBuilder& Pair(int a, int b, int32_t score) {
    node_.topology[node_.devices[a].info.id][node_.devices[b].info.id] = score;
    node_.topology[node_.devices[b].info.id][node_.devices[a].info.id] = score;
    return *this;
  }
  sched::DeviceState& Device(int pos) { return node_.devices[pos]; }
  sched::NodeState Build() const { return node_; }

 private:
  sched::NodeState node_;
};

class RequestBuilder {
 public:
  RequestBuilder() { request_.vendor = vendor::nvidia::kVendorName; }
  RequestBuilder& Gpu(int32_t n) {
    request_.nums = n;
    return *this;
  }
  RequestBuilder& MemMiB(int64_t mib) {
    request_.memreq = mib;
    return *this;
  }
  RequestBuilder& MemPercent(int32_t pct) {
    request_.mem_percentage = pct;
    return *this;
  }
  RequestBuilder& Cores(int64_t cores) {
    request_.coresreq = cores;
    return *this;
  }
  model::ContainerRequests Build() const { return {{request_.vendor, request_}}; }

 private:
  model::DeviceRequest request_;
};

// A pod with the given app containers (and optional init containers).
inline sched::PodInput PodWith(std::vector<model::ContainerRequests> app,
                               std::vector<model::ContainerRequests> init = {}) {
  sched::PodInput pod;
  pod.namespace_name = "default";
  pod.requests.app = std::move(app);
  pod.requests.init = std::move(init);
  return pod;
}

}  // namespace hami::testing
