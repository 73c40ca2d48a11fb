// The scrape side of `hami smi`: Prometheus text -> samples -> Snapshot (see smi.h).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <tuple>

#include "base/strings.h"
#include "monitor/smi.h"
#include "region/layout.h"

namespace hami::monitor {
namespace {

// A sample's value as a count: negative and NaN are 0, beyond uint64 saturates (a monitor's text
// is not trusted, and converting an out-of-range double is undefined).
uint64_t Count(double value) {
  if (!(value > 0)) return 0;
  if (value >= 18446744073709551616.0) return UINT64_MAX;
  return static_cast<uint64_t>(value);
}

bool NameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

base::Result<PromSample> ParseLine(std::string_view line, int number) {
  auto bad = [&](const std::string& why) {
    return base::InvalidArgument("line " + std::to_string(number) + ": " + why);
  };
  PromSample s;
  size_t i = 0;
  while (i < line.size() && NameChar(line[i], i == 0)) ++i;
  if (i == 0) return bad("no metric name");
  s.name = std::string(line.substr(0, i));
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t k = i;
      while (k < line.size() && NameChar(line[k], k == i)) ++k;
      if (k == i || k + 1 >= line.size() || line[k] != '=' || line[k + 1] != '"') {
        return bad("bad label");
      }
      std::string key(line.substr(i, k - i)), value;
      for (k += 2; k < line.size() && line[k] != '"'; ++k) {
        if (line[k] == '\\' && k + 1 < line.size()) {
          ++k;
          value += line[k] == 'n' ? '\n' : line[k];
        } else {
          value += line[k];
        }
      }
      if (k >= line.size()) return bad("unterminated label value");
      s.labels[key] = value;
      i = k + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return bad("unterminated label set");
    ++i;
  }
  std::string_view rest = base::Trim(line.substr(i));
  const std::string value(rest.substr(0, rest.find(' ')));
  if (value.empty()) return bad("no value");
  char* end = nullptr;
  s.value = std::strtod(value.c_str(), &end);
  if (value == "NaN") {
    s.value = std::nan("");
  } else if (end == value.c_str() || *end != '\0') {
    return bad("bad value \"" + value + "\"");
  }
  return s;
}

std::string Label(const PromSample& s, const char* key) {
  auto it = s.labels.find(key);
  return it == s.labels.end() ? std::string() : it->second;
}

}  // namespace

base::Result<std::vector<PromSample>> ParsePrometheusText(std::string_view text) {
  std::vector<PromSample> out;
  int number = 0;
  for (std::string_view line : base::Split(text, '\n')) {
    ++number;
    line = base::Trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto s = ParseLine(line, number);
    if (!s.ok()) return s.error();
    out.push_back(std::move(*s));
  }
  return out;
}

Snapshot SnapshotFromMetrics(const std::vector<PromSample>& samples, const std::string& node) {
  Snapshot snap;
  snap.node = node;
  std::map<std::string, HostGpu> gpus;  // by uuid
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, ContainerSample> containers;
  std::vector<PromSample> measured;  // hami_container_gpu_utilization_ratio, applied last
  // A sample naming a device index no region can have (a monitor's text is not trusted) lands
  // here and is dropped, instead of growing the container's device list to that index.
  DeviceReading discarded;
  auto device = [&](const PromSample& s) -> DeviceReading& {
    const size_t index = std::strtoul(Label(s, "vdevice_index").c_str(), nullptr, 10);
    if (index >= static_cast<size_t>(region::kMaxDevices)) return discarded;
    Key key{Label(s, "namespace"), Label(s, "pod"), Label(s, "container")};
    ContainerSample& c = containers[key];
    std::tie(c.namespace_name, c.pod, c.container) = key;
    c.pod_known = !c.namespace_name.empty();
    if (c.reading.devices.size() <= index) c.reading.devices.resize(index + 1);
    DeviceReading& d = c.reading.devices[index];
    d.uuid = d.uuid_label = Label(s, "device_uuid");
    d.uuid_valid = !d.uuid.empty();
    return d;
  };
  for (const PromSample& s : samples) {
    const uint64_t v = Count(s.value);
    if (base::StartsWith(s.name, "hami_host_gpu_")) {
      if (!Label(s, "node").empty() && !node.empty() && Label(s, "node") != node) continue;
      HostGpu& g = gpus[Label(s, "device_uuid")];
      g.uuid = Label(s, "device_uuid");
      g.index = static_cast<int>(std::clamp<long>(
          std::strtol(Label(s, "device_index").c_str(), nullptr, 10), -1, INT32_MAX));
      std::string type = Label(s, "device_type");
      g.name = base::StartsWith(type, "NVIDIA-") ? type.substr(7) : type;
      if (s.name == "hami_host_gpu_memory_used_bytes") g.memory_used = v;
      if (s.name == "hami_host_gpu_memory_total_bytes") g.memory_total = v;
      if (s.name == "hami_host_gpu_utilization_ratio") g.utilization_gpu = static_cast<unsigned>(v);
    } else if (s.name == "hami_vgpu_memory_used_bytes") {
      device(s).total = v;
    } else if (s.name == "hami_vgpu_memory_limit_bytes") {
      device(s).limit = v;
    } else if (s.name == "hami_vgpu_core_limit_ratio") {
      device(s).sm_limit = v;
    } else if (s.name == "hami_container_device_utilization_ratio") {
      device(s).sm_util = v;
    } else if (s.name == "hami_container_gpu_utilization_ratio") {
      device(s);  // creates the entry
      measured.push_back(s);
    } else if (s.name == "hami_container_blocked" && s.value > 0) {
      Key key{Label(s, "namespace"), Label(s, "pod"), Label(s, "container")};
      containers[key].reading.recent_kernel = -1;
    }
  }
  // What NVML measured for the container's processes wins over what its region reports.
  for (const PromSample& s : measured) device(s).sm_util = Count(s.value);
  for (auto& [uuid, g] : gpus) snap.gpus.push_back(std::move(g));
  std::sort(snap.gpus.begin(), snap.gpus.end(),
            [](const HostGpu& a, const HostGpu& b) { return a.index < b.index; });
  for (auto& [key, c] : containers) {
    if (!c.reading.devices.empty()) snap.containers.push_back(std::move(c));
  }
  return snap;
}

}  // namespace hami::monitor
