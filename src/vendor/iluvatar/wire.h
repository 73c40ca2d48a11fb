// WIRE: every string of Iluvatar's part of the HAMi protocol (vendors.md §6), defined once and used
// by the Iluvatar backends and their tests. Keys embed the chip's CommonWord (`<cw>`, e.g.
// "BI-V150"); the functions below assemble them from the parts defined here.
#pragma once

#include <string>
#include <string_view>

namespace hami::vendor::iluvatar {

// WIRE: the `iluvatars:` list of device-config.yaml and the scheduler flag that enables it.
inline constexpr char kConfigBlock[] = "iluvatars";
inline constexpr char kEnableFlag[] = "enable-iluvatar";

// WIRE: resource names of a chip: "iluvatar.ai/<cw>-vgpu", "iluvatar.ai/<cw>.vMem",
// "iluvatar.ai/<cw>.vCore" (the defaults of a config entry that does not name them).
inline constexpr char kResourcePrefix[] = "iluvatar.ai/";
inline constexpr char kCountSuffix[] = "-vgpu";
inline constexpr char kMemorySuffix[] = ".vMem";
inline constexpr char kCoreSuffix[] = ".vCore";

// WIRE: node annotations written by the Iluvatar device plugin: "hami.io/node-<cw>-register"
// (legacy colon format) and "hami.io/node-handshake-<cw>".
inline constexpr char kRegisterPrefix[] = "hami.io/node-";
inline constexpr char kRegisterSuffix[] = "-register";
inline constexpr char kHandshakePrefix[] = "hami.io/node-handshake-";

// WIRE: pod annotations: written at bind ("hami.io/<cw>-devices-to-allocate", "...-allocated")
// and set by users ("hami.io/use-<cw>-uuid", "hami.io/no-use-<cw>-uuid": exact, comma list).
inline constexpr char kPodKeyPrefix[] = "hami.io/";
inline constexpr char kToAllocateSuffix[] = "-devices-to-allocate";
inline constexpr char kAllocatedSuffix[] = "-devices-allocated";
inline constexpr char kUseUuidPrefix[] = "hami.io/use-";
inline constexpr char kNoUseUuidPrefix[] = "hami.io/no-use-";
inline constexpr char kUuidSuffix[] = "-uuid";

// WIRE: container env the webhook adds (upstream's spelling, sic) with the container's name.
inline constexpr char kContainerNameEnv[] = "SOL_CONTINER_NAME";

// WIRE: one unit of the memory resource is 256 MiB; a multi-device container's core limit is
// 100 per device.
inline constexpr int kMemoryUnitMiB = 256;
inline constexpr int kCoresPerDevice = 100;

inline std::string Join(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string out;
  out.reserve(a.size() + b.size() + c.size());
  out.append(a).append(b).append(c);
  return out;
}

}  // namespace hami::vendor::iluvatar
