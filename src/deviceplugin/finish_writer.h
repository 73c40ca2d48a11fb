// FinishWriter: sends the last patch of each pod's lockless bind (hami.io/bind-phase=success, the
// to-allocate annotation emptied, the hami.io/vgpu-node label) after Allocate has answered, off
// the node's serial path: the kubelet admits a node's pods one at a time, and that write was a
// third of each Allocate.
//
// Why deferring it cannot serve one booking twice: the Allocator counts a pod as finished from
// its answer on (Allocator::Finish), so the next Allocate never matches it, even while the API
// server still shows it asking. A restart loses that memory and any patch still queued; the
// repair pass (every `repair_interval`) finds such pods, Running or Succeeded with bind-phase
// still allocating (allocate.h, LostFinishRemaining), and writes their patch again; a pod still
// Pending after a restart can make an Allocate ambiguous, which AdmittedPod refuses (retried on
// fresh views) rather than guess.
//
// Writes are sent in the order pushed, one at a time; while the API server answers Unavailable
// a write is retried with backoff (until Stop); NotFound (the pod is gone) ends it; any other
// error is logged and left to the repair pass. Stop sends what is still queued, each write tried
// `stop_attempts` times. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/env.h"
#include "base/status.h"
#include "k8s/kube_api.h"

namespace hami::deviceplugin {

struct FinishPatch {
  std::string namespace_name;
  std::string name;
  std::string uid;
  nlohmann::json body;  // a merge patch of the pod (FinishBindPatch)
};

struct FinishWriterConfig {
  std::string node_name;
  // The pods the repair pass looks at (PendingPods::List: bound here, Pending or still
  // allocating); nullopt while not known yet. Empty function: no repair pass.
  std::function<std::optional<std::vector<nlohmann::json>>()> candidates;
  std::chrono::milliseconds repair_interval{std::chrono::seconds(5)};
  // A pod written by this writer is not repaired for this long (the watch may lag the write).
  std::chrono::milliseconds repair_grace{std::chrono::seconds(30)};
  std::chrono::milliseconds retry_delay{std::chrono::milliseconds(200)};  // x the attempt
  int attempts = 5;       // per round of retries while Unavailable; rounds repeat until Stop
  int stop_attempts = 5;  // at Stop, per queued write
  base::Env* env = base::Env::Default();
};

class FinishWriter {
 public:
  FinishWriter(k8s::KubeApi& api, FinishWriterConfig config);
  ~FinishWriter();  // Stop()
  FinishWriter(const FinishWriter&) = delete;
  FinishWriter& operator=(const FinishWriter&) = delete;

  void Start();  // starts the sending thread; a second call does nothing
  void Stop();   // ends the thread, then sends what is queued; idempotent

  // Queues `patch`; after Stop it is sent at once on the caller's thread.
  void Push(FinishPatch patch);

  // One repair pass on the caller's thread; returns how many pods it wrote.
  int RepairOnce();

  size_t queued() const;

 private:
  void Run(std::stop_token stop);
  // Sends the queued writes in order until the queue is empty, or `stop` is requested while a
  // write is refused as Unavailable (that write stays queued). `rounds_until_stop`: an
  // Unavailable write is retried in rounds of `attempts` until `stop`; else one round of
  // `stop_attempts`.
  void Drain(std::stop_token stop, bool rounds_until_stop);
  base::Status Send(const FinishPatch& patch);
  void MarkSent(const std::string& uid);  // with mu_ held

  k8s::KubeApi& api_;
  FinishWriterConfig config_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<FinishPatch> queue_;                               // guarded by mu_; front in flight
  bool stopped_ = false;                                        // guarded by mu_
  std::map<std::string, base::Env::SteadyTime> recently_sent_;  // guarded by mu_; uid -> when
  std::mutex drain_mu_;  // one Drain at a time (the thread's, then Stop's)
  std::jthread thread_;
};

}  // namespace hami::deviceplugin
