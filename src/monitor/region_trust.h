// Checking a container's shared region against what the container was granted, before the monitor
// acts on it (priority feedback) or exports it (/metrics).
//
// Every process of the container can write every byte of its region, so nothing in a region is
// trusted by itself. Trusted: the directory name <podUID>_<container> (the device plugin creates
// it on the host; a container sees only its own directory) and the pod object from the API server
// (grants written by hami-scheduler, env admitted by the webhook). From them (docs/monitor.md
// "What a region may say"):
//   identity  a region speaks for its own pod and container and for the devices granted to that
//             container only; a device slot naming another device is a fault (foreign_device);
//             feedback counts the container on its granted devices, whatever the region lists;
//   priority  clamped to the granted CUDA_TASK_PRIORITY: a region may lower its importance, never
//             raise it (priority_raised);
//   limits    a device's memory / SM limit must be one of the container's granted values
//             (limit_mismatch: e.g. limit 0 = unlimited written by the container);
//   bounds    memory values above the device's memory (NVML; 1 TiB when NVML does not know the
//             device), SM utilization above 100 %, recent_kernel outside [-1, 2] or a last kernel
//             time more than 5 minutes ahead are out_of_bounds.
// A device slot with any fault is not exported at all; container values are exported clamped.
// A region whose container has no grant (no_grant) is neither exported nor acted on; one whose pod
// is not (yet) on the node's pod list is skipped without a fault. Without an API server only the
// bounds apply and no region takes part in feedback. A pod with no grant of ours at all was placed
// by another scheduler (Koordinator, KAI): its regions are `unverified`, with only the bounds and
// node identity checked (each device slot names one of this node's GPUs, at most once, else
// foreign_device); they never take part in feedback.
// Pure; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitor/feedback.h"
#include "monitor/snapshot.h"

namespace hami::monitor {

// Fault reasons: the `reason` label of hami_monitor_region_faults_total and of the log line.
inline constexpr char kFaultNoGrant[] = "no_grant";
inline constexpr char kFaultForeignDevice[] = "foreign_device";
inline constexpr char kFaultPriorityRaised[] = "priority_raised";
inline constexpr char kFaultLimitMismatch[] = "limit_mismatch";
inline constexpr char kFaultOutOfBounds[] = "out_of_bounds";

// The memory ceiling of a device NVML does not report (a MIG instance, or no NVML).
inline constexpr uint64_t kUnknownDeviceMemoryBound = 1ull << 40;
// How far ahead of now a last kernel time may be (clock skew between container and host).
inline constexpr int64_t kLastKernelSkewSeconds = 300;

struct RegionFault {
  std::string reason;  // one of kFault*
  std::string detail;  // what was seen, e.g. "device 0 uuid GPU-x is not granted"
  friend bool operator==(const RegionFault&, const RegionFault&) = default;
};

// Where a region's container stands on the node's pod list.
struct GrantLookup {
  // kOtherScheduler: the pod carries no grant of ours at all (and none that failed to decode).
  enum class Status { kNoApi, kUnknownPod, kNoGrant, kOtherScheduler, kFound };
  Status status = Status::kNoApi;
  const ContainerGrant* grant = nullptr;  // set for kFound
  std::string why{};                      // for kNoGrant
};

// Pods of the node by UID. `pods` nullopt = no API server (or not yet listed). Must outlive the
// lookups' grant pointers.
class PodIndex {
 public:
  explicit PodIndex(const std::optional<std::vector<PodRef>>& pods);
  GrantLookup Lookup(const std::string& pod_uid, const std::string& container) const;
  const PodRef* Find(const std::string& pod_uid) const;

 private:
  bool api_ = false;
  std::map<std::string, const PodRef*> by_uid_;
};

struct Verdict {
  bool exported = false;                  // goes to /metrics (as `reading`)
  bool unverified = false;                // goes to /metrics as hami_unverified_* only
  std::optional<FeedbackInput> feedback;  // takes part in priority feedback with these values
  RegionReading reading;                  // faulty device slots have uuid_valid = false
  std::vector<RegionFault> faults;
};

// Bytes of each host GPU, keyed by UuidKey (VerifyRegion's `device_memory`).
std::map<std::string, uint64_t> DeviceMemoryByUuid(const std::vector<HostGpu>& gpus);

// `device_memory`: DeviceMemoryByUuid of the host GPUs. `now_unix`: for last_kernel_time.
Verdict VerifyRegion(const RegionReading& reading, const GrantLookup& lookup,
                     const std::map<std::string, uint64_t>& device_memory, int64_t now_unix);

// The same UUID whatever its prefix ("GPU-", "MIG-") or case.
std::string UuidKey(const std::string& uuid);

}  // namespace hami::monitor
