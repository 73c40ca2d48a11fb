// Configuration of the simulated driver: which GPUs exist and how the simulation behaves.
//
// The GPU list comes from HAMI_SIM_GPUS, either the compact form "2xA100-40GB,1xT4-16GB"
// (count x model - memory) or the path of a JSON file (see docs/sim.md). Known models get their
// real name, SM count and compute capability; unknown ones get "NVIDIA <model>" and 80 SMs.
// Everything here is pure (environment lookups are passed in) and thread-compatible.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hami::sim {

// The most GPUs one simulated machine has (matches the shared region's CUDA_DEVICE_MAX_COUNT).
inline constexpr int kMaxGpus = 16;

struct GpuSpec {
  std::string name;  // as NVML and cuDeviceGetName report it, e.g. "Tesla T4"
  std::string uuid;  // "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
  uint64_t memory_bytes = 0;
  int sms = 80;
  int cc_major = 8;
  int cc_minor = 0;
  int max_threads_per_sm = 2048;
  int max_blocks_per_sm = 32;
  unsigned architecture = 7;  // NVML_DEVICE_ARCH_*
  bool mig_capable = false;
  int numa_node = -1;          // -1: not reported (NVML answers NOT_SUPPORTED)
  std::string pci_bus_id;      // "00000000:10:00.0"
  uint32_t pci_device_id = 0;  // (device id << 16) | 0x10DE
};

// Parses HAMI_SIM_GPUS. Empty text means a machine without GPUs. A value containing '/' or ending
// in ".json" is a JSON file path, read with `read_file`; anything else is the compact form.
// Errors name the offending entry or field.
base::Result<std::vector<GpuSpec>> ParseGpuList(
    std::string_view text,
    const std::function<base::Result<std::string>(const std::string&)>& read_file);

// The compact form only ("2xA100-40GB,T4-16GB"); exposed for tests.
base::Result<std::vector<GpuSpec>> ParseCompactGpuList(std::string_view text);

// The JSON form only: {"gpus":[{"name":..,"uuid":..,"memoryMiB":..,"sms":..,"numa":..}]}.
base::Result<std::vector<GpuSpec>> ParseJsonGpuList(std::string_view json);

// Deterministic UUID for GPU `index` of `model` with `memory_bytes`.
std::string MakeUuid(int index, std::string_view model, uint64_t memory_bytes);

// "<prefix>-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" from two FNV-1a digests of `key`, seeded with
// `seed_a` and `seed_b`: the same arguments always give the same UUID (MakeUuid, MigUuid).
std::string DigestUuid(std::string_view prefix, std::string_view key, uint64_t seed_a,
                       uint64_t seed_b);

// Stable 64-bit digest of the GPU list (names, UUIDs, memory), used to name the shared state.
uint64_t ConfigDigest(const std::vector<GpuSpec>& gpus);

// CUDA_VISIBLE_DEVICES -> physical indices in CUDA ordinal order. nullopt `value` (unset) shows
// all. Entries are indices or UUID prefixes ("GPU-8f3a"); like the driver, the list is cut at the
// first entry that is invalid, out of range, ambiguous or repeated.
std::vector<int> ParseVisibleDevices(std::optional<std::string_view> value,
                                     const std::vector<GpuSpec>& gpus);

// A CUDA device: a whole GPU (gi < 0) or a MIG device (compute instance `ci` of GPU instance `gi`)
// of GPU `phys`.
struct VisibleDevice {
  int phys = 0;
  int gi = -1;
  int ci = -1;
  uint32_t stamp = 0;  // the compute instance's incarnation (sim/shared_state.h)
};

// ParseVisibleDevices on a machine with MIG. GPUs for which `in_mig_mode` is true are no CUDA
// devices themselves: left out when the variable is unset, and an index or GPU- UUID naming one
// ends the list. "MIG-<uuid>" entries are looked up with `find_mig` (nullopt: unknown, which ends
// the list); as with the driver, a process sees at most one MIG device (a second ends the list).
std::vector<VisibleDevice> ParseVisibleDevicesWithMig(
    std::optional<std::string_view> value, const std::vector<GpuSpec>& gpus,
    const std::function<bool(int)>& in_mig_mode,
    const std::function<std::optional<VisibleDevice>(std::string_view)>& find_mig);

// Knobs of the simulation, from HAMI_SIM_* variables.
struct SimOptions {
  uint64_t ns_per_block = 1000;    // HAMI_SIM_NS_PER_BLOCK: simulated time per thread block
  uint64_t util_window_ms = 1000;  // HAMI_SIM_UTIL_WINDOW_MS: NVML utilization sample window
  uint64_t context_bytes = 0;      // HAMI_SIM_CONTEXT_MIB: device memory a context consumes
  std::string state_path;          // HAMI_SIM_STATE: shared state file ("" = derived default)
  std::string mig;                 // HAMI_SIM_MIG: GPUs starting in MIG mode (ParseMigGpus)
};

// `getenv` returns the value of a variable or nullopt when unset.
base::Result<SimOptions> ParseOptions(
    const std::function<std::optional<std::string>(const char*)>& getenv);

// The process's own environment and files, for ParseOptions and ParseGpuList (what the simulated
// libraries and hami-sim-ctl read their configuration with).
std::optional<std::string> ProcessEnv(const char* name);
base::Result<std::string> ReadWholeFile(const std::string& path);

// Default shared-state path for a GPU list: /dev/shm/hami-sim-<digest>.state (or /tmp when
// /dev/shm is missing).
std::string DefaultStatePath(uint64_t digest, bool have_dev_shm);

}  // namespace hami::sim
