// WIRE: every string of Kunlunxin's part of the HAMi protocol (vendors.md §10), defined once: the
// whole-card backend (`kunlun`, devices from node capacity) and the vXPU backend (`XPU`, devices
// from hami.io/node-register-xpu). Header-only constants with no dependencies.
#pragma once

#include <cstdint>

namespace hami::vendor::kunlun {

// Vendor keys ("CommonWord"): device vendor, request vendor, the Type of a grant.
inline constexpr char kWholeVendorName[] = "kunlun";  // WIRE: also the registered device type
inline constexpr char kVxpuVendorName[] = "XPU";

// Default resource names (device-config `kunlun.*`, flags --kunlun-name/-vcount/-vmemory).
inline constexpr char kDefaultCountResource[] = "kunlunxin.com/xpu";            // WIRE
inline constexpr char kDefaultVCountResource[] = "kunlunxin.com/vxpu";          // WIRE
inline constexpr char kDefaultVMemoryResource[] = "kunlunxin.com/vxpu-memory";  // WIRE

// Scheduler flags (upstream's GlobalFlagSet names).
inline constexpr char kCountFlag[] = "kunlun-name";
inline constexpr char kVCountFlag[] = "kunlun-vcount";
inline constexpr char kVMemoryFlag[] = "kunlun-vmemory";

// device-config.yaml block and keys.
inline constexpr char kConfigBlock[] = "kunlun";
inline constexpr char kCountKey[] = "resourceCountName";
inline constexpr char kVCountKey[] = "resourceVCountName";
inline constexpr char kVMemoryKey[] = "resourceVMemoryName";

// Node annotations written by the vXPU device plugin.
inline constexpr char kVxpuRegisterAnnotation[] = "hami.io/node-register-xpu";    // WIRE
inline constexpr char kVxpuHandshakeAnnotation[] = "hami.io/node-handshake-xpu";  // WIRE

// Pod annotations written at bind.
inline constexpr char kWholeAllocatedAnnotation[] = "hami.io/kunlun-allocated";         // WIRE
inline constexpr char kDeviceIndexAnnotation[] = "BAIDU_COM_DEVICE_IDX";                // WIRE
inline constexpr char kVxpuToAllocateAnnotation[] = "hami.io/xpu-devices-to-allocate";  // WIRE
inline constexpr char kVxpuAllocatedAnnotation[] = "hami.io/xpu-devices-allocated";     // WIRE

// Pod annotations users set; both pairs apply to both backends.
inline constexpr char kUseXpuUuid[] = "hami.io/use-xpu-uuid";       // WIRE
inline constexpr char kNoUseXpuUuid[] = "hami.io/no-use-xpu-uuid";  // WIRE
inline constexpr char kUseGpuUuid[] = "baidu.com/use-gpuuuid";      // WIRE
inline constexpr char kNoUseGpuUuid[] = "baidu.com/nouse-gpuuuid";  // WIRE

// Whole-card devices built from capacity: ID "<node>-kunlun-<i>".
inline constexpr char kWholeIdInfix[] = "-kunlun-";  // WIRE
inline constexpr int32_t kWholeDeviceCount = 100;
inline constexpr int32_t kWholeDeviceMemory = 98304;  // MiB
inline constexpr int32_t kWholeDeviceCores = 100;

// vXPU sizes: memory is rounded up to one of these (MiB); cores = memory × 100 / the largest.
inline constexpr int64_t kVxpuSizes[] = {24576, 49152, 98304};
inline constexpr int64_t kVxpuMaxMemory = 98304;

}  // namespace hami::vendor::kunlun
