#include "vendor/enflame/drs_capacity.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "vendor/enflame/wire.h"

namespace hami::vendor::enflame {
namespace {

using nlohmann::json;

// Go's encoding/json: an exact member name first, else an ASCII case-insensitive match.
const json* Member(const json& object, std::string_view key) {
  auto it = object.find(key);
  if (it != object.end()) return it->is_null() ? nullptr : &*it;
  const std::string lower = base::ToLower(key);
  for (auto i = object.begin(); i != object.end(); ++i) {
    if (base::ToLower(i.key()) == lower) return i->is_null() ? nullptr : &*i;
  }
  return nullptr;
}

std::optional<int64_t> IntegerOf(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d >= -9.0e18 && d <= 9.0e18 && static_cast<double>(static_cast<int64_t>(d)) == d) {
      return static_cast<int64_t>(d);
    }
    return std::nullopt;
  }
  if (v.is_string()) return base::ParseInt64(base::Trim(v.get<std::string>()));
  return std::nullopt;
}

// A value for an error message: scalars as JSON text (cut at 64 bytes), containers by type only
// (dumping a hostile, deeply nested value would recurse without bound).
std::string Describe(const json& v) {
  if (v.is_structured()) return std::string("a JSON ") + v.type_name();
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 64) text = text.substr(0, 64) + "...";
  return text;
}

base::Status Bad(const std::string& where, const std::string& what) {
  return base::InvalidArgument(where + ": " + what);
}

struct Profile {
  std::string name;
  std::string id;
  ProfileShape shape;
};

base::Result<std::vector<Profile>> ReadProfiles(const json& root) {
  const json* profiles = Member(root, kDrsProfilesMember);
  if (profiles == nullptr || !profiles->is_object() || profiles->empty()) {
    return Bad(kDrsProfilesMember, "expected a non-empty object of profile name -> profile ID");
  }
  if (profiles->size() > kMaxEntries) return Bad(kDrsProfilesMember, "too many profiles");
  std::vector<Profile> out;
  for (auto it = profiles->begin(); it != profiles->end(); ++it) {
    const std::string where = std::string(kDrsProfilesMember) + "[" + base::Quote(it.key()) + "]";
    auto shape = ParseProfileName(it.key());
    if (!shape) return Bad(where, "expected a profile name <slices>g.<memory>gb");
    if (!it->is_string()) return Bad(where, "expected a string profile ID, got " + Describe(*it));
    for (const auto& p : out) {
      if (p.shape.size == shape->size && p.shape.memory_gb == shape->memory_gb) {
        return Bad(where, "names the same shape as " + base::Quote(p.name));
      }
    }
    out.push_back({it.key(), it->get<std::string>(), *shape});
  }
  std::sort(out.begin(), out.end(), [](const Profile& a, const Profile& b) {
    if (a.shape.size != b.shape.size) return a.shape.size < b.shape.size;
    return a.shape.memory_gb < b.shape.memory_gb;
  });
  return out;
}

std::vector<model::Partition> Partitions(const std::vector<Profile>& profiles) {
  int32_t max_slice = 0;
  for (const auto& p : profiles) max_slice = std::max(max_slice, p.shape.size);
  std::vector<model::Partition> out;
  for (const auto& p : profiles) {
    model::Partition part;
    part.name = p.name;
    part.id = p.id;
    part.memory_mib = p.shape.memory_gb * 1024;
    part.core = (p.shape.size * 100 + max_slice - 1) / max_slice;
    part.slices = p.shape.size;
    part.slots = p.shape.size;
    out.push_back(std::move(part));
  }
  return out;
}

// "index" or "minor": a string or an integer; nullopt when absent or blank.
base::Result<std::optional<std::string>> Label(const json& device, const char* key,
                                               const std::string& where) {
  const json* v = Member(device, key);
  if (v == nullptr) return std::optional<std::string>();
  std::string text;
  if (v->is_string()) {
    text = std::string(base::Trim(v->get<std::string>()));
  } else if (v->is_number_integer()) {
    text = std::to_string(v->get<int64_t>());
  } else {
    return Bad(where + "." + key, "expected a string, got " + Describe(*v));
  }
  if (text.empty()) return std::optional<std::string>();
  return std::optional<std::string>(text);
}

base::Result<model::DeviceInfo> ReadDevice(const json& device, size_t position,
                                           std::string_view node_name) {
  const std::string where = std::string(kDrsDevicesMember) + "[" + std::to_string(position) + "]";
  if (!device.is_object()) return Bad(where, "expected an object, got " + Describe(device));
  model::DeviceInfo d;
  d.index = static_cast<int32_t>(position);
  HAMI_ASSIGN_OR_RETURN(auto index, Label(device, kDrsIndexMember, where));
  if (index) {
    auto value = base::ParseInt64(*index);
    if (!value || *value < 0 || *value > std::numeric_limits<int32_t>::max()) {
      return Bad(where + ".index", "expected a device index, got " + base::Quote(*index));
    }
    d.index = static_cast<int32_t>(*value);
  }
  const json* capacity = Member(device, kDrsCapacityMember);
  const auto slices = capacity == nullptr ? std::nullopt : IntegerOf(*capacity);
  if (!slices || *slices < 1 || *slices > kMaxSlices) {
    return Bad(where + ".capacity", "expected a slice count in 1.." + std::to_string(kMaxSlices) +
                                        ", got " + (capacity ? Describe(*capacity) : "nothing"));
  }
  d.count = static_cast<int32_t>(*slices);
  HAMI_ASSIGN_OR_RETURN(auto minor, Label(device, kDrsMinorMember, where));
  d.attributes[kMinorAttribute] = minor ? *minor : std::to_string(d.index);
  d.id = std::string(node_name) + kDrsIdInfix + std::to_string(d.index);
  return d;
}

}  // namespace

std::optional<ProfileShape> ParseProfileName(std::string_view name) {
  const std::string normalized = base::ToLower(base::Trim(name));
  const auto parts = base::Split(normalized, '.');
  if (parts.size() != 2) return std::nullopt;
  std::string_view size = base::Trim(parts[0]);
  std::string_view memory = base::Trim(parts[1]);
  if (base::EndsWith(size, "g")) size.remove_suffix(1);
  if (base::EndsWith(memory, "gb")) memory.remove_suffix(2);
  const auto s = base::ParseInt64(size);
  const auto m = base::ParseInt64(memory);
  if (!s || !m || *s < 1 || *s > kMaxSlices || *m < 1 || *m > kMaxProfileGb) return std::nullopt;
  return ProfileShape{static_cast<int32_t>(*s), static_cast<int32_t>(*m)};
}

base::Result<std::vector<model::DeviceInfo>> DecodeDrsCapacity(std::string_view node_name,
                                                               std::string_view value,
                                                               const std::string& vendor) {
  if (value.size() > kMaxAnnotationBytes) return base::InvalidArgument("value too large");
  const json root = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return base::InvalidArgument("expected a JSON object with devices and profiles");
  }
  const json* devices = Member(root, kDrsDevicesMember);
  if (devices != nullptr && !devices->is_array()) {
    return Bad(kDrsDevicesMember, "expected a list, got " + Describe(*devices));
  }
  if (devices == nullptr || devices->empty()) return base::NotFound("no DRS device registered");
  if (devices->size() > kMaxEntries) return Bad(kDrsDevicesMember, "too many devices");
  HAMI_ASSIGN_OR_RETURN(auto profiles, ReadProfiles(root));
  const std::vector<model::Partition> partitions = Partitions(profiles);
  int32_t max_gb = 0;
  for (const auto& p : profiles) max_gb = std::max(max_gb, p.shape.memory_gb);
  std::vector<model::DeviceInfo> out;
  for (size_t i = 0; i < devices->size(); ++i) {
    HAMI_ASSIGN_OR_RETURN(model::DeviceInfo d, ReadDevice((*devices)[i], i, node_name));
    for (const auto& seen : out) {
      if (seen.index == d.index) {
        return Bad(std::string(kDrsDevicesMember) + "[" + std::to_string(i) + "]",
                   "index " + std::to_string(d.index) + " is registered twice");
      }
    }
    d.devmem = max_gb * 1024;
    d.devcore = kDrsDeviceCores;
    d.type = kDrsVendorName;
    d.health = true;
    d.vendor = vendor;
    d.partitions = partitions;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace hami::vendor::enflame
