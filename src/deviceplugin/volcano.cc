#include "deviceplugin/volcano.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <limits>

#include <nlohmann/json.hpp>

#include "deviceplugin/volcano_wire.h"
#include "model/protocol.h"
#include "vendor/nvidia/wire.h"

namespace hami::deviceplugin {

PodKeys HamiPodKeys() {
  return PodKeys{model::kBindPhaseAnnotation, model::kBindTimeAnnotation,
                 model::kVgpuNodeAnnotation, vendor::nvidia::kToAllocateAnnotation, false};
}

PodKeys VolcanoPodKeys() {
  return PodKeys{volcano::kBindPhaseAnnotation, volcano::kBindTimeAnnotation,
                 volcano::kNodeAnnotation, volcano::kToAllocateAnnotation, true};
}

void ViewAsHami(model::Pod& pod, const PodKeys& keys) {
  if (!keys.volcano) return;
  const std::pair<const std::string*, const char*> moves[] = {
      {&keys.bind_phase, model::kBindPhaseAnnotation},
      {&keys.bind_time, model::kBindTimeAnnotation},
      {&keys.node, model::kVgpuNodeAnnotation},
      {&keys.to_allocate, vendor::nvidia::kToAllocateAnnotation}};
  for (const auto& [from, to] : moves) {
    pod.annotations.erase(to);
    auto it = pod.annotations.find(*from);
    if (it != pod.annotations.end()) pod.annotations[to] = it->second;
  }
}

namespace {

int64_t BindTimeOf(const model::Pod& pod, const std::string& key) {
  const std::string* text = pod.Annotation(key);
  int64_t value = 0;
  if (text == nullptr) return std::numeric_limits<int64_t>::max();
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return std::numeric_limits<int64_t>::max();
  }
  return value;
}

// A field of the colon/comma grammar: its separators cannot be escaped, so they are replaced.
std::string Field(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == ',' || c == ':'; }, '_');
  return text;
}

}  // namespace

void SortByBindTime(std::vector<model::Pod>& pods, const PodKeys& keys) {
  std::stable_sort(pods.begin(), pods.end(), [&](const model::Pod& a, const model::Pod& b) {
    return BindTimeOf(a, keys.bind_time) < BindTimeOf(b, keys.bind_time);
  });
}

std::string EncodeVolcanoNodeDevices(const std::vector<model::DeviceInfo>& devices) {
  std::string out;
  for (const auto& device : devices) {
    out += Field(device.id) + "," + std::to_string(device.count) + "," +
           std::to_string(device.devmem) + "," + Field(device.type) + "," +
           (device.health ? "true" : "false") + "," + model::kModeHamiCore + ":";
  }
  return out;
}

std::string EncodeUnhealthyIds(const std::vector<model::DeviceInfo>& devices) {
  std::string out;
  for (const auto& device : devices) {
    if (device.health) continue;
    if (!out.empty()) out += ",";
    out += device.id;
  }
  return out;
}

std::string VolcanoHandshakeReported(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y.%m.%d %H:%M:%S", &utc);
  return std::string(volcano::kHandshakeReported) + text;
}

nlohmann::json VolcanoNodeAnnotations(const std::vector<model::DeviceInfo>& devices) {
  return {{volcano::kRegisterAnnotation, EncodeVolcanoNodeDevices(devices)},
          {volcano::kUnhealthyIdsAnnotation, EncodeUnhealthyIds(devices)}};
}

}  // namespace hami::deviceplugin
