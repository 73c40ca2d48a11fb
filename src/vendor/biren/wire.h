// WIRE: every string of Biren's part of the HAMi protocol (vendors.md §14), defined once.
// Header-only constants with no dependencies.
#pragma once

namespace hami::vendor::biren {

// WIRE: the vendor key ("CommonWord"): request vendor, the Type of a grant, the middle of the pod
// annotation keys; a registered device's type must contain it (case-insensitive).
inline constexpr char kVendorName[] = "Biren";

// WIRE: default resource name (device-config `biren.resourceCountName`, chart
// `birenResourceName`). Biren has no memory or core resource.
inline constexpr char kDefaultCountResource[] = "birentech.com/gpu";

// WIRE: node annotations written by Project-HAMi/biren-device-plugin (JSON register form).
inline constexpr char kRegisterAnnotation[] = "hami.io/node-biren-register";
inline constexpr char kHandshakeAnnotation[] = "hami.io/node-handshake-biren";

// WIRE: pod annotations written at bind.
inline constexpr char kToAllocateAnnotation[] = "hami.io/Biren-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/Biren-devices-allocated";

// WIRE: pod annotations users set.
inline constexpr char kUseUuid[] = "birentech.com/use-gpuuuid";
inline constexpr char kNoUseUuid[] = "birentech.com/nouse-gpuuuid";
// Declared by upstream but never read there; accepted and ignored here too.
inline constexpr char kUseBiren[] = "birentech.com/use-biren";
inline constexpr char kNoUseBiren[] = "birentech.com/nouse-biren";

}  // namespace hami::vendor::biren
