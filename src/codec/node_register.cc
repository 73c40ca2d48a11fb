#include "codec/node_register.h"

#include <limits>
#include <map>

#include "base/strings.h"
#include "codec/json_util.h"

namespace hami::codec {
namespace {

using internal::Quote;
using nlohmann::json;

std::string DeviceWhere(size_t position) {
  return "node register annotation: device [" + std::to_string(position) + "]";
}

base::Status DecodeMigProfile(const json& j, const std::string& where, model::Partition* out) {
  if (!j.is_object()) return base::InvalidArgument(where + ": " + internal::Expected("object", j));
  out->core = 0;
  out->slices = 0;
  HAMI_RETURN_IF_ERROR(internal::ReadString(j, "name", where, &out->name));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "memoryMB", where, &out->memory_mib));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "core", where, &out->core));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "sliceCount", where, &out->slices));
  const json* placements = internal::FindMember(j, "placements");
  if (placements == nullptr) return {};
  if (!placements->is_array()) {
    return base::InvalidArgument(
        where + ": field \"placements\": " + internal::Expected("array", *placements));
  }
  for (size_t i = 0; i < placements->size(); ++i) {
    const json& p = (*placements)[i];
    const std::string pwhere = where + ".placements[" + std::to_string(i) + "]";
    if (!p.is_object()) {
      return base::InvalidArgument(pwhere + ": " + internal::Expected("object", p));
    }
    model::Placement placement;
    HAMI_RETURN_IF_ERROR(internal::ReadInt32(p, "start", pwhere, &placement.start));
    HAMI_RETURN_IF_ERROR(internal::ReadInt32(p, "size", pwhere, &placement.size));
    out->placements.push_back(placement);
  }
  return {};
}

// `custominfo`: an object of scalars, kept as attribute text (strings as they are, numbers in their
// shortest form, booleans as true/false; nested values as compact JSON).
base::Status DecodeCustomInfo(const json& j, const std::string& where,
                              std::map<std::string, std::string>* out) {
  const json* info = internal::FindMember(j, "custominfo");
  if (info == nullptr) return {};
  if (!info->is_object()) {
    return base::InvalidArgument(where +
                                 ": field \"custominfo\": " + internal::Expected("object", *info));
  }
  for (const auto& [key, value] : info->items()) {
    if (value.is_null()) continue;
    if (value.is_string()) {
      (*out)[key] = value.get<std::string>();
    } else if (value.is_number_float() &&
               value.get<double>() ==
                   static_cast<double>(static_cast<int64_t>(value.get<double>()))) {
      (*out)[key] = std::to_string(static_cast<int64_t>(value.get<double>()));
    } else {
      (*out)[key] = codec::DumpJson(value);
    }
  }
  return {};
}

base::Status DecodeDevice(const json& j, size_t position, model::DeviceInfo* out) {
  const std::string where = DeviceWhere(position);
  if (!j.is_object()) return base::InvalidArgument(where + ": " + internal::Expected("object", j));
  HAMI_RETURN_IF_ERROR(internal::ReadString(j, "id", where, &out->id));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "index", where, &out->index));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "count", where, &out->count));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "devmem", where, &out->devmem));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "devcore", where, &out->devcore));
  HAMI_RETURN_IF_ERROR(internal::ReadString(j, "type", where, &out->type));
  HAMI_RETURN_IF_ERROR(internal::ReadInt32(j, "numa", where, &out->numa));
  HAMI_RETURN_IF_ERROR(internal::ReadString(j, "mode", where, &out->mode));
  HAMI_RETURN_IF_ERROR(internal::ReadBool(j, "health", where, &out->health));
  if (out->id.empty()) return base::InvalidArgument(where + ": field \"id\": missing or empty");
  HAMI_RETURN_IF_ERROR(DecodeCustomInfo(j, where, &out->attributes));
  const json* profiles = internal::FindMember(j, "migProfiles");
  if (profiles == nullptr) return {};
  if (!profiles->is_array()) {
    return base::InvalidArgument(
        where + ": field \"migProfiles\": " + internal::Expected("array", *profiles));
  }
  for (size_t i = 0; i < profiles->size(); ++i) {
    model::Partition profile;
    HAMI_RETURN_IF_ERROR(DecodeMigProfile(
        (*profiles)[i], where + ".migProfiles[" + std::to_string(i) + "]", &profile));
    out->partitions.push_back(std::move(profile));
  }
  return {};
}

base::Status NoDevices() { return base::InvalidArgument("node register annotation: no devices"); }

// Appends `,"key":value` (or `{"key":value` for the first member) to a JSON object being built.
void AppendKey(std::string* out, bool* first, std::string_view key) {
  *out += *first ? "{" : ",";
  *first = false;
  *out += '"';
  *out += key;
  *out += "\":";
}

void AppendMigProfile(std::string* out, const model::Partition& p) {
  *out += "{\"name\":";
  internal::AppendGoString(out, p.name);
  *out += ",\"memoryMB\":" + std::to_string(p.memory_mib);
  *out += ",\"core\":" + std::to_string(p.core);
  *out += ",\"sliceCount\":" + std::to_string(p.slices);
  *out += ",\"placements\":[";
  for (size_t i = 0; i < p.placements.size(); ++i) {
    if (i > 0) *out += ',';
    *out += "{\"start\":" + std::to_string(p.placements[i].start) +
            ",\"size\":" + std::to_string(p.placements[i].size) + "}";
  }
  *out += "]}";
}

// Go marshals map[string]any with sorted keys; a value that reads as a JSON number or boolean is
// written as one, anything else as a string.
void AppendCustomInfo(std::string* out, const std::map<std::string, std::string>& attributes) {
  *out += '{';
  bool first = true;
  for (const auto& [key, value] : attributes) {
    if (!first) *out += ',';
    first = false;
    internal::AppendGoString(out, key);
    *out += ':';
    const json parsed = json::parse(value, nullptr, false);
    if (!parsed.is_discarded() && (parsed.is_number() || parsed.is_boolean())) {
      *out += value;
    } else {
      internal::AppendGoString(out, value);
    }
  }
  *out += '}';
}

void AppendDevice(std::string* out, const model::DeviceInfo& d) {
  bool first = true;
  auto int_member = [&](std::string_view key, int64_t value) {
    if (value == 0) return;
    AppendKey(out, &first, key);
    *out += std::to_string(value);
  };
  auto string_member = [&](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    AppendKey(out, &first, key);
    internal::AppendGoString(out, value);
  };
  string_member("id", d.id);
  int_member("index", d.index);
  int_member("count", d.count);
  int_member("devmem", d.devmem);
  int_member("devcore", d.devcore);
  string_member("type", d.type);
  int_member("numa", d.numa);
  string_member("mode", d.mode);
  if (!d.partitions.empty()) {
    AppendKey(out, &first, "migProfiles");
    *out += '[';
    for (size_t i = 0; i < d.partitions.size(); ++i) {
      if (i > 0) *out += ',';
      AppendMigProfile(out, d.partitions[i]);
    }
    *out += ']';
  }
  if (d.health) {
    AppendKey(out, &first, "health");
    *out += "true";
  }
  if (!d.attributes.empty()) {
    AppendKey(out, &first, "custominfo");
    AppendCustomInfo(out, d.attributes);
  }
  *out += first ? "{}" : "}";
}

// Integer field of the legacy form, in [min, max].
base::Status LegacyInt(std::string_view text, std::string_view field, const std::string& where,
                       int32_t* out) {
  auto v = base::ParseInt64(text);
  if (!v || *v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max()) {
    return base::InvalidArgument(where + ": field \"" + std::string(field) + "\": " + Quote(text) +
                                 " is not an int32");
  }
  *out = static_cast<int32_t>(*v);
  return {};
}

base::Status DecodeLegacyDevice(std::string_view segment, size_t position, model::DeviceInfo* out) {
  const std::string where = DeviceWhere(position);
  std::vector<std::string_view> f = base::Split(segment, ',');
  if (f.size() != 7 && f.size() != 9) {
    return base::InvalidArgument(where + ": " + Quote(segment) + " has " +
                                 std::to_string(f.size()) +
                                 " comma-separated fields, expected 7 or 9 "
                                 "(id,count,devmem,devcore,type,numa,health[,index,mode])");
  }
  out->id = std::string(f[0]);
  if (out->id.empty()) return base::InvalidArgument(where + ": field \"id\": empty");
  HAMI_RETURN_IF_ERROR(LegacyInt(f[1], "count", where, &out->count));
  HAMI_RETURN_IF_ERROR(LegacyInt(f[2], "devmem", where, &out->devmem));
  HAMI_RETURN_IF_ERROR(LegacyInt(f[3], "devcore", where, &out->devcore));
  out->type = std::string(f[4]);
  HAMI_RETURN_IF_ERROR(LegacyInt(f[5], "numa", where, &out->numa));
  std::optional<bool> health = base::ParseBool(f[6]);
  if (!health) {
    return base::InvalidArgument(where + ": field \"health\": " + Quote(f[6]) +
                                 " is not a boolean (true/false/1/0/t/f)");
  }
  out->health = *health;
  out->index = 0;
  out->mode = model::kModeHamiCore;
  if (f.size() == 9) {
    HAMI_RETURN_IF_ERROR(LegacyInt(f[7], "index", where, &out->index));
    out->mode = std::string(f[8]);
  }
  return {};
}

}  // namespace

base::Result<DeviceList> DecodeNodeDevices(std::string_view value) {
  std::string_view trimmed = base::Trim(value);
  if (!trimmed.empty() && trimmed.front() == '[') return DecodeNodeDevicesJson(value);
  return DecodeNodeDevicesLegacy(value);
}

base::Result<DeviceList> DecodeNodeDevicesJson(std::string_view value) {
  HAMI_ASSIGN_OR_RETURN(json doc, internal::ParseJson(value, "node register annotation"));
  if (doc.is_null()) return NoDevices();
  if (!doc.is_array()) {
    return base::InvalidArgument("node register annotation: " +
                                 internal::Expected("JSON array", doc));
  }
  DeviceList devices(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    HAMI_RETURN_IF_ERROR(DecodeDevice(doc[i], i, &devices[i]));
  }
  if (devices.empty()) return NoDevices();
  return devices;
}

base::Result<DeviceList> DecodeNodeDevicesLegacy(std::string_view value) {
  if (value.find(':') == std::string_view::npos) {
    return base::InvalidArgument("node register annotation: " + Quote(value.substr(0, 64)) +
                                 " is neither a JSON array nor the legacy form "
                                 "(devices each terminated by ':')");
  }
  DeviceList devices;
  std::vector<std::string_view> segments = base::Split(value, ':');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].empty()) continue;
    model::DeviceInfo device;
    HAMI_RETURN_IF_ERROR(DecodeLegacyDevice(segments[i], i, &device));
    devices.push_back(std::move(device));
  }
  if (devices.empty()) return NoDevices();
  return devices;
}

std::string EncodeNodeDevicesJson(const DeviceList& devices) {
  std::string out = "[";
  for (size_t i = 0; i < devices.size(); ++i) {
    if (i > 0) out += ',';
    AppendDevice(&out, devices[i]);
  }
  out += ']';
  return out;
}

base::Result<std::string> EncodeNodeDevicesLegacy(const DeviceList& devices) {
  std::string out;
  for (size_t i = 0; i < devices.size(); ++i) {
    const model::DeviceInfo& d = devices[i];
    for (const std::string* s : {&d.id, &d.type, &d.mode}) {
      if (s->find_first_of(",:") != std::string::npos) {
        return base::InvalidArgument(DeviceWhere(i) + ": " + Quote(*s) +
                                     " contains ',' or ':' and cannot be written in legacy form");
      }
    }
    out += d.id + "," + std::to_string(d.count) + "," + std::to_string(d.devmem) + "," +
           std::to_string(d.devcore) + "," + d.type + "," + std::to_string(d.numa) + "," +
           (d.health ? "true" : "false") + "," + std::to_string(d.index) + "," + d.mode + ":";
  }
  return out;
}

}  // namespace hami::codec
