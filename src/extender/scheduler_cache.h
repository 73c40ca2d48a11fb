// SchedulerCache: the extender's in-memory view of GPU nodes and of every pod holding devices,
// including pods it has *assumed* (decided in /filter, not yet written by /bind).
//
// Design (see ARCHITECTURE "Where the time goes"): /filter decides against this cache and assumes
// the result, keyed by pod UID, so two pods in flight never get the same slice; /bind writes the
// annotations. Extenders get no unreserve call, so an assumption with no bind expires at its
// deadline. A restarted scheduler rebuilds everything from node and pod annotations (UpsertPod of
// every pod), so it never double-books.
//
// Thread-safe: every method takes the cache mutex; WithNodes runs the callback under it.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "codec/k8s_object.h"
#include "model/grant.h"
#include "model/pod.h"
#include "sched/snapshot.h"
#include "sched/usage.h"
#include "vendor/registry.h"

namespace hami::extender {

using Clock = std::chrono::steady_clock;

// What /filter decided for a pod, kept until /bind writes it (or it expires).
struct Assumption {
  std::string pod_key;  // ns/name, for logs
  model::Pod pod;       // as /filter parsed it (vendors write their annotations from it)
  std::string node;
  model::PodDevices devices;
  std::vector<model::PartitionGrant> partitions;
  std::map<std::string, model::DeviceInfo> registered;   // the granted devices, by UUID
  std::map<std::string, std::vector<std::string>> tags;  // Vendor::BookingTags, by vendor key
  size_t init_count = 0;
  Clock::time_point deadline;
  // Set by BeginBind: /bind is writing (or has written) this decision, so the deadline no longer
  // applies; only the pod's own booking (UpsertPod), its deletion, a re-filter or Forget end it.
  bool binding = false;
};

// A pod /filter passed through because it asks for no device: /bind may bind it to one of `nodes`
// (the candidates /filter was given) until `deadline`. It books nothing.
struct PassThrough {
  std::string pod_key;  // ns/name
  std::set<std::string> nodes;
  Clock::time_point deadline;
};

class SchedulerCache {
 public:
  explicit SchedulerCache(const vendor::Registry& registry);

  // Registers (or re-registers) a node from its annotations and resources. A node without any
  // device registration is removed (NotFound is returned so the caller can log it at debug
  // level); malformed annotations keep the previous registration and return the error. An update
  // whose annotations (node locks aside), labels, resources and dead vendors are those of the
  // current registration changes nothing. Devices of `dead_vendors` (vendor::JudgeNode) are kept
  // but marked unhealthy.
  base::Status UpsertNode(const codec::NodeObject& node,
                          const std::set<std::string>& dead_vendors = {});
  void DeleteNode(const std::string& name);

  // Books the devices of a pod that carries hami.io/vgpu-node + an allocated annotation (replacing
  // an assumption for the same UID); terminated pods and pods without devices release theirs.
  // A pod not bound yet (no spec.nodeName) keeps its assumption while it has one; without one its
  // annotations count only while its hami.io/bind-time is less than kUnboundGrace old (a bind in
  // flight, e.g. across a scheduler restart): older ones are what a failed bind left behind, and
  // booking them would hold capacity for a pod that holds nothing.
  static constexpr int64_t kUnboundGraceSeconds = 120;
  // `now_unix`: the wall clock in Unix seconds (the service's Env).
  base::Status UpsertPod(const model::Pod& pod, int64_t now_unix);
  void DeletePod(const std::string& uid);

  void Assume(const std::string& uid, Assumption assumption);
  std::optional<Assumption> Assumed(const std::string& uid) const;
  // Drops an assumption and its booking, or a pass-through (bind done or failed, or the pod is
  // being re-filtered).
  void Forget(const std::string& uid);
  // Returns the assumption of `uid` (nullopt when there is none, e.g. it expired) and marks it
  // `binding` in the same step, so expiry cannot free its devices while /bind writes it.
  std::optional<Assumption> BeginBind(const std::string& uid);
  // Drops assumptions past their deadline that no /bind holds (returns their pod keys) and
  // pass-throughs past theirs.
  std::vector<std::string> ExpireAssumed(Clock::time_point now);

  // Records (replaces) the pass-through of `uid`; DecideAndAssume, Forget and DeletePod drop it.
  void PassThroughPod(const std::string& uid, PassThrough entry);
  std::optional<PassThrough> PassedThrough(const std::string& uid) const;

  // ResourceQuota limits of one namespace and vendor (used amounts are derived from bookings).
  void SetQuota(const std::string& ns, const std::string& vendor, std::optional<int64_t> mem,
                std::optional<int64_t> cores);

  // Runs `decide` with the named nodes (unknown names listed separately) and the quota table, and
  // applies the assumption it returns for `uid`, all under one lock, so no other decision can
  // interleave between seeing the state and booking the result. Keep `decide` free of I/O.
  // Whatever `uid` had booked is dropped first: kube-scheduler filters only unbound pods, so an
  // earlier assumption or annotations left by a failed bind are not usage of this pod.
  using DecideFn = std::function<std::optional<Assumption>(
      std::span<const sched::NodeState* const> nodes, const std::vector<std::string>& unknown,
      const sched::QuotaTable& quotas)>;
  void DecideAndAssume(const std::string& uid, const std::vector<std::string>& names,
                       const DecideFn& decide);

  // The quota of one namespace and vendor (limits as set, used from bookings); nullopt when no
  // ResourceQuota sets a limit there.
  std::optional<sched::QuotaState> QuotaFor(const std::string& ns, const std::string& vendor) const;

  size_t NodeCount() const;
  size_t PodCount() const;  // booked pods, assumed ones included
  // Usage of every device (for metrics), by node, sorted by node name.
  std::vector<sched::NodeState> NodesCopy() const;

  // What one pod holds, as written in its annotations (assumptions not yet bound excluded).
  struct PodAllocation {
    std::string ns, pod, node;
    std::map<std::string, sched::DeviceBooking> devices;  // by UUID, containers collapsed
    std::vector<model::PartitionGrant> partitions = {};   // as annotated, realized or not
  };
  std::vector<PodAllocation> Allocations() const;  // for metrics
  sched::QuotaTable QuotasCopy() const;            // for metrics

 private:
  struct Booking {
    std::string ns;
    std::string pod;  // name
    std::string node;
    sched::PodBooking booking;
    bool assumed = false;
    std::vector<model::PartitionGrant> partitions = {};  // from the annotations (none when assumed)
  };

  void AddBookingLocked(const std::string& uid, Booking booking);
  void AssumeLocked(const std::string& uid, Assumption assumption);
  void RemoveBookingLocked(const std::string& uid);
  void ApplyLocked(const Booking& booking, int sign);

  const vendor::Registry& registry_;
  // Node annotations that change on every bind without changing devices (every vendor's lock).
  std::set<std::string> lock_annotations_;
  mutable std::mutex mu_;
  // Usage includes every booking on the node. Hashed: /filter looks up every candidate's name.
  std::unordered_map<std::string, sched::NodeState> nodes_;
  // What each entry of nodes_ was built from: the node object (node lock excluded) and the
  // vendors judged dead.
  struct NodeInput {
    codec::NodeObject object;
    std::set<std::string> dead_vendors;
    friend bool operator==(const NodeInput&, const NodeInput&) = default;
  };
  std::unordered_map<std::string, NodeInput> node_inputs_;
  std::map<std::string, Booking> bookings_;    // by pod UID
  std::map<std::string, Assumption> assumed_;  // by pod UID
  std::map<std::string, PassThrough> passed_;  // by pod UID
  sched::QuotaTable quotas_;
};

}  // namespace hami::extender
