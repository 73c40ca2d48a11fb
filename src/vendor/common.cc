#include "vendor/common.h"

#include "base/quantity.h"
#include "base/strings.h"
#include "codec/node_register.h"

namespace hami::vendor {

const std::string* Quantity(const model::Container& c, const std::string& name) {
  if (const std::string* limit = LimitQuantity(c, name)) return limit;
  auto it = c.requests.find(name);
  return it == c.requests.end() ? nullptr : &it->second;
}

const std::string* LimitQuantity(const model::Container& c, const std::string& name) {
  if (name.empty()) return nullptr;
  auto it = c.limits.find(name);
  return it == c.limits.end() ? nullptr : &it->second;
}

std::optional<int64_t> AsInt64(const std::string& text) {
  auto value = base::ParseQuantityInt64(text);
  if (!value.ok()) return std::nullopt;
  return *value;
}

base::Result<int64_t> IntQuantity(const model::Container& c, const std::string& name,
                                  const std::string& text) {
  auto value = base::ParseQuantityInt64(text);
  if (!value.ok()) return value.error().WithContext("container " + c.name + ": resource " + name);
  return *value;
}

std::vector<std::string> AnnotationList(const model::Pod& pod, const std::string& key,
                                        bool upper) {
  std::vector<std::string> out;
  const std::string* value = pod.Annotation(key);
  if (value == nullptr) return out;
  for (std::string_view part : base::Split(*value, ',')) {
    part = base::Trim(part);
    if (part.empty()) continue;
    out.push_back(upper ? base::ToUpper(part) : std::string(part));
  }
  return out;
}

void ReadTypeSelector(const model::Pod& pod, const std::string& use_key,
                      const std::string& nouse_key, sched::DeviceSelector* selector) {
  selector->use_types = AnnotationList(pod, use_key, true);
  selector->nouse_types = AnnotationList(pod, nouse_key, true);
  const std::string* use = pod.Annotation(use_key);
  selector->no_type_allowed =
      use != nullptr && !base::Trim(*use).empty() && selector->use_types.empty();
}

void ReadUuidSelector(const model::Pod& pod, const std::string& use_key,
                      const std::string& nouse_key, sched::DeviceSelector* selector) {
  for (auto& uuid : AnnotationList(pod, use_key, false)) {
    selector->use_uuids.push_back(std::move(uuid));
  }
  for (auto& uuid : AnnotationList(pod, nouse_key, false)) {
    selector->nouse_uuids.push_back(std::move(uuid));
  }
}

base::Result<std::vector<model::DeviceInfo>> DevicesFromRegister(const codec::NodeObject& node,
                                                                 const std::string& key,
                                                                 const std::string& vendor) {
  auto it = node.annotations.find(key);
  if (it == node.annotations.end()) {
    return base::NotFound("annotation " + key + " is absent");
  }
  auto devices = codec::DecodeNodeDevices(it->second);
  if (!devices.ok()) return devices.error().WithContext("annotation " + key);
  for (auto& d : *devices) d.vendor = vendor;
  return std::move(*devices);
}

namespace {

int64_t IntOf(const model::ResourceList& list, const std::string& resource) {
  auto it = list.find(resource);
  if (it == list.end()) return 0;
  return AsInt64(it->second).value_or(0);
}

}  // namespace

int64_t CapacityOf(const codec::NodeObject& node, const std::string& resource) {
  return IntOf(node.capacity, resource);
}

int64_t AllocatableOf(const codec::NodeObject& node, const std::string& resource) {
  return IntOf(node.allocatable, resource);
}

}  // namespace hami::vendor
