#include "sim/config.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace hami::sim {
namespace {

using base::InvalidArgument;
using base::Result;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

// Facts about a GPU model that the simulation reports.
struct ModelInfo {
  const char* key;   // upper-case token as written in HAMI_SIM_GPUS ("A100")
  const char* name;  // printf pattern; %llu receives the memory in GB where present
  int sms;
  int cc_major, cc_minor;
  int max_threads_per_sm;
  int max_blocks_per_sm;
  unsigned architecture;  // NVML_DEVICE_ARCH_*
  bool mig_capable;
  uint16_t pci_device;
};

constexpr ModelInfo kModels[] = {
    {"A100", "NVIDIA A100-SXM4-%lluGB", 108, 8, 0, 2048, 32, 7, true, 0x20B0},
    {"A30", "NVIDIA A30", 56, 8, 0, 2048, 32, 7, true, 0x20B7},
    {"A10", "NVIDIA A10", 72, 8, 6, 1536, 16, 7, false, 0x2236},
    {"T4", "Tesla T4", 40, 7, 5, 1024, 16, 6, false, 0x1EB8},
    {"V100", "Tesla V100-SXM2-%lluGB", 80, 7, 0, 2048, 32, 5, false, 0x1DB1},
    {"L4", "NVIDIA L4", 58, 8, 9, 1536, 24, 8, false, 0x27B8},
    {"L40S", "NVIDIA L40S", 142, 8, 9, 1536, 24, 8, false, 0x26B9},
    {"H100", "NVIDIA H100 %lluGB HBM3", 132, 9, 0, 2048, 32, 9, true, 0x2330},
    {"H200", "NVIDIA H200", 132, 9, 0, 2048, 32, 9, true, 0x2335},
};

const ModelInfo* FindModel(std::string_view token) {
  std::string upper = base::ToUpper(token);
  for (const ModelInfo& m : kModels) {
    if (upper == m.key) return &m;
  }
  return nullptr;
}

// Finds a known model named inside a full product name ("NVIDIA A100-SXM4-40GB" -> A100). The
// longest key wins so "A100" is not mistaken for "A10".
const ModelInfo* FindModelInName(std::string_view name) {
  std::string upper = base::ToUpper(name);
  const ModelInfo* best = nullptr;
  for (const ModelInfo& m : kModels) {
    if (base::Contains(upper, m.key) &&
        (best == nullptr || std::string_view(m.key).size() > std::string_view(best->key).size())) {
      best = &m;
    }
  }
  return best;
}

void ApplyModel(const ModelInfo& m, GpuSpec& gpu) {
  gpu.sms = m.sms;
  gpu.cc_major = m.cc_major;
  gpu.cc_minor = m.cc_minor;
  gpu.max_threads_per_sm = m.max_threads_per_sm;
  gpu.max_blocks_per_sm = m.max_blocks_per_sm;
  gpu.architecture = m.architecture;
  gpu.mig_capable = m.mig_capable;
  gpu.pci_device_id = (static_cast<uint32_t>(m.pci_device) << 16) | 0x10DE;
}

std::string PciBusId(int index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "00000000:%02X:00.0", 0x10 + index * 8);
  return buf;
}

uint64_t Fnv1a(std::string_view data, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// "40GB", "40G", "40GiB" -> GiB; "512MB", "512M", "512MiB" -> MiB.
Result<uint64_t> ParseMemory(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  auto number = base::ParseInt64(text.substr(0, digits));
  std::string unit = base::ToUpper(text.substr(digits));
  if (!number || *number <= 0) return InvalidArgument("memory '" + std::string(text) + "'");
  uint64_t scale = 0;
  if (unit == "GB" || unit == "G" || unit == "GIB") scale = kGiB;
  if (unit == "MB" || unit == "M" || unit == "MIB") scale = kMiB;
  if (scale == 0 || static_cast<uint64_t>(*number) > (1ull << 50) / scale) {
    return InvalidArgument("memory '" + std::string(text) + "' (want e.g. 40GB or 512MB)");
  }
  return static_cast<uint64_t>(*number) * scale;
}

GpuSpec MakeGpu(int index, std::string_view model, uint64_t memory_bytes) {
  GpuSpec gpu;
  gpu.memory_bytes = memory_bytes;
  gpu.pci_bus_id = PciBusId(index);
  gpu.pci_device_id = 0x10DE;
  if (const ModelInfo* m = FindModel(model)) {
    ApplyModel(*m, gpu);
    char name[96];
    std::snprintf(name, sizeof(name), m->name,
                  static_cast<unsigned long long>(memory_bytes / kGiB));
    gpu.name = name;
  } else {
    gpu.name = "NVIDIA " + std::string(model);
  }
  gpu.uuid = MakeUuid(index, model, memory_bytes);
  return gpu;
}

bool ValidModelToken(std::string_view model) {
  if (model.empty() || model.size() > 48) return false;
  for (char c : model) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

Result<std::optional<uint64_t>> OptionalU64(const char* name,
                                            const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::optional<uint64_t>();
  auto parsed = base::ParseInt64(base::Trim(*value));
  if (!parsed || *parsed < 0) {
    return InvalidArgument(std::string(name) + "='" + *value + "' is not a non-negative integer");
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(*parsed));
}

}  // namespace

std::string DigestUuid(std::string_view prefix, std::string_view key, uint64_t seed_a,
                       uint64_t seed_b) {
  uint64_t a = Fnv1a(key, seed_a);
  uint64_t b = Fnv1a(key, seed_b);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "-%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffull));
  return std::string(prefix) + buf;
}

std::string MakeUuid(int index, std::string_view model, uint64_t memory_bytes) {
  return DigestUuid(
      "GPU",
      std::to_string(index) + "/" + base::ToUpper(model) + "/" + std::to_string(memory_bytes),
      0x5151, 0xa7a7);
}

Result<std::vector<GpuSpec>> ParseCompactGpuList(std::string_view text) {
  std::vector<GpuSpec> gpus;
  for (std::string_view raw : base::Split(text, ',')) {
    std::string_view entry = base::Trim(raw);
    std::string where = "HAMI_SIM_GPUS entry '" + std::string(entry) + "': ";
    if (entry.empty()) return InvalidArgument(where + "empty entry");
    int64_t count = 1;
    size_t digits = 0;
    while (digits < entry.size() && std::isdigit(static_cast<unsigned char>(entry[digits]))) {
      ++digits;
    }
    if (digits > 0 && digits < entry.size() && (entry[digits] == 'x' || entry[digits] == 'X')) {
      auto n = base::ParseInt64(entry.substr(0, digits));
      if (!n || *n < 1 || *n > kMaxGpus) return InvalidArgument(where + "bad count");
      count = *n;
      entry.remove_prefix(digits + 1);
    }
    size_t dash = entry.rfind('-');
    if (dash == std::string_view::npos) {
      return InvalidArgument(where + "want <count>x<model>-<memory>, e.g. 2xA100-40GB");
    }
    std::string_view model = entry.substr(0, dash);
    if (!ValidModelToken(model)) return InvalidArgument(where + "bad model name");
    auto memory = ParseMemory(entry.substr(dash + 1));
    if (!memory.ok()) return InvalidArgument(where + memory.error().message());
    for (int64_t i = 0; i < count; ++i) {
      if (static_cast<int>(gpus.size()) >= kMaxGpus) {
        return InvalidArgument("HAMI_SIM_GPUS: more than " + std::to_string(kMaxGpus) + " GPUs");
      }
      gpus.push_back(MakeGpu(static_cast<int>(gpus.size()), model, *memory));
    }
  }
  return gpus;
}

Result<std::vector<GpuSpec>> ParseJsonGpuList(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("HAMI_SIM_GPUS file: not valid JSON");
  if (!doc.is_object() || !doc.contains("gpus") || !doc["gpus"].is_array()) {
    return InvalidArgument("HAMI_SIM_GPUS file: want an object with a \"gpus\" array");
  }
  const nlohmann::json& list = doc["gpus"];
  if (list.size() > static_cast<size_t>(kMaxGpus)) {
    return InvalidArgument("HAMI_SIM_GPUS file: more than " + std::to_string(kMaxGpus) + " GPUs");
  }
  std::vector<GpuSpec> gpus;
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& item = list[i];
    std::string where = "HAMI_SIM_GPUS file: gpus[" + std::to_string(i) + "]";
    if (!item.is_object()) return InvalidArgument(where + " is not an object");
    if (!item.contains("name") || !item["name"].is_string() ||
        item["name"].get<std::string>().empty()) {
      return InvalidArgument(where + ".name missing or not a string");
    }
    if (!item.contains("memoryMiB") || !item["memoryMiB"].is_number_unsigned() ||
        item["memoryMiB"].get<uint64_t>() == 0 ||
        item["memoryMiB"].get<uint64_t>() > (1ull << 30)) {
      return InvalidArgument(where + ".memoryMiB missing or not a positive integer");
    }
    std::string name = item["name"].get<std::string>();
    uint64_t memory = item["memoryMiB"].get<uint64_t>() * kMiB;
    GpuSpec gpu;
    gpu.name = name;
    gpu.memory_bytes = memory;
    gpu.pci_bus_id = PciBusId(static_cast<int>(i));
    gpu.pci_device_id = 0x10DE;
    if (const ModelInfo* m = FindModelInName(name)) ApplyModel(*m, gpu);
    gpu.uuid = MakeUuid(static_cast<int>(i), name, memory);
    if (item.contains("uuid")) {
      if (!item["uuid"].is_string() || !base::StartsWith(item["uuid"].get<std::string>(), "GPU-")) {
        return InvalidArgument(where + ".uuid must be a string starting with GPU-");
      }
      gpu.uuid = item["uuid"].get<std::string>();
    }
    if (item.contains("sms")) {
      if (!item["sms"].is_number_unsigned() || item["sms"].get<uint64_t>() == 0 ||
          item["sms"].get<uint64_t>() > 1024) {
        return InvalidArgument(where + ".sms must be an integer in 1..1024");
      }
      gpu.sms = item["sms"].get<int>();
    }
    if (item.contains("numa")) {
      if (!item["numa"].is_number_integer() || item["numa"].get<int64_t>() < -1 ||
          item["numa"].get<int64_t>() > 1023) {
        return InvalidArgument(where + ".numa must be an integer in -1..1023");
      }
      gpu.numa_node = item["numa"].get<int>();
    }
    if (item.contains("pciBusId")) {
      if (!item["pciBusId"].is_string() || item["pciBusId"].get<std::string>().size() >= 32) {
        return InvalidArgument(where + ".pciBusId must be a string like 00000000:3B:00.0");
      }
      gpu.pci_bus_id = item["pciBusId"].get<std::string>();
    }
    for (const GpuSpec& other : gpus) {
      if (other.uuid == gpu.uuid) return InvalidArgument(where + ".uuid repeats " + gpu.uuid);
    }
    gpus.push_back(std::move(gpu));
  }
  return gpus;
}

Result<std::vector<GpuSpec>> ParseGpuList(
    std::string_view text,
    const std::function<Result<std::string>(const std::string&)>& read_file) {
  text = base::Trim(text);
  if (text.empty()) return std::vector<GpuSpec>();
  if (base::Contains(text, "/") || base::EndsWith(text, ".json")) {
    auto content = read_file(std::string(text));
    if (!content.ok()) {
      return InvalidArgument("HAMI_SIM_GPUS file '" + std::string(text) +
                             "': " + content.error().message());
    }
    return ParseJsonGpuList(*content);
  }
  return ParseCompactGpuList(text);
}

uint64_t ConfigDigest(const std::vector<GpuSpec>& gpus) {
  std::string key;
  for (const GpuSpec& gpu : gpus) {
    key += gpu.name + "|" + gpu.uuid + "|" + std::to_string(gpu.memory_bytes) + ";";
  }
  return Fnv1a(key, 0);
}

std::vector<int> ParseVisibleDevices(std::optional<std::string_view> value,
                                     const std::vector<GpuSpec>& gpus) {
  std::vector<int> visible;
  for (const VisibleDevice& d : ParseVisibleDevicesWithMig(
           value, gpus, [](int) { return false; },
           [](std::string_view) { return std::optional<VisibleDevice>(); })) {
    visible.push_back(d.phys);
  }
  return visible;
}

namespace {

// The GPU an index or GPU- UUID prefix names; -1 when none or ambiguous.
int ResolveGpuEntry(std::string_view entry, const std::vector<GpuSpec>& gpus) {
  int index = -1;
  if (auto n = base::ParseInt64(entry)) {
    if (*n >= 0 && *n < static_cast<int64_t>(gpus.size())) index = static_cast<int>(*n);
  } else if (base::StartsWith(entry, "GPU-") && entry.size() > 4) {
    for (size_t i = 0; i < gpus.size(); ++i) {
      if (base::StartsWith(gpus[i].uuid, entry)) {
        if (index >= 0) return -1;  // ambiguous prefix
        index = static_cast<int>(i);
      }
    }
  }
  return index;
}

}  // namespace

std::vector<VisibleDevice> ParseVisibleDevicesWithMig(
    std::optional<std::string_view> value, const std::vector<GpuSpec>& gpus,
    const std::function<bool(int)>& in_mig_mode,
    const std::function<std::optional<VisibleDevice>(std::string_view)>& find_mig) {
  std::vector<VisibleDevice> visible;
  if (!value) {
    for (size_t i = 0; i < gpus.size(); ++i) {
      if (!in_mig_mode(static_cast<int>(i))) visible.push_back({static_cast<int>(i)});
    }
    return visible;
  }
  std::string_view list = base::Trim(*value);
  if (list.empty()) return visible;
  bool have_mig = false;
  for (std::string_view raw : base::Split(list, ',')) {
    std::string_view entry = base::Trim(raw);
    if (base::StartsWith(entry, "MIG-")) {
      auto mig = have_mig ? std::nullopt : find_mig(entry);
      if (!mig) break;
      have_mig = true;
      visible.push_back(*mig);
      continue;
    }
    int index = ResolveGpuEntry(entry, gpus);
    bool repeated = false;
    for (const VisibleDevice& v : visible) repeated |= (v.gi < 0 && v.phys == index);
    if (index < 0 || repeated || in_mig_mode(index)) break;
    visible.push_back({index});
  }
  return visible;
}

Result<SimOptions> ParseOptions(
    const std::function<std::optional<std::string>(const char*)>& getenv) {
  SimOptions options;
  HAMI_ASSIGN_OR_RETURN(auto ns,
                        OptionalU64("HAMI_SIM_NS_PER_BLOCK", getenv("HAMI_SIM_NS_PER_BLOCK")));
  if (ns) options.ns_per_block = *ns;
  HAMI_ASSIGN_OR_RETURN(auto window,
                        OptionalU64("HAMI_SIM_UTIL_WINDOW_MS", getenv("HAMI_SIM_UTIL_WINDOW_MS")));
  if (window) {
    if (*window == 0 || *window > 60000) {
      return InvalidArgument("HAMI_SIM_UTIL_WINDOW_MS must be in 1..60000");
    }
    options.util_window_ms = *window;
  }
  HAMI_ASSIGN_OR_RETURN(auto ctx,
                        OptionalU64("HAMI_SIM_CONTEXT_MIB", getenv("HAMI_SIM_CONTEXT_MIB")));
  if (ctx) {
    if (*ctx > (1ull << 30)) return InvalidArgument("HAMI_SIM_CONTEXT_MIB is too large");
    options.context_bytes = *ctx * kMiB;
  }
  if (auto path = getenv("HAMI_SIM_STATE")) options.state_path = *path;
  if (auto mig = getenv("HAMI_SIM_MIG")) options.mig = *mig;
  return options;
}

std::optional<std::string> ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::nullopt : std::optional<std::string>(value);
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return base::NotFound("cannot read file");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string DefaultStatePath(uint64_t digest, bool have_dev_shm) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s/hami-sim-%016llx.state", have_dev_shm ? "/dev/shm" : "/tmp",
                static_cast<unsigned long long>(digest));
  return buf;
}

}  // namespace hami::sim
