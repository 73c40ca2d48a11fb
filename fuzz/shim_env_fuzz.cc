// libvgpu's environment (docs/libvgpu.md "Environment") through shim::ReadConfig's lookup seam:
// CUDA_DEVICE_MEMORY_LIMIT[_i], CUDA_DEVICE_SM_LIMIT[_i], GPU_CORE_UTILIZATION_POLICY,
// CUDA_TASK_PRIORITY, HAMI_CONTEXT_OVERHEAD, CUDA_DEVICE_MEMORY_SHARED_CACHE, CUDA_OVERSUBSCRIBE,
// and CUDA_VISIBLE_DEVICES through limit::VisibleDevicePosition.
//
// Input: records separated by NUL bytes (an env value holds none); a record's first byte picks the
// variable (modulo the table below), the rest is its value (possibly empty: set but empty); a later
// record for the same variable replaces an earlier one.
//
// Properties beyond no crash or UB, checked against the parsers one value at a time:
//   * fail closed: a limit variable that is set but is not a positive size / a percentage makes
//     `error` non-empty and Enforcing() true, never "no limit";
//   * each device's memory limit is its own variable's value when that one is valid, else the
//     global one's, else 0; its SM limit likewise, within [0, 99] (100 means none);
//   * priority, policy, context overhead and the region path are the value read or the default;
//   * oversubscription is on only for a valid switch that says so (never from a malformed one),
//     and a malformed switch alone never fails the limits;
//     `error` and `region_path` are NUL-terminated inside their arrays;
//   * a memory size parses to the same bytes from its plain decimal spelling;
//   * a visible-device position names an entry that is that device's index or a UUID prefix.
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shim/config.h"
#include "shim/limit/env_parse.h"

namespace {

using hami::region::kMaxDevices;
namespace limit = hami::shim::limit;

std::vector<std::string> VariableNames() {
  std::vector<std::string> names = {"CUDA_DEVICE_MEMORY_LIMIT", "CUDA_DEVICE_SM_LIMIT"};
  for (int d = 0; d < kMaxDevices; ++d) {
    names.push_back("CUDA_DEVICE_MEMORY_LIMIT_" + std::to_string(d));
    names.push_back("CUDA_DEVICE_SM_LIMIT_" + std::to_string(d));
  }
  for (const char* name :
       {"GPU_CORE_UTILIZATION_POLICY", "CUDA_TASK_PRIORITY", "HAMI_CONTEXT_OVERHEAD",
        "CUDA_DEVICE_MEMORY_SHARED_CACHE", "CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_MEMORY_LIMIT_16",
        hami::shim::kOversubscribeEnv, "POD_UID", "CONTAINER_NAME", "CONTAINER_VGPU_MOUNT"}) {
    names.emplace_back(name);
  }
  return names;
}

using Vars = std::map<std::string, std::string>;

const char* Lookup(const char* name, void* context) {
  // A fixed level 0 keeps the fuzzer quiet; the level's parser is ParseSmallInt, fuzzed below
  // through CUDA_TASK_PRIORITY.
  if (std::strcmp(name, "LIBCUDA_LOG_LEVEL") == 0) return "0";
  const Vars& vars = *static_cast<const Vars*>(context);
  auto it = vars.find(name);
  return it == vars.end() ? nullptr : it->second.c_str();
}

const std::string* Find(const Vars& vars, const std::string& name) {
  auto it = vars.find(name);
  return it == vars.end() ? nullptr : &it->second;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

// A memory variable as ReadConfig must read it: nullopt when unset; *failed when set but not a
// positive size.
std::optional<uint64_t> Memory(const Vars& vars, const std::string& name, bool* failed) {
  const std::string* v = Find(vars, name);
  if (v == nullptr) return std::nullopt;
  std::optional<uint64_t> p = limit::ParseMemoryLimit(*v);
  if (p) Check(limit::ParseMemoryLimit(std::to_string(*p)) == p);
  if (!p || *p == 0) {
    *failed = true;
    return std::nullopt;
  }
  return p;
}

std::optional<uint32_t> Sm(const Vars& vars, const std::string& name, bool* failed) {
  const std::string* v = Find(vars, name);
  if (v == nullptr) return std::nullopt;
  std::optional<uint32_t> p = limit::ParseSmLimit(*v);
  if (!p) *failed = true;
  if (p) Check(*p <= 100);
  return p;
}

const std::string* NonEmpty(const Vars& vars, const char* name) {
  const std::string* v = Find(vars, name);
  return v != nullptr && !v->empty() ? v : nullptr;
}

constexpr std::string_view kDefaultPath = "/tmp/cudevshr.cache";

bool FileNameComponent(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s != "." && s != "..";
}

// KAI-resource-isolator's <mount>/containers/<uid>_<name>/usage.cache when all three are set,
// plain file names and the path fits; else the default path.
std::string PerContainerPath(const Vars& vars) {
  const std::string* mount = NonEmpty(vars, "CONTAINER_VGPU_MOUNT");
  const std::string* uid = NonEmpty(vars, "POD_UID");
  const std::string* name = NonEmpty(vars, "CONTAINER_NAME");
  if (mount == nullptr || uid == nullptr || name == nullptr) return std::string(kDefaultPath);
  if (!FileNameComponent(*uid) || !FileNameComponent(*name)) return std::string(kDefaultPath);
  std::string path = *mount + "/containers/" + *uid + "_" + *name + "/usage.cache";
  // A value holds no NUL (records are NUL-separated), so the C string is the whole value.
  return path.size() < sizeof(hami::shim::Config::region_path) ? path : std::string(kDefaultPath);
}

void CheckConfig(const Vars& vars) {
  const hami::shim::Config c = hami::shim::ReadConfig(Lookup, const_cast<Vars*>(&vars));
  bool failed = false;
  const std::optional<uint64_t> all = Memory(vars, "CUDA_DEVICE_MEMORY_LIMIT", &failed);
  const std::optional<uint32_t> all_sm = Sm(vars, "CUDA_DEVICE_SM_LIMIT", &failed);
  bool any_sm = false;
  for (int d = 0; d < kMaxDevices; ++d) {
    const std::string i = std::to_string(d);
    const std::optional<uint64_t> mem = Memory(vars, "CUDA_DEVICE_MEMORY_LIMIT_" + i, &failed);
    Check(c.mem_limit[d] == (mem ? *mem : all.value_or(0)));
    const std::optional<uint32_t> sm = Sm(vars, "CUDA_DEVICE_SM_LIMIT_" + i, &failed);
    const uint32_t pct = sm ? *sm : all_sm.value_or(0);
    Check(c.sm_limit[d] == (pct >= 100 ? 0 : pct) && c.sm_limit[d] < 100);
    any_sm |= c.sm_limit[d] != 0;
  }
  std::optional<limit::CorePolicy> policy;
  if (const std::string* v = NonEmpty(vars, "GPU_CORE_UTILIZATION_POLICY"))
    policy = limit::ParseCorePolicy(*v);
  Check(c.policy == policy.value_or(limit::CorePolicy::kDefault));
  Check(c.any_sm_limit == (any_sm && c.policy != limit::CorePolicy::kDisable));
  std::optional<int32_t> priority;
  if (const std::string* v = NonEmpty(vars, "CUDA_TASK_PRIORITY"))
    priority = limit::ParseSmallInt(*v);
  if (priority) Check(*priority >= 0 && *priority <= 1000000);
  Check(c.priority == priority.value_or(1));
  std::optional<uint64_t> overhead;
  if (const std::string* v = NonEmpty(vars, "HAMI_CONTEXT_OVERHEAD"))
    overhead = limit::ParseMemoryLimit(*v);
  Check(c.context_overhead_set == overhead.has_value() &&
        c.context_overhead == overhead.value_or(0));
  std::optional<bool> oversubscribe;
  if (const std::string* v = NonEmpty(vars, hami::shim::kOversubscribeEnv))
    oversubscribe = limit::ParseSwitch(*v);
  Check(c.oversubscribe == oversubscribe.value_or(false));
  Check(std::memchr(c.region_path, '\0', sizeof(c.region_path)) != nullptr);
  const std::string* path = NonEmpty(vars, "CUDA_DEVICE_MEMORY_SHARED_CACHE");
  if (path != nullptr && path->size() >= sizeof(c.region_path)) failed = true;
  const bool path_used = path != nullptr && path->size() < sizeof(c.region_path);
  Check(std::string_view(c.region_path) == (path_used ? *path : PerContainerPath(vars)));
  Check(c.region_dirs_to_create == (path == nullptr && PerContainerPath(vars) != kDefaultPath));
  Check(std::memchr(c.error, '\0', sizeof(c.error)) != nullptr);
  Check(failed == (c.error[0] != '\0'));
  if (failed) Check(c.Enforcing());
}

// The entry at `pos` of the list names the device: an NVML index strtoul reads whole, or a prefix
// of its UUID.
void CheckVisible(const std::string& visible, unsigned int index, const char* uuid) {
  const int pos = limit::VisibleDevicePosition(visible.c_str(), index, uuid, kMaxDevices);
  Check(pos >= -1 && pos < kMaxDevices);
  if (pos < 0) return;
  size_t start = 0;
  for (int i = 0; i < pos; ++i) {
    start = visible.find(',', start);
    Check(start != std::string::npos);
    ++start;
  }
  const std::string entry = visible.substr(start, visible.find(',', start) - start);
  Check(!entry.empty());
  char* end = nullptr;
  const unsigned long v = std::strtoul(entry.c_str(), &end, 10);
  const bool is_index = end == entry.c_str() + entry.size() && v == index;
  const bool is_uuid = uuid != nullptr && std::string_view(uuid).starts_with(entry);
  Check(is_index || is_uuid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> names = VariableNames();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Vars vars;
  size_t records = 0;
  for (size_t start = 0; start < input.size();) {
    size_t end = input.find('\0', start);
    if (end == std::string_view::npos) end = input.size();
    if (end > start) {
      const auto selector = static_cast<unsigned char>(input[start]);
      vars[names[selector % names.size()]] = std::string(input.substr(start + 1, end - start - 1));
      ++records;
    }
    start = end + 1;
  }
  CheckConfig(vars);
  if (const std::string* visible = Find(vars, "CUDA_VISIBLE_DEVICES")) {
    static const char kUuid[] = "GPU-8c5b1a2e-0000-4a6f-9d1e-0123456789ab";
    const auto index = static_cast<unsigned int>(records % 20);
    CheckVisible(*visible, index, kUuid);
    CheckVisible(*visible, index, nullptr);
  }
  return 0;
}
