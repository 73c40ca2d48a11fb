#include "vendor/enflame/drs_vendor.h"

#include "base/quantity.h"
#include "vendor/common.h"
#include "vendor/enflame/drs_capacity.h"

namespace hami::vendor::enflame {
namespace {

sched::FitRules DrsRules() {
  sched::FitRules r;
  r.clamp_cores = false;  // gcu-core above 100 matches no profile (ModeNotFit), as upstream
  r.gate_hook = true;
  return r;
}

bool Holds(const model::Partition& p, const model::DeviceRequest& r) {
  if (r.partition_slices > 0 && p.slices != r.partition_slices) return false;
  if (p.memory_mib < r.memreq) return false;
  return r.coresreq <= 0 || p.core >= r.coresreq;
}

// Copies `name` from limits to requests or back where one side lacks it.
void Mirror(model::Container& c, const std::string& name) {
  auto limit = c.limits.find(name);
  auto request = c.requests.find(name);
  if (limit == c.limits.end() && request != c.requests.end()) c.limits[name] = request->second;
  if (request == c.requests.end() && limit != c.limits.end()) c.requests[name] = limit->second;
}

base::Status Invalid(const model::Container& c, const std::string& message) {
  return base::InvalidArgument("container " + c.name + ": " + message);
}

}  // namespace

DrsFit::DrsFit() : sched::VendorFit(DrsRules()) {}

std::optional<model::Reason> DrsFit::Gate(const sched::NodeState& node, const sched::PodInput& pod,
                                          const sched::DeviceSelector& selector,
                                          const model::DeviceRequest& request,
                                          sched::RequestView* view) const {
  for (const auto& d : node.devices) {
    if (d.info.vendor != request.vendor) continue;
    for (const auto& p : d.info.partitions) {
      if (Holds(p, request)) return std::nullopt;
    }
  }
  return model::Reason::kModeNotFit;
}

DrsVendor::DrsVendor(EnflameConfig config)
    : config_(std::move(config)),
      name_(kDrsVendorName),
      keys_{kDrsCapacityAnnotation, "", "", kDrsAllocatedAnnotation} {}

std::vector<std::string> DrsVendor::ResourceNames() const {
  return {config_.drs_name, config_.memory_name, config_.core_name};
}

base::Result<NodeDevices> DrsVendor::DevicesFromNode(const codec::NodeObject& node) const {
  auto it = node.annotations.find(kDrsCapacityAnnotation);
  if (it == node.annotations.end()) {
    return base::NotFound(std::string("annotation ") + kDrsCapacityAnnotation + " is absent");
  }
  auto devices = DecodeDrsCapacity(node.name, it->second, name_);
  if (!devices.ok()) {
    return devices.error().WithContext(std::string("annotation ") + kDrsCapacityAnnotation);
  }
  NodeDevices out;
  out.devices = std::move(*devices);
  return out;
}

base::Result<std::optional<model::DeviceRequest>> DrsVendor::ContainerRequest(
    const model::Pod& pod, const model::Container& c) const {
  model::DeviceRequest r;
  r.vendor = name_;
  r.nums = 1;  // one DRS instance per container
  HAMI_ASSIGN_OR_RETURN(auto slices, RequestCount(c, config_.drs_name));
  if (slices) {
    r.partition_slices = *slices;
    return std::optional<model::DeviceRequest>(r);
  }
  const std::string* mem = Quantity(c, config_.memory_name);
  const std::string* core = Quantity(c, config_.core_name);
  if (mem == nullptr && core == nullptr) return std::optional<model::DeviceRequest>();
  if (mem != nullptr) {
    auto mib = base::ParseMemoryMiB(*mem);
    if (!mib.ok()) {
      return mib.error().WithContext("container " + c.name + ": resource " + config_.memory_name);
    }
    r.memreq = *mib;
  }
  if (core != nullptr) {
    HAMI_ASSIGN_OR_RETURN(r.coresreq, IntQuantity(c, config_.core_name, *core));
    if (r.coresreq < 0) {
      return Invalid(c, "resource " + config_.core_name + " must not be negative");
    }
  }
  return std::optional<model::DeviceRequest>(r);
}

base::Result<sched::DeviceSelector> DrsVendor::Selector(const model::Pod& pod) const {
  sched::DeviceSelector s;
  ReadUuidSelector(pod, kUseUuid, kNoUseUuid, &s);
  return s;
}

base::Result<bool> DrsVendor::Admit(model::Pod& pod, model::Container& c) const {
  if (const std::string* count = Quantity(c, config_.drs_name)) {
    HAMI_ASSIGN_OR_RETURN(int64_t n, IntQuantity(c, config_.drs_name, *count));
    if (n <= 0) return Invalid(c, config_.drs_name + " must be greater than 0");
    Mirror(c, config_.drs_name);
    return true;
  }
  const std::string* mem = Quantity(c, config_.memory_name);
  const std::string* core = Quantity(c, config_.core_name);
  if (mem == nullptr && core == nullptr) return false;
  if (mem != nullptr) {
    auto mib = base::ParseMemoryMiB(*mem);
    if (!mib.ok()) {
      return mib.error().WithContext("container " + c.name + ": resource " + config_.memory_name);
    }
    if (*mib <= 0) return Invalid(c, config_.memory_name + " must be greater than 0");
  }
  if (core != nullptr) {
    HAMI_ASSIGN_OR_RETURN(int64_t pct, IntQuantity(c, config_.core_name, *core));
    if (pct <= 0 || pct > 100) return Invalid(c, config_.core_name + " must be in range (0,100]");
  }
  Mirror(c, config_.memory_name);
  Mirror(c, config_.core_name);
  return true;
}

}  // namespace hami::vendor::enflame
