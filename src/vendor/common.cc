#include "vendor/common.h"

#include <algorithm>
#include <limits>

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

namespace {

const std::string* QuantityFrom(const model::Container& c, const std::string& name,
                                QuantitySource source) {
  return source == QuantitySource::kLimitsOnly ? LimitQuantity(c, name) : Quantity(c, name);
}

std::string Where(const model::Container& c, const std::string& name, const std::string& text) {
  return "container " + c.name + ": resource " + name + " \"" + text + "\"";
}

}  // namespace

base::Result<std::optional<int64_t>> ScaledMemoryMiB(const model::Container& c,
                                                     const std::string& name, int64_t factor) {
  const std::string* text = Quantity(c, name);
  if (text == nullptr) return std::optional<int64_t>();
  auto mib = base::ParseMemoryMiB(*text);
  if (!mib.ok()) return mib.error().WithContext("container " + c.name + ": resource " + name);
  if (*mib > std::numeric_limits<int32_t>::max() / factor) {
    return base::InvalidArgument(Where(c, name, *text) +
                                 " exceeds the largest request with memoryFactor " +
                                 std::to_string(factor));
  }
  return std::optional<int64_t>(*mib * factor);
}

base::Result<std::optional<int32_t>> RequestCount(const model::Container& c,
                                                  const std::string& name, QuantitySource source) {
  const std::string* text = QuantityFrom(c, name, source);
  if (text == nullptr) return std::optional<int32_t>();
  HAMI_ASSIGN_OR_RETURN(int64_t n, IntQuantity(c, name, *text));
  if (n == 0) return std::optional<int32_t>();
  if (n < 0 || n > std::numeric_limits<int32_t>::max()) {
    return base::InvalidArgument(Where(c, name, *text) + " must be within 1..2147483647");
  }
  return std::optional<int32_t>(static_cast<int32_t>(n));
}

base::Result<std::optional<int64_t>> BoundedQuantity(const model::Container& c,
                                                     const std::string& name, int64_t max,
                                                     std::string_view unit, QuantitySource source) {
  const std::string* text = QuantityFrom(c, name, source);
  if (text == nullptr) return std::optional<int64_t>();
  HAMI_ASSIGN_OR_RETURN(int64_t value, IntQuantity(c, name, *text));
  if (value < 0 || value > max) {
    return base::InvalidArgument(Where(c, name, *text) + " must be a whole number " +
                                 std::string(unit) + " within 0.." + std::to_string(max));
  }
  return std::optional<int64_t>(value);
}

std::vector<std::string> AnnotationList(const model::Pod& pod, const std::string& key, bool upper) {
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

base::Result<std::optional<int64_t>> CapacityValue(const codec::NodeObject& node,
                                                   const std::string& resource, int64_t max) {
  auto it = node.capacity.find(resource);
  if (it == node.capacity.end()) return std::optional<int64_t>();
  std::optional<int64_t> value = AsInt64(it->second);
  if (!value || *value < 0 || *value > max) {
    return base::InvalidArgument("capacity " + resource + " \"" + it->second +
                                 "\" is not a whole number within 0.." + std::to_string(max));
  }
  return value;
}

base::Result<int32_t> CapacityDevices(const codec::NodeObject& node, const std::string& resource) {
  HAMI_ASSIGN_OR_RETURN(auto devices, CapacityValue(node, resource, kMaxDevicesPerNode));
  if (!devices || *devices == 0) return base::NotFound("capacity " + resource + " is absent or 0");
  return static_cast<int32_t>(*devices);
}

std::vector<model::DeviceInfo> NumberedCards(const std::string& node, int32_t cards,
                                             const model::DeviceInfo& card,
                                             const std::string& id_infix) {
  std::vector<model::DeviceInfo> out;
  out.reserve(static_cast<size_t>(std::max(cards, 0)));
  for (int32_t i = 0; i < cards; ++i) {
    model::DeviceInfo d = card;
    d.index = i;
    d.id = node + id_infix + std::to_string(i);
    out.push_back(std::move(d));
  }
  return out;
}

base::Result<std::vector<model::DeviceInfo>> CardsFromSharedCapacity(const codec::NodeObject& node,
                                                                     const SharedCapacity& layout,
                                                                     const model::DeviceInfo& card,
                                                                     const std::string& id_infix) {
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  HAMI_ASSIGN_OR_RETURN(auto cores, CapacityValue(node, layout.core_resource,
                                                  kMaxDevicesPerNode * layout.cores_per_card));
  if (!cores || *cores == 0) {
    return base::NotFound("capacity " + layout.core_resource + " is absent or 0");
  }
  HAMI_ASSIGN_OR_RETURN(
      auto units, CapacityValue(node, layout.memory_resource, kInt32Max / layout.memory_unit_mib));
  const int64_t cards = (*cores + layout.cores_per_card - 1) / layout.cores_per_card;
  model::DeviceInfo shaped = card;
  shaped.devcore = static_cast<int32_t>(layout.cores_per_card);
  shaped.devmem = static_cast<int32_t>(std::min(
      units.value_or(0) * layout.memory_unit_mib * layout.cores_per_card / *cores, kInt32Max));
  return NumberedCards(node.name, static_cast<int32_t>(cards), shaped, id_infix);
}

}  // namespace hami::vendor
