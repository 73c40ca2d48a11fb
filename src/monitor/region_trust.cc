#include "monitor/region_trust.h"

#include <algorithm>
#include <set>

#include "base/strings.h"

namespace hami::monitor {
namespace {

std::string N(uint64_t v) { return std::to_string(v); }

// libvgpu stores "no SM limit" as 0; upstream's regions may hold 100.
uint64_t SmKey(uint64_t pct) { return pct == 0 || pct >= 100 ? 0 : pct; }

bool Contains(const std::vector<uint64_t>& values, uint64_t v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// A verdict being built; a device slot gets at most one fault.
struct Check {
  Verdict& v;
  std::vector<bool> dropped;

  explicit Check(Verdict& verdict) : v(verdict), dropped(verdict.reading.devices.size()) {}
  void Drop(size_t device, const char* reason, std::string detail) {
    dropped[device] = true;
    v.reading.devices[device].uuid_valid = false;
    v.faults.push_back({reason, "device " + std::to_string(device) + " " + std::move(detail)});
  }
};

// Each device slot must name one of `allowed` (UuidKey), at most once; `outside` says what a
// slot naming another device is.
void CheckDevices(Check& c, const std::set<std::string>& allowed, const char* outside) {
  std::set<std::string> seen;
  for (size_t i = 0; i < c.v.reading.devices.size(); ++i) {
    const std::string& uuid = c.v.reading.devices[i].uuid;
    if (uuid.empty()) continue;
    const std::string key = UuidKey(uuid);
    if (allowed.count(key) == 0) {
      c.Drop(i, kFaultForeignDevice, "uuid " + base::Quote(uuid) + " " + outside);
    } else if (!seen.insert(key).second) {
      c.Drop(i, kFaultForeignDevice, "uuid " + base::Quote(uuid) + " listed twice");
    }
  }
}

// Each device slot must name a granted device, at most once.
void CheckIdentity(Check& c, const ContainerGrant& g) {
  std::set<std::string> granted;
  for (const auto* list : {&g.uuids, &g.mig_uuids}) {
    for (const std::string& u : *list) granted.insert(UuidKey(u));
  }
  CheckDevices(c, granted, "is not granted");
}

// A pod of another scheduler: each device slot must name one of this node's GPUs (those NVML
// reports with their memory), at most once.
void CheckNodeDevices(Check& c, const std::map<std::string, uint64_t>& device_memory) {
  std::set<std::string> node;
  for (const auto& [key, memory] : device_memory) node.insert(key);
  CheckDevices(c, node, "is not a GPU of this node");
}

void CheckLimits(Check& c, const ContainerGrant& g) {
  std::vector<uint64_t> sm;
  for (uint64_t s : g.sm_limits) sm.push_back(SmKey(s));
  for (size_t i = 0; i < c.v.reading.devices.size(); ++i) {
    if (c.dropped[i]) continue;
    const DeviceReading& d = c.v.reading.devices[i];
    if (!Contains(g.memory_limits, d.limit)) {
      c.Drop(i, kFaultLimitMismatch, "memory limit " + N(d.limit) + " bytes is not granted");
    } else if (!sm.empty() && !Contains(sm, SmKey(d.sm_limit))) {
      c.Drop(i, kFaultLimitMismatch, "SM limit " + N(d.sm_limit) + " % is not granted");
    }
  }
}

void CheckDeviceBounds(Check& c, const std::map<std::string, uint64_t>& device_memory,
                       bool check_limit) {
  for (size_t i = 0; i < c.v.reading.devices.size(); ++i) {
    if (c.dropped[i]) continue;
    const DeviceReading& d = c.v.reading.devices[i];
    auto it = device_memory.find(UuidKey(d.uuid));
    const uint64_t bound = it != device_memory.end() ? it->second : kUnknownDeviceMemoryBound;
    const uint64_t most = std::max({d.total, d.context, d.module, d.buffer});
    if (most > bound) {
      c.Drop(i, kFaultOutOfBounds, "memory " + N(most) + " bytes exceeds the device's " + N(bound));
    } else if (d.sm_util > 100 || d.sm_limit > 100) {
      c.Drop(i, kFaultOutOfBounds,
             "SM utilization " + N(d.sm_util) + " % / limit " + N(d.sm_limit) + " % above 100");
    } else if (check_limit && d.limit > kUnknownDeviceMemoryBound) {
      c.Drop(i, kFaultOutOfBounds, "memory limit " + N(d.limit) + " bytes");
    }
  }
}

void CheckContainerBounds(Verdict& v, int64_t now_unix) {
  RegionReading& r = v.reading;
  if (r.recent_kernel < -1 || r.recent_kernel > 2) {
    v.faults.push_back({kFaultOutOfBounds, "recent_kernel " + std::to_string(r.recent_kernel)});
    r.recent_kernel = std::clamp(r.recent_kernel, -1, 2);
  }
  if (r.last_kernel_time > static_cast<uint64_t>(now_unix + kLastKernelSkewSeconds)) {
    v.faults.push_back(
        {kFaultOutOfBounds, "last_kernel_time " + N(r.last_kernel_time) + " is in the future"});
    r.last_kernel_time = 0;
  }
}

std::vector<std::string> FeedbackUuids(const ContainerGrant& g) {
  std::vector<std::string> keys;
  for (const std::string& u : g.mig_uuids.empty() ? g.uuids : g.mig_uuids) {
    keys.push_back(UuidKey(u));
  }
  return keys;
}

}  // namespace

std::string UuidKey(const std::string& uuid) {
  std::string key = base::ToLower(base::Trim(uuid));
  for (const char* prefix : {"gpu-", "mig-"}) {
    if (base::StartsWith(key, prefix)) return key.substr(4);
  }
  return key;
}

std::map<std::string, uint64_t> DeviceMemoryByUuid(const std::vector<HostGpu>& gpus) {
  std::map<std::string, uint64_t> out;
  for (const HostGpu& g : gpus) {
    if (g.memory_total > 0) out[UuidKey(g.uuid)] = g.memory_total;
  }
  return out;
}

PodIndex::PodIndex(const std::optional<std::vector<PodRef>>& pods) : api_(pods.has_value()) {
  if (!pods) return;
  for (const PodRef& p : *pods) by_uid_[p.uid] = &p;
}

const PodRef* PodIndex::Find(const std::string& pod_uid) const {
  auto it = by_uid_.find(pod_uid);
  return it == by_uid_.end() ? nullptr : it->second;
}

GrantLookup PodIndex::Lookup(const std::string& pod_uid, const std::string& container) const {
  using Status = GrantLookup::Status;
  if (!api_) return {Status::kNoApi};
  const PodRef* pod = Find(pod_uid);
  if (pod == nullptr || std::find(pod->containers.begin(), pod->containers.end(), container) ==
                            pod->containers.end()) {
    return {Status::kUnknownPod};
  }
  if (!pod->grant_error.empty()) return {Status::kNoGrant, nullptr, pod->grant_error};
  if (pod->grants.empty()) return {Status::kOtherScheduler};
  auto it = pod->grants.find(container);
  if (it == pod->grants.end()) {
    return {Status::kNoGrant, nullptr,
            "pod " + pod->namespace_name + "/" + pod->name + " grants container " + container +
                " no NVIDIA device"};
  }
  return {Status::kFound, &it->second};
}

Verdict VerifyRegion(const RegionReading& reading, const GrantLookup& lookup,
                     const std::map<std::string, uint64_t>& device_memory, int64_t now_unix) {
  using Status = GrantLookup::Status;
  Verdict v;
  v.reading = reading;
  if (lookup.status == Status::kUnknownPod) return v;
  if (lookup.status == Status::kNoGrant) {
    v.faults.push_back({kFaultNoGrant, lookup.why});
    return v;
  }
  Check check(v);
  if (lookup.status == Status::kOtherScheduler) {
    v.unverified = true;
    CheckNodeDevices(check, device_memory);
    CheckDeviceBounds(check, device_memory, true);
    CheckContainerBounds(v, now_unix);
    return v;
  }
  v.exported = true;
  if (lookup.status == Status::kNoApi) {
    CheckDeviceBounds(check, device_memory, true);
    CheckContainerBounds(v, now_unix);
    return v;
  }
  const ContainerGrant& g = *lookup.grant;
  CheckIdentity(check, g);
  CheckLimits(check, g);
  CheckDeviceBounds(check, device_memory, false);
  CheckContainerBounds(v, now_unix);
  if (v.reading.priority < g.priority) {
    v.faults.push_back({kFaultPriorityRaised, "priority " + std::to_string(v.reading.priority) +
                                                  " above the granted " +
                                                  std::to_string(g.priority)});
    v.reading.priority = g.priority;
  }
  v.feedback = FeedbackInput{FeedbackUuids(g), v.reading.priority, v.reading.recent_kernel,
                             v.reading.utilization_switch};
  return v;
}

}  // namespace hami::monitor
