// DrsVendor::AllocationAnnotations and ::GrantedDevices: what bind writes on a pod holding DRS
// instances, and reading it back (vendors.md §9.2 "Pod annotations").
#include <cstring>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "codec/pod_devices.h"
#include "vendor/enflame/drs_capacity.h"
#include "vendor/enflame/drs_vendor.h"

namespace hami::vendor::enflame {
namespace {

using nlohmann::json;

// One entry of assigned-containers.
struct Assigned {
  int64_t request = 0;  // slices
  std::string profile_id;
  std::string profile_name;
};

std::string ContainerName(const model::Pod& pod, size_t index) {
  if (index < pod.init_containers.size()) return pod.init_containers[index].name;
  index -= pod.init_containers.size();
  if (index < pod.containers.size()) return pod.containers[index].name;
  return "container-" + std::to_string(index + pod.init_containers.size());
}

// A JSON string literal as Go's encoding/json writes it (HTML-safe <, >, & and U+2028/9).
std::string GoString(const std::string& text) {
  const std::string dumped = json(text).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  for (size_t i = 0; i < dumped.size(); ++i) {
    const char c = dumped[i];
    if (c == '<') {
      out += "\\u003c";
      continue;
    }
    if (c == '>') {
      out += "\\u003e";
      continue;
    }
    if (c == '&') {
      out += "\\u0026";
      continue;
    }
    if (dumped.compare(i, 3, "\xe2\x80\xa8") == 0) {
      out += "\\u2028";
      i += 2;
      continue;
    }
    if (dumped.compare(i, 3, "\xe2\x80\xa9") == 0) {
      out += "\\u2029";
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

// WIRE: byte for byte what upstream's json.Marshal writes for map[string]assignedContainerInfo.
std::string EncodeAssigned(const std::map<std::string, Assigned>& assigned) {
  std::string out = "{";
  for (const auto& [name, a] : assigned) {
    if (out.size() > 1) out += ",";
    out += GoString(name) + ":{\"" + kAllocatedMember + "\":false,\"" + kRequestMember +
           "\":" + std::to_string(a.request);
    if (!a.profile_id.empty()) {
      out += ",\"" + std::string(kProfileIdMember) + "\":" + GoString(a.profile_id);
    }
    if (!a.profile_name.empty()) {
      out += ",\"" + std::string(kProfileNameMember) + "\":" + GoString(a.profile_name);
    }
    out += "}";
  }
  return out + "}";
}

base::Status BadAnnotation(const char* key, const std::string& what) {
  return base::InvalidArgument(std::string("annotation ") + key + ": " + what);
}

int64_t Slices(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  return 0;
}

base::Result<std::map<std::string, Assigned>> DecodeAssigned(const model::Pod& pod) {
  std::map<std::string, Assigned> out;
  const std::string* value = pod.Annotation(kAssignedContainersAnnotation);
  if (value == nullptr || value->empty()) return out;
  const json root = json::parse(*value, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return BadAnnotation(kAssignedContainersAnnotation, "expected a JSON object of containers");
  }
  for (auto it = root.begin(); it != root.end(); ++it) {
    Assigned a;
    const json* request =
        it->is_object() && it->contains(kRequestMember) ? &(*it)[kRequestMember] : nullptr;
    a.request = request == nullptr ? 0 : Slices(*request);
    if (a.request < 1 || a.request > kMaxSlices) {
      return BadAnnotation(
          kAssignedContainersAnnotation,
          "container " + it.key() + ": expected a slice count in 1.." + std::to_string(kMaxSlices));
    }
    if (auto id = it->find(kProfileIdMember); id != it->end() && id->is_string()) {
      a.profile_id = id->get<std::string>();
    }
    if (auto name = it->find(kProfileNameMember); name != it->end() && name->is_string()) {
      a.profile_name = name->get<std::string>();
    }
    out[it.key()] = std::move(a);
  }
  return out;
}

// DeviceInfo::index from an ID "<node>-enflame-drs-<index>" (0 when it has another form).
int32_t IndexOf(const std::string& uuid) {
  const auto at = uuid.rfind(kDrsIdInfix);
  if (at == std::string::npos) return 0;
  const auto index = base::ParseInt64(std::string_view(uuid).substr(at + std::strlen(kDrsIdInfix)));
  if (!index || *index < 0 || *index > std::numeric_limits<int32_t>::max()) return 0;
  return static_cast<int32_t>(*index);
}

}  // namespace

base::Result<std::map<std::string, std::string>> DrsVendor::AllocationAnnotations(
    const Allocation& allocation) const {
  HAMI_ASSIGN_OR_RETURN(auto out, Vendor::AllocationAnnotations(allocation));
  std::map<std::string, Assigned> assigned;
  for (size_t c = 0; c < allocation.devices.size(); ++c) {
    if (allocation.devices[c].empty()) continue;
    const model::ContainerDevice& chosen = allocation.devices[c][0];
    Assigned a{std::max<int64_t>(chosen.slots, 1), "", ""};
    for (const auto& p : allocation.partitions) {
      if (p.container == static_cast<int32_t>(c) && p.uuid == chosen.uuid) {
        a.profile_id = p.shape_id;
        a.profile_name = p.shape;
        break;
      }
    }
    if (assigned.empty()) {
      const std::string index = std::to_string(chosen.idx);
      out[kAssignedIndexAnnotation] = index;
      out[kAssignedIdAnnotation] = index;
      // The minor the device registered (the device plugin's default minor is the index).
      std::string minor = index;
      if (auto it = allocation.registered.find(chosen.uuid); it != allocation.registered.end()) {
        if (auto m = it->second.attributes.find(kMinorAttribute);
            m != it->second.attributes.end()) {
          minor = m->second;
        }
      }
      out[kAssignedMinorAnnotation] = minor;
      out[kRequestSizeAnnotation] = std::to_string(a.request);
    }
    assigned[ContainerName(allocation.pod, c)] = std::move(a);
  }
  if (assigned.empty()) return out;
  out[kAssignedAnnotation] = "false";
  out[kAssignedTimeAnnotation] = std::to_string(allocation.unix_now * 1000000000);
  out[kAssignedContainersAnnotation] = EncodeAssigned(assigned);
  return out;
}

base::Result<std::optional<Granted>> DrsVendor::GrantedDevices(const model::Pod& pod) const {
  HAMI_ASSIGN_OR_RETURN(auto granted, Vendor::GrantedDevices(pod));
  if (!granted) return granted;
  HAMI_ASSIGN_OR_RETURN(auto assigned, DecodeAssigned(pod));
  std::optional<int64_t> first_size;
  if (const std::string* size = pod.Annotation(kRequestSizeAnnotation)) {
    first_size = base::ParseInt64(base::Trim(*size));
    if (!first_size || *first_size < 1 || *first_size > kMaxSlices) {
      return BadAnnotation(kRequestSizeAnnotation,
                           "expected a slice count, got " + base::Quote(*size));
    }
  }
  bool first = true;
  for (size_t c = 0; c < granted->devices.size(); ++c) {
    auto& container = granted->devices[c];
    if (container.empty()) continue;
    Assigned a{1, "", ""};
    if (auto it = assigned.find(ContainerName(pod, c)); it != assigned.end()) {
      a = it->second;
    } else if (first && first_size) {
      a.request = *first_size;
    }
    first = false;
    for (auto& d : container) {
      d.idx = IndexOf(d.uuid);
      d.slots = static_cast<int32_t>(a.request);
      if (a.profile_name.empty()) continue;
      granted->partitions.push_back(
          {name_, static_cast<int32_t>(c), d.idx, d.uuid, a.profile_name, a.profile_id, {}});
    }
  }
  return granted;
}

}  // namespace hami::vendor::enflame
