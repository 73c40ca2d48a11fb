#include "vendor/metax/sgpu_register.h"

#include <limits>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "codec/json_util.h"
#include "vendor/metax/wire.h"

namespace hami::vendor::metax {
namespace {

using nlohmann::json;

constexpr size_t kMaxBytes = 1 << 20;
constexpr size_t kMaxDevices = 1024;

// The member `key` (exact, else ASCII case-insensitive), nullptr when absent or null.
const json* Member(const json& object, std::string_view key) {
  auto exact = object.find(key);
  if (exact != object.end()) return exact->is_null() ? nullptr : &*exact;
  const std::string lower = base::ToLower(key);
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (base::ToLower(it.key()) == lower) return it->is_null() ? nullptr : &*it;
  }
  return nullptr;
}

class Entry {
 public:
  Entry(const json& object, size_t position)
      : object_(object),
        where_(std::string(kSgpuRegisterAnnotation) + ": device [" + std::to_string(position) +
               "]") {}

  base::Status String(const char* key, std::string* out) const {
    const json* v = Member(object_, key);
    if (v == nullptr) return {};
    if (!v->is_string()) return Bad(key, *v, "a string");
    *out = v->get<std::string>();
    return {};
  }
  base::Status Int(const char* key, bool non_negative, int32_t* out) const {
    const json* v = Member(object_, key);
    if (v == nullptr) return {};
    constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
    const int64_t low = non_negative ? 0 : std::numeric_limits<int32_t>::min();
    const char* expected = non_negative ? "an integer within 0..2147483647" : "an int32";
    if (!v->is_number_integer()) return Bad(key, *v, expected);
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(kMax)) {
      return Bad(key, *v, expected);
    }
    const int64_t value = v->get<int64_t>();
    if (value < low || value > kMax) return Bad(key, *v, expected);
    *out = static_cast<int32_t>(value);
    return {};
  }
  base::Status Bool(const char* key, bool* out) const {
    const json* v = Member(object_, key);
    if (v == nullptr) return {};
    if (!v->is_boolean()) return Bad(key, *v, "a boolean");
    *out = v->get<bool>();
    return {};
  }
  base::Status Error(const std::string& message) const {
    return base::InvalidArgument(where_ + ": " + message);
  }

 private:
  base::Status Bad(const char* key, const json& v, const char* expected) const {
    return Error(std::string("member \"") + key + "\": expected " + expected + ", got " +
                 codec::DumpJson(v));
  }

  const json& object_;
  std::string where_;
};

base::Result<model::DeviceInfo> DecodeEntry(const json& object, size_t position) {
  Entry e(object, position);
  if (!object.is_object()) return e.Error("expected an object, got " + codec::DumpJson(object));
  model::DeviceInfo d;
  d.index = static_cast<int32_t>(position);
  d.type = kSgpuVendorName;
  d.vendor = kSgpuVendorName;
  HAMI_RETURN_IF_ERROR(e.String(kRegUuid, &d.id));
  if (d.id.empty()) return e.Error(std::string("member \"") + kRegUuid + "\" is missing or empty");
  HAMI_RETURN_IF_ERROR(e.Int(kRegTotalDevCount, true, &d.count));
  HAMI_RETURN_IF_ERROR(e.Int(kRegTotalVRam, true, &d.devmem));
  HAMI_RETURN_IF_ERROR(e.Int(kRegTotalCompute, true, &d.devcore));
  HAMI_RETURN_IF_ERROR(e.Int(kRegNuma, false, &d.numa));
  HAMI_RETURN_IF_ERROR(e.Bool(kRegHealthy, &d.health));
  std::string model, qos;
  int32_t zone = 0;
  HAMI_RETURN_IF_ERROR(e.String(kRegModel, &model));
  HAMI_RETURN_IF_ERROR(e.String(kRegQosPolicy, &qos));
  HAMI_RETURN_IF_ERROR(e.Int(kRegLinkZone, false, &zone));
  d.attributes[kAttrModel] = model;
  d.attributes[kAttrQosPolicy] = qos;
  d.attributes[kAttrLinkZone] = std::to_string(zone);
  return d;
}

}  // namespace

base::Result<std::vector<model::DeviceInfo>> DecodeSgpuDevices(std::string_view value) {
  const std::string where = kSgpuRegisterAnnotation;
  if (value.size() > kMaxBytes) {
    return base::InvalidArgument(where + ": " + std::to_string(value.size()) +
                                 " bytes exceed the limit of " + std::to_string(kMaxBytes));
  }
  const json parsed = json::parse(value, nullptr, false);
  if (parsed.is_discarded()) return base::InvalidArgument(where + ": invalid JSON");
  if (!parsed.is_array()) {
    return base::InvalidArgument(where + ": expected a JSON array, got " +
                                 std::string(parsed.type_name()));
  }
  if (parsed.size() > kMaxDevices) {
    return base::InvalidArgument(where + ": " + std::to_string(parsed.size()) +
                                 " devices exceed the limit of " + std::to_string(kMaxDevices));
  }
  std::vector<model::DeviceInfo> devices;
  std::set<std::string> seen;
  for (size_t i = 0; i < parsed.size(); ++i) {
    HAMI_ASSIGN_OR_RETURN(model::DeviceInfo d, DecodeEntry(parsed[i], i));
    if (!seen.insert(d.id).second) {
      return base::InvalidArgument(where + ": device [" + std::to_string(i) + "]: uuid \"" + d.id +
                                   "\" is registered twice");
    }
    devices.push_back(std::move(d));
  }
  return devices;
}

}  // namespace hami::vendor::metax
