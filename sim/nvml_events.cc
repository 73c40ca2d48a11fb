// The simulated NVML's event API: XID critical errors that hami-sim-ctl (or a test) posts into
// the shared machine state reach every event set, in every process, registered on that GPU
// before the event was posted. Only nvmlEventTypeXidCriticalError is supported (the other types
// never happen on the simulator). Waiting polls the shared state every kPollMs without holding
// NvmlState::mu, so other NVML calls (and other waiters) proceed meanwhile.
#include <time.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "gpuapi/nvml_functions.h"
#include "sim/nvml_state.h"
#include "sim/shared_state.h"

namespace {

using hami::sim::nvml::Device;
using hami::sim::nvml::Lock;
using hami::sim::nvml::NvmlState;
using hami::sim::nvml::Reachable;
using hami::sim::nvml::State;

constexpr unsigned long long kSupported = nvmlEventTypeXidCriticalError;
constexpr int kPollMs = 5;
constexpr int kMaxStalls = 20;  // a number posted but never filled in (writer killed): skipped

nvmlEventSet_st* FindSet(NvmlState& s, nvmlEventSet_t set) {
  auto it = s.event_sets.find(set);
  return it == s.event_sets.end() ? nullptr : it->second.get();
}

// The next event for `set`, advancing its registrations; nullopt when none is ready.
std::optional<nvmlEventData_t> NextEvent(NvmlState& s, nvmlEventSet_st& set) {
  for (auto& reg : set.registrations) {
    if ((reg.types & nvmlEventTypeXidCriticalError) == 0) continue;
    const int dev = static_cast<int>(reg.index);
    const uint64_t last = s.shared->LastXidSeq(dev);
    while (reg.next_seq <= last) {
      auto event = s.shared->XidAt(dev, reg.next_seq);
      if (event) {
        ++reg.next_seq;
        reg.stalls = 0;
        nvmlEventData_t data{};
        data.device = &s.devices[reg.index];
        data.eventType = nvmlEventTypeXidCriticalError;
        data.eventData = event->xid;
        data.gpuInstanceId = NVML_VALUE_NOT_AVAILABLE_UINT;
        data.computeInstanceId = NVML_VALUE_NOT_AVAILABLE_UINT;
        return data;
      }
      if (last - reg.next_seq >= hami::sim::kXidRing) {  // overwritten: events were lost
        reg.next_seq = last - hami::sim::kXidRing + 1;
      } else if (++reg.stalls > kMaxStalls) {
        ++reg.next_seq;
        reg.stalls = 0;
      } else {
        break;  // being written: look again at the next poll
      }
    }
  }
  return std::nullopt;
}

nvmlReturn_t Wait(nvmlEventSet_t set, nvmlEventData_t* data, unsigned int timeoutms) {
  if (data == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const int64_t deadline = hami::sim::MonotonicNowNs() + int64_t{timeoutms} * 1000000;
  NvmlState& s = State();
  while (true) {
    {
      Lock lock(s.mu);
      if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
      nvmlEventSet_st* found = FindSet(s, set);
      if (found == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
      if (s.shared != nullptr) {
        if (auto event = NextEvent(s, *found)) {
          *data = *event;
          return NVML_SUCCESS;
        }
      }
    }
    const int64_t now = hami::sim::MonotonicNowNs();
    if (now >= deadline) return NVML_ERROR_TIMEOUT;
    hami::sim::SleepUntilNs(std::min(deadline, now + int64_t{kPollMs} * 1000000));
  }
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set) {
  NvmlState& s = State();
  Lock lock(s.mu);
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  if (set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  auto created = std::make_unique<nvmlEventSet_st>();
  *set = created.get();
  s.event_sets.emplace(created.get(), std::move(created));
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  NvmlState& s = State();
  Lock lock(s.mu);
  if (s.refcount == 0) return NVML_ERROR_UNINITIALIZED;
  return s.event_sets.erase(set) == 1 ? NVML_SUCCESS : NVML_ERROR_INVALID_ARGUMENT;
}

nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device,
                                              unsigned long long* event_types) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  if (event_types == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (nvmlReturn_t r = Reachable(s, i); r != NVML_SUCCESS) return r;
  *event_types = kSupported;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long event_types,
                                      nvmlEventSet_t set) {
  NvmlState& s = State();
  Lock lock(s.mu);
  unsigned i = 0;
  // MIG device handles are refused, as the driver does not report events per instance.
  if (nvmlReturn_t r = Device(s, device, &i); r != NVML_SUCCESS) return r;
  nvmlEventSet_st* found = FindSet(s, set);
  if (found == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if ((event_types & ~kSupported) != 0) return NVML_ERROR_NOT_SUPPORTED;
  if (nvmlReturn_t r = Reachable(s, i); r != NVML_SUCCESS) return r;
  auto& regs = found->registrations;
  auto it = std::find_if(regs.begin(), regs.end(), [&](const auto& reg) { return reg.index == i; });
  if (it != regs.end()) {
    it->types |= event_types;
    return NVML_SUCCESS;
  }
  nvmlEventSet_st::Registration reg;
  reg.index = i;
  reg.types = event_types;
  reg.next_seq = s.shared->LastXidSeq(static_cast<int>(i)) + 1;  // only events from now on
  regs.push_back(reg);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data,
                                 unsigned int timeoutms) {
  return Wait(set, data, timeoutms);
}

nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t* data, unsigned int timeoutms) {
  return Wait(set, data, timeoutms);
}

}  // extern "C"
