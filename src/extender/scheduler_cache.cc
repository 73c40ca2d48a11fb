#include "extender/scheduler_cache.h"

#include <algorithm>
#include <chrono>

#include "base/strings.h"
#include "codec/node_lock.h"
#include "model/protocol.h"
#include "vendor/cluster_state.h"

namespace hami::extender {

SchedulerCache::SchedulerCache(const vendor::Registry& registry) : registry_(registry) {
  lock_annotations_.insert(model::kNodeLockAnnotation);
  for (const auto& v : registry_.vendors()) {
    if (auto spec = v->Lock()) lock_annotations_.insert(spec->annotation);
  }
}

void SchedulerCache::ApplyLocked(const Booking& booking, int sign) {
  for (const auto& [vendor, q] : booking.booking.quota) {
    auto& quota = quotas_[booking.ns][vendor];
    quota.used_mem += sign * q.first;
    quota.used_cores += sign * q.second;
  }
  auto it = nodes_.find(booking.node);
  if (it == nodes_.end()) return;  // node not (yet) registered: applied when it registers
  sched::ApplyBooking(it->second, booking.booking, sign);
}

void SchedulerCache::AddBookingLocked(const std::string& uid, Booking booking) {
  RemoveBookingLocked(uid);
  ApplyLocked(booking, +1);
  bookings_.emplace(uid, std::move(booking));
}

void SchedulerCache::RemoveBookingLocked(const std::string& uid) {
  auto it = bookings_.find(uid);
  if (it == bookings_.end()) return;
  ApplyLocked(it->second, -1);
  bookings_.erase(it);
}

base::Status SchedulerCache::UpsertNode(const codec::NodeObject& node,
                                        const std::set<std::string>& dead_vendors) {
  // Every bind rewrites a node lock and kubelets update their Node regularly; neither changes
  // the devices, so rebuilding (which re-applies every booking) is skipped when the annotations
  // the state is built from are unchanged.
  NodeInput inputs{node, dead_vendors};
  for (const auto& key : lock_annotations_) inputs.object.annotations.erase(key);
  inputs.object.resource_version.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto known = node_inputs_.find(node.name);
    if (known != node_inputs_.end() && known->second == inputs) return {};
  }
  auto state = vendor::NodeStateFromNode(node, registry_, dead_vendors);
  std::lock_guard<std::mutex> lock(mu_);
  if (!state.ok()) {
    node_inputs_.erase(node.name);
    if (state.error().code() == base::StatusCode::kNotFound) nodes_.erase(node.name);
    return state.error();
  }
  // Re-apply every booking on this node to the fresh device list.
  for (const auto& [uid, booking] : bookings_) {
    if (booking.node == node.name) sched::ApplyBooking(*state, booking.booking, +1);
  }
  nodes_[node.name] = std::move(*state);
  node_inputs_[node.name] = std::move(inputs);
  return {};
}

void SchedulerCache::DeleteNode(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  nodes_.erase(name);
  node_inputs_.erase(name);
}

namespace {

// An unbound pod's annotations still describe a bind in flight.
bool BindInFlight(const model::Pod& pod, int64_t now_unix) {
  const std::string* bind_time = pod.Annotation(model::kBindTimeAnnotation);
  if (bind_time == nullptr) return false;
  std::optional<int64_t> seconds = base::ParseInt64(*bind_time);
  return seconds && now_unix - *seconds < SchedulerCache::kUnboundGraceSeconds;
}

}  // namespace

base::Status SchedulerCache::UpsertPod(const model::Pod& pod, int64_t now_unix) {
  const std::string* node = pod.Annotation(model::kVgpuNodeAnnotation);
  const bool terminated = pod.phase == "Succeeded" || pod.phase == "Failed";
  const bool unbound = pod.node_name.empty();
  if (node == nullptr || node->empty() || terminated || (unbound && !BindInFlight(pod, now_unix))) {
    std::lock_guard<std::mutex> lock(mu_);
    if (assumed_.count(pod.uid) == 0) RemoveBookingLocked(pod.uid);
    return {};
  }
  if (unbound) {
    std::lock_guard<std::mutex> lock(mu_);
    if (assumed_.count(pod.uid) != 0) return {};  // /bind is writing it: the assumption stands
  }
  HAMI_ASSIGN_OR_RETURN(auto grants, vendor::GrantedDevices(pod, registry_));
  if (grants.Empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (assumed_.count(pod.uid) == 0) RemoveBookingLocked(pod.uid);
    return {};
  }
  Booking booking{pod.namespace_name,
                  pod.name,
                  *node,
                  vendor::BookingOf(pod, grants, registry_),
                  false,
                  std::move(grants.partitions)};
  std::lock_guard<std::mutex> lock(mu_);
  assumed_.erase(pod.uid);  // the annotations are written: the pod is no longer an assumption
  AddBookingLocked(pod.uid, std::move(booking));
  return {};
}

void SchedulerCache::DeletePod(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  assumed_.erase(uid);
  passed_.erase(uid);
  RemoveBookingLocked(uid);
}

void SchedulerCache::Assume(const std::string& uid, Assumption assumption) {
  std::lock_guard<std::mutex> lock(mu_);
  AssumeLocked(uid, std::move(assumption));
}

void SchedulerCache::AssumeLocked(const std::string& uid, Assumption assumption) {
  const size_t slash = assumption.pod_key.find('/');
  const std::string ns = assumption.pod_key.substr(0, slash);
  const std::string name = slash == std::string::npos ? "" : assumption.pod_key.substr(slash + 1);
  Booking booking{ns, name, assumption.node,
                  sched::MakePodBooking(assumption.devices, assumption.partitions, assumption.tags,
                                        assumption.init_count),
                  true};
  AddBookingLocked(uid, std::move(booking));
  assumed_[uid] = std::move(assumption);
}

std::optional<Assumption> SchedulerCache::Assumed(const std::string& uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = assumed_.find(uid);
  if (it == assumed_.end()) return std::nullopt;
  return it->second;
}

std::optional<Assumption> SchedulerCache::BeginBind(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = assumed_.find(uid);
  if (it == assumed_.end()) return std::nullopt;
  it->second.binding = true;
  return it->second;
}

void SchedulerCache::Forget(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = bookings_.find(uid);
  if (it != bookings_.end() && it->second.assumed) RemoveBookingLocked(uid);
  assumed_.erase(uid);
  passed_.erase(uid);
}

void SchedulerCache::PassThroughPod(const std::string& uid, PassThrough entry) {
  std::lock_guard<std::mutex> lock(mu_);
  passed_[uid] = std::move(entry);
}

std::optional<PassThrough> SchedulerCache::PassedThrough(const std::string& uid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = passed_.find(uid);
  if (it == passed_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> SchedulerCache::ExpireAssumed(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> expired;
  for (auto it = assumed_.begin(); it != assumed_.end();) {
    if (it->second.deadline > now || it->second.binding) {
      ++it;
      continue;
    }
    expired.push_back(it->second.pod_key);
    auto bt = bookings_.find(it->first);
    if (bt != bookings_.end() && bt->second.assumed) RemoveBookingLocked(it->first);
    it = assumed_.erase(it);
  }
  std::erase_if(passed_, [&](const auto& entry) { return entry.second.deadline <= now; });
  return expired;
}

void SchedulerCache::SetQuota(const std::string& ns, const std::string& vendor,
                              std::optional<int64_t> mem, std::optional<int64_t> cores) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& quota = quotas_[ns][vendor];
  quota.mem_limit = mem;
  quota.core_limit = cores;
}

void SchedulerCache::DecideAndAssume(const std::string& uid, const std::vector<std::string>& names,
                                     const DecideFn& decide) {
  std::lock_guard<std::mutex> lock(mu_);
  // A retried filter must not count its own earlier assumption, nor a failed bind's annotations.
  assumed_.erase(uid);
  passed_.erase(uid);
  RemoveBookingLocked(uid);
  std::vector<const sched::NodeState*> nodes;
  std::vector<std::string> unknown;
  nodes.reserve(names.size());
  for (const auto& name : names) {
    auto it = nodes_.find(name);
    if (it == nodes_.end()) {
      unknown.push_back(name);
    } else {
      nodes.push_back(&it->second);
    }
  }
  std::optional<Assumption> assumption = decide(nodes, unknown, quotas_);
  if (assumption) AssumeLocked(uid, std::move(*assumption));
}

std::optional<sched::QuotaState> SchedulerCache::QuotaFor(const std::string& ns,
                                                          const std::string& vendor) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = quotas_.find(ns);
  if (it == quotas_.end()) return std::nullopt;
  auto jt = it->second.find(vendor);
  if (jt == it->second.end() || (!jt->second.mem_limit && !jt->second.core_limit)) {
    return std::nullopt;
  }
  return jt->second;
}

size_t SchedulerCache::NodeCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_.size();
}

size_t SchedulerCache::PodCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bookings_.size();
}

std::vector<sched::NodeState> SchedulerCache::NodesCopy() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<sched::NodeState> out;
  out.reserve(nodes_.size());
  for (const auto& [name, node] : nodes_) out.push_back(node);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<SchedulerCache::PodAllocation> SchedulerCache::Allocations() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PodAllocation> out;
  for (const auto& [uid, booking] : bookings_) {
    if (booking.assumed) continue;
    out.push_back(
        {booking.ns, booking.pod, booking.node, booking.booking.devices, booking.partitions});
  }
  return out;
}

sched::QuotaTable SchedulerCache::QuotasCopy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return quotas_;
}

}  // namespace hami::extender
