#include "shim/config.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "shim/log.h"

namespace hami::shim {
namespace {

using region::kMaxDevices;

// Where the variables come from (ReadConfig's lookup).
struct EnvSource {
  EnvLookup lookup;
  void* context;
  // A variable's value: nullptr when unset. Set-but-empty is returned as "".
  const char* Raw(const char* name) const { return lookup(name, context); }
  const char* NonEmpty(const char* name) const {
    const char* v = Raw(name);
    return (v != nullptr && *v != '\0') ? v : nullptr;
  }
};

const char* GetEnv(const char* name, void*) { return std::getenv(name); }

void Fail(Config& c, const char* name, const char* value, const char* why) {
  SHIM_ERROR("%s=\"%s\" %s", name, value, why);
  if (c.error[0] == '\0')
    std::snprintf(c.error, sizeof(c.error), "%s=\"%.64s\" %s", name, value, why);
}

// A memory limit variable: nullopt when unset; a set value that is not a positive size is an
// error (recorded in `c`), never "no limit".
std::optional<uint64_t> MemEnv(const EnvSource& env, Config& c, const char* name) {
  const char* v = env.Raw(name);
  if (v == nullptr) return std::nullopt;
  auto p = limit::ParseMemoryLimit(v);
  if (!p) {
    Fail(c, name, v, "is not a memory size (bytes, or k/m/g/t, Ki/Mi/Gi/Ti)");
    return std::nullopt;
  }
  if (*p == 0) {
    Fail(c, name, v, "is a zero memory limit (not a slice)");
    return std::nullopt;
  }
  return p;
}

std::optional<uint32_t> SmEnv(const EnvSource& env, Config& c, const char* name) {
  const char* v = env.Raw(name);
  if (v == nullptr) return std::nullopt;
  auto p = limit::ParseSmLimit(v);
  if (!p) Fail(c, name, v, "is not a percentage 0..100");
  return p;
}

void ReadLimits(const EnvSource& env, Config& c) {
  const std::optional<uint64_t> all = MemEnv(env, c, "CUDA_DEVICE_MEMORY_LIMIT");
  const std::optional<uint32_t> all_sm = SmEnv(env, c, "CUDA_DEVICE_SM_LIMIT");
  for (int d = 0; d < kMaxDevices; ++d) {
    char name[64];
    std::snprintf(name, sizeof(name), "CUDA_DEVICE_MEMORY_LIMIT_%d", d);
    std::optional<uint64_t> mem = MemEnv(env, c, name);
    c.mem_limit[d] = mem ? *mem : all.value_or(0);
    std::snprintf(name, sizeof(name), "CUDA_DEVICE_SM_LIMIT_%d", d);
    std::optional<uint32_t> sm = SmEnv(env, c, name);
    const uint32_t pct = sm ? *sm : all_sm.value_or(0);
    c.sm_limit[d] = pct >= 100 ? 0 : pct;
    if (c.sm_limit[d] != 0) c.any_sm_limit = true;
  }
}

// A file-name component: not empty, no '/', not "." or "..".
bool IsPathComponent(const char* s) {
  return *s != '\0' && std::strchr(s, '/') == nullptr && std::strcmp(s, ".") != 0 &&
         std::strcmp(s, "..") != 0;
}

// WIRE: KAI-resource-isolator's per-container cache, used only without
// CUDA_DEVICE_MEMORY_SHARED_CACHE: <CONTAINER_VGPU_MOUNT>/containers/<POD_UID>_<CONTAINER_NAME>/
// usage.cache, the file its monitor reads. Any of the three unset: the default path; a value that
// cannot name that file (a '/' in the UID or name, too long): one error line and the default path
// (the limits still hold; only the monitor loses sight of the container).
void ReadPerContainerCache(const EnvSource& env, Config& c) {
  const char* mount = env.NonEmpty("CONTAINER_VGPU_MOUNT");
  const char* uid = env.NonEmpty("POD_UID");
  const char* name = env.NonEmpty("CONTAINER_NAME");
  if (mount == nullptr || uid == nullptr || name == nullptr) return;
  if (!IsPathComponent(uid) || !IsPathComponent(name)) {
    SHIM_ERROR("POD_UID=\"%s\" CONTAINER_NAME=\"%s\" cannot name a cache directory; using %s", uid,
               name, c.region_path);
    return;
  }
  char path[sizeof(c.region_path)];
  const int n =
      std::snprintf(path, sizeof(path), "%s/containers/%s_%s/usage.cache", mount, uid, name);
  if (n < 0 || static_cast<size_t>(n) >= sizeof(path)) {
    SHIM_ERROR(
        "CONTAINER_VGPU_MOUNT=\"%s\": the per-container cache path is longer than 255 bytes; "
        "using %s",
        mount, c.region_path);
    return;
  }
  std::snprintf(c.region_path, sizeof(c.region_path), "%s", path);
  c.region_dirs_to_create = true;
}

}  // namespace

bool Config::AnyMemoryLimit() const {
  for (uint64_t l : mem_limit) {
    if (l != 0) return true;
  }
  return false;
}

Config ReadConfig() { return ReadConfig(GetEnv, nullptr); }

Config ReadConfig(EnvLookup lookup, void* context) {
  const EnvSource env{lookup, context};
  Config c;
  if (const char* v = env.NonEmpty("LIBCUDA_LOG_LEVEL")) {
    auto lvl = limit::ParseSmallInt(v);
    SetLogLevel(lvl ? *lvl : 1);
    if (!lvl) SHIM_ERROR("LIBCUDA_LOG_LEVEL=\"%s\" is not an integer; using 1", v);
  }
  ReadLimits(env, c);
  if (const char* v = env.NonEmpty("GPU_CORE_UTILIZATION_POLICY")) {
    auto p = limit::ParseCorePolicy(v);
    if (p) {
      c.policy = *p;
    } else {
      SHIM_ERROR("GPU_CORE_UTILIZATION_POLICY=\"%s\" unknown (default|force|disable)", v);
    }
  }
  if (c.policy == limit::CorePolicy::kDisable) c.any_sm_limit = false;
  if (const char* v = env.NonEmpty("CUDA_TASK_PRIORITY")) {
    auto p = limit::ParseSmallInt(v);
    if (p) {
      c.priority = *p;
    } else {
      SHIM_ERROR("CUDA_TASK_PRIORITY=\"%s\" is not an integer; using 1", v);
    }
  }
  if (const char* v = env.NonEmpty("HAMI_CONTEXT_OVERHEAD")) {
    auto p = limit::ParseMemoryLimit(v);
    if (p) {
      c.context_overhead = *p;
      c.context_overhead_set = true;
    } else {
      SHIM_ERROR("HAMI_CONTEXT_OVERHEAD=\"%s\" is not a memory size; measuring instead", v);
    }
  }
  if (const char* v = env.NonEmpty(kOversubscribeEnv)) {
    auto on = limit::ParseSwitch(v);
    c.oversubscribe = on.value_or(false);
    if (!on)
      SHIM_ERROR("%s=\"%s\" is not true or false; not oversubscribing", kOversubscribeEnv, v);
  }
  if (const char* v = env.NonEmpty("CUDA_DEVICE_MEMORY_SHARED_CACHE")) {
    if (std::strlen(v) >= sizeof(c.region_path)) {
      Fail(c, "CUDA_DEVICE_MEMORY_SHARED_CACHE", v, "is longer than 255 bytes");
    } else {
      std::snprintf(c.region_path, sizeof(c.region_path), "%s", v);
    }
  } else {
    ReadPerContainerCache(env, c);
  }
  return c;
}

}  // namespace hami::shim
