#include "k8s/leader_election.h"

#include <cstdio>

#include "base/log.h"
#include "codec/time_format.h"
#include "k8s/api_status.h"

namespace hami::k8s {
namespace {

using Json = nlohmann::json;

std::string SpecString(const Json& lease, const char* key) {
  auto spec = lease.find("spec");
  if (spec == lease.end() || !spec->is_object()) return "";
  auto value = spec->find(key);
  if (value == spec->end() || !value->is_string()) return "";
  return value->get<std::string>();
}

int64_t SpecInt(const Json& lease, const char* key) {
  auto spec = lease.find("spec");
  if (spec == lease.end() || !spec->is_object()) return 0;
  auto value = spec->find(key);
  if (value == spec->end() || !value->is_number_integer()) return 0;
  return value->get<int64_t>();
}

}  // namespace

std::string FormatMicroTime(LeaseClock::time_point time) {
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  int64_t seconds = micros / 1000000;
  int64_t fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --seconds;
  }
  std::string text = codec::FormatRfc3339(seconds);  // "...SSZ"
  char buf[8];
  std::snprintf(buf, sizeof(buf), ".%06lld", static_cast<long long>(fraction));
  text.insert(text.size() - 1, buf);
  return text;
}

LeaderDecision DecideLeadership(const std::optional<Json>& lease, const LeaseObservation& last,
                                LeaseClock::time_point now, const LeaderElectionConfig& config) {
  LeaderDecision decision;
  std::string now_text = FormatMicroTime(now);
  int64_t duration = config.lease_duration.count();
  if (!lease) {
    decision.action = LeaderAction::kCreate;
    decision.lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", config.lease_name}, {"namespace", config.lease_namespace}}},
        {"spec",
         {{"holderIdentity", config.identity},
          {"leaseDurationSeconds", duration},
          {"acquireTime", now_text},
          {"renewTime", now_text},
          {"leaseTransitions", 0}}},
    };
    decision.observation = {"", now};
    return decision;
  }
  std::string holder = SpecString(*lease, "holderIdentity");
  int64_t transitions = SpecInt(*lease, "leaseTransitions");
  std::string record =
      holder + "|" + SpecString(*lease, "renewTime") + "|" + std::to_string(transitions);
  decision.holder = holder;
  decision.observation = record == last.record ? last : LeaseObservation{record, now};

  int64_t held_for = SpecInt(*lease, "leaseDurationSeconds");
  if (held_for <= 0) held_for = duration;
  bool expired = decision.observation.observed_at + std::chrono::seconds(held_for) <= now;
  decision.lease = *lease;
  Json& spec = decision.lease["spec"];
  if (!spec.is_object()) spec = Json::object();
  if (!holder.empty() && holder == config.identity) {
    decision.action = LeaderAction::kRenew;
    spec["renewTime"] = now_text;
    spec["leaseDurationSeconds"] = duration;
    if (!spec.contains("acquireTime")) spec["acquireTime"] = now_text;
  } else if (holder.empty() || expired) {
    decision.action = LeaderAction::kTakeOver;
    spec["holderIdentity"] = config.identity;
    spec["leaseDurationSeconds"] = duration;
    spec["acquireTime"] = now_text;
    spec["renewTime"] = now_text;
    spec["leaseTransitions"] = transitions + 1;
  } else {
    decision.action = LeaderAction::kWait;
    decision.lease = nullptr;
  }
  return decision;
}

Json ReleasedLease(const Json& lease, LeaseClock::time_point now) {
  Json released = lease;
  released["spec"]["holderIdentity"] = "";
  released["spec"]["leaseDurationSeconds"] = 1;
  released["spec"]["renewTime"] = FormatMicroTime(now);
  return released;
}

LeaderElector::LeaderElector(KubeApi* api, LeaderElectionConfig config, LeaderCallbacks callbacks)
    : api_(api), config_(std::move(config)), callbacks_(std::move(callbacks)) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void LeaderElector::SetLeader(bool leader) {
  if (leader_.exchange(leader) == leader) return;
  base::LogInfo(leader ? "leader election: started leading" : "leader election: stopped leading",
                {{"lease", config_.lease_namespace + "/" + config_.lease_name},
                 {"identity", config_.identity}});
  { std::lock_guard<std::mutex> lock(mu_); }  // a waiter between its check and its sleep
  cv_.notify_all();
  if (leader && callbacks_.on_started_leading) callbacks_.on_started_leading();
  if (!leader && callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
}

void LeaderElector::Tick() {
  ResourcePath path = LeasesPath(config_.lease_namespace, config_.lease_name);
  const LeaseClock::time_point now = config_.env->WallNow();
  auto current = api_->Get(path);
  std::optional<Json> lease;
  bool read_ok = current.ok() || IsNotFound(current.status());
  if (current.ok()) lease = *current;
  bool wrote = false;
  std::string new_holder;
  if (read_ok) {
    LeaseObservation last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last = observation_;
    }
    LeaderDecision decision = DecideLeadership(lease, last, now, config_);
    new_holder = decision.holder;
    base::Result<Json> written = base::Status(base::StatusCode::kInternal, "no write");
    if (decision.action == LeaderAction::kCreate) {
      written = api_->Create(LeasesPath(config_.lease_namespace), decision.lease);
    } else if (decision.action != LeaderAction::kWait) {
      written = api_->Update(path, decision.lease);
    }
    std::lock_guard<std::mutex> lock(mu_);
    observation_ = decision.observation;
    if (written.ok()) {
      wrote = true;
      held_ = *written;
      last_renew_ = now;
      new_holder = config_.identity;
    } else if (decision.action != LeaderAction::kWait) {
      base::LogDebug("leader election: write failed", {{"error", written.error().ToString()}});
    }
  } else {
    base::LogWarn("leader election: cannot read lease", {{"error", current.error().ToString()}});
  }
  std::string previous;
  bool lost;
  {
    std::lock_guard<std::mutex> lock(mu_);
    previous = holder_;
    if (read_ok) holder_ = new_holder;
    // Someone else holds it now, or our renewals have failed past the deadline.
    lost = (read_ok && !wrote && !new_holder.empty() && new_holder != config_.identity) ||
           (!wrote && now - last_renew_ > config_.renew_deadline);
  }
  if (wrote) {
    SetLeader(true);
  } else if (lost) {
    SetLeader(false);
  }
  if (read_ok && new_holder != previous && callbacks_.on_new_leader) {
    callbacks_.on_new_leader(new_holder);
  }
}

void LeaderElector::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    Tick();
    config_.env->SleepFor(config_.retry_period, stop);
  }
}

void LeaderElector::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  if (!leader_.load()) return;
  std::optional<Json> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held = held_;
  }
  if (config_.release_on_stop && held) {
    auto released = api_->Update(LeasesPath(config_.lease_namespace, config_.lease_name),
                                 ReleasedLease(*held, config_.env->WallNow()));
    if (!released.ok()) {
      base::LogWarn("leader election: release failed", {{"error", released.error().ToString()}});
    }
  }
  SetLeader(false);
}

bool LeaderElector::WaitForLeadership(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return config_.env->WaitFor(
      cv_, lock, timeout, [this] { return leader_.load(); }, thread_.get_stop_token());
}

std::string LeaderElector::LastObservedHolder() const {
  std::lock_guard<std::mutex> lock(mu_);
  return holder_;
}

}  // namespace hami::k8s
