// WIRE: every string of MetaX's part of the HAMi protocol (vendors.md §8), defined once: the
// whole-card backend (Metax-GPU) and the shared-GPU backend (Metax-SGPU), both configured by the
// `metax:` block. Header-only constants with no dependencies.
#pragma once

#include <cstdint>

namespace hami::vendor::metax {

// The vendor keys ("CommonWord"): device vendor, request vendor, device type, the Type of a grant.
inline constexpr char kGpuVendorName[] = "Metax-GPU";
inline constexpr char kSgpuVendorName[] = "Metax-SGPU";

// The device-config.yaml block and its keys.
inline constexpr char kConfigBlock[] = "metax";
inline constexpr char kConfigCountName[] = "resourceCountName";
inline constexpr char kConfigVCountName[] = "resourceVCountName";
inline constexpr char kConfigVMemoryName[] = "resourceVMemoryName";
inline constexpr char kConfigVCoreName[] = "resourceVCoreName";
inline constexpr char kConfigTopologyAware[] = "sgpuTopologyAware";

// Scheduler flags and their defaults (upstream's GlobalFlagSet).
inline constexpr char kFlagCountName[] = "metax-name";
inline constexpr char kFlagVCountName[] = "metax-vcount";
inline constexpr char kFlagVCoreName[] = "metax-vcore";
inline constexpr char kFlagVMemoryName[] = "metax-vmemory";
inline constexpr char kFlagTopologyAware[] = "sgpu-topology-aware";
inline constexpr char kDefaultCountResource[] = "metax-tech.com/gpu";
inline constexpr char kDefaultVCountResource[] = "metax-tech.com/sgpu";
inline constexpr char kDefaultVCoreResource[] = "metax-tech.com/vcore";
inline constexpr char kDefaultVMemoryResource[] = "metax-tech.com/vmemory";

// --- Metax-GPU (whole cards from node capacity) ---
inline constexpr char kGpuDeviceIdInfix[] = "-metax-";  // "<node>-metax-<index>"
inline constexpr int32_t kGpuDeviceMemory = 65536;
inline constexpr int32_t kGpuDeviceCores = 100;
// Node annotations: MetaXLink loss / score by the pod's card count, JSON {"1":0,"2":110,...}.
inline constexpr char kGpuLossesAnnotation[] = "metax-tech.com/gpu.topology.losses";
inline constexpr char kGpuScoresAnnotation[] = "metax-tech.com/gpu.topology.scores";
inline constexpr int32_t kGpuTopologyBase = 2000;
inline constexpr char kGpuToAllocateAnnotation[] = "hami.io/metax-gpu-devices-to-allocate";
inline constexpr char kGpuAllocatedAnnotation[] = "hami.io/metax-gpu-devices-allocated";

// --- Metax-SGPU (shared cards registered by the sGPU device plugin) ---
// Node annotation: JSON array of {uuid, bdf, model, totalDevCount, totalCompute, totalVRam,
// availableDevCount, availableCompute, availableVRam, numa, healthy, qosPolicy, linkZone}.
inline constexpr char kSgpuRegisterAnnotation[] = "metax-tech.com/node-gpu-devices";
inline constexpr char kRegUuid[] = "uuid";
inline constexpr char kRegModel[] = "model";
inline constexpr char kRegTotalDevCount[] = "totalDevCount";
inline constexpr char kRegTotalCompute[] = "totalCompute";
inline constexpr char kRegTotalVRam[] = "totalVRam";
inline constexpr char kRegNuma[] = "numa";
inline constexpr char kRegHealthy[] = "healthy";
inline constexpr char kRegQosPolicy[] = "qosPolicy";
inline constexpr char kRegLinkZone[] = "linkZone";
// Device attributes (upstream's CustomInfo keys).
inline constexpr char kAttrQosPolicy[] = "QosPolicy";
inline constexpr char kAttrModel[] = "Model";
inline constexpr char kAttrLinkZone[] = "LinkZone";

// Pod annotations written at bind.
inline constexpr char kSgpuToAllocateAnnotation[] = "hami.io/metax-sgpu-devices-to-allocate";
inline constexpr char kSgpuAllocatedAnnotation[] = "hami.io/metax-sgpu-devices-allocated";
// Per container: [[{"uuid":"GPU-1","compute":60,"vRam":4096}]], zero members omitted.
inline constexpr char kSgpuDevicesAllocatedAnnotation[] = "metax-tech.com/gpu-devices-allocated";
inline constexpr char kAllocUuid[] = "uuid";
inline constexpr char kAllocCompute[] = "compute";
inline constexpr char kAllocVRam[] = "vRam";
inline constexpr char kSgpuPredicateTimeAnnotation[] = "metax-tech.com/predicate-time";  // ns

// Pod annotations users set (the webhook defaults the QoS policy).
inline constexpr char kUseUuid[] = "metax-tech.com/use-gpuuuid";
inline constexpr char kNoUseUuid[] = "metax-tech.com/nouse-gpuuuid";
inline constexpr char kAppClassAnnotation[] = "metax-tech.com/sgpu-app-class";
inline constexpr char kQosPolicyAnnotation[] = "metax-tech.com/sgpu-qos-policy";
inline constexpr char kTopologyAwareAnnotation[] = "metax-tech.com/sgpu-topology-aware";
inline constexpr char kAppClassOnline[] = "online";
inline constexpr char kAppClassOffline[] = "offline";
inline constexpr char kQosBestEffort[] = "best-effort";
inline constexpr char kQosFixedShare[] = "fixed-share";
inline constexpr char kQosBurstShare[] = "burst-share";

// Admission errors (upstream's text).
inline constexpr char kBadAppClass[] =
    "metax-tech.com/sgpu-app-class must be set one of [online, offline]";
inline constexpr char kAppClassSingleDevice[] = "app-class pod must request single device";
inline constexpr char kBadQosPolicy[] =
    "metax-tech.com/sgpu-qos-policy must be set one of [best-effort, fixed-share, burst-share]";

// vmemory: a bare number counts GiB; a quantity with a unit letter counts bytes.
inline constexpr int64_t kVMemoryGiB = 1024;
inline constexpr int64_t kDefaultVCores = 100;

}  // namespace hami::vendor::metax
