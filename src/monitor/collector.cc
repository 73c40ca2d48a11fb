#include "monitor/collector.h"

#include <algorithm>
#include <map>
#include <set>

#include "codec/mig_allocations.h"
#include "monitor/region_trust.h"

namespace hami::monitor {
namespace {

void AddMigSamples(const PodRef& pod, std::vector<MigSample>* out) {
  if (pod.mig_allocations.empty()) return;
  auto entries = codec::DecodeMigAllocations(pod.mig_allocations);
  if (!entries.ok()) return;
  for (const model::MigAllocation& a : *entries) {
    if (a.mig_uuid.empty() || a.gpu_instance_id < 0 || a.compute_instance_id < 0) continue;
    if (a.container_index < 0 || a.container_index >= static_cast<int>(pod.containers.size())) {
      continue;
    }
    out->push_back({pod.namespace_name, pod.name, pod.containers[a.container_index], a.device_index,
                    a.gpu_uuid, a.mig_uuid, a.profile, a.gpu_instance_id, a.compute_instance_id});
  }
}

}  // namespace

// Snapshot::processes from the containers' pids and the GPUs' per-process utilization.
void AddProcessSamples(Snapshot* s) {
  std::map<int32_t, int> claims;
  for (const ContainerSample& c : s->containers) {
    for (int32_t pid : std::set<int32_t>(c.reading.pids.begin(), c.reading.pids.end())) {
      ++claims[pid];
    }
  }
  for (const ContainerSample& c : s->containers) {
    const std::set<int32_t> pids(c.reading.pids.begin(), c.reading.pids.end());
    for (size_t i = 0; i < c.reading.devices.size(); ++i) {
      const DeviceReading& d = c.reading.devices[i];
      if (!d.uuid_valid) continue;
      auto gpu = std::find_if(s->gpus.begin(), s->gpus.end(),
                              [&](const HostGpu& g) { return g.uuid == d.uuid; });
      if (gpu == s->gpus.end() || !gpu->process_sm_util) continue;
      for (int32_t pid : pids) {
        auto util = gpu->process_sm_util->find(pid);
        if (util == gpu->process_sm_util->end() || claims[pid] != 1) continue;
        s->processes.push_back({c.namespace_name, c.pod, c.container, static_cast<int>(i),
                                d.uuid_label, pid, util->second});
      }
    }
  }
}

Snapshot BuildSnapshot(std::string node, int64_t now_unix, std::vector<HostGpu> gpus,
                       const std::vector<RegionSample>& regions,
                       const std::optional<std::vector<PodRef>>& pods, MonitorStats stats) {
  Snapshot s;
  s.node = std::move(node);
  s.now_unix = now_unix;
  s.gpus = std::move(gpus);
  s.stats = std::move(stats);
  const PodIndex index(pods);
  const std::map<std::string, uint64_t> device_memory = DeviceMemoryByUuid(s.gpus);
  for (const RegionSample& r : regions) {
    Verdict verdict =
        VerifyRegion(r.reading, index.Lookup(r.pod_uid, r.container), device_memory, now_unix);
    if (!verdict.exported && !verdict.unverified) continue;
    ContainerSample c;
    c.pod_uid = r.pod_uid;
    c.container = r.container;
    c.reading = std::move(verdict.reading);
    c.pod = r.pod_uid;
    if (const PodRef* pod = index.Find(r.pod_uid)) {
      c.namespace_name = pod->namespace_name;
      c.pod = pod->name;
      c.pod_known = true;
      if (verdict.unverified) c.scheduler = pod->scheduler_name;
    }
    (verdict.unverified ? s.unverified : s.containers).push_back(std::move(c));
  }
  for (auto* list : {&s.containers, &s.unverified}) {
    std::sort(list->begin(), list->end(), [](const auto& a, const auto& b) {
      return std::tie(a.namespace_name, a.pod, a.container) <
             std::tie(b.namespace_name, b.pod, b.container);
    });
  }
  if (pods) {
    for (const PodRef& p : *pods) AddMigSamples(p, &s.migs);
  }
  AddProcessSamples(&s);
  return s;
}

}  // namespace hami::monitor
