#include "deviceplugin/finish_writer.h"

#include "base/log.h"
#include "codec/k8s_object.h"
#include "deviceplugin/allocate.h"
#include "deviceplugin/write_retry.h"
#include "k8s/resource_path.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {

FinishWriter::FinishWriter(k8s::KubeApi& api, FinishWriterConfig config)
    : api_(api), config_(std::move(config)) {}

FinishWriter::~FinishWriter() { Stop(); }

void FinishWriter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopped_) return;
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void FinishWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  Drain({}, /*rounds_until_stop=*/false);
}

void FinishWriter::Push(FinishPatch patch) {
  bool stopped = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(patch));
    stopped = stopped_;
  }
  cv_.notify_all();
  if (stopped) Drain({}, /*rounds_until_stop=*/false);
}

size_t FinishWriter::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void FinishWriter::Run(std::stop_token stop) {
  auto next_repair = config_.env->SteadyNow() + config_.repair_interval;
  while (!stop.stop_requested()) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      const auto wait =
          std::max(next_repair - config_.env->SteadyNow(), base::Env::SteadyTime::duration::zero());
      config_.env->WaitFor(
          cv_, lock, wait, [this] { return !queue_.empty(); }, stop);
    }
    Drain(stop, /*rounds_until_stop=*/true);
    if (config_.candidates && config_.env->SteadyNow() >= next_repair) {
      RepairOnce();
      next_repair = config_.env->SteadyNow() + config_.repair_interval;
    }
  }
}

base::Status FinishWriter::Send(const FinishPatch& patch) {
  auto result = api_.Patch(k8s::PodsPath(patch.namespace_name, patch.name), k8s::PatchType::kMerge,
                           patch.body);
  return result.ok() ? base::Status() : result.error();
}

void FinishWriter::MarkSent(const std::string& uid) {
  const auto now = config_.env->SteadyNow();
  std::erase_if(recently_sent_,
                [&](const auto& entry) { return now - entry.second > config_.repair_grace; });
  recently_sent_[uid] = now;
}

void FinishWriter::Drain(std::stop_token stop, bool rounds_until_stop) {
  std::lock_guard<std::mutex> drain(drain_mu_);
  for (;;) {
    FinishPatch next;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) return;
      next = queue_.front();
    }
    const std::string pod = next.namespace_name + "/" + next.name;
    const int attempts = rounds_until_stop ? config_.attempts : config_.stop_attempts;
    auto round = [&] {
      return RetryWhileUnavailable([&] { return Send(next); }, attempts, config_.retry_delay,
                                   *config_.env, "finish bind of " + pod, stop);
    };
    base::Status status = round();
    while (rounds_until_stop && status.code() == base::StatusCode::kUnavailable &&
           config_.env->SleepFor(config_.retry_delay * attempts, stop)) {
      status = round();
    }
    if (status.code() == base::StatusCode::kUnavailable && rounds_until_stop) return;  // stopping
    if (status.code() == base::StatusCode::kNotFound) {
      base::LogInfo("finish bind: pod gone", {{"pod", pod}});
    } else if (!status.ok()) {
      base::LogWarn("finish bind failed; the repair pass retries it",
                    {{"pod", pod}, {"error", status.message()}});
    }
    std::lock_guard<std::mutex> lock(mu_);
    queue_.pop_front();
    if (status.ok()) MarkSent(next.uid);
  }
}

int FinishWriter::RepairOnce() {
  auto pods = config_.candidates();
  if (!pods) return 0;
  int written = 0;
  for (const auto& json : *pods) {
    auto pod = codec::PodFromJson(json);
    if (!pod.ok()) continue;
    auto remaining = LostFinishRemaining(*pod, config_.node_name);
    if (!remaining) continue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto sent = recently_sent_.find(pod->uid);
      if (sent != recently_sent_.end() &&
          config_.env->SteadyNow() - sent->second <= config_.repair_grace) {
        continue;
      }
      bool queued = false;
      for (const auto& patch : queue_) queued = queued || patch.uid == pod->uid;
      if (queued) continue;
    }
    FinishPatch patch{
        pod->namespace_name, pod->name, pod->uid,
        FinishBindPatch({{vendor::nvidia::kToAllocateAnnotation, *remaining}}, config_.node_name)};
    base::Status status =
        RetryWhileUnavailable([&] { return Send(patch); }, config_.attempts, config_.retry_delay,
                              *config_.env, "repair bind of " + pod->Key());
    if (!status.ok()) {
      base::LogWarn("repair of a lost bind patch failed",
                    {{"pod", pod->Key()}, {"error", status.message()}});
      continue;
    }
    base::LogInfo("repaired a lost bind patch", {{"pod", pod->Key()}});
    std::lock_guard<std::mutex> lock(mu_);
    MarkSent(pod->uid);
    ++written;
  }
  return written;
}

}  // namespace hami::deviceplugin
