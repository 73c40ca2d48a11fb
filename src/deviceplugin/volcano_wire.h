// WIRE: Volcano's vGPU contract (the `deviceshare` plugin with VGPUEnable, and what
// Project-HAMi/volcano-vgpu-device-plugin serves it), as read from volcano.sh/volcano v1.10.0
// pkg/scheduler/api/devices/nvidia/vgpu/type.go and utils.go (docs/integrations/volcano.md).
// Strings only; the grammars are in volcano.h.
#pragma once

namespace hami::deviceplugin::volcano {

// Extended resources: the device plugin advertises kVgpuNumber (GPUs x split count); the others
// are requests Volcano's scheduler alone accounts (never advertised by a device plugin).
inline constexpr char kVgpuNumber[] = "volcano.sh/vgpu-number";
inline constexpr char kVgpuMemory[] = "volcano.sh/vgpu-memory";  // MiB
inline constexpr char kVgpuMemoryPercentage[] = "volcano.sh/vgpu-memory-percentage";
inline constexpr char kVgpuCores[] = "volcano.sh/vgpu-cores";  // percent of the GPU's SMs

// Node annotations the device plugin writes.
// "<uuid>,<count>,<devmem MiB>,<type>,<health true|false>:" per GPU, concatenated.
inline constexpr char kRegisterAnnotation[] = "volcano.sh/node-vgpu-register";
// "Reported_<2006.01.02 15:04:05>" by the plugin; the scheduler writes "Requesting_<time>" and,
// 60 s later without a new report, "Deleted_<time>" (the node's GPUs are then ignored).
inline constexpr char kHandshakeAnnotation[] = "volcano.sh/node-vgpu-handshake";
inline constexpr char kHandshakeReported[] = "Reported_";
inline constexpr char kUnhealthyIdsAnnotation[] = "volcano.sh/gpu-unhealthy-ids";  // "u1,u2"

// deviceshare.NodeLockEnable: the scheduler's node lock, a node annotation of this name holding
// an RFC 3339 time; the device plugin deletes it when the pod's allocation ends.
inline constexpr char kNodeLockAnnotation[] = "hamivgpu";

// Pod annotations Volcano's scheduler writes at Allocate (all in one patch, before the Binding).
// kIdsAnnotation / kToAllocateAnnotation: "<uuid>,NVIDIA,<mem MiB>,<cores>:" per device,
// containers (only those requesting vGPUs, in spec order) joined by ";".
inline constexpr char kIdsAnnotation[] = "volcano.sh/vgpu-ids-new";
inline constexpr char kToAllocateAnnotation[] = "volcano.sh/devices-to-allocate";
inline constexpr char kNodeAnnotation[] = "volcano.sh/vgpu-node";
inline constexpr char kTimeAnnotation[] = "volcano.sh/vgpu-time";      // unix seconds
inline constexpr char kBindTimeAnnotation[] = "volcano.sh/bind-time";  // unix seconds
inline constexpr char kBindPhaseAnnotation[] =
    "volcano.sh/bind-phase";  // allocating|success|failed
// User annotation: hami-core (default) | mig | mps. This plugin serves hami-core only.
inline constexpr char kModeAnnotation[] = "volcano.sh/vgpu-mode";

}  // namespace hami::deviceplugin::volcano
