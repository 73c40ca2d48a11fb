// Lease-based leader election (coordination.k8s.io/v1 Lease), compatible with client-go's
// leaderelection: spec.holderIdentity, leaseDurationSeconds, acquireTime, renewTime,
// leaseTransitions; optimistic concurrency through metadata.resourceVersion.
//
// DecideLeadership is the pure core. Expiry is judged, as in client-go, on the local clock from
// when this candidate last saw the lease record change (not from the renewTime another machine
// wrote), so clock skew between replicas cannot make a live leader look expired.
// LeaderElector runs the I/O loop on one background thread (a round every retry_period, slept in
// config.env); its public methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "k8s/kube_api.h"

namespace hami::k8s {

using LeaseClock = std::chrono::system_clock;

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name = "hami-scheduler";
  std::string identity;  // unique per replica, e.g. hostname + "_" + random
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};  // a leader that cannot renew for this long steps down
  std::chrono::seconds retry_period{2};
  bool release_on_stop = true;  // clear holderIdentity on Stop() so a successor need not wait
  // The clock that times lease records and renewals (WallNow), the retry sleeps, and
  // WaitForLeadership's timeout.
  base::Env* env = base::Env::Default();
};

// What the candidate last saw: the record (holder, renewTime, transitions) and when it changed.
struct LeaseObservation {
  std::string record;
  LeaseClock::time_point observed_at{};
};

enum class LeaderAction {
  kCreate,    // no lease: create it holding it
  kRenew,     // we hold it: update renewTime
  kTakeOver,  // released or expired: update it to hold it (transitions + 1)
  kWait,      // someone else holds a live lease
};

struct LeaderDecision {
  LeaderAction action = LeaderAction::kWait;
  nlohmann::json lease;          // the Lease to create/update (kCreate, kRenew, kTakeOver)
  LeaseObservation observation;  // to pass to the next call
  std::string holder;            // current holder as read (before our write)
};

// `lease` is the Lease as read (nullopt when it does not exist). Pure.
LeaderDecision DecideLeadership(const std::optional<nlohmann::json>& lease,
                                const LeaseObservation& last, LeaseClock::time_point now,
                                const LeaderElectionConfig& config);

// The Lease that releases `lease` held by us: holderIdentity "", leaseDurationSeconds 1.
nlohmann::json ReleasedLease(const nlohmann::json& lease, LeaseClock::time_point now);

// metav1.MicroTime text: "2006-01-02T15:04:05.000000Z". Pure.
std::string FormatMicroTime(LeaseClock::time_point time);

struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& holder)> on_new_leader;  // holder changed (may be us)
};

class LeaderElector {
 public:
  // `api` must outlive the elector.
  LeaderElector(KubeApi* api, LeaderElectionConfig config, LeaderCallbacks callbacks = {});
  ~LeaderElector();  // Stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Stops the loop; when leading and release_on_stop, releases the lease. Idempotent.
  void Stop();
  bool IsLeader() const { return leader_.load(); }
  // Blocks until leading, Stop, or timeout; returns IsLeader().
  bool WaitForLeadership(std::chrono::milliseconds timeout);
  std::string LastObservedHolder() const;

  // One round of the loop (read, decide, write): exposed for tests that drive it step by step.
  void Tick();

 private:
  void Run(std::stop_token stop);
  void SetLeader(bool leader);

  KubeApi* api_;
  LeaderElectionConfig config_;
  LeaderCallbacks callbacks_;
  std::atomic<bool> leader_{false};
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  LeaseObservation observation_;         // guarded by mu_
  std::string holder_;                   // guarded by mu_
  std::optional<nlohmann::json> held_;   // our last written lease, guarded by mu_
  LeaseClock::time_point last_renew_{};  // guarded by mu_
  std::jthread thread_;
};

}  // namespace hami::k8s
