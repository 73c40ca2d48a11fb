// WIRE: every string of Hygon DCU's part of the HAMi protocol (vendors.md §5), defined once and
// used by the Hygon backend and its tests. Header-only constants with no dependencies.
#pragma once

namespace hami::vendor::hygon {

// WIRE: the vendor key ("CommonWord"): device vendor, request vendor, the Type of a grant.
inline constexpr char kVendorName[] = "DCU";

// WIRE: the `hygon:` block of device-config.yaml.
inline constexpr char kConfigBlock[] = "hygon";

// WIRE: default resource names (config `hygon.resource*Name`, flags --dcu-name/-memory/-cores).
inline constexpr char kDefaultCountResource[] = "hygon.com/dcunum";
inline constexpr char kDefaultMemoryResource[] = "hygon.com/dcumem";
inline constexpr char kDefaultCoreResource[] = "hygon.com/dcucores";

// WIRE: scheduler flags (upstream's GlobalFlagSet names).
inline constexpr char kCountFlag[] = "dcu-name";
inline constexpr char kMemoryFlag[] = "dcu-memory";
inline constexpr char kCoreFlag[] = "dcu-cores";

// WIRE: node annotations written by dcu-vgpu-device-plugin (legacy colon register format).
inline constexpr char kRegisterAnnotation[] = "hami.io/node-dcu-register";
inline constexpr char kHandshakeAnnotation[] = "hami.io/node-handshake-dcu";

// WIRE: pod annotations written at bind.
inline constexpr char kToAllocateAnnotation[] = "hami.io/dcu-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/dcu-devices-allocated";

// WIRE: pod annotations users set (type: case-insensitive substring; UUID: exact, comma list).
inline constexpr char kUseType[] = "hygon.com/use-dcutype";
inline constexpr char kNoUseType[] = "hygon.com/nouse-dcutype";
inline constexpr char kUseUuid[] = "hygon.com/use-gpuuuid";
inline constexpr char kNoUseUuid[] = "hygon.com/nouse-gpuuuid";

// A container that names no core resource gets the whole device's compute (percent).
inline constexpr int kDefaultCores = 100;

}  // namespace hami::vendor::hygon
