// WIRE: every string of Cambricon MLU's part of the HAMi protocol (vendors.md §4), defined once.
// Header-only constants with no dependencies.
#pragma once

#include <cstdint>

namespace hami::vendor::cambricon {

// The vendor key ("CommonWord"): device vendor, request vendor, device type, the Type of a grant.
inline constexpr char kVendorName[] = "MLU";

// The device-config.yaml block and its keys.
inline constexpr char kConfigBlock[] = "cambricon";
inline constexpr char kConfigCountName[] = "resourceCountName";
inline constexpr char kConfigMemoryName[] = "resourceMemoryName";
inline constexpr char kConfigCoreName[] = "resourceCoreName";

// Scheduler flags and their defaults (upstream's GlobalFlagSet). Upstream's chart renders
// resourceCountName `cambricon.com/vmlu` in the config block, which wins over the flag.
inline constexpr char kFlagCountName[] = "cambricon-mlu-name";
inline constexpr char kFlagMemoryName[] = "cambricon-mlu-memory";
inline constexpr char kFlagCoreName[] = "cambricon-mlu-cores";
inline constexpr char kDefaultCountResource[] = "cambricon.com/mlu";
inline constexpr char kDefaultMemoryResource[] = "cambricon.com/mlu.smlu.vmemory";
inline constexpr char kDefaultCoreResource[] = "cambricon.com/mlu.smlu.vcore";
inline constexpr char kChartCountResource[] = "cambricon.com/vmlu";

// Units: one vmemory unit is 256 MiB (the plugin's min-dsmlu-unit); a card is 100 vcore units.
inline constexpr int64_t kMemoryFactor = 256;
inline constexpr int64_t kCoresPerCard = 100;
inline constexpr int64_t kDefaultCores = 100;  // a container without vcore takes the whole card
inline constexpr int32_t kDeviceCount = 100;   // containers one card may hold
// Devices built from capacity are named "<node>" + kDeviceIdInfix + "<index>".
inline constexpr char kDeviceIdInfix[] = "-cambricon-mlu-";

// Pod annotations written by the scheduler at bind.
inline constexpr char kToAllocateAnnotation[] = "hami.io/cambricon-mlu-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/cambricon-mlu-devices-allocated";
// "<device index>_<cores>_<memory / 256>" of the first granted device.
inline constexpr char kProfileAnnotation[] = "CAMBRICON_DSMLU_PROFILE";
inline constexpr char kAssignedAnnotation[] = "CAMBRICON_DSMLU_ASSIGNED";
inline constexpr char kAssignedFalse[] = "false";

// Pod annotations users set.
inline constexpr char kUseUuid[] = "cambricon.com/use-gpuuuid";
inline constexpr char kNoUseUuid[] = "cambricon.com/nouse-gpuuuid";
// Declared by upstream but never read by its scheduler (every device's type is "MLU").
inline constexpr char kUseMluType[] = "cambricon.com/use-mlutype";
inline constexpr char kNoUseMluType[] = "cambricon.com/nouse-mlutype";

// Node annotation serializing binds: a bare RFC 3339 time, taken over after two minutes.
inline constexpr char kLockAnnotation[] = "cambricon.com/dsmlu.lock";
inline constexpr int64_t kLockTimeoutSeconds = 120;

}  // namespace hami::vendor::cambricon
