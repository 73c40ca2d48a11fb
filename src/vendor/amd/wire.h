// WIRE: every string of AMD's part of the HAMi protocol (vendors.md §12), defined once.
// Header-only constants with no dependencies.
#pragma once

namespace hami::vendor::amd {

// WIRE: the vendor key ("CommonWord") and request vendor. A registered device's type must contain
// it (case-insensitive); grants keep the registered product type ("AMD Instinct MI300X VF").
inline constexpr char kVendorName[] = "AMD";

// WIRE: default resource names (device-config `amd.resource*Name`): count, MiB, percent of CUs.
inline constexpr char kDefaultCountResource[] = "amd.com/gpu";
inline constexpr char kDefaultMemoryResource[] = "amd.com/gpumem";
inline constexpr char kDefaultCoreResource[] = "amd.com/gpucores";

// WIRE: node annotation written by the AMD device plugin (JSON register form; devcore = CUs).
inline constexpr char kRegisterAnnotation[] = "hami.io/node-amd-register";

// WIRE: pod annotations written at bind.
inline constexpr char kToAllocateAnnotation[] = "hami.io/amd-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/amd-devices-allocated";

// WIRE: pod annotations users set.
inline constexpr char kUseGpuType[] = "amd.com/use-gputype";
inline constexpr char kNoUseGpuType[] = "amd.com/nouse-gputype";
inline constexpr char kUseGpuUuid[] = "amd.com/use-gpu-uuid";
inline constexpr char kNoUseGpuUuid[] = "amd.com/nouse-gpu-uuid";

// WIRE: container env the AMD device plugin derives from the allocated annotation (not set here):
// visible GPUs, "<gpu>:<first>-<last>;..." CU masks, and "<MiB>m" memory limits.
inline constexpr char kVisibleDevicesEnv[] = "ROCR_VISIBLE_DEVICES";
inline constexpr char kCuMaskEnv[] = "HSA_CU_MASK";
inline constexpr char kMemoryLimitEnv[] = "HIP_DEVICE_MEMORY_LIMIT";

}  // namespace hami::vendor::amd
