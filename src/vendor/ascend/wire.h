// WIRE: every string of Huawei Ascend's part of the HAMi protocol (vendors.md §3), defined once
// and used by the Ascend backends and their tests. Keys embed the chip's CommonWord (`<cw>`, e.g.
// "Ascend910B3"); Join() assembles them from the parts defined here.
#pragma once

#include <string>
#include <string_view>

namespace hami::vendor::ascend {

// WIRE: the `vnpus:` block of device-config.yaml ({hamiVnpuCore, configs}) and the scheduler flag
// that enables it.
inline constexpr char kConfigBlock[] = "vnpus";
inline constexpr char kEnableFlag[] = "enable-ascend";

// WIRE: resource names of a chip: "huawei.com/<cw>" (count), "huawei.com/<cw>-memory" (MiB),
// "huawei.com/<cw>-core" (percent, hami-core mode only); the defaults of a config entry.
inline constexpr char kResourcePrefix[] = "huawei.com/";
inline constexpr char kMemorySuffix[] = "-memory";
inline constexpr char kCoreSuffix[] = "-core";

// WIRE: node annotations written by ascend-device-plugin: "hami.io/node-register-<cw>" (JSON),
// "hami.io/node-handshake-<cw>" ("Reported_<YYYY.MM.DD HH:MM:SS>"), and whether the node runs
// the hami-core soft split ("true" / "false").
inline constexpr char kRegisterPrefix[] = "hami.io/node-register-";
inline constexpr char kHandshakePrefix[] = "hami.io/node-handshake-";
inline constexpr char kNodeVnpuCoreAnnotation[] = "hami-vnpu-core";
inline constexpr char kTrue[] = "true";

// WIRE: the register's `custominfo` member grouping Ascend910* NPUs by interconnect.
inline constexpr char kNetworkIdAttribute[] = "NetworkID";

// WIRE: pod annotations written at bind: "hami.io/<cw>-devices-to-allocate",
// "hami.io/<cw>-devices-allocated", "huawei.com/<cw>" (JSON list of RuntimeInfo) and the bare key
// "predicate-time" (unix seconds).
inline constexpr char kPodKeyPrefix[] = "hami.io/";
inline constexpr char kToAllocateSuffix[] = "-devices-to-allocate";
inline constexpr char kAllocatedSuffix[] = "-devices-allocated";
inline constexpr char kRuntimeInfoPrefix[] = "huawei.com/";
inline constexpr char kPredicateTimeAnnotation[] = "predicate-time";

// WIRE: members of one RuntimeInfo object, in Go's field order (each omitted when empty / 0).
inline constexpr char kRuntimeUuid[] = "UUID";
inline constexpr char kRuntimeTemp[] = "temp";
inline constexpr char kRuntimeMemory[] = "memory";
inline constexpr char kRuntimeCore[] = "core";

// WIRE: pod annotations users set: "hami.io/use-<cw>-uuid" / "hami.io/no-use-<cw>-uuid" (exact,
// comma list) and the soft-split mode.
inline constexpr char kUseUuidPrefix[] = "hami.io/use-";
inline constexpr char kNoUseUuidPrefix[] = "hami.io/no-use-";
inline constexpr char kUuidSuffix[] = "-uuid";
inline constexpr char kVnpuModeAnnotation[] = "huawei.com/vnpu-mode";
inline constexpr char kVnpuModeHamiCore[] = "hami-core";

// WIRE: container env the webhook sets on containers that use no Ascend chip (overwriteEnv).
inline constexpr char kVisibleDevicesEnv[] = "ASCEND_VISIBLE_DEVICES";

// CommonWords with topology rules: Ascend910* groups by NetworkID; Ascend910C hands out whole
// modules of two NPUs (module = index / 2).
inline constexpr char kAscend910Prefix[] = "Ascend910";
inline constexpr char kAscend910C[] = "Ascend910C";
inline constexpr int kNpusPerModule = 2;
// The NetworkID node score is (largest group / devices) per container, times this weight.
inline constexpr double kNetworkWeight = 10.0;
// In hami-core mode a device's compute is 100 percent, whatever `devcore` it registered.
inline constexpr int kHamiCoreDevcore = 100;

inline std::string Join(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string out;
  out.reserve(a.size() + b.size() + c.size());
  out.append(a).append(b).append(c);
  return out;
}

}  // namespace hami::vendor::ascend
