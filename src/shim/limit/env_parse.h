// Parsing of libvgpu's environment values (pure; no getenv, no logging).
//
// WIRE: the formats are the env-var contract shared with upstream HAMi-core, our device plugin,
// KAI Scheduler and Koordinator (docs/libvgpu.md). Contract: every function either returns a
// value or reports the input as malformed; a malformed value never becomes a silent tiny or
// zero limit (upstream reads "1Gi" as 1 byte). Thread-safe (no state).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hami::shim::limit {

// Memory limit: "<digits>[unit]" where unit is one of k, m, g, t, K, M, G, T (x1024 steps),
// Ki, Mi, Gi, Ti (same), with optional "B"/"b" after a unit letter ("3000MB", "2GiB").
// A plain integer is bytes. Surrounding blanks are ignored. 0 means "no limit".
// Returns nullopt for anything else (empty, sign, fraction, hex, garbage, overflow).
std::optional<uint64_t> ParseMemoryLimit(std::string_view text);

// SM limit: a decimal percentage 0..100 (also accepts a trailing '%'); 0 and 100 mean "no
// limit"; values above 100 are malformed.
std::optional<uint32_t> ParseSmLimit(std::string_view text);

// GPU_CORE_UTILIZATION_POLICY.
enum class CorePolicy { kDefault, kForce, kDisable };
// "default", "force", "disable" in any letter case; nullopt otherwise.
std::optional<CorePolicy> ParseCorePolicy(std::string_view text);

// An on/off switch (CUDA_OVERSUBSCRIBE): "true"/"1" and "false"/"0", in any letter case,
// surrounding blanks ignored; nullopt otherwise.
std::optional<bool> ParseSwitch(std::string_view text);

// A small non-negative integer (CUDA_TASK_PRIORITY, LIBCUDA_LOG_LEVEL).
std::optional<int32_t> ParseSmallInt(std::string_view text);

// CUDA ordinal of a device in CUDA_VISIBLE_DEVICES (`visible`, NUL-terminated): its position in
// the comma-separated list, where an entry that strtoul reads whole (base 10) is an NVML index
// matched against `nvml_index`, and any other entry is a UUID prefix matched against `uuid`
// (nullptr: the device's UUID is unknown). The walk stops at an empty entry, at an entry that is
// neither a number nor starts with 'G' or 'M' ("GPU-", "MIG-"), and after `max_entries` entries.
// -1 when the device is not found before that.
int VisibleDevicePosition(const char* visible, unsigned int nvml_index, const char* uuid,
                          int max_entries);

}  // namespace hami::shim::limit
