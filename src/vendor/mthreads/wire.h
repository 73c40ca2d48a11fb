// WIRE: every string of Moore Threads' part of the HAMi protocol (vendors.md §7), defined once.
// Header-only constants with no dependencies.
#pragma once

#include <cstdint>

namespace hami::vendor::mthreads {

// The vendor key ("CommonWord"): device vendor, request vendor, device type, the Type of a grant.
inline constexpr char kVendorName[] = "Mthreads";

// The device-config.yaml block and its keys.
inline constexpr char kConfigBlock[] = "mthreads";
inline constexpr char kConfigCountName[] = "resourceCountName";
inline constexpr char kConfigMemoryName[] = "resourceMemoryName";
inline constexpr char kConfigCoreName[] = "resourceCoreName";
// Memory of each card model in the cluster, in 512 MiB units (chart `devices.mthreads
// .memoryPerCard`, default [96] = MTT S4000; 160 = MTT S5000). A scalar reads as one entry.
inline constexpr char kConfigMemoryPerCard[] = "memoryPerCard";

// Scheduler flags and their defaults (upstream's GlobalFlagSet).
inline constexpr char kFlagCountName[] = "mthreads-name";
inline constexpr char kFlagMemoryName[] = "mthreads-memory";
inline constexpr char kFlagCoreName[] = "mthreads-cores";
inline constexpr char kDefaultCountResource[] = "mthreads.com/vgpu";
inline constexpr char kDefaultMemoryResource[] = "mthreads.com/sgpu-memory";
inline constexpr char kDefaultCoreResource[] = "mthreads.com/sgpu-core";

// Units: one sgpu-memory unit is 512 MiB; every card has 16 sgpu-core units.
inline constexpr int64_t kMemoryUnitMiB = 512;
inline constexpr int64_t kCoresPerCard = 16;
inline constexpr int64_t kDefaultMemoryPerCard = 96;
inline constexpr int32_t kDeviceCount = 100;  // containers one card may hold
// Devices built from capacity are named "<node>" + kDeviceIdInfix + "<index>".
inline constexpr char kDeviceIdInfix[] = "-mthreads-";

// Pod annotations. Upstream registers the to-allocate key but never writes it.
inline constexpr char kToAllocateAnnotation[] = "hami.io/mthreads-vgpu-devices-to-allocate";
inline constexpr char kAllocatedAnnotation[] = "hami.io/mthreads-vgpu-devices-allocated";
inline constexpr char kGpuIndexAnnotation[] = "mthreads.com/gpu-index";            // "0" or "0,1"
inline constexpr char kPredicateTimeAnnotation[] = "mthreads.com/predicate-time";  // unix ns
inline constexpr char kPredicateNodeAnnotation[] = "mthreads.com/predicate-node";
// Written by the webhook on a pod asking for more than one card.
inline constexpr char kRequestGpuNumAnnotation[] = "mthreads.com/request-gpu-num";

// Pod annotations users set (upstream's keys use the mthreads.ai domain).
inline constexpr char kUseUuid[] = "mthreads.ai/use-gpuuuid";
inline constexpr char kNoUseUuid[] = "mthreads.ai/nouse-gpuuuid";

// Admission errors.
inline constexpr char kMustBePositive[] = " must be greater than 0";
inline constexpr char kInvalidMemory[] = "sGPU memory request value is invalid, valid values are ";

}  // namespace hami::vendor::mthreads
