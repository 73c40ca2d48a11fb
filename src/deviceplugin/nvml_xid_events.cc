// NvmlDeviceSource's XID events: one NVML event set for the plugin's GPUs, registered for
// nvmlEventTypeXidCriticalError, waited on with nvmlEventSetWait_v2 (nvml_device_source.h).
#include <string>

#include "deviceplugin/nvml_device_source.h"
#include "deviceplugin/nvml_entry_points.h"

namespace hami::deviceplugin {

base::Status DeviceSource::WatchXids(const std::vector<std::string>& /*uuids*/) {
  return base::Unimplemented("this device source has no XID events");
}

base::Result<std::optional<XidEvent>> DeviceSource::NextXid(std::chrono::milliseconds /*timeout*/) {
  return base::Unimplemented("this device source has no XID events");
}

base::Status NvmlDeviceSource::WatchXids(const std::vector<std::string>& uuids) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!fns_->has_events()) return base::Unimplemented("NVML library has no event API");
  if (events_ == nullptr) {
    nvmlReturn_t rc = fns_->event_set_create(&events_);
    if (rc != NVML_SUCCESS) {
      events_ = nullptr;
      return base::Unavailable(std::string("nvmlEventSetCreate: ") + fns_->error_string(rc));
    }
  }
  std::string failed;
  for (const auto& uuid : uuids) {
    nvmlDevice_t device = nullptr;
    nvmlReturn_t rc = fns_->by_uuid(uuid.c_str(), &device);
    if (rc == NVML_SUCCESS && watched_.count(device) != 0) continue;
    unsigned long long supported = 0;
    if (rc == NVML_SUCCESS) rc = fns_->supported_events(device, &supported);
    if (rc == NVML_SUCCESS && (supported & nvmlEventTypeXidCriticalError) == 0) {
      rc = NVML_ERROR_NOT_SUPPORTED;
    }
    if (rc == NVML_SUCCESS)
      rc = fns_->register_events(device, nvmlEventTypeXidCriticalError, events_);
    if (rc == NVML_SUCCESS) {
      watched_[device] = uuid;
    } else {
      failed += (failed.empty() ? "" : ", ") + uuid + ": " + fns_->error_string(rc);
    }
  }
  if (!failed.empty()) return base::Unavailable("XID events not registered for " + failed);
  return {};
}

base::Result<std::optional<XidEvent>> NvmlDeviceSource::NextXid(std::chrono::milliseconds timeout) {
  nvmlEventSet_t set = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    set = events_;
  }
  if (set == nullptr) return base::FailedPrecondition("no GPU is watched for XID events");
  nvmlEventData_t data{};
  // Not under mu_: the wait blocks, and NVML is thread-safe.
  nvmlReturn_t rc = fns_->event_set_wait(set, &data, static_cast<unsigned int>(timeout.count()));
  if (rc == NVML_ERROR_TIMEOUT) return std::optional<XidEvent>();
  if (rc != NVML_SUCCESS) {
    return base::Unavailable(std::string("nvmlEventSetWait_v2: ") + fns_->error_string(rc));
  }
  if (data.eventType != nvmlEventTypeXidCriticalError) return std::optional<XidEvent>();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watched_.find(data.device);
  return std::optional<XidEvent>(
      XidEvent{it == watched_.end() ? std::string() : it->second, data.eventData});
}

}  // namespace hami::deviceplugin
