// libvgpu's configuration, read once from the environment (WIRE: the variables are documented in
// docs/libvgpu.md, "Environment").
//
// Contract: every accepted spelling of the env contract shared with upstream HAMi-core, our device
// plugin, KAI and Koordinator is read as before; a limit variable that is set but cannot be read
// (`abc`, `-5`, `1e99`, `0`, empty, overflow, an SM percentage above 100) is never "no limit":
// ReadConfig records it in `error` and the runtime then refuses device memory (fail closed).
// Reads variables through an EnvLookup (getenv in libvgpu; a map in the fuzz target
// fuzz/shim_env_fuzz.cc), logs each malformed value, sets the log level from LIBCUDA_LOG_LEVEL;
// not thread-safe (called once, before any hook runs).
#pragma once

#include <cstdint>

#include "region/layout.h"
#include "shim/limit/env_parse.h"

namespace hami::shim {

// WIRE: the same name as vendor::nvidia::kOversubscribeEnv (the device plugin sets it when the
// node's deviceMemoryScaling > 1); libvgpu may not include vendor/ (layering), so the test
// shim_oversubscribe_test pins the two together.
inline constexpr char kOversubscribeEnv[] = "CUDA_OVERSUBSCRIBE";

struct Config {
  uint64_t mem_limit[region::kMaxDevices] = {};  // bytes, 0 = no limit set
  uint32_t sm_limit[region::kMaxDevices] = {};   // percent, 0 = no limit
  limit::CorePolicy policy = limit::CorePolicy::kDefault;
  int32_t priority = 1;
  uint64_t context_overhead = 0;      // HAMI_CONTEXT_OVERHEAD: bytes counted per context
  bool context_overhead_set = false;  // unset: measured from NVML around the first context
  char region_path[256] = "/tmp/cudevshr.cache";
  // True when region_path was derived from KAI-resource-isolator's POD_UID, CONTAINER_NAME and
  // CONTAINER_VGPU_MOUNT (<mount>/containers/<uid>_<name>/usage.cache): the runtime creates its
  // two directories and falls back to the default path when it cannot (docs/integrations/kai.md).
  bool region_dirs_to_create = false;
  bool any_sm_limit = false;
  // CUDA_OVERSUBSCRIBE=true: on a device with a memory limit, an allocation the GPU has no room
  // for is backed by host memory (managed memory) within the same limit (docs/libvgpu.md).
  bool oversubscribe = false;
  // Non-empty when a limit variable (or the region path) was set but unusable: the first such
  // problem, as the error line names it.
  char error[224] = "";

  bool AnyMemoryLimit() const;
  // True when something must be enforced: a limit, or a limit variable that could not be read.
  bool Enforcing() const { return AnyMemoryLimit() || any_sm_limit || error[0] != '\0'; }
};

// The value of variable `name`, nullptr when it is unset (set but empty is ""); the string must
// stay valid until ReadConfig returns. `context` is the pointer given to ReadConfig.
using EnvLookup = const char* (*)(const char* name, void* context);

// Reads the configuration through `lookup`; every malformed value is logged as an error (always
// printed unless LIBCUDA_LOG_LEVEL=0).
Config ReadConfig(EnvLookup lookup, void* context);
// ReadConfig over the process environment (getenv).
Config ReadConfig();

}  // namespace hami::shim
