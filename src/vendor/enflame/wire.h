// WIRE: every string of Enflame's part of the HAMi protocol (vendors.md §9), defined once: the
// whole-card backend `GCU` (devices from node capacity) and the DRS backend `Enflame` (devices and
// profiles from enflame.com/gcu-drs-capacity). Header-only constants with no dependencies.
#pragma once

namespace hami::vendor::enflame {

// Vendor keys ("CommonWord"): device vendor, request vendor, the Type of a grant.
inline constexpr char kGcuVendorName[] = "GCU";      // WIRE: also the registered device type
inline constexpr char kDrsVendorName[] = "Enflame";  // WIRE: also the registered device type

// Default resource names (device-config `enflame.*`, flags --enflame-*-resource-name).
inline constexpr char kDefaultGcuResource[] = "enflame.com/gcu";                    // WIRE
inline constexpr char kDefaultDrsResource[] = "enflame.com/drs-gcu";                // WIRE
inline constexpr char kDefaultMemoryResource[] = "enflame.com/gcu-memory";          // WIRE, MiB
inline constexpr char kDefaultCoreResource[] = "enflame.com/gcu-core";              // WIRE, percent
inline constexpr char kLegacyVgcuResource[] = "enflame.com/vgcu";                   // WIRE, unused
inline constexpr char kLegacyPercentageResource[] = "enflame.com/vgcu-percentage";  // WIRE, unused

// Scheduler flags (upstream's GlobalFlagSet names).
inline constexpr char kGcuFlag[] = "enflame-gcu-resource-name";
inline constexpr char kDrsFlag[] = "enflame-drs-gcu-resource-name";
inline constexpr char kDrsAliasFlag[] = "enflame-vgcu-resource-name";  // deprecated alias
inline constexpr char kMemoryFlag[] = "enflame-gcu-memory-resource-name";
inline constexpr char kCoreFlag[] = "enflame-gcu-core-resource-name";
inline constexpr char kLegacyVgcuFlag[] = "enflame-vgcu-legacy-resource-name";            // unused
inline constexpr char kLegacyPercentageFlag[] = "enflame-vgcu-percentage-resource-name";  // unused

// device-config.yaml block and keys.
inline constexpr char kConfigBlock[] = "enflame";
inline constexpr char kGcuKey[] = "resourceNameGCU";
inline constexpr char kDrsKey[] = "resourceNameDRSGCU";
inline constexpr char kMemoryKey[] = "resourceNameGCUMemory";
inline constexpr char kCoreKey[] = "resourceNameGCUCore";
inline constexpr char kVgcuKey[] = "resourceNameVGCU";  // fallback for resourceNameDRSGCU
inline constexpr char kPercentageKey[] = "resourceNameVGCUPercentage";  // unused

// GCU whole cards built from capacity: ID "<node>-GCU-<i>", each booked whole.
inline constexpr char kGcuIdInfix[] = "-GCU-";  // WIRE
inline constexpr int kGcuDeviceMemory = 100;
inline constexpr int kGcuDeviceCores = 100;

// GCU pod annotations written at bind.
inline constexpr char kGcuToAllocateAnnotation[] = "hami.io/enflame-gcu-devices-to-allocate";
inline constexpr char kGcuAllocatedAnnotation[] = "hami.io/enflame-gcu-devices-allocated";

// DRS node annotation written by gcushare-device-plugin:
//   {"devices":[{"index":"0","minor":"0","capacity":6}],"profiles":{"1g.6gb":"0","3g.20gb":"1"}}
inline constexpr char kDrsCapacityAnnotation[] = "enflame.com/gcu-drs-capacity";  // WIRE
inline constexpr char kDrsDevicesMember[] = "devices";
inline constexpr char kDrsProfilesMember[] = "profiles";
inline constexpr char kDrsIndexMember[] = "index";
inline constexpr char kDrsMinorMember[] = "minor";
inline constexpr char kDrsCapacityMember[] = "capacity";
// DRS devices: ID "<node>-enflame-drs-<index>".
inline constexpr char kDrsIdInfix[] = "-enflame-drs-";  // WIRE
inline constexpr int kDrsDeviceCores = 100;
// DeviceInfo::attributes of a DRS device.
inline constexpr char kMinorAttribute[] = "minor";

// DRS pod annotations written at bind.
inline constexpr char kDrsAllocatedAnnotation[] = "hami.io/enflame-vgpu-devices-allocated";
inline constexpr char kAssignedAnnotation[] = "enflame.com/gcu-assigned";           // "false"
inline constexpr char kAssignedTimeAnnotation[] = "enflame.com/gcu-assigned-time";  // unix ns
inline constexpr char kAssignedIndexAnnotation[] = "enflame.com/gcu-assigned-index";
inline constexpr char kAssignedIdAnnotation[] = "enflame.com/gcu-assigned-id";  // = index
inline constexpr char kAssignedMinorAnnotation[] = "enflame.com/gcu-assigned-minor";
inline constexpr char kRequestSizeAnnotation[] = "enflame.com/gcu-request-size";  // slices
// No prefix (sic): {"<container>":{"allocated":false,"request":3,"profileID":"1",
// "profileName":"3g.20gb"}}
inline constexpr char kAssignedContainersAnnotation[] = "assigned-containers";
inline constexpr char kAllocatedMember[] = "allocated";
inline constexpr char kRequestMember[] = "request";
inline constexpr char kProfileIdMember[] = "profileID";
inline constexpr char kProfileNameMember[] = "profileName";

// Pod annotations users set (DRS only; GCU checks no UUID).
inline constexpr char kUseUuid[] = "enflame.com/use-gpuuuid";      // WIRE
inline constexpr char kNoUseUuid[] = "enflame.com/nouse-gpuuuid";  // WIRE

}  // namespace hami::vendor::enflame
