// WIRE: every string of Vastai's part of the HAMi protocol (vendors.md §13), defined once.
// Header-only constants with no dependencies.
#pragma once

namespace hami::vendor::vastai {

// WIRE: the vendor key ("CommonWord"): request vendor, the Type of a grant, the middle of the pod
// annotation keys; a registered device's type must contain it (case-insensitive).
inline constexpr char kVendorName[] = "Vastai";

// WIRE: default resource name (device-config `vastai.resourceCountName`, chart
// `vastaiResourceName`). Vastai has no memory or core resource.
inline constexpr char kDefaultCountResource[] = "vastaitech.com/va";

// WIRE: node annotations written by the Vastai device plugin (JSON register form).
inline constexpr char kRegisterAnnotation[] = "hami.io/node-va-register";
inline constexpr char kHandshakeAnnotation[] = "hami.io/node-handshake-va";

// WIRE: register `custominfo` keys of die mode: {"DeviceStrategy":"die","AIC":"<card>"}.
inline constexpr char kDeviceStrategyInfo[] = "DeviceStrategy";
inline constexpr char kDieStrategy[] = "die";
inline constexpr char kAicInfo[] = "AIC";

// WIRE: pod annotations written at bind.
inline constexpr char kToAllocateAnnotation[] = "hami.io/Vastai-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/Vastai-devices-allocated";

// WIRE: pod annotations users set.
inline constexpr char kUseUuid[] = "vastaitech.com/use-gpuuuid";
inline constexpr char kNoUseUuid[] = "vastaitech.com/nouse-gpuuuid";
// Declared by upstream but never read there; accepted and ignored here too.
inline constexpr char kUseVa[] = "vastaitech.com/use-va";
inline constexpr char kNoUseVa[] = "vastaitech.com/nouse-va";

}  // namespace hami::vendor::vastai
