#include "vendor/awsneuron/request.h"

#include <limits>
#include <string>

#include "vendor/common.h"

namespace hami::vendor::awsneuron {
namespace {

constexpr int64_t kMaxDevices = std::numeric_limits<int32_t>::max();

// The whole number of `name`, within [1, max]; the error names the container and resource.
base::Result<int64_t> Positive(const model::Container& c, const std::string& name,
                               const std::string& text, int64_t max) {
  HAMI_ASSIGN_OR_RETURN(int64_t value, IntQuantity(c, name, text));
  if (value <= 0) {
    return base::InvalidArgument("container " + c.name + ": " + name +
                                 " must be greater than 0, got " + text);
  }
  if (value > max) {
    return base::InvalidArgument("container " + c.name + ": " + name + " must not exceed " +
                                 std::to_string(max) + ", got " + text);
  }
  return value;
}

}  // namespace

base::Result<std::optional<model::DeviceRequest>> NeuronRequest(const model::Container& c,
                                                                const AwsNeuronConfig& config) {
  model::DeviceRequest request;
  request.vendor = kVendorName;
  if (const std::string* count = Quantity(c, config.resource_count_name)) {
    HAMI_ASSIGN_OR_RETURN(int64_t n, Positive(c, config.resource_count_name, *count, kMaxDevices));
    request.nums = static_cast<int32_t>(n);
    request.coresreq = kWholeDevice;
    return std::optional<model::DeviceRequest>(request);
  }
  const std::string* core = Quantity(c, config.resource_core_name);
  if (core == nullptr) return std::optional<model::DeviceRequest>();
  const std::string& name = config.resource_core_name;
  HAMI_ASSIGN_OR_RETURN(int64_t cores, Positive(c, name, *core, kMaxDevices * kCoresPerSplit));
  if (cores <= kCoresPerSplit) {
    request.nums = 1;
    request.coresreq = cores;
  } else if (cores % kCoresPerSplit == 0) {
    request.nums = static_cast<int32_t>(cores / kCoresPerSplit);
    request.coresreq = kCoresPerSplit;
  } else {
    return base::InvalidArgument("container " + c.name + ": " + name +
                                 " must be 1 or a multiple of " + std::to_string(kCoresPerSplit) +
                                 ", got " + std::to_string(cores));
  }
  return std::optional<model::DeviceRequest>(request);
}

}  // namespace hami::vendor::awsneuron
